"""Every method of every service the cell serves (read from the rhip.api descriptors, so a new
RPC is covered the day it lands) answers bytes that are not its request message with
INVALID_ARGUMENT ``REQUEST_MALFORMED``, never grpcio's INTERNAL "Exception deserializing
request!", and an enum value its enum does not define with ``ENUM_UNKNOWN``: directly and
through the gateway, which forwards the bytes unparsed."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from conftest import make_settings
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from rhip.gateway.server import build_gateway
from rhip.kit.apis import MethodInfo, methods
from rhip.kit.errors import from_rpc_error
from rhip.kit.routing import RoutingTable
from support.cells import RunningCell, build_world
from support.platform import write_routes

CORRUPT = b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"  # a varint that never ends
TRUNCATED = b"\x0a\x20abc"  # field 1, 32 bytes announced, 3 sent
MALFORMED = "REQUEST_MALFORMED"


def _identity(value: bytes) -> bytes:
    return value


def _request_type(info: MethodInfo) -> Descriptor:
    package, service = info.service.rsplit(".", 1)
    for name in _pb2_modules(package):
        descriptor = importlib.import_module(name).DESCRIPTOR
        if service in descriptor.services_by_name:
            method = info.path.rsplit("/", 1)[1]
            return descriptor.services_by_name[service].methods_by_name[method].input_type
    raise AssertionError(f"no descriptor for {info.path}")


def _pb2_modules(package: str) -> list[str]:
    import rhip.api

    root = Path(next(iter(rhip.api.__path__))).parent.parent
    folder = root.joinpath(*package.split("."))
    return [f"{package}.{p.stem}" for p in sorted(folder.glob("*_pb2.py"))]


def _length_delimited(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _bad_utf8(message: Descriptor, depth: int = 0) -> bytes | None:
    """Wire bytes of ``message`` whose first reachable string field (or map key) holds
    invalid UTF-8; None when the message has no string field within a few levels."""
    for field in message.fields:
        if field.type == FieldDescriptor.TYPE_STRING:
            return _length_delimited(field.number, b"ok\xff\xfe")
    if depth < 3:
        for field in message.fields:
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                inner = _bad_utf8(field.message_type, depth + 1)
                if inner is not None:
                    return _length_delimited(field.number, inner)
    return None


def _unknown_enum(message: Descriptor, depth: int = 0) -> bytes | None:
    """Wire bytes of ``message`` whose first reachable enum field holds 999 (no rhip enum
    defines it); None when there is none within a few levels."""
    for field in message.fields:
        if field.type == FieldDescriptor.TYPE_ENUM:
            return _varint(field.number << 3) + _varint(999)
    if depth < 3:
        for field in message.fields:
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                inner = _unknown_enum(field.message_type, depth + 1)
                if inner is not None:
                    return _length_delimited(field.number, inner)
    return None


def _payloads(info: MethodInfo) -> dict[str, tuple[bytes, str]]:
    """What to send (by name) and the reason it must be refused with."""
    payloads = {"corrupt": (CORRUPT, MALFORMED), "truncated": (TRUNCATED, MALFORMED)}
    request = _request_type(info)
    bad_utf8 = _bad_utf8(request)
    if bad_utf8 is not None:
        payloads["invalid utf-8"] = (bad_utf8, MALFORMED)
    unknown_enum = _unknown_enum(request)
    if unknown_enum is not None:
        payloads["unknown enum value"] = (unknown_enum, "ENUM_UNKNOWN")
    return payloads


def _unary_methods() -> list[MethodInfo]:
    # Cell-internal methods are not forwarded by the gateway (UNIMPLEMENTED there); the
    # security suite's bad-input sweep calls them on the cell itself.
    found = [
        m for m in methods().values() if m.api in ("identity", "archives") and not m.cell_internal
    ]
    # Streaming methods would need another call shape; there are none yet: fail loudly when
    # one appears so that this sweep grows with it.
    assert not [m for m in found if m.client_streaming or m.server_streaming]
    return found


def _sweep(channel: grpc.Channel, metadata: list[tuple[str, str]]) -> list[str]:
    wrong: list[str] = []
    swept = 0
    for info in _unary_methods():
        call = channel.unary_unary(
            info.path, request_serializer=_identity, response_deserializer=_identity
        )
        for kind, (payload, expected) in _payloads(info).items():
            swept += 1
            try:
                call(payload, metadata=metadata, timeout=10)
            except grpc.RpcError as error:
                reason = from_rpc_error(error).reason
                if (error.code(), reason) == (grpc.StatusCode.INVALID_ARGUMENT, expected):
                    continue
                wrong.append(f"{info.path} {kind}: {error.code().name} {reason} {error.details()}")
            else:
                wrong.append(f"{info.path} {kind}: OK")
    assert swept > 150  # every method, two to four payloads each
    return wrong


@pytest.fixture
def admin(running: RunningCell) -> list[tuple[str, str]]:
    build_world(running)
    return running.md("js-admin")


def test_every_method_answers_undecodable_bytes_with_invalid_argument(
    running: RunningCell, admin: list[tuple[str, str]]
) -> None:
    assert _sweep(running.channel, admin) == []
    # Public methods (login) without a token too.
    login = "/rhip.api.identity.v1.IdentityService/Login"
    with pytest.raises(grpc.RpcError) as caught:
        running.channel.unary_unary(login)(CORRUPT, timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture
def gateway_channel(
    running: RunningCell, tmp_path: Path, database_url: str
) -> Iterator[grpc.Channel]:
    routes = write_routes(tmp_path / "routes.json", {"320000": f"127.0.0.1:{running.cell.port}"})
    settings = make_settings(
        tmp_path, database_url, RHIP_RATE_LIMIT_PER_SECOND="10000", RHIP_RATE_LIMIT_BURST="10000"
    )
    gateway = build_gateway(settings, RoutingTable.from_file(routes))
    port = gateway.start("127.0.0.1:0")
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield channel
    gateway.stop(0)


def test_every_method_through_the_gateway_answers_undecodable_bytes_with_invalid_argument(
    running: RunningCell, admin: list[tuple[str, str]], gateway_channel: grpc.Channel
) -> None:
    # Public methods (login) are routed by the region the caller names.
    assert _sweep(gateway_channel, [*admin, ("x-rhip-region", "320000")]) == []


def test_the_gateway_mints_its_own_id_for_a_long_client_request_id(
    running: RunningCell, gateway_channel: grpc.Channel
) -> None:
    jwks = gateway_channel.unary_unary(
        "/rhip.api.identity.v1.IdentityService/GetJwks",
        request_serializer=_identity,
        response_deserializer=_identity,
    )
    for incoming, adopted in (("r" * 5000, False), ("a b", False), ("his-7:a.b_c", True)):
        _, call = jwks.with_call(
            b"", metadata=[("x-rhip-region", "320000"), ("x-request-id", incoming)], timeout=10
        )
        echoed = dict(call.trailing_metadata())["x-request-id"]
        assert (echoed == incoming) is adopted
        assert adopted or (len(echoed) == 32 and int(echoed, 16) >= 0)
