"""The chain parses each request itself, so bytes that are not the method's request message
are INVALID_ARGUMENT ``REQUEST_MALFORMED`` (grpcio's own parse answered INTERNAL "Exception
deserializing request!" before any rhip code ran), for unary and client-streaming methods;
and it adopts a caller's ``x-request-id`` only when that is a short printable id."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from google.protobuf.wrappers_pb2 import StringValue
from rhip.kit.authn import TokenVerifier, optional_principal
from rhip.kit.errors import from_rpc_error
from rhip.kit.server import RhipServer, ServiceSpec
from rhip.kit.telemetry import build_meter, build_tracer_provider, current_request_id

SERVICE = "rhip.api.probe.v1.ParseService"
KEY = Ed25519PrivateKey.generate()
BAD_UTF8 = b"\x0a\x04ok\xff\xfe"  # StringValue.value = invalid UTF-8
CORRUPT = b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"


def _token() -> str:
    now = int(time.time())
    claims = {"iss": "test", "aud": "rhip", "sub": "user:doc", "kind": "practitioner",
              "tid": "t1", "reg": "320311", "iat": now, "exp": now + 300}  # fmt: skip
    return jwt.encode(claims, KEY, algorithm="EdDSA", headers={"kid": "k1"})


def _echo(request: StringValue, context: Any) -> StringValue:
    principal = optional_principal()  # parsed inside the chain: the caller is known
    return StringValue(value=f"{request.value}|{principal.subject if principal else '-'}")


def _join(requests: Iterator[StringValue], context: Any) -> StringValue:
    return StringValue(value=",".join(r.value for r in requests))


def _request_id(request: StringValue, context: Any) -> StringValue:
    return StringValue(value=current_request_id())


@pytest.fixture
def channel() -> Iterator[grpc.Channel]:
    parse, write = StringValue.FromString, StringValue.SerializeToString
    handlers = {
        "Echo": grpc.unary_unary_rpc_method_handler(_echo, parse, write),
        "Join": grpc.stream_unary_rpc_method_handler(_join, parse, write),
        "RequestId": grpc.unary_unary_rpc_method_handler(_request_id, parse, write),
    }
    server = RhipServer(
        [
            ServiceSpec(
                SERVICE,
                lambda s: s.add_generic_rpc_handlers(
                    (grpc.method_handlers_generic_handler(SERVICE, handlers),)
                ),
            )
        ],
        verifier=TokenVerifier(lambda kid: KEY.public_key() if kid == "k1" else None),
        authorizer=None,
        tracer_provider=build_tracer_provider("none", "test"),
        meter=build_meter("test"),
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
