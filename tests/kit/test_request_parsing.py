"""The chain parses each request itself, so bytes that are not the method's request message
are INVALID_ARGUMENT ``REQUEST_MALFORMED`` (grpcio's own parse answered INTERNAL "Exception
deserializing request!" before any rhip code ran), for unary and client-streaming methods;
and it adopts a caller's ``x-request-id`` only when that is a short printable id."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from google.protobuf.wrappers_pb2 import StringValue
from rhip.api.archives.v1 import archives_service_pb2, health_record_pb2
from rhip.api.identity.v1 import identity_service_pb2, tenant_pb2
from rhip.kit.authn import TokenVerifier, optional_principal
from rhip.kit.errors import from_rpc_error
from rhip.kit.request_fields import unknown_enum_values
from rhip.kit.server import RhipServer, ServiceSpec
from rhip.kit.telemetry import build_meter, build_tracer_provider, current_request_id
from rhip.kit.transport import Transport
from rhip.kit.trust import single_cell

SERVICE = "rhip.api.probe.v1.ParseService"
KEY = Ed25519PrivateKey.generate()
BAD_UTF8 = b"\x0a\x04ok\xff\xfe"  # StringValue.value = invalid UTF-8
CORRUPT = b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"


def _token() -> str:
    now = int(time.time())
    claims = {"iss": "rhip-identity/320000", "aud": "rhip", "sub": "user:doc", "kind": "practitioner",
              "tid": "t1", "reg": "320311", "iat": now, "exp": now + 300}  # fmt: skip
    return jwt.encode(claims, KEY, algorithm="EdDSA", headers={"kid": "k1"})


def _echo(request: StringValue, context: Any) -> StringValue:
    principal = optional_principal()  # parsed inside the chain: the caller is known
    return StringValue(value=f"{request.value}|{principal.subject if principal else '-'}")


def _join(requests: Iterator[StringValue], context: Any) -> StringValue:
    return StringValue(value=",".join(r.value for r in requests))


def _request_id(request: StringValue, context: Any) -> StringValue:
    return StringValue(value=current_request_id())


_write = StringValue.SerializeToString


@pytest.fixture
def channel() -> Iterator[grpc.Channel]:
    parse = StringValue.FromString
    handlers = {
        "Echo": grpc.unary_unary_rpc_method_handler(_echo, parse, _write),
        "Join": grpc.stream_unary_rpc_method_handler(_join, parse, _write),
        "RequestId": grpc.unary_unary_rpc_method_handler(_request_id, parse, _write),
    }
    with _serving_handlers(handlers) as channel:
        yield channel


@contextmanager
def _serving_handlers(handlers: dict[str, grpc.RpcMethodHandler]) -> Iterator[grpc.Channel]:
    server = RhipServer(
        [
            ServiceSpec(
                SERVICE,
                lambda s: s.add_generic_rpc_handlers(
                    (grpc.method_handlers_generic_handler(SERVICE, handlers),)
                ),
            )
        ],
        verifier=TokenVerifier(
            single_cell("320000", lambda kid: KEY.public_key() if kid == "k1" else None)
        ),
        authorizer=None,
        tracer_provider=build_tracer_provider("none", "test"),
        meter=build_meter("test"),
        transport=Transport.plaintext(),
    )
    port = server.start("127.0.0.1:0")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield channel
    finally:
        server.stop(0)


def _md(*extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [("authorization", "Bearer " + _token()), *extra]


def _raw(channel: grpc.Channel, method: str) -> Any:
    return channel.unary_unary(
        f"/{SERVICE}/{method}", request_serializer=lambda b: b, response_deserializer=lambda b: b
    )


@pytest.mark.parametrize("payload", [CORRUPT, b"\x0a\x20abc", BAD_UTF8], ids=str)
def test_bytes_that_are_not_the_request_are_invalid_argument(
    channel: grpc.Channel, payload: bytes
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        _raw(channel, "Echo")(payload, metadata=_md(("x-request-id", "req-7")))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert from_rpc_error(caught.value).reason == "REQUEST_MALFORMED"
    assert ("x-request-id", "req-7") in caught.value.trailing_metadata()  # inside the chain


def test_a_good_request_is_parsed_once_and_reaches_the_handler(channel: grpc.Channel) -> None:
    echo = channel.unary_unary(
        f"/{SERVICE}/Echo",
        request_serializer=StringValue.SerializeToString,
        response_deserializer=StringValue.FromString,
    )
    assert echo(StringValue(value="你好"), metadata=_md()).value == "你好|user:doc"


def test_authentication_comes_before_parsing(channel: grpc.Channel) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        _raw(channel, "Echo")(CORRUPT)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_client_streams_parse_each_message(channel: grpc.Channel) -> None:
    join = channel.stream_unary(
        f"/{SERVICE}/Join", request_serializer=lambda b: b, response_deserializer=lambda b: b
    )
    good = StringValue(value="a").SerializeToString()
    assert StringValue.FromString(join(iter([good, good]), metadata=_md())).value == "a,a"
    with pytest.raises(grpc.RpcError) as caught:
        join(iter([good, BAD_UTF8]), metadata=_md())
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert from_rpc_error(caught.value).reason == "REQUEST_MALFORMED"


@pytest.mark.parametrize(
    ("incoming", "adopted"),
    [
        ("req-42", True),
        ("0193a000-3200-7000-8000-000100000001", True),
        ("cell:320000.call_1", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("a" * 5000, False),
        ("req 42", False),
        ("req/../42", False),
        ("<script>", False),
    ],
)
def test_a_callers_request_id_is_adopted_only_when_short_and_printable(
    channel: grpc.Channel, incoming: str, adopted: bool
) -> None:
    reply, call = _raw(channel, "RequestId").with_call(
        b"", metadata=_md(("x-request-id", incoming))
    )
    seen = StringValue.FromString(reply).value
    echoed = dict(call.trailing_metadata())["x-request-id"]
    assert seen == echoed
    if adopted:
        assert echoed == incoming
    else:
        assert echoed != incoming and len(echoed) == 32 and int(echoed, 16) >= 0


def _tenant(request: Any, context: Any) -> StringValue:
    return StringValue(value=str(request.tenant.level))


def test_unknown_enum_values_are_refused_with_their_paths() -> None:
    request = identity_service_pb2.CreateTenantRequest.FromString(
        identity_service_pb2.CreateTenantRequest(
            tenant=tenant_pb2.Tenant(type=tenant_pb2.TENANT_TYPE_VILLAGE_CLINIC, level=999)
        ).SerializeToString()
    )
    assert [v.field for v in unknown_enum_values(request)] == ["tenant.level"]
    visit = archives_service_pb2.RecordFollowUpRequest(
        follow_up=health_record_pb2.FollowUp(program=1, emergency_signs=[1, 77, 2, 78])
    )
    assert [v.field for v in unknown_enum_values(visit)] == [
        "follow_up.emergency_signs[1]",
        "follow_up.emergency_signs[3]",
    ]
    assert unknown_enum_values(identity_service_pb2.GetTenantRequest(name="tenants/x")) == []


def test_the_chain_refuses_unknown_enum_values_before_the_handler() -> None:
    parse = identity_service_pb2.CreateTenantRequest.FromString
    handlers = {"Tenant": grpc.unary_unary_rpc_method_handler(_tenant, parse, _write)}
    with _serving_handlers(handlers) as channel:
        call = _raw(channel, "Tenant")
        ok = identity_service_pb2.CreateTenantRequest(tenant=tenant_pb2.Tenant(level=2))
        assert StringValue.FromString(call(ok.SerializeToString(), metadata=_md())).value == "2"
        bad = identity_service_pb2.CreateTenantRequest(tenant=tenant_pb2.Tenant(level=999))
        with pytest.raises(grpc.RpcError) as caught:
            call(bad.SerializeToString(), metadata=_md())
    error = from_rpc_error(caught.value)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.reason == "ENUM_UNKNOWN"
    assert [v.field for v in error.violations] == ["tenant.level"]
