"""Control characters and oversized strings in a request are the caller's error, whatever the
field.

A NUL in any string reached PostgreSQL and failed there (psycopg refuses NUL in text: INTERNAL
on Login, CreateServiceAccount and resource names, issue 12), and SQLite stored it. Checking
field by field in each service missed fields; ``string_violations`` checks every string of a
parsed request once, in the server chain (``rhip.kit.interceptors.parse_request``), before
any service code runs:

- no C0 control character but tab, line feed and carriage return (multi-line notes keep
  their line breaks; names are refused line breaks by their own checks), no DEL, no C1
  control: ``CONTROL_CHARACTER``;
- at most ``MAX_STRING`` characters: ``STRING_TOO_LONG`` (each field's own, smaller maximum
  is its service's check).

Nested messages, repeated fields and map keys and values are visited; what to visit is worked
out once per message type (a plan of the fields that hold strings or lead to one).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from rhip.kit.errors import FieldViolation

# The longest string any request field may hold (the largest documented field maximum is
# far below it; a page token of a deep cursor stays well under).
MAX_STRING = 65_536
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL = "must not contain control characters"
TOO_LONG = f"must be at most {MAX_STRING} characters"


class _Field:
    __slots__ = ("key_is_string", "map", "name", "plan", "repeated", "string")

    def __init__(self, field: FieldDescriptor, string: bool, plan: _Plan | None) -> None:
        self.name = field.name
        self.repeated = field.is_repeated
        self.map = _is_map(field)
        self.key_is_string = self.map and (
            field.message_type.fields_by_name["key"].type == FieldDescriptor.TYPE_STRING  # type: ignore[union-attr]
        )
        self.string = string  # the field (or the map's value) is a string
        self.plan = plan  # for message fields (or map values): what to visit inside


_Plan = tuple[_Field, ...]
_PLANS: dict[str, _Plan] = {}
_BY_TYPE: dict[type, _Plan] = {}


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def _plan(descriptor: Descriptor, visiting: frozenset[str] = frozenset()) -> _Plan:
    cached = _PLANS.get(descriptor.full_name)
    if cached is not None:
        return cached
    if descriptor.full_name in visiting:
        return ()  # a recursive type: checked where the recursion starts
    visiting = visiting | {descriptor.full_name}
    fields: list[_Field] = []
    for field in descriptor.fields:
        is_map = _is_map(field)
        target = field.message_type.fields_by_name["value"] if is_map else field  # type: ignore[union-attr]
        if target.type == FieldDescriptor.TYPE_STRING:
            fields.append(_Field(field, True, None))
        elif target.message_type is not None:
            inner = _plan(target.message_type, visiting)
            if inner or is_map:
                fields.append(_Field(field, False, inner))
        elif is_map:
            fields.append(_Field(field, False, None))
    plan = tuple(fields)
    if len(visiting) == 1:  # only complete plans are kept
        _PLANS[descriptor.full_name] = plan
    return plan


def string_violations(message: Any) -> Sequence[FieldViolation]:
    """A violation per string field (``tenant.display_name``, ``notes[2]``, ``detail['k']``)
    holding a control character or more than ``MAX_STRING`` characters."""
    plan = _BY_TYPE.get(type(message))
    if plan is None:
        plan = _BY_TYPE[type(message)] = _plan(message.DESCRIPTOR)
    if not plan:
        return ()
    found: list[FieldViolation] = []
    _walk(message, plan, "", found)
    return found


def _check(text: str, path: Any, found: list[FieldViolation]) -> None:
    # Paths are only built (``path`` called) for a violation: this runs on every request.
    if len(text) > MAX_STRING:
        found.append(FieldViolation(path(), TOO_LONG))
    elif _CONTROLS.search(text):
        found.append(FieldViolation(path(), CONTROL))


def _walk(message: Any, plan: _Plan, prefix: str, found: list[FieldViolation]) -> None:
    for field in plan:
        value = getattr(message, field.name)
        name = f"{prefix}{field.name}"
        if field.map:
            for key in value:
                if field.key_is_string:
                    _check(key, lambda n=name: n, found)  # the key itself is what is wrong
                item = value[key]
                if field.string:
                    _check(item, lambda n=name, k=key: f"{n}[{str(k)[:20]!r}]", found)
                elif field.plan:
                    _walk(item, field.plan, f"{name}[{str(key)[:20]!r}].", found)
        elif field.repeated:
            for i, item in enumerate(value):
                if field.string:
                    _check(item, lambda n=name, i=i: f"{n}[{i}]", found)
                elif field.plan:
                    _walk(item, field.plan, f"{name}[{i}].", found)
        elif field.string:
            if value:
                _check(value, lambda n=name: n, found)
        elif field.plan and message.HasField(field.name):
            _walk(value, field.plan, f"{name}.", found)
