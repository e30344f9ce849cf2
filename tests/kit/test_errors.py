"""Typed errors travel as google.rpc.Status and come back as the same types."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from rhip.kit.errors import (
    FieldViolation,
    InvalidArgument,
    ResourceExhausted,
    from_rpc_error,
)
from support.probe import PROBE_SERVICE, probe_channel


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
    behaviours = {"Invalid": _raise_invalid, "Exhausted": _raise_exhausted, "Bug": _raise_bug}
    with probe_channel(behaviours, public=True) as channel:
        yield channel


def _call(channel: grpc.Channel, name: str) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        channel.unary_unary(f"/{PROBE_SERVICE}/{name}")(b"")
    return caught.value


def test_invalid_argument_carries_reason_domain_and_field_violations(channel: grpc.Channel) -> None:
    error = from_rpc_error(_call(channel, "Invalid"))
    assert isinstance(error, InvalidArgument)
    assert error.reason == "ID_CHECK_DIGIT" and error.domain == "probe.rhip"
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
