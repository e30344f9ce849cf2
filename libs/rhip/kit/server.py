"""The gRPC server every rhip service runs: a thread pool (sync grpcio, chosen over grpc.aio
by measurement, see tests/perf), the interceptor chain, ``grpc.health.v1`` (with List), server
reflection (v1 and v1alpha), and graceful shutdown on SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry.metrics import Meter
from opentelemetry.sdk.trace import TracerProvider
from rhip.kit.authn import TokenVerifier
from rhip.kit.authz import Authorizer
from rhip.kit.health import HealthPort, Readiness
from rhip.kit.interceptors import AccessLog, ServerInterceptor
from rhip.kit.metrics import Metrics
from rhip.kit.reflection import enable_server_reflection
from rhip.kit.transport import Transport

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 8 * 1024 * 1024
DEFAULT_ACCESS_LOG = AccessLog()


@dataclass(frozen=True)
class ServiceSpec:
    """One gRPC service to host: its full name (for health and reflection) and how to add it."""

    full_name: str
    register: Callable[[grpc.Server], None]
    public_methods: Sequence[str] = ()


class RhipServer:
    """A started-on-demand gRPC server hosting one or more rhip services."""

    def __init__(
        self,
        services: Sequence[ServiceSpec],
        *,
        verifier: TokenVerifier,
        authorizer: Authorizer | None,
        tracer_provider: TracerProvider,
        meter: Meter,
        transport: Transport,
        workers: int = 4,
        on_stop: Iterable[Callable[[], None]] = (),
        access_log: AccessLog = DEFAULT_ACCESS_LOG,
        metrics: Metrics | None = None,
        metrics_name: str = "public",
    ) -> None:
        public = [m for spec in services for m in spec.public_methods]
        executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rpc")
        # Calls, workers busy and calls waiting for one (the executor's queue), when counted.
        observer = metrics.server(metrics_name, workers, executor._work_queue) if metrics else None
        chain = ServerInterceptor(
            verifier, authorizer, tracer_provider, meter, public, access_log, observer
        )
        self._server = grpc.server(
            executor,
            # request id → telemetry span → error mapping → authentication, in one wrapper
            interceptors=[chain],
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.so_reuseport", 0),
            ],
            maximum_concurrent_rpcs=workers * 64,  # beyond the pool, calls queue
        )
        names = [spec.full_name for spec in services]
        # Statuses set in the background, read by probes (rhip.kit.health); served here and,
        # with a thread pool of its own, on the health port.
        self.readiness = Readiness(names)
        self.health = self.readiness.servicer
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        self._health_port: HealthPort | None = None
        for spec in services:
            spec.register(self._server)
        enable_server_reflection(  # v1 and v1alpha (rhip.kit.reflection)
            [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name], self._server
        )
        self._names = names
        self._transport = transport  # TLS or plaintext on every port (rhip.kit.transport)
        self.internal_port = 0
        self._on_stop = list(on_stop)
        self._stopped = threading.Event()
        self.port = 0

    def start(
        self,
        address: str,
        *,
        serving: bool = True,
        health_address: str = "",
        internal_address: str = "",
    ) -> int:
        """Bind ``address`` (``host:port``, port 0 picks one) and start serving. ``serving``
        False: health reports NOT_SERVING until ``set_serving`` (e.g. while demo data is
        seeded through the running server). ``health_address``: also answer health there,
        from a thread pool of its own (``health_port`` tells the port bound).
        ``internal_address``: the same services for internal callers, mutual TLS required
        (``internal_port`` tells the port bound)."""
        if health_address:
            self._health_port = HealthPort(self.readiness, self._transport)
            self._health_port.start(health_address)
        self.port = self._transport.listen(self._server, address)
        if self.port == 0:
            raise RuntimeError(f"cannot listen on {address}")
        if internal_address:
            self.internal_port = self._transport.listen(
                self._server, internal_address, internal=True
            )
            if self.internal_port == 0:
                raise RuntimeError(f"cannot listen on {internal_address} (internal)")
        self._server.start()
        if serving:
            self.set_serving()
        return self.port

    @property
    def health_port(self) -> int:
        return self._health_port.port if self._health_port is not None else 0

    def set_serving(self) -> None:
        self.readiness.set_started(True)

    def stop(self, grace: float = 5.0) -> None:
        """Report NOT_SERVING, let calls in flight finish for ``grace`` seconds, then stop."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self.readiness.shutdown()
        self._server.stop(grace).wait()
        if self._health_port is not None:
            self._health_port.stop()
        for callback in self._on_stop:
            callback()

    def wait(self) -> None:
        self._server.wait_for_termination()


def run_until_signal(server: RhipServer, grace: float = 10.0) -> None:
    """Serve until SIGTERM or SIGINT, then shut down gracefully."""
    done = threading.Event()

    def _handle(signum, _frame):
        log.info("signal %s received: shutting down", signal.Signals(signum).name)
        done.set()

    signal.signal(signal.SIGTERM, _handle)
    signal.signal(signal.SIGINT, _handle)
    done.wait()
    server.stop(grace)
