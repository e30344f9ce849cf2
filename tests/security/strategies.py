"""Hypothesis strategies built from a request's descriptor: any message of any request type
(any text, any number, any enum number, nested messages, repeated fields and maps), its
strings drawn partly from the world's real targets so that calls reach the services' code.

Seeded (derandomized) and bounded in ``make test``; ``make fuzz`` raises the number of
examples (RHIP_FUZZ_EXAMPLES) and draws new ones (RHIP_FUZZ_SEED)."""

from __future__ import annotations

import os
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from security.rpcs import message_class

EXAMPLES = int(os.environ.get("RHIP_FUZZ_EXAMPLES", "200"))
SEED = int(os.environ.get("RHIP_FUZZ_SEED", "20261205"))
PROFILE = settings(
    max_examples=EXAMPLES,
    deadline=None,  # real calls over loopback: time is not the property
    derandomize="RHIP_FUZZ_SEED" not in os.environ,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_INTS = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
}


def _text(targets: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=40),
        st.sampled_from(targets),
        st.builds(lambda t, s: t + s, st.sampled_from(targets), st.text(max_size=8)),
        st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=2000),
    )


def _scalar(field: FieldDescriptor, targets: list[str]) -> st.SearchStrategy[Any]:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return _text(targets)
    if kind == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=64)
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind == FieldDescriptor.TYPE_ENUM:
        known = [v.number for v in field.enum_type.values]
        return st.one_of(st.sampled_from(known), st.integers(-(2**31), 2**31 - 1))
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return st.floats(
            allow_nan=True,
            allow_infinity=True,
            width=64 if kind == FieldDescriptor.TYPE_DOUBLE else 32,
        )
    low, high = _INTS.get(kind, (-(2**31), 2**31 - 1))
    return st.integers(low, high)


def message_strategy(
    descriptor: Descriptor, targets: list[str], depth: int = 0
) -> st.SearchStrategy[Any]:
    """Messages of ``descriptor``: each field left unset or drawn; two levels deep."""
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in descriptor.fields:
        if field.message_type is not None:
            options = field.message_type.GetOptions()
            if options.map_entry:
                key = _scalar(field.message_type.fields_by_name["key"], targets)
                value_field = field.message_type.fields_by_name["value"]
                if value_field.message_type is not None:
                    continue
                fields[field.name] = st.dictionaries(key, _scalar(value_field, targets), max_size=3)
                continue
            if depth >= 2:
                continue
            inner = message_strategy(field.message_type, targets, depth + 1)
            fields[field.name] = st.lists(inner, max_size=3) if field.is_repeated else inner
            continue
        scalar = _scalar(field, targets)
        fields[field.name] = st.lists(scalar, max_size=5) if field.is_repeated else scalar
    cls = message_class(descriptor)
    return st.fixed_dictionaries({}, optional=fields).map(lambda values: _build(cls(), values))


def _build(message: Any, values: dict[str, Any]) -> Any:
    for name, value in values.items():
        field = message.DESCRIPTOR.fields_by_name[name]
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            getattr(message, name).update(value)
        elif field.is_repeated:
            if field.message_type is not None:
                for item in value:
                    getattr(message, name).add().CopyFrom(item)
            else:
                getattr(message, name).extend(value)
        elif field.message_type is not None:
            getattr(message, name).CopyFrom(value)
        else:
            setattr(message, name, value)
    return message
