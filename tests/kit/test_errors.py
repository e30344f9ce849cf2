"""Typed errors travel as google.rpc.Status and come back as the same types."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from rhip.kit.errors import (
    MAX_DESCRIPTION_CHARS,
    MAX_MESSAGE_CHARS,
    MAX_VIOLATIONS,
    FieldViolation,
    InvalidArgument,
    ResourceExhausted,
    Violations,
    from_rpc_error,
    to_status,
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


def _raise_many(request: bytes, context) -> bytes:  # type: ignore[no-untyped-def]
    """10,000 violations, each echoing a 5 KB string the caller sent (issue 12)."""
    violations = Violations()
    for i in range(10_000):
        violations.add(f"diseases[{i}].name", "unknown disease " + "病" * 5000, "DISEASE_UNKNOWN")
    violations.raise_if_any()
    raise AssertionError


def _raise_bug(request: bytes, context) -> bytes:  # type: ignore[no-untyped-def]
    raise KeyError("secret internal detail")


@pytest.fixture
def channel() -> Iterator[grpc.Channel]:
    behaviours = {
        "Invalid": _raise_invalid,
        "Exhausted": _raise_exhausted,
        "Bug": _raise_bug,
        "Many": _raise_many,
    }
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


def test_an_error_with_thousands_of_long_violations_is_still_delivered(
    channel: grpc.Channel,
) -> None:
    raw = _call(channel, "Many")
    assert raw.code() == grpc.StatusCode.INVALID_ARGUMENT  # not RESOURCE_EXHAUSTED
    error = from_rpc_error(raw)
    assert error.reason == "DISEASE_UNKNOWN"
    listed = error.violations[:-1]
    assert 1 <= len(listed) <= MAX_VIOLATIONS
    assert [v.field for v in listed] == [f"diseases[{i}].name" for i in range(len(listed))]
    assert all(len(v.description) <= MAX_DESCRIPTION_CHARS for v in listed)
    assert error.violations[-1].description == (
        f"and {10_000 - len(listed)} more violations not listed"
    )
    assert len(raw.details()) <= MAX_MESSAGE_CHARS


def test_short_violations_are_listed_up_to_the_maximum() -> None:
    error = InvalidArgument(violations=[FieldViolation(f"f{i}", "bad") for i in range(80)])
    trailers = dict(to_status(error, "test.rhip").trailing_metadata)
    status = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
    bad = error_details_pb2.BadRequest()
    assert [d.Unpack(bad) for d in status.details if d.Is(bad.DESCRIPTOR)] == [True]
    assert len(bad.field_violations) == MAX_VIOLATIONS + 1
    assert bad.field_violations[-1].description == "and 30 more violations not listed"
