"""``grpc.health.v1.Health`` with ``List``.

grpcio-health-checking's HealthServicer (through 1.85 at least) answers Check and Watch, but
its List is the generated base's UNIMPLEMENTED. List here is one snapshot of every status the
server keeps (the server as a whole under ``""``, each service under its full name), read
under the servicer's own lock like Check, so it waits for nothing else. It reads the
servicer's status table, which Check reads too; tests/kit/test_standard_services.py calls
List on a real server, so a grpcio-health-checking that changes that table fails there.
"""

from __future__ import annotations

from grpc_health.v1 import health, health_pb2


class HealthServicer(health.HealthServicer):
    def List(self, request, context):  # type: ignore[no-untyped-def]
        with self._lock:
            statuses = dict(self._server_status)
        return health_pb2.HealthListResponse(
            statuses={
                name: health_pb2.HealthCheckResponse(status=status)
                for name, status in statuses.items()
            }
        )
