"""Checks every service applies to request fields: resource names, idempotency keys, reasons.

Each raises INVALID_ARGUMENT naming the field, like every other validation.
"""

from __future__ import annotations

import uuid

from rhip.kit.errors import invalid

REASON_MAX = 500


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
    return reason
