"""Checks of every field of a parsed request that no service can forget: unknown enum values,
control characters and oversized strings. Run once per call in the server chain
(``rhip.kit.interceptors.parse_request``), before any service code.

- **Enums.** proto3 enums are open: a number the enum does not define (a tenant level 999)
  parses without complaint and stays in the field, where servicer code mapping known values
  silently dropped it (issue 12): ``ENUM_UNKNOWN``.
- **Strings.** A NUL reached PostgreSQL and failed there (psycopg refuses NUL in text:
  INTERNAL on Login, CreateServiceAccount and resource names), and SQLite stored it. No C0
  control character but tab, line feed and carriage return (multi-line notes keep their line
  breaks; names are refused line breaks by their own checks), no DEL, no C1 control:
  ``CONTROL_CHARACTER``; at most ``MAX_STRING`` characters: ``STRING_TOO_LONG`` (each field's
  own, smaller maximum is its service's check).

Nested messages, repeated fields and map keys and values are visited in one walk. What to
visit is worked out once per message type (a plan of the fields that hold an enum or a string
or lead to one); paths are only built for a violation, since this runs on every request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from rhip.kit.errors import FieldViolation

# The longest string any request field may hold (the largest documented field maximum is far
# below it; a page token of a deep cursor stays well under).
MAX_STRING = 65_536
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL = "must not contain control characters"
TOO_LONG = f"must be at most {MAX_STRING} characters"
UNKNOWN_ENUM = "is not a value of this enum"


@dataclass
class Found:
    """What one walk found, by kind."""

    enums: list[FieldViolation] = field(default_factory=list)
    strings: list[FieldViolation] = field(default_factory=list)


class _Field:
    __slots__ = ("key_is_string", "known", "map", "name", "plan", "repeated", "string")

    def __init__(
        self,
        descriptor: FieldDescriptor,
        *,
        string: bool = False,
        known: frozenset[int] | None = None,
        plan: _Plan | None = None,
    ) -> None:
        self.name = descriptor.name
        self.repeated = descriptor.is_repeated
        self.map = _is_map(descriptor)
        self.key_is_string = _has_string_keys(descriptor)
        self.string = string  # the field (or the map's value) is a string
        self.known = known  # the field (or the map's value) is an enum of these numbers
        self.plan = plan  # the field (or the map's value) is a message: what to visit inside


_Plan = tuple[_Field, ...]
_PLANS: dict[str, _Plan] = {}
_BY_TYPE: dict[type, _Plan] = {}


def _is_map(descriptor: FieldDescriptor) -> bool:
    return descriptor.message_type is not None and descriptor.message_type.GetOptions().map_entry


def _has_string_keys(descriptor: FieldDescriptor) -> bool:
    return _is_map(descriptor) and (
        descriptor.message_type.fields_by_name["key"].type == FieldDescriptor.TYPE_STRING  # type: ignore[union-attr]
    )


def _plan(descriptor: Descriptor, visiting: frozenset[str] = frozenset()) -> _Plan:
    cached = _PLANS.get(descriptor.full_name)
    if cached is not None:
        return cached
    if descriptor.full_name in visiting:
        return ()  # a recursive type: checked where the recursion starts
    visiting = visiting | {descriptor.full_name}
    fields: list[_Field] = []
    for each in descriptor.fields:
        is_map = _is_map(each)
        target = each.message_type.fields_by_name["value"] if is_map else each  # type: ignore[union-attr]
        if target.type == FieldDescriptor.TYPE_STRING:
            fields.append(_Field(each, string=True))
        elif target.enum_type is not None:
            fields.append(_Field(each, known=frozenset(v.number for v in target.enum_type.values)))
        elif target.message_type is not None:
            inner = _plan(target.message_type, visiting)
            if inner or _has_string_keys(each):
                fields.append(_Field(each, plan=inner))
        elif _has_string_keys(each):
            fields.append(_Field(each))  # only its keys are strings
    plan = tuple(fields)
    if len(visiting) == 1:  # only complete plans are kept
        _PLANS[descriptor.full_name] = plan
    return plan


def check_fields(message: Any) -> Found:
    """Every unknown enum value and every bad string of ``message``, with its path
    (``tenant.level``, ``notes[2]``, ``detail['k']``)."""
    plan = _BY_TYPE.get(type(message))
    if plan is None:
        plan = _BY_TYPE[type(message)] = _plan(message.DESCRIPTOR)
    found = Found()
    if plan:
        _walk(message, plan, "", found)
    return found


def unknown_enum_values(message: Any) -> Sequence[FieldViolation]:
    return check_fields(message).enums


def string_violations(message: Any) -> Sequence[FieldViolation]:
    return check_fields(message).strings


def _value(value: Any, field: _Field, path: Callable[[], str], found: Found) -> None:
    """One value of ``field`` (the field itself, an item or a map value) at ``path``."""
    if field.string:
        if len(value) > MAX_STRING:
            found.strings.append(FieldViolation(path(), TOO_LONG))
        elif _CONTROLS.search(value):
            found.strings.append(FieldViolation(path(), CONTROL))
    elif field.known is not None:
        if value not in field.known:
            found.enums.append(FieldViolation(path(), UNKNOWN_ENUM))
    elif field.plan:
        _walk(value, field.plan, f"{path()}.", found)


def _walk(message: Any, plan: _Plan, prefix: str, found: Found) -> None:
    for each in plan:
        value = getattr(message, each.name)
        name = f"{prefix}{each.name}"
        if each.map:
            for key in value:
                if each.key_is_string:  # the key itself may be what is wrong
                    _value(key, _KEY, partial(str, name), found)
                _value(value[key], each, partial(_keyed, name, key), found)
        elif each.repeated:
            for i, item in enumerate(value):
                _value(item, each, partial(_indexed, name, i), found)
        elif each.plan is not None and not each.string and each.known is None:
            if message.HasField(each.name):
                _value(value, each, partial(str, name), found)
        elif value or each.known is not None:
            _value(value, each, partial(str, name), found)


def _keyed(name: str, key: Any) -> str:
    return f"{name}[{str(key)[:20]!r}]"


def _indexed(name: str, index: int) -> str:
    return f"{name}[{index}]"


class _StringKey:
    """A map's string key, checked like a string field."""

    string = True
    known = None
    plan = None


_KEY: Any = _StringKey()
