"""Watching the platform from outside while a fault happens: health checks on each process's
health port, and the request ids in the processes' logs."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

PROBE_TIMEOUT = 1.0  # the chart's probes allow 2 s


@dataclass
class HealthPoller:
    """Asks each target's health port for ``""`` (readiness) and ``liveness`` every 0.2 s;
    every answer is recorded as its status name, a failure as the gRPC code."""

    targets: dict[str, str]  # label → health address
    results: list[tuple[float, str, str, str]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> HealthPoller:
        for label, address in self.targets.items():
            thread = threading.Thread(target=self._poll, args=(label, address), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def _poll(self, label: str, address: str) -> None:
        with grpc.insecure_channel(address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while not self._stop.wait(0.2):
                for service in ("", "liveness"):
                    now = time.monotonic()
                    try:
                        reply = stub.Check(
                            health_pb2.HealthCheckRequest(service=service), timeout=PROBE_TIMEOUT
                        )
                        answer = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
                    except grpc.RpcError as error:
                        answer = error.code().name
                    self.results.append((now, label, service, answer))

    def answers(self, label: str, service: str, start: float = 0.0, end: float = 1e18) -> set[str]:
        return {
            a
            for t, lab, s, a in self.results
            if lab == label and s == service and start <= t <= end
        }


def lines_with(log: str, request_id: str) -> list[str]:
    return [line for line in log.splitlines() if request_id in line]


def outcome_in(log: str, request_id: str, method: str = "CreateTenant") -> set[str]:
    """What a process's log says happened to the call with ``request_id``: the status of its
    access log line(s), ``OK_LATE`` for one done after its deadline or so close to it that the
    caller may have heard DEADLINE_EXCEEDED (``rhip.kit.deadlines.ANSWER_MARGIN_SECONDS``)."""
    found = set()
    for line in lines_with(log, request_id):
        if f"rpc {method} OK" in line and (
            "after its deadline" in line or "may have been told DEADLINE_EXCEEDED" in line
        ):
            found.add("OK_LATE")
        elif match := re.search(rf"rpc {method} ([A-Z_]+) ", line):
            found.add(match.group(1))
    return found
