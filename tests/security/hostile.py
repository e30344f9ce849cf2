"""Bad input built from a request's descriptor: for every field of the message (and of the
messages inside it, two levels deep), what a careless or hostile caller sends there; and
bytes no encoder would make (undecodable, truncated, invalid UTF-8).

Each mutation is a (label, request) pair; a request is a message or raw bytes."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from security.rpcs import message_class

HUGE = 100_000
MANY = 10_000
STRINGS = {
    "NUL": "\x00",
    "NUL inside": "健康\x00档案",
    "controls": "a\x01\x1b[31m\x7fb",
    "line breaks": "第一行\r\n第二行",
    "C1 control": "a\x85b",
    "100 KB ASCII": "x" * HUGE,
    "100 KB CJK": "档" * (HUGE // 3),
    "lone surrogate escaped": "\\ud800",
    "path traversal": "../../etc/passwd",
    "SQL": "' OR '1'='1'; --",
}
NAMES = {
    "empty id": "healthRecords/",
    "nested": "healthRecords/x/checkUps/y/z",
    "other collection": "tenants/x",
    "percent NUL": "residents/%00",
    "emoji id": "residents/🙂",
    "long id": "regions/" + "9" * 5000,
}


def _deep_json(depth: int) -> str:
    return base64.urlsafe_b64encode(("[" * depth + "]" * depth).encode()).decode()


TOKENS = {
    "garbage": "!!!not-base64!!!",
    "JSON of another shape": base64.urlsafe_b64encode(json.dumps({"a": [1, 2]}).encode()).decode(),
    "deeply nested JSON": _deep_json(100_000),
    "forged offset": base64.urlsafe_b64encode(b'{"o": -1, "k": "\\u0000"}').decode(),
}
NUMBERS = {
    FieldDescriptor.TYPE_DOUBLE: {"NaN": float("nan"), "+Inf": float("inf"), "-Inf": float("-inf"), "1e308": 1e308, "-1e308": -1e308},
    FieldDescriptor.TYPE_FLOAT: {"NaN": float("nan"), "+Inf": float("inf"), "3e38": 3e38},
    FieldDescriptor.TYPE_INT32: {"max": 2**31 - 1, "min": -(2**31)},
    FieldDescriptor.TYPE_INT64: {"max": 2**63 - 1, "min": -(2**63)},
    FieldDescriptor.TYPE_UINT32: {"max": 2**32 - 1},
    FieldDescriptor.TYPE_UINT64: {"max": 2**64 - 1},
}  # fmt: skip


def raw_mutations(valid: Message) -> Iterator[tuple[str, bytes]]:
    data = valid.SerializeToString()
    yield "undecodable bytes", b"\xff\xff\xff\xff\xff"
    yield "wrong wire type", b"\x0d\x01\x02"
    if len(data) > 2:
        yield "truncated", data[: len(data) // 2 + 1]
    for field in valid.DESCRIPTOR.fields:
        if field.type == FieldDescriptor.TYPE_STRING:
            tag = (field.number << 3) | 2
            yield f"invalid UTF-8 in {field.name}", _varint(tag) + b"\x03\xc3\x28\xff"
            break
    yield "deep nesting", _nested(valid.DESCRIPTOR, 200)


def _varint(value: int) -> bytes:
    out = b""
    while True:
        byte, value = value & 0x7F, value >> 7
        out += bytes([byte | (0x80 if value else 0)])
        if not value:
            return out


def _nested(descriptor: Descriptor, depth: int) -> bytes:
    """A length-delimited field nested ``depth`` times (beyond protobuf's recursion limit
    when the message has a message field; otherwise unknown fields)."""
    data = b""
    for _ in range(depth):
        data = b"\x0a" + _varint(len(data)) + data
    return data


def _paths(
    descriptor: Descriptor, prefix: str = "", depth: int = 0
) -> Iterator[tuple[str, FieldDescriptor]]:
    for field in descriptor.fields:
        path = f"{prefix}{field.name}"
        yield path, field
        inner = field.message_type
        if (
            inner is not None
            and not field.is_repeated  # a list of messages: its items mutation covers it
            and not inner.GetOptions().map_entry
            and depth < 1
            and not inner.full_name.startswith("google.protobuf.")
        ):
            yield from _paths(inner, f"{path}.", depth + 1)


def _with(valid: Message, path: str, setter: Any) -> Message:
    message = type(valid)()
    message.CopyFrom(valid)
    *parents, last = path.split(".")
    target = message
    for part in parents:
        target = getattr(target, part)
    setter(target, last)
    return message


def field_mutations(valid: Message) -> Iterator[tuple[str, Message]]:
    for path, field in _paths(valid.DESCRIPTOR):
        name = field.name
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            key = field.message_type.fields_by_name["key"]
            value = field.message_type.fields_by_name["value"]
            if key.type == FieldDescriptor.TYPE_STRING and value.message_type is None:
                filler = "x" if value.type == FieldDescriptor.TYPE_STRING else 1

                def fill_map(m: Any, last: str, v: Any = filler) -> None:
                    getattr(m, last).update({f"k{i}": v for i in range(MANY)})

                yield f"{path}: {MANY} map entries", _with(valid, path, fill_map)
                yield (
                    f"{path}: NUL map key",
                    _with(
                        valid, path, lambda m, last, v=filler: getattr(m, last).update({"a\x00": v})
                    ),
                )
            continue
        if field.is_repeated:
            item: Any = _item(field)
            if item is not None:
                yield (
                    f"{path}: {MANY} items",
                    _with(valid, path, lambda m, last, i=item: getattr(m, last).extend([i] * MANY)),
                )
            continue
        if field.type == FieldDescriptor.TYPE_STRING:
            texts = dict(STRINGS)
            if name in ("name", "parent") or name.endswith(
                ("resident", "record", "team", "tenant", "survivor", "merged")
            ):
                texts.update(NAMES)
            if name == "page_token":
                texts.update(TOKENS)
            if name == "request_id":
                texts.update({"not a UUID": "0193a000-3200-7000-8000-00020000000Z"})
            for label, text in texts.items():
                yield (
                    f"{path}: {label}",
                    _with(valid, path, lambda m, last, t=text: setattr(m, last, t)),
                )
        elif field.type == FieldDescriptor.TYPE_ENUM:
            for number in (999, -1):
                yield (
                    f"{path}: enum {number}",
                    _with(valid, path, lambda m, last, n=number: setattr(m, last, n)),
                )
        elif field.type in NUMBERS:
            for label, number in NUMBERS[field.type].items():
                yield (
                    f"{path}: {label}",
                    _with(valid, path, lambda m, last, n=number: setattr(m, last, n)),
                )
        elif (
            field.message_type is not None
            and field.message_type.full_name == "google.protobuf.Timestamp"
        ):
            for label, seconds in (("year 9999+", 10**15), ("before year 1", -(10**15))):
                yield (
                    f"{path}: {label}",
                    _with(
                        valid,
                        path,
                        lambda m, last, s=seconds: setattr(getattr(m, last), "seconds", s),
                    ),
                )


def _item(field: FieldDescriptor) -> Any:
    if field.type == FieldDescriptor.TYPE_STRING:
        return "x"
    if field.type == FieldDescriptor.TYPE_ENUM:
        values = [v.number for v in field.enum_type.values if v.number]
        return values[0] if values else None
    if field.type in NUMBERS or field.type == FieldDescriptor.TYPE_BOOL:
        return 1
    if field.message_type is not None:
        return message_class(field.message_type)()
    return None
