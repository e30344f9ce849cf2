"""Unknown enum values in a request are the caller's error.

proto3 enums are open: a number the enum does not define (a tenant level 999) parses without
complaint and stays in the field, where servicer code mapping known values silently dropped
it (issue 12). ``unknown_enum_values`` finds every such field of a parsed request, nested
messages, repeated fields and map values included, so the server chain refuses the request
with INVALID_ARGUMENT ``ENUM_UNKNOWN`` before any service code runs.

What to visit is worked out once per message type (a plan of the fields that hold enums or
lead to one); a request type without enums costs one dictionary lookup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from rhip.kit.errors import FieldViolation


class _Field:
    __slots__ = ("known", "map", "name", "plan", "repeated")

    def __init__(
        self, field: FieldDescriptor, known: frozenset[int] | None, plan: _Plan | None
    ) -> None:
        self.name = field.name
        self.repeated = field.is_repeated
        self.map = _is_map(field)
        self.known = known  # for enum fields (or map values): the enum's numbers
        self.plan = plan  # for message fields (or map values): what to visit inside


_Plan = tuple[_Field, ...]
_PLANS: dict[str, _Plan] = {}


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def _plan(descriptor: Descriptor, visiting: frozenset[str] = frozenset()) -> _Plan:
    cached = _PLANS.get(descriptor.full_name)
    if cached is not None:
        return cached
    if descriptor.full_name in visiting:
        return ()  # a recursive type: its enums are checked where the recursion starts
    visiting = visiting | {descriptor.full_name}
    fields: list[_Field] = []
    for field in descriptor.fields:
        target = field.message_type.fields_by_name["value"] if _is_map(field) else field  # type: ignore[union-attr]
        if target.enum_type is not None:
            known = frozenset(v.number for v in target.enum_type.values)
            fields.append(_Field(field, known, None))
        elif target.message_type is not None:
            inner = _plan(target.message_type, visiting)
            if inner:
                fields.append(_Field(field, None, inner))
    plan = tuple(fields)
    if len(visiting) == 1:  # only complete plans are kept
        _PLANS[descriptor.full_name] = plan
    return plan


def unknown_enum_values(message: Any) -> Sequence[FieldViolation]:
    """A violation per enum field (``tenant.level``, ``follow_up.emergency_signs[3]``) whose
    value is not a number of its enum."""
    plan = _BY_TYPE.get(type(message))
    if plan is None:
        plan = _BY_TYPE[type(message)] = _plan(message.DESCRIPTOR)
    if not plan:
        return ()
    found: list[FieldViolation] = []
    _walk(message, plan, "", found)
    return found


_BY_TYPE: dict[type, _Plan] = {}


def _walk(message: Any, plan: _Plan, prefix: str, found: list[FieldViolation]) -> None:
    # Paths are only built for a violation: this runs on every request with enums.
    for field in plan:
        value = getattr(message, field.name)
        known = field.known
        if field.map:
            for key in value:
                _item(value[key], field, f"{prefix}{field.name}[{key!r}]", found)
        elif field.repeated:
            if known is not None:
                for i, item in enumerate(value):
                    if item not in known:
                        found.append(FieldViolation(f"{prefix}{field.name}[{i}]", _UNKNOWN))
            else:
                for i, item in enumerate(value):
                    _walk(item, field.plan or (), f"{prefix}{field.name}[{i}].", found)
        elif known is not None:
            if value not in known:
                found.append(FieldViolation(f"{prefix}{field.name}", _UNKNOWN))
        elif message.HasField(field.name):
            _walk(value, field.plan or (), f"{prefix}{field.name}.", found)


def _item(value: Any, field: _Field, path: str, found: list[FieldViolation]) -> None:
    if field.known is not None:
        if value not in field.known:
            found.append(FieldViolation(path, _UNKNOWN))
    else:
        _walk(value, field.plan or (), f"{path}.", found)


_UNKNOWN = "is not a value of this enum"
