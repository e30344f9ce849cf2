"""RHIP_TRACES_EXPORTER=otlp: the OTLP exporter is installed, and spans reach an OTLP
collector over gRPC at the standard OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (issue 12: today's
main raised ModuleNotFoundError). The collector is a real gRPC server on 127.0.0.1 that keeps
what it receives; nothing leaves the machine."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from conftest import make_settings
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.cell import build_cell
from rhip.kit.config import load_settings
from rhip.kit.telemetry import build_tracer_provider

TIMEOUT = 10.0


class Collector(trace_service_pb2_grpc.TraceServiceServicer):
    """Keeps (service name, span name) of every span exported to it."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, str]] = []
        self.received = threading.Condition()

    def Export(self, request, context):  # type: ignore[no-untyped-def]
        with self.received:
            for resource_spans in request.resource_spans:
                service = next(
                    (
                        a.value.string_value
                        for a in resource_spans.resource.attributes
                        if a.key == "service.name"
                    ),
                    "",
                )
                for scope in resource_spans.scope_spans:
                    self.spans.extend((service, span.name) for span in scope.spans)
            self.received.notify_all()
        return trace_service_pb2.ExportTraceServiceResponse()

    def wait_for(self, service: str, name_suffix: str) -> bool:
        with self.received:
            return self.received.wait_for(
                lambda: any(s == service and n.endswith(name_suffix) for s, n in self.spans),
                timeout=TIMEOUT,
            )


@pytest.fixture
def collector(monkeypatch: pytest.MonkeyPatch) -> Iterator[Collector]:
    servicer = Collector()
    server = grpc.server(ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", f"http://127.0.0.1:{port}")
    yield servicer
    server.stop(0)


def test_otlp_builds_a_provider_whose_spans_reach_the_collector(collector: Collector) -> None:
    settings = load_settings({"RHIP_TRACES_EXPORTER": "otlp"})
    provider = build_tracer_provider(settings.traces_exporter, "rhip-otlp-test")
    try:
        with provider.get_tracer("test").start_as_current_span("probe"):
            pass
        assert provider.force_flush(int(TIMEOUT * 1000))
        assert collector.wait_for("rhip-otlp-test", "probe"), collector.spans
    finally:
        provider.shutdown()


def test_a_cell_configured_for_otlp_exports_its_rpc_spans(
    collector: Collector, tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, RHIP_TRACES_EXPORTER="otlp")
    cell = build_cell(settings)
    port = cell.start("127.0.0.1:0")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            identity_service_pb2_grpc.IdentityServiceStub(channel).GetJwks(
                pb.GetJwksRequest(), timeout=TIMEOUT
            )
        assert cell.tracer_provider.force_flush(int(TIMEOUT * 1000))
        assert collector.wait_for("rhip-cell-320000", "/GetJwks"), collector.spans
    finally:
        cell.stop(0)
