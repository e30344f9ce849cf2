"""Observability: OpenTelemetry traces and metrics per RPC, W3C trace context in gRPC
metadata, request ids, and log records that carry both ids.

Exporter from settings: ``none`` (default), ``console``, ``memory`` (tests read the spans),
``otlp`` (production: OTLP over gRPC, configured by the standard ``OTEL_EXPORTER_OTLP_*``
variables, e.g. ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://collector:4317``).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping, Sequence
from contextvars import ContextVar

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.metrics import Meter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

REQUEST_ID_HEADER = "x-request-id"
# A caller's request id is adopted only when it looks like an id: it is echoed in trailers,
# logged on every line and forwarded to other cells, so a 5 KB or control-character value
# would be carried everywhere (issue 12).
_ADOPTABLE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_request_id: ContextVar[str] = ContextVar("rhip_request_id", default="")
PROPAGATOR = TraceContextTextMapPropagator()


def adopted_request_id(incoming: object) -> str | None:
    """The caller's ``x-request-id`` when it is at most 64 characters of ``[A-Za-z0-9._:-]``;
    None (the server mints its own) otherwise."""
    if isinstance(incoming, str) and _ADOPTABLE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return None


def current_request_id() -> str:
    return _request_id.get()


def set_request_id(value: str):
    """Set the request id for this call; returns the token to reset it."""
    return _request_id.set(value)


def reset_request_id(token) -> None:
    _request_id.reset(token)


def current_trace_id() -> str:
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else ""


_NO_PARENT = Context()
TRACEPARENT_HEADER = "traceparent"


def extract_context(metadata: Mapping[str, str | bytes]) -> Context:
    """The caller's trace context from an RPC's metadata (read into a dict once per call);
    an empty context (a new trace) when the caller sent none."""
    if TRACEPARENT_HEADER not in metadata:
        return _NO_PARENT  # the common case at the gateway: skip the propagator
    return PROPAGATOR.extract(metadata)


def outgoing_metadata() -> list[tuple[str, str]]:
    """Trace context and request id to send on an outbound call from inside an RPC."""
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    if current_request_id():
        carrier[REQUEST_ID_HEADER] = current_request_id()
    return list(carrier.items())


def build_tracer_provider(
    exporter: str, service_name: str, memory: InMemorySpanExporter | None = None
) -> TracerProvider:
    # With no exporter, spans are not recorded (measured: building them was 7-15% of each
    # process's Python time) but still carry trace ids into logs and onward calls.
    provider = TracerProvider(
        resource=Resource.create({"service.name": service_name}),
        sampler=ALWAYS_OFF if exporter == "none" else ParentBased(ALWAYS_ON),
    )
    span_exporter: SpanExporter | None = None
    if exporter == "console":
        span_exporter = ConsoleSpanExporter(out=sys.stderr)
    elif exporter == "memory":
        span_exporter = memory or InMemorySpanExporter()
    elif exporter == "otlp":
        # Imported only when chosen: it loads the OTLP protos and a gRPC channel.
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        span_exporter = OTLPSpanExporter()
    if span_exporter is not None:
        processor = (
            SimpleSpanProcessor(span_exporter)
            if exporter == "memory"
            else BatchSpanProcessor(span_exporter)
        )
        provider.add_span_processor(processor)
    return provider


def build_meter(service_name: str, readers: Sequence[MetricReader] = ()) -> Meter:
    # No exit hook: the SDK's would hold the provider, and through its instruments' callbacks
    # the whole cell, until the process ends; a process that starts and stops cells (the
    # tests: 16,000 objects a cell, full collections of seconds by the end) kept them all.
    provider = MeterProvider(
        metric_readers=list(readers),
        resource=Resource.create({"service.name": service_name}),
        shutdown_on_exit=False,
    )
    return provider.get_meter("rhip.kit.server")


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.trace_id = current_trace_id()
        record.request_id = current_request_id()
        return True


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "trace_id": getattr(record, "trace_id", ""),
            "request_id": getattr(record, "request_id", ""),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(json_lines: bool, level: int = logging.INFO) -> None:
    """Log to stdout with trace and request ids (JSON lines in production)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(_ContextFilter())
    handler.setFormatter(
        _JsonFormatter()
        if json_lines
        else logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s [%(trace_id)s %(request_id)s] %(message)s"
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
