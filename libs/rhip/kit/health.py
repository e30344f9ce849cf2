"""Health and readiness that answer from their own capacity and say what is really unready.

Measured from outside (issue 12): during a 5 s database pause every health check of a cell
and of the gateway timed out: grpcio's sync server runs every call, health checks included,
on one thread pool per server, and all 4 workers were waiting (the cell's on the database,
the gateway's on the cell). With the chart's probes a stall of ~10 s would have taken the
gateway out of service and ~30 s would have restarted it.

So:
- ``HealthPort`` serves ``grpc.health.v1`` on a port of its own with a small thread pool of
  its own (``RHIP_HEALTH_LISTEN``); the chart's probes ask there. The main port still
  answers health for clients, from the shared pool.
- ``Readiness`` holds what the probes are told. ``LIVENESS`` is SERVING while the process
  runs (the liveness probe: a database stall must not restart the pod). Each hosted service
  is NOT_SERVING while something it depends on is unready (its database, set by
  ``rhip.kit.dbwatch``); the overall status ``""`` (the readiness probe) is NOT_SERVING while
  any is. Nothing here waits on anything: probes read a status set in the background.

``HealthServicer`` adds ``List``: grpcio-health-checking's HealthServicer (through 1.85 at least) answers Check and Watch, but
its List is the generated base's UNIMPLEMENTED. List here is one snapshot of every status the
server keeps (the server as a whole under ``""``, each service under its full name), read
under the servicer's own lock like Check, so it waits for nothing else. It reads the
servicer's status table, which Check reads too; tests/kit/test_standard_services.py calls
List on a real server, so a grpcio-health-checking that changes that table fails there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from rhip.kit.transport import Transport

log = logging.getLogger(__name__)

LIVENESS = "liveness"  # the service name the liveness probe asks for
HEALTH_WORKERS = 2  # probes are few and answer from memory
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class HealthServicer(health.HealthServicer):
    def List(self, request, context):
        with self._lock:
            statuses = dict(self._server_status)
        return health_pb2.HealthListResponse(
            statuses={
                name: health_pb2.HealthCheckResponse(status=status)
                for name, status in statuses.items()
            }
        )


class Readiness:
    """The statuses ``grpc.health.v1`` reports for a server's services."""

    def __init__(self, names: Sequence[str]) -> None:
        self.servicer = HealthServicer(experimental_non_blocking=True)
        self._names = list(names)
        self._started = False  # serving at all (False while starting or seeding demo data)
        self._unready: dict[str, tuple[str, ...]] = {}  # what is unready → services it stops
        self._lock = threading.Lock()
        self._publish()

    def set_started(self, started: bool) -> None:
        with self._lock:
            self._started = started
            self._publish()

    def set_ready(self, part: str, services: Sequence[str], ready: bool) -> None:
        """``part`` (e.g. ``database:identity``) is ready or not; while not, ``services``
        (full names) and the server as a whole report NOT_SERVING."""
        with self._lock:
            if ready:
                self._unready.pop(part, None)
            else:
                self._unready[part] = tuple(services)
            self._publish()

    def unready(self) -> list[str]:
        with self._lock:
            return sorted(self._unready)

    def shutdown(self) -> None:
        self.servicer.enter_graceful_shutdown()  # every name NOT_SERVING, for good

    def _publish(self) -> None:
        self.servicer.set(LIVENESS, SERVING)
        stopped = {name for names in self._unready.values() for name in names}
        for name in self._names:
            ok = self._started and name not in stopped
            self.servicer.set(name, SERVING if ok else NOT_SERVING)
        whole = self._started and not self._unready
        self.servicer.set("", SERVING if whole else NOT_SERVING)


class HealthPort:
    """``grpc.health.v1`` on its own port and thread pool, answering from ``readiness``;
    plaintext even with TLS on, for Kubernetes' gRPC probes (``Transport.listen_probes``)."""

    def __init__(self, readiness: Readiness, transport: Transport) -> None:
        self._transport = transport
        self._server = grpc.server(
            ThreadPoolExecutor(max_workers=HEALTH_WORKERS, thread_name_prefix="health"),
            options=[("grpc.so_reuseport", 0)],
            maximum_concurrent_rpcs=HEALTH_WORKERS * 16,  # beyond that, refused at once
        )
        health_pb2_grpc.add_HealthServicer_to_server(readiness.servicer, self._server)
        self.port = 0

    def start(self, address: str) -> int:
        self.port = self._transport.listen_probes(self._server, address)
        if self.port == 0:
            raise RuntimeError(f"cannot listen on {address} (health)")
        self._server.start()
        log.info("health answering on port %d", self.port)
        return self.port

    def stop(self, grace: float = 0.5) -> None:
        self._server.stop(grace).wait()
