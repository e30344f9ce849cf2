"""Test support for real processes: free ports, health waits, routing files and the platform
handle."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def _ephemeral_floor() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_EPHEMERAL_FLOOR = _ephemeral_floor()
_PICK = random.Random()  # seeded from the OS: parallel test processes pick differently
_GIVEN: set[int] = set()  # never the same port twice in one test process


def _worker_range() -> tuple[int, int]:
    """This test process's share of the ports below the ephemeral range: pytest-xdist's
    workers (gw0, gw1…) each pick from their own slice, so two of them never pick one port
    between a pick and its bind."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    span = (_EPHEMERAL_FLOOR - 10_000) // max(count, 1)
    low = 10_000 + span * (index % max(count, 1))
    return low, low + span


def free_port() -> int:
    """A port to bind a moment later. Picked below the kernel's ephemeral range, so that the
    outbound connections of this and other processes (clients of PostgreSQL and of the
    servers under test take ephemeral ports) cannot take it in the meantime."""
    low, high = _worker_range()
    for _ in range(200):
        port = _PICK.randrange(low, high)
        if port in _GIVEN:  # handed out already: its server may not be bound yet
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            _GIVEN.add(port)
            return port
    raise RuntimeError("no free port below the ephemeral range")


def write_routes(path: Path, cells: dict[str, str]) -> Path:
    """A routing table (RHIP_ROUTES) with one all-in-one cell ``cell-<code>`` per region code
    → address in ``cells``."""
    routes = [{"name": f"cell-{c}", "regions": [c], "address": a} for c, a in cells.items()]
    path.write_text(json.dumps({"cells": routes}))
    return path


def wait_healthy(address: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            assert process.poll() is None, f"process for {address} exited with {process.returncode}"
            try:
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                    return
            except grpc.RpcError:
                time.sleep(0.2)
    raise AssertionError(f"{address} did not become healthy")


@dataclass
class Platform:
    gateway: str
    cells: dict[str, str]  # region code → address
    processes: dict[str, subprocess.Popen[bytes]]  # "gateway" or region code → process
    # How each process was started (argv, environment, log file), so a test can restart one.
    commands: dict[str, tuple[list[str], dict[str, str], str]] = field(default_factory=dict)

    def kill(self, name: str) -> None:
        """kill -9: no clean shutdown."""
        process = self.processes[name]
        process.kill()
        process.wait(timeout=20)

    def restart(self, name: str) -> None:
        argv, env, log_path = self.commands[name]
        with open(log_path, "ab") as log:
            self.processes[name] = subprocess.Popen(
                argv, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        wait_healthy(self.cells.get(name, self.gateway), self.processes[name])

    def stop(self, name: str) -> None:
        process = self.processes[name]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
