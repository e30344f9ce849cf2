"""The server chain (request id → telemetry span → error mapping → authentication) run as one
wrapper: what each step promises, including the order between them."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from rhip.kit.authn import TokenVerifier, optional_principal
from rhip.kit.errors import NotFound
from rhip.kit.interceptors import AccessLog
from rhip.kit.server import RhipServer, ServiceSpec
from rhip.kit.telemetry import (
    build_meter,
    build_tracer_provider,
    current_request_id,
    current_trace_id,
    outgoing_metadata,
)
from rhip.kit.transport import Transport
from rhip.kit.trust import single_cell

SERVICE = "rhip.api.probe.v1.ProbeService"
KEY = Ed25519PrivateKey.generate()
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def _token() -> str:
    now = int(time.time())
    claims = {"iss": "rhip-identity/320000", "aud": "rhip", "sub": "user:doc", "kind": "practitioner",
              "tid": "t1", "reg": "320311", "iat": now, "exp": now + 300}  # fmt: skip
    return jwt.encode(claims, KEY, algorithm="EdDSA", headers={"kid": "k1"})


def _who(request: bytes, context: Any) -> bytes:
    principal = optional_principal()
    return f"{principal.subject if principal else '-'}|{current_request_id()}".encode()


def _count(request: bytes, context: Any) -> Iterator[bytes]:
    for i in range(3):  # the principal stays set while the response streams
        principal = optional_principal()
        yield f"{i}:{principal.subject if principal else '-'}".encode()


def _trace(request: bytes, context: Any) -> bytes:
    """The trace the handler runs in, and the traceparent it would send onward."""
    return f"{current_trace_id()}|{dict(outgoing_metadata()).get('traceparent', '')}".encode()


def _missing(request: bytes, context: Any) -> bytes:
    raise NotFound("no such thing", reason="THING_MISSING")


def _own_abort(request: bytes, context: Any) -> bytes:
    context.abort(grpc.StatusCode.FAILED_PRECONDITION, "handler's own status")
    raise AssertionError  # abort raises


class _RequestIds(logging.Handler):
    """Keeps the request id in force when each access log line is written."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.getMessage(), current_request_id()))


@contextmanager
def _serving(tracer_provider: Any, access_log: AccessLog) -> Iterator[grpc.Channel]:
    handlers = {
        "Who": grpc.unary_unary_rpc_method_handler(_who),
        "Open": grpc.unary_unary_rpc_method_handler(_who),
        "Count": grpc.unary_stream_rpc_method_handler(_count),
        "Missing": grpc.unary_unary_rpc_method_handler(_missing),
        "OwnAbort": grpc.unary_unary_rpc_method_handler(_own_abort),
        "Trace": grpc.unary_unary_rpc_method_handler(_trace),
    }
    rhip_server = RhipServer(
        [
            ServiceSpec(
                SERVICE,
                lambda s: s.add_generic_rpc_handlers(
                    (grpc.method_handlers_generic_handler(SERVICE, handlers),)
                ),
                public_methods=[f"/{SERVICE}/Open"],
            )
        ],
        verifier=TokenVerifier(
            single_cell("320000", lambda kid: KEY.public_key() if kid == "k1" else None)
        ),
        authorizer=None,
        tracer_provider=tracer_provider,
        meter=build_meter("test"),
        transport=Transport.plaintext(),
        access_log=access_log,
    )
    port = rhip_server.start("127.0.0.1:0")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield channel
    finally:
        rhip_server.stop(0)


@pytest.fixture
def server() -> Iterator[tuple[grpc.Channel, InMemorySpanExporter]]:
    spans = InMemorySpanExporter()
    with _serving(build_tracer_provider("memory", "test", spans), AccessLog("all")) as channel:
        yield channel, spans


@contextmanager
def _access_lines() -> Iterator[_RequestIds]:
    access = _RequestIds()
    chain_log = logging.getLogger("rhip.kit.interceptors")
    chain_log.addHandler(access)
    level = chain_log.level
    chain_log.setLevel(logging.INFO)
    try:
        yield access
    finally:
        chain_log.removeHandler(access)
        chain_log.setLevel(level)


