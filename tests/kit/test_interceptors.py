"""The server chain (request id → telemetry span → error mapping → authentication) run as one
wrapper: what each step promises, including the order between them."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from rhip.kit.authn import TokenVerifier, optional_principal
from rhip.kit.errors import NotFound
from rhip.kit.server import RhipServer, ServiceSpec
from rhip.kit.telemetry import build_meter, build_tracer_provider, current_request_id

SERVICE = "rhip.api.probe.v1.ProbeService"
KEY = Ed25519PrivateKey.generate()
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def _token() -> str:
    now = int(time.time())
    claims = {"iss": "test", "aud": "rhip", "sub": "user:doc", "kind": "practitioner",
              "tid": "t1", "reg": "320311", "iat": now, "exp": now + 300}  # fmt: skip
    return jwt.encode(claims, KEY, algorithm="EdDSA", headers={"kid": "k1"})


def _who(request: bytes, context: Any) -> bytes:
    principal = optional_principal()
    return f"{principal.subject if principal else '-'}|{current_request_id()}".encode()


def _count(request: bytes, context: Any) -> Iterator[bytes]:
    for i in range(3):  # the principal stays set while the response streams
        principal = optional_principal()
        yield f"{i}:{principal.subject if principal else '-'}".encode()


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


@pytest.fixture
def server() -> Iterator[tuple[grpc.Channel, InMemorySpanExporter]]:
    handlers = {
        "Who": grpc.unary_unary_rpc_method_handler(_who),
        "Open": grpc.unary_unary_rpc_method_handler(_who),
        "Count": grpc.unary_stream_rpc_method_handler(_count),
        "Missing": grpc.unary_unary_rpc_method_handler(_missing),
        "OwnAbort": grpc.unary_unary_rpc_method_handler(_own_abort),
    }
    spans = InMemorySpanExporter()
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
        verifier=TokenVerifier(lambda kid: KEY.public_key() if kid == "k1" else None),
        authorizer=None,
        tracer_provider=build_tracer_provider("memory", "test", spans),
        meter=build_meter("test"),
    )
    port = rhip_server.start("127.0.0.1:0")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield channel, spans
    finally:
        rhip_server.stop(0)


def _md(*extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [("authorization", "Bearer " + _token()), *extra]


def test_request_id_is_echoed_set_for_the_handler_and_carried_by_the_access_log(
    server: tuple[grpc.Channel, InMemorySpanExporter],
) -> None:
    channel, _ = server
    access = _RequestIds()
    chain_log = logging.getLogger("rhip.kit.interceptors")
    chain_log.addHandler(access)
    level = chain_log.level
    chain_log.setLevel(logging.INFO)
    try:
        reply, call = channel.unary_unary(f"/{SERVICE}/Who").with_call(
            b"", metadata=_md(("x-request-id", "req-42"))
        )
        made, made_call = channel.unary_unary(f"/{SERVICE}/Who").with_call(b"", metadata=_md())
    finally:
        chain_log.removeHandler(access)
        chain_log.setLevel(level)
    assert reply == b"user:doc|req-42"
    assert ("x-request-id", "req-42") in call.initial_metadata()
    new_id = dict(made_call.initial_metadata())["x-request-id"]
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
