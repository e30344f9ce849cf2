"""Every RPC the gateway serves, found through its server reflection (not a hand list), and a
generic caller: requests as messages built from their descriptors or as raw bytes, each
answer recorded as an ``Outcome`` and counted, with a deadline on every call.

A new service (emr, mch, referral) is in the suite the day the gateway forwards it; a cell's
internal services (``cell_internal``, never forwarded) are found through the cell's own
reflection and called on the cell directly."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import Descriptor, MethodDescriptor
from google.protobuf.message import Message
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from rhip.kit.errors import from_rpc_error

TIMEOUT = 15  # seconds: no call of the suite may hang
INFRASTRUCTURE = ("grpc.",)  # health and reflection: not the platform's API


@dataclass(frozen=True)
class Rpc:
    path: str  # "/rhip.api.archives.v1.ArchivesService/GetHealthRecord"
    method: MethodDescriptor
    # Where to call it when not through the suite's gateway: a cell-internal method, on the
    # cell itself (the gateway does not forward it).
    channel: grpc.Channel | None = None

    @property
    def full_name(self) -> str:  # "rhip.api.archives.v1.ArchivesService.GetHealthRecord"
        return self.method.full_name

    @property
    def name(self) -> str:
        return self.method.name

    @property
    def input(self) -> Descriptor:
        return self.method.input_type

    def request(self, **fields: Any) -> Message:
        message = message_class(self.input)()
        for key, value in fields.items():
            set_path(message, key, value)
        return message

    def parse_response(self, data: bytes) -> Message:
        return message_class(self.method.output_type).FromString(data)


def message_class(descriptor: Descriptor) -> type[Message]:
    return message_factory.GetMessageClass(descriptor)


def set_path(message: Message, path: str, value: Any) -> None:
    """Set ``a.b.c`` (scalar or repeated) on ``message``."""
    *parents, last = path.split(".")
    for part in parents:
        message = getattr(message, part)
    target = message.DESCRIPTOR.fields_by_name[last]
    if target.is_repeated:
        getattr(message, last).extend(value if isinstance(value, list) else [value])
    elif target.message_type is not None:
        getattr(message, last).CopyFrom(value)
    else:
        setattr(message, last, value)


def discover(channel: grpc.Channel) -> list[Rpc]:
    """Every method of every service the server lists through reflection."""
    database = ProtoReflectionDescriptorDatabase(channel)
    pool = descriptor_pool.DescriptorPool(database)
    rpcs = []
    for service_name in sorted(database.get_services()):
        if service_name.startswith(INFRASTRUCTURE):
            continue
        service = pool.FindServiceByName(service_name)
        for method in service.methods:
            rpcs.append(Rpc(f"/{service.full_name}/{method.name}", method))
    return rpcs


@dataclass
class Outcome:
    code: grpc.StatusCode
    response: Message | None = None
    details: str = ""
    reason: str = ""  # ErrorInfo.reason
    violations: tuple[tuple[str, str], ...] = ()  # BadRequest (field, description)

    @property
    def ok(self) -> bool:
        return self.code is grpc.StatusCode.OK


# Codes that mean the server failed, not the caller: the suite allows none of them.
SERVER_FAULTS = frozenset({grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN})


@dataclass
class Caller:
    """Calls through one channel; counts requests and answers by code, and keeps every
    answer the suite forbids (INTERNAL, UNKNOWN, a deadline) for the failure message."""

    channel: grpc.Channel
    counts: Counter[str] = field(default_factory=Counter)
    faults: list[str] = field(default_factory=list)

    def call(
        self,
        rpc: Rpc,
        request: Message | bytes,
        metadata: list[tuple[str, str]] | None = None,
        *,
        label: str = "",
    ) -> Outcome:
        raw = request if isinstance(request, bytes) else request.SerializeToString()
        stub = (rpc.channel or self.channel).unary_unary(
            rpc.path,
            request_serializer=lambda data: data,  # identity: bytes go out as they are
            response_deserializer=lambda data: data,
        )
        self.counts["requests"] += 1
        try:
            data = stub(raw, metadata=metadata or [], timeout=TIMEOUT)
        except grpc.RpcError as error:
            code = error.code()
            details = error.details() or ""
            self.counts[code.name] += 1
            if code in SERVER_FAULTS or code is grpc.StatusCode.DEADLINE_EXCEEDED:
                self.faults.append(f"{rpc.name} {label}: {code.name} {details[:200]}")
            typed = from_rpc_error(error)
            violations = tuple((v.field, v.description) for v in typed.violations)
            return Outcome(code, None, details, typed.reason or "", violations)
        self.counts["OK"] += 1
        return Outcome(grpc.StatusCode.OK, rpc.parse_response(data))


def strings_of(message: Message) -> list[str]:
    """Every string in ``message``, nested messages, repeated fields and maps included (what a
    leak would be found in)."""
    found: list[str] = []
    for descriptor, value in message.ListFields():
        values = value if descriptor.is_repeated else [value]
        if descriptor.message_type is not None and descriptor.message_type.GetOptions().map_entry:
            for key in value:
                found.append(str(key))
                item = value[key]
                found.extend(strings_of(item) if isinstance(item, Message) else [str(item)])
            continue
        for item in values:
            if isinstance(item, Message):
                found.extend(strings_of(item))
            elif isinstance(item, str):
                found.append(item)
            elif isinstance(item, bytes):
                found.append(item.decode("utf-8", "replace"))
    return found