def _md(*extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [("authorization", "Bearer " + _token()), *extra]


def test_request_id_is_echoed_set_for_the_handler_and_carried_by_the_access_log(
    server: tuple[grpc.Channel, InMemorySpanExporter],
) -> None:
    channel, _ = server
    with _access_lines() as access:
        reply, call = channel.unary_unary(f"/{SERVICE}/Who").with_call(
            b"", metadata=_md(("x-request-id", "req-42"))
        )
        made, made_call = channel.unary_unary(f"/{SERVICE}/Who").with_call(b"", metadata=_md())
    assert reply == b"user:doc|req-42"
    assert ("x-request-id", "req-42") in call.trailing_metadata()
    new_id = dict(made_call.trailing_metadata())["x-request-id"]
    assert len(new_id) == 32 and made == f"user:doc|{new_id}".encode()
    assert [request_id for _, request_id in access.lines] == ["req-42", new_id]
    assert all(message.startswith("rpc Who OK ") for message, _ in access.lines)


def test_span_joins_the_callers_trace_and_records_the_mapped_status(
    server: tuple[grpc.Channel, InMemorySpanExporter],
) -> None:
    channel, spans = server
    traceparent = ("traceparent", f"00-{TRACE_ID}-00f067aa0ba902b7-01")
    channel.unary_unary(f"/{SERVICE}/Who")(b"", metadata=_md(traceparent))
    with pytest.raises(grpc.RpcError) as missing:
        channel.unary_unary(f"/{SERVICE}/Missing")(b"", metadata=_md(traceparent))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    by_name = {s.name.rsplit("/", 1)[1]: s for s in spans.get_finished_spans()}
    assert format(by_name["Who"].context.trace_id, "032x") == TRACE_ID
    assert by_name["Who"].attributes["rpc.grpc.status_code"] == "OK"
    assert by_name["Who"].attributes["rhip.subject"] == "user:doc"
    assert by_name["Missing"].attributes["rpc.grpc.status_code"] == "NOT_FOUND"
    assert not by_name["Missing"].status.is_ok


def test_a_status_the_handler_aborted_with_is_kept(
    server: tuple[grpc.Channel, InMemorySpanExporter],
) -> None:
    channel, _ = server
    with pytest.raises(grpc.RpcError) as caught:
        channel.unary_unary(f"/{SERVICE}/OwnAbort")(b"", metadata=_md())
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert caught.value.details() == "handler's own status"


def test_authentication_runs_inside_error_mapping_and_public_methods_ignore_tokens(
    server: tuple[grpc.Channel, InMemorySpanExporter],
) -> None:
    channel, spans = server
    with pytest.raises(grpc.RpcError) as caught:
        channel.unary_unary(f"/{SERVICE}/Who")(b"")
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    # the refusal was mapped inside the span
    refused = [s for s in spans.get_finished_spans() if s.name.endswith("/Who")]
    assert refused[-1].attributes["rpc.grpc.status_code"] == "UNAUTHENTICATED"
    assert channel.unary_unary(f"/{SERVICE}/Open")(b"", metadata=_md()).startswith(b"-|")


def test_streaming_responses_stay_inside_the_chain(
    server: tuple[grpc.Channel, InMemorySpanExporter],
) -> None:
    channel, _ = server
    replies = list(channel.unary_stream(f"/{SERVICE}/Count")(b"", metadata=_md()))
    assert replies == [b"0:user:doc", b"1:user:doc", b"2:user:doc"]


def test_by_default_only_failed_and_slow_calls_get_an_access_log_line() -> None:
    provider = build_tracer_provider("none", "test")
    with _serving(provider, AccessLog()) as channel, _access_lines() as access:
        channel.unary_unary(f"/{SERVICE}/Who")(b"", metadata=_md())
        with pytest.raises(grpc.RpcError):
            channel.unary_unary(f"/{SERVICE}/Missing")(b"", metadata=_md())
    assert [message.split(" ")[:3] for message, _ in access.lines] == [
        ["rpc", "Missing", "NOT_FOUND"]
    ]
    assert AccessLog("errors", slow_ms=50).wants("OK", 50.0)  # slow: logged
    assert not AccessLog("errors", slow_ms=50).wants("OK", 49.9)
    assert not AccessLog("off").wants("INTERNAL", 10_000.0)
    assert AccessLog("all").wants("OK", 0.1)


def test_without_an_exporter_the_call_still_runs_in_the_callers_trace() -> None:
    provider = build_tracer_provider("none", "test")  # ALWAYS_OFF: spans are not recorded
    caller_span = "00f067aa0ba902b7"
    with _serving(provider, AccessLog()) as channel:
        joined = channel.unary_unary(f"/{SERVICE}/Trace")(
            b"", metadata=_md(("traceparent", f"00-{TRACE_ID}-{caller_span}-00"))
        )
        fresh = [channel.unary_unary(f"/{SERVICE}/Trace")(b"", metadata=_md()) for _ in range(2)]
    trace_id, onward = joined.decode().split("|")
    assert trace_id == TRACE_ID
    _version, onward_trace, onward_span, flags = onward.split("-")
    assert (onward_trace, flags) == (TRACE_ID, "00")  # same trace, not sampled
    assert onward_span != caller_span and int(onward_span, 16) != 0  # a span of its own
    new_ids = [reply.decode().split("|")[0] for reply in fresh]
    assert all(len(i) == 32 and int(i, 16) for i in new_ids) and new_ids[0] != new_ids[1]


def test_a_failed_call_carries_its_request_id_beside_the_error_details(
    server: tuple[grpc.Channel, InMemorySpanExporter],
) -> None:
    channel, _ = server
    for method in ("Missing", "OwnAbort"):
        with pytest.raises(grpc.RpcError) as failed:
            channel.unary_unary(f"/{SERVICE}/{method}")(
                b"", metadata=_md(("x-request-id", f"req-{method}"))
            )
        trailers = dict(failed.value.trailing_metadata())
        assert trailers["x-request-id"] == f"req-{method}"
        # the rich error details survive beside it (only rhip errors carry them)
        assert ("grpc-status-details-bin" in trailers) == (method == "Missing")
