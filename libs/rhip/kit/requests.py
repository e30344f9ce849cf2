"""Checks every service applies to request fields: resource names, idempotency keys, reasons,
and the bounds on what a caller may send (control characters, counts, finite numbers, enum
values, JSON nesting).

Each raises INVALID_ARGUMENT naming the field, like every other validation.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Container, Sequence, Sized
from typing import Any

from rhip.kit.errors import Violations, invalid

REASON_MAX = 500
MAX_MASK_PATHS = 20  # paths of an update_mask (FieldMask) in any request


def parse_resource_name(name: str, collection: str, field: str = "name") -> str:
    """The id from ``{collection}/{id}``; INVALID_ARGUMENT when the shape is wrong."""
    prefix = f"{collection}/"
    value = name[len(prefix) :] if name.startswith(prefix) else ""
    if not value or "/" in value:
        raise invalid(field, f"must look like {collection}/{{id}}", "RESOURCE_NAME")
    return value


def validate_request_id(request_id: str, field: str = "request_id") -> str:
    """Empty (no idempotency) or a UUID in canonical form."""
    if not request_id:
        return ""
    try:
        return str(uuid.UUID(request_id))
    except ValueError:
        raise invalid(field, "must be a UUID", "REQUEST_ID_FORMAT") from None


def validate_reason(reason: str, field: str = "reason") -> str:
    """A required free-text reason (suspension, merge, decline …), 1–500 characters."""
    reason = reason.strip()
    if not reason:
        raise invalid(field, "a reason is required", "REASON_REQUIRED")
    if len(reason) > REASON_MAX:
        raise invalid(field, f"must be at most {REASON_MAX} characters", "REASON_TOO_LONG")
    return check_no_controls(reason, field, multiline=True)


# -- bounds on what a caller sends (issue 12) ---------------------------------------------------
# C0 and C1 control characters (and DEL). Line breaks and tabs are allowed only in multi-line
# text (notes); names are one line.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_no_controls(text: str, field: str, *, multiline: bool = False) -> str:
    """``text`` when it holds no control characters (``multiline``: except tab and line
    breaks); INVALID_ARGUMENT ``CONTROL_CHARACTER`` otherwise. For every free-text name."""
    if (_CONTROLS_BUT_LINES if multiline else _CONTROLS).search(text):
        raise invalid(field, "must not contain control characters", "CONTROL_CHARACTER")
    return text


def check_count(items: Sized, maximum: int, field: str) -> None:
    """A repeated field or map of at most ``maximum`` entries (the maximum its .proto comment
    documents); INVALID_ARGUMENT ``TOO_MANY_ITEMS`` otherwise. Checked before the items
    themselves, so that 10,000 items cost one violation, not 10,000."""
    if len(items) > maximum:
        raise invalid(field, f"must have at most {maximum} entries", "TOO_MANY_ITEMS")


def is_finite_number(value: object) -> bool:
    """False for NaN and ±Infinity (as floats, or as the strings ``json_format`` makes of
    them when a form travels as a dict)."""
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return math.isfinite(value)
    return False


def check_enum(value: int, known: Container[int], field: str) -> int:
    """``value`` when it is a value of the field's enum; INVALID_ARGUMENT ``ENUM_UNKNOWN``
    otherwise (proto3 keeps unknown numbers, e.g. a level 999, instead of refusing them)."""
    if value not in known:
        raise invalid(field, "is not a value of this enum", "ENUM_UNKNOWN")
    return value


_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def parse_json_document(
    data: bytes, field: str, *, max_depth: int = 32, reason: str = "JSON_INVALID"
) -> Any:
    """A JSON document from a caller, nested at most ``max_depth`` levels (json.loads
    recurses once per level: a deeply nested document raised RecursionError);
    INVALID_ARGUMENT with ``reason`` otherwise."""
    depth = 0
    for match in _JSON_TOKENS.finditer(data):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                raise invalid(field, f"nests deeper than {max_depth} levels", reason)
        elif token in (b"]", b"}"):
            depth -= 1
    try:
        return json.loads(data)
    except ValueError:  # includes UnicodeDecodeError
        raise invalid(field, "is not a JSON document", reason) from None


def check_update_mask(checks: Violations, mask: Sequence[str], allowed: Container[str]) -> None:
    """An Update's field mask (AIP-134): at least one path, at most ``MAX_MASK_PATHS``, each
    one a field the method may change; every problem is added to ``checks``."""
    if not mask:
        checks.add("update_mask", "name at least one field to change", "UPDATE_MASK_EMPTY")
    checks.check(check_count, mask, MAX_MASK_PATHS, "update_mask.paths")
    for path in mask[:MAX_MASK_PATHS]:
        if path not in allowed:
            checks.add("update_mask", f"{path} cannot be changed", "UPDATE_MASK_FIELD")
