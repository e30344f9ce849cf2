"""Typed errors travel as google.rpc.Status and come back as the same types."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from rhip.kit.authn import TokenVerifier
from rhip.kit.errors import (
    FieldViolation,
    InvalidArgument,
    ResourceExhausted,
    from_rpc_error,
)
from rhip.kit.server import RhipServer, ServiceSpec
from rhip.kit.telemetry import build_meter, build_tracer_provider

SERVICE = "rhip.api.test.v1.ProbeService"


def _raise_invalid(request: bytes, context) -> bytes:  # type: ignore[no-untyped-def]
    raise InvalidArgument(
        "bad",
        reason="ID_CHECK_DIGIT",
        violations=[FieldViolation("id_number", "expected X, got 1")],
    )


def _raise_exhausted(request: bytes, context) -> bytes:  # type: ignore[no-untyped-def]
    raise ResourceExhausted("slow down", reason="RATE_LIMITED", retry_after_seconds=1.5)


def _raise_bug(request: bytes, context) -> bytes:  # type: ignore[no-untyped-def]
    raise KeyError("secret internal detail")


@pytest.fixture
def channel() -> Iterator[grpc.Channel]:
    handlers = {
        name: grpc.unary_unary_rpc_method_handler(fn)
        for name, fn in (
            ("Invalid", _raise_invalid),
            ("Exhausted", _raise_exhausted),
            ("Bug", _raise_bug),
        )
    }
    spec = ServiceSpec(
        SERVICE,
        lambda server: server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(SERVICE, handlers),)
        ),
        public_methods=[f"/{SERVICE}/{n}" for n in handlers],
    )
    server = RhipServer(
        [spec],
        verifier=TokenVerifier(lambda kid: None),
        authorizer=None,
        tracer_provider=build_tracer_provider("none", "test"),
        meter=build_meter("test"),
    )
    port = server.start("127.0.0.1:0")
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield channel
    server.stop(0)


def _call(channel: grpc.Channel, name: str) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        channel.unary_unary(f"/{SERVICE}/{name}")(b"")
    return caught.value


def test_invalid_argument_carries_reason_domain_and_field_violations(channel: grpc.Channel) -> None:
    error = from_rpc_error(_call(channel, "Invalid"))
    assert isinstance(error, InvalidArgument)
    assert error.reason == "ID_CHECK_DIGIT" and error.domain == "test.rhip"
    assert error.violations == (FieldViolation("id_number", "expected X, got 1"),)


def test_retry_info_survives(channel: grpc.Channel) -> None:
    error = from_rpc_error(_call(channel, "Exhausted"))
    assert isinstance(error, ResourceExhausted) and error.retry_after_seconds == 1.5


def test_unexpected_exception_is_internal_without_details(channel: grpc.Channel) -> None:
    raw = _call(channel, "Bug")
    assert raw.code() == grpc.StatusCode.INTERNAL
    assert "secret internal detail" not in (raw.details() or "")
    assert "Traceback" not in (raw.details() or "")
    assert from_rpc_error(raw).reason == "INTERNAL"
