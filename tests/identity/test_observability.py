"""Traces, request ids and logs: one span per RPC under the caller's trace, request ids
echoed, and no secret in any log line."""

from __future__ import annotations

import contextlib
import logging

import grpc
import pytest
from opentelemetry.trace import SpanKind
from rhip.api.identity.v1 import identity_service_pb2 as pb
from support.cells import PASSWORD, World
from support.errors import expect_error

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"


def test_server_span_joins_the_callers_trace_and_request_id_is_echoed(world: World) -> None:
    running = world.running
    running.spans.clear()
    metadata = [
        *running.md("xz-admin"),
        ("traceparent", f"00-{TRACE_ID}-{PARENT_SPAN}-01"),
        ("x-request-id", "req-123"),
    ]
    _, call = running.stub.ListTenants.with_call(
        pb.ListTenantsRequest(parent="regions/320300"), metadata=metadata
    )
    assert ("x-request-id", "req-123") in call.trailing_metadata()
    spans = [s for s in running.spans.get_finished_spans() if s.name.endswith("/ListTenants")]
    assert len(spans) == 1
    span = spans[0]
    assert span.kind == SpanKind.SERVER
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert format(span.parent.span_id, "016x") == PARENT_SPAN  # type: ignore[union-attr]
    assert span.attributes["rpc.grpc.status_code"] == "OK"


def test_failed_call_span_records_the_status(world: World) -> None:
    running = world.running
    running.spans.clear()
    expect_error(
        lambda: running.stub.ListTenants(
            pb.ListTenantsRequest(parent="regions/320100"), metadata=running.md("xz-admin")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    span = next(s for s in running.spans.get_finished_spans() if s.name.endswith("/ListTenants"))
    assert span.attributes["rpc.grpc.status_code"] == "PERMISSION_DENIED"


def test_no_password_or_token_reaches_the_logs(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    running = world.running
    token = running.login("xz-admin")
    for password in ("Wrong-Passw0rd-77", PASSWORD):
        with contextlib.suppress(grpc.RpcError):
            running.stub.Login(
                pb.LoginRequest(
                    password=pb.PasswordCredentials(username="qs-admin", password=password)
                )
            )
    running.stub.ListTenants(
        pb.ListTenantsRequest(parent="regions/320300"), metadata=running.md("xz-admin")
    )
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records, "expected some log lines to inspect"
    for secret in (PASSWORD, "Wrong-Passw0rd-77", token):
        assert secret not in text
