"""Prometheus metrics of one process part (the gateway, or a cell), served on a port of its own.

Why ``prometheus-client`` and not OpenTelemetry's Prometheus exporter: the OpenTelemetry meter
in ``rhip.kit.telemetry`` has no reader (nothing exported its instruments), the exporter is
still a pre-1.0 beta that registers into prometheus-client's process-wide registry, and tests
and benchmarks host a gateway and several cells in one process, each needing a registry and a
port of its own. prometheus-client (what the exporter runs on anyway) gives each ``Metrics``
its own ``CollectorRegistry``; counting a call is a dict lookup and a few locked additions
(~2 µs of CPU per call, measured).

What is counted (names follow grpc-ecosystem's go-grpc-prometheus, so its dashboards work):

- ``grpc_server_handled_total`` and the histogram ``grpc_server_handling_seconds`` by
  ``grpc_service``, ``grpc_method`` and ``grpc_code``, for every call through the interceptor
  chain (health and reflection are not counted). Labels are method names and status codes only,
  both bounded; never a tenant, subject, resident or request id.
- ``rhip_grpc_workers`` (capacity), ``rhip_grpc_workers_busy`` (calls in a handler: each holds
  a worker of the sync server) and ``rhip_grpc_queued`` (calls waiting for a worker), by
  ``server`` (``public``; a cell's ``internal`` identity server).
- ``rhip_db_pool_size``, ``rhip_db_pool_max`` and ``rhip_db_pool_checked_out`` by ``service``
  and ``pool`` (``write``; on PostgreSQL also ``read``, the autocommit pool), and
  ``rhip_db_available`` (the background ``SELECT 1`` watch of ``rhip.kit.dbwatch``).
- ``rhip_audit_queue_depth`` and the histograms ``rhip_audit_flush_events`` (events per group
  commit) and ``rhip_audit_flush_seconds``, by ``service``, for the read-audit writer.
- ``rhip_outbox_pending``, ``rhip_outbox_dead``, ``rhip_outbox_overdue`` and
  ``rhip_outbox_oldest_overdue_seconds`` by ``service`` and ``stream``: the durable outboxes'
  backlog as of their delivery worker's last pass (rhip.kit.outbox_delivery); alert on
  ``rhip_outbox_overdue > 0`` (a regulatory deadline passed) and ``rhip_outbox_dead > 0``.
- ``rhip_gateway_cell_inflight`` by ``cell`` (routing-table names) and
  ``rhip_gateway_cell_inflight_limit``: the gateway's bulkheads.
- ``process_*`` (resident memory, CPU seconds, open files) from prometheus-client.

Gauges are read when scraped, from memory only (sizes, counters, a flag the database watch
sets): nothing here waits on a database or a lock held across I/O. The HTTP server answers on
threads of its own, so a stalled database or a full gRPC pool never hangs a scrape.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
FLUSH_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5)


class _Queue(Protocol):
    def qsize(self) -> int: ...


class _Backlog(Protocol):  # rhip.kit.outbox.StreamBacklog (frozen: read-only here)
    @property
    def stream(self) -> str: ...
    @property
    def pending(self) -> int: ...
    @property
    def dead(self) -> int: ...
    @property
    def overdue(self) -> int: ...
    @property
    def oldest_overdue_due_at(self) -> datetime | None: ...


class _Pool(Protocol):
    def size(self) -> int: ...
    def checkedout(self) -> int: ...


class RpcObserver:
    """Counts one gRPC server's calls (handed to its interceptor chain): in flight while in a
    handler, then by method and code when done."""

    __slots__ = ("_children", "_lock", "_metrics", "busy", "name", "queue", "workers")

    def __init__(
        self, metrics: Metrics, name: str, workers: int, queue: _Queue | None = None
    ) -> None:
        self._metrics = metrics
        self.name = name
        self.workers = workers
        self.queue = queue
        self.busy = 0
        self._lock = threading.Lock()
        # (method path, code) → (counter child, histogram child): ``labels()`` parses and locks
        self._children: dict[tuple[str, str], tuple[Any, Any]] = {}

    def started(self) -> None:
        with self._lock:
            self.busy += 1

    def finished(self, path: str, code: str, seconds: float) -> None:
        with self._lock:
            self.busy -= 1
        children = self._children.get((path, code))
        if children is None:
            children = self._children[(path, code)] = self._metrics.rpc_children(path, code)
        children[0].inc()
        children[1].observe(seconds)


class AuditFlushes:
    """Where an ``AuditWriter`` reports each group commit: events in it and its duration."""

    def __init__(self, events: Any, seconds: Any) -> None:
        self._events = events
        self._seconds = seconds

    def __call__(self, events: int, seconds: float) -> None:
        self._events.observe(events)
        self._seconds.observe(seconds)


class Metrics:
    """The registry of one gateway or cell; ``serve`` starts its HTTP endpoint."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        labels = ("grpc_service", "grpc_method", "grpc_code")
        self._handled = Counter(
            "grpc_server_handled",
            "RPCs completed by the server, by method and status code",
            labels,
            registry=self.registry,
        )
        self._seconds = Histogram(
            "grpc_server_handling_seconds",
            "Time from the start of the interceptor chain to the answer, by method and code",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._flush_events = Histogram(
            "rhip_audit_flush_events",
            "Read-audit events appended per group commit",
            ("service",),
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self._flush_seconds = Histogram(
            "rhip_audit_flush_seconds",
            "Duration of one read-audit group commit",
            ("service",),
            buckets=FLUSH_BUCKETS,
            registry=self.registry,
        )
        self._gauges = _Gauges()
        self.registry.register(self._gauges)
        self._http: Any = None
        self.port = 0

    # -- what the composition roots hand over ---------------------------------------------------
    def server(self, name: str, workers: int, queue: _Queue | None = None) -> RpcObserver:
        """An observer for the gRPC server ``name`` with ``workers`` threads (``queue``: its
        executor's work queue, calls waiting for a worker)."""
        observer = RpcObserver(self, name, workers, queue)
        self._gauges.servers.append(observer)
        return observer

    def rpc_children(self, path: str, code: str) -> tuple[Any, Any]:
        service, _, method = path.lstrip("/").partition("/")
        return (
            self._handled.labels(service, method, code),
            self._seconds.labels(service, method, code),
        )

    def database(self, service: str, pools: Mapping[str, _Pool]) -> None:
        """Pool gauges for ``service``'s database (``pools``: name → SQLAlchemy pool)."""
        for name, pool in pools.items():
            if hasattr(pool, "checkedout"):  # QueuePool; SQLite's in-memory pools have none
                self._gauges.pools.append((service, name, pool))

    def database_watch(self, service: str, available: Callable[[], bool]) -> None:
        self._gauges.watches.append((service, available))

    def audit_writer(self, service: str, depth: Callable[[], int]) -> AuditFlushes:
        """Queue depth of ``service``'s read-audit writer; returns what its flushes report to."""
        self._gauges.audit_queues.append((service, depth))
        return AuditFlushes(self._flush_events.labels(service), self._flush_seconds.labels(service))

    def outbox(self, service: str, backlog: Callable[[], Sequence[_Backlog]]) -> None:
        """Backlog gauges of ``service``'s outbox delivery (``OutboxDelivery.backlog``)."""
        self._gauges.outboxes.append((service, backlog))

    def bulkheads(self, inflight: Callable[[], Mapping[str, int]], limit: int) -> None:
        self._gauges.bulkheads.append((inflight, limit))

    # -- the endpoint ---------------------------------------------------------------------------
    def serve(self, address: str) -> int:
        """Answer ``GET /metrics`` on ``address`` (``host:port``; port 0 picks one) from
        threads of its own; returns the port bound."""
        host, _, port = address.rpartition(":")
        everywhere = "0.0.0.0"  # noqa: S104 - ":9090" (the chart) means every interface
        server, _thread = start_http_server(
            int(port), addr=host.strip("[]") or everywhere, registry=self.registry
        )
        self._http = server
        self.port = server.server_port
        return self.port

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None


class _Gauges(Collector):
    """Every gauge, read at scrape time from what the process keeps in memory."""

    def __init__(self) -> None:
        self.servers: list[RpcObserver] = []
        self.pools: list[tuple[str, str, _Pool]] = []
        self.watches: list[tuple[str, Callable[[], bool]]] = []
        self.audit_queues: list[tuple[str, Callable[[], int]]] = []
        self.bulkheads: list[tuple[Callable[[], Mapping[str, int]], int]] = []
        self.outboxes: list[tuple[str, Callable[[], Sequence[_Backlog]]]] = []

    def describe(self) -> Iterator[Metric]:
        return self.collect()

    def collect(self) -> Iterator[Metric]:
        workers = GaugeMetricFamily(
            "rhip_grpc_workers", "Worker threads of the gRPC server", labels=["server"]
        )
        busy = GaugeMetricFamily(
            "rhip_grpc_workers_busy", "Calls in a handler (each holds a worker)", labels=["server"]
        )
        queued = GaugeMetricFamily(
            "rhip_grpc_queued", "Calls waiting for a worker of the gRPC server", labels=["server"]
        )
        for server in self.servers:
            workers.add_metric([server.name], server.workers)
            busy.add_metric([server.name], server.busy)
            queued.add_metric([server.name], server.queue.qsize() if server.queue else 0)
        yield from (workers, busy, queued)

        size = GaugeMetricFamily(
            "rhip_db_pool_size", "Connections the pool keeps open", labels=["service", "pool"]
        )
        most = GaugeMetricFamily(
            "rhip_db_pool_max",
            "Connections the pool may open (kept and overflow)",
            labels=["service", "pool"],
        )
        out = GaugeMetricFamily(
            "rhip_db_pool_checked_out", "Connections in use", labels=["service", "pool"]
        )
        for service, name, pool in self.pools:
            size.add_metric([service, name], pool.size())
            most.add_metric(
                [service, name], pool.size() + max(0, getattr(pool, "_max_overflow", 0))
            )
            out.add_metric([service, name], pool.checkedout())
        yield from (size, most, out)

        available = GaugeMetricFamily(
            "rhip_db_available",
            "1 while the service's database answers SELECT 1 within its timeout, else 0",
            labels=["service"],
        )
        for service, answering in self.watches:
            available.add_metric([service], 1 if answering() else 0)
        yield available

        depth = GaugeMetricFamily(
            "rhip_audit_queue_depth",
            "Read-audit events queued, not yet appended",
            labels=["service"],
        )
        for service, queued_events in self.audit_queues:
            depth.add_metric([service], queued_events())
        yield depth

        yield from self._outboxes()

        if self.bulkheads:
            inflight = GaugeMetricFamily(
                "rhip_gateway_cell_inflight",
                "Calls the gateway is forwarding to each cell",
                labels=["cell"],
            )
            limit = GaugeMetricFamily(
                "rhip_gateway_cell_inflight_limit",
                "Calls in flight to one cell beyond which the gateway refuses (CELL_BUSY)",
            )
            for read, most_inflight in self.bulkheads:
                for cell, count in sorted(read().items()):
                    inflight.add_metric([cell], count)
                limit.add_metric([], most_inflight)
            yield from (inflight, limit)

    def _outboxes(self) -> Iterator[Metric]:
        labels = ["service", "stream"]
        pending = GaugeMetricFamily(
            "rhip_outbox_pending", "Outbox events waiting or being retried", labels=labels
        )
        dead = GaugeMetricFamily(
            "rhip_outbox_dead",
            "Outbox events given up on (each holds the later events of its key)",
            labels=labels,
        )
        overdue = GaugeMetricFamily(
            "rhip_outbox_overdue", "Undelivered outbox events past their due time", labels=labels
        )
        oldest = GaugeMetricFamily(
            "rhip_outbox_oldest_overdue_seconds",
            "How long ago the most overdue undelivered event was due (0: none overdue)",
            labels=labels,
        )
        now = datetime.now(UTC)
        for service, backlog in self.outboxes:
            for s in backlog():
                pending.add_metric([service, s.stream], s.pending)
                dead.add_metric([service, s.stream], s.dead)
                overdue.add_metric([service, s.stream], s.overdue)
                due = s.oldest_overdue_due_at
                late = (now - due).total_seconds() if due is not None else 0.0
                oldest.add_metric([service, s.stream], max(0.0, late))
        yield from (pending, dead, overdue, oldest)
