"""Real processes for the fault tests: a private PostgreSQL cluster (tests/faults/cluster.py),
the Jiangsu cell (320000) on it, the Shandong cell (370000) on SQLite, and the gateway in
front of both; each process with its health on a port of its own (RHIP_HEALTH_LISTEN)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.cell import build_cell
from rhip.identity.directory.usecases import bootstrap_admin
from rhip.kit.config import load_settings
from support.platform import free_port, write_routes

from faults.cluster import PrivatePostgres

ADMIN, PASSWORD = "faults-admin", "Faults-Passw0rd-2026"
PG_CELL, SQLITE_CELL = "320000", "370000"


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    address: str
    health: str  # the health port's address
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        """SIGKILL: no clean shutdown."""
        assert self.popen is not None
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=20)

    def wait_serving(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        with grpc.insecure_channel(self.health) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline:
                assert self.popen is not None and self.popen.poll() is None, (
                    f"{self.name} exited with {self.popen and self.popen.returncode}; "
                    f"see {self.log}:\n{self.log.read_text()[-3000:]}"
                )
                try:
                    if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                        return
                except grpc.RpcError:
                    pass
                time.sleep(0.1)
        raise AssertionError(f"{self.name} did not become healthy; see {self.log}")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        """At the end of the tests: nothing to shut down gracefully."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=10)


@dataclass
class FaultPlatform:
    postgres: PrivatePostgres
    processes: dict[str, Process]  # "gateway", PG_CELL, SQLITE_CELL
    token: str = ""
    _tokens: dict[str, str] = field(default_factory=dict)

    @property
    def gateway(self) -> Process:
        return self.processes["gateway"]

    @property
    def cell(self) -> Process:
        return self.processes[PG_CELL]

    def login(self) -> str:
        with grpc.insecure_channel(self.gateway.address) as channel:
            reply = identity_service_pb2_grpc.IdentityServiceStub(channel).Login(
                pb.LoginRequest(password=pb.PasswordCredentials(username=ADMIN, password=PASSWORD)),
                metadata=[("x-rhip-region", PG_CELL)],
                timeout=10,
            )
        return reply.access_token


def _python(*args: str) -> list[str]:
    return [sys.executable, "-m", "rhip.cli", *args]


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultPlatform]:
    work = tmp_path_factory.mktemp("faults")
    postgres = PrivatePostgres()
    postgres.start()
    processes: dict[str, Process] = {}
    try:
        for database in ("identity", "archives"):
            postgres.create_database(database)
        cells = {PG_CELL: f"127.0.0.1:{free_port()}", SQLITE_CELL: f"127.0.0.1:{free_port()}"}
        routes = write_routes(work / "routes.json", cells)
        gateway_address = f"127.0.0.1:{free_port()}"
        base = {
            **os.environ,
            "RHIP_DATA_DIR": str(work / "var"),
            "RHIP_ROUTES": str(routes),
            "RHIP_ARGON2_MEMORY_KIB": "8192",
            "RHIP_ARGON2_TIME_COST": "1",
            "RHIP_DB_CHECK_TIMEOUT_MS": "500",
        }
        # Shandong starts while Jiangsu's administrator is made.
        for code, address in sorted(cells.items(), key=lambda item: item[0] == PG_CELL):
            env = {
                **base,
                "RHIP_CELL": code,
                "RHIP_LISTEN": address,
                "RHIP_HEALTH_LISTEN": f"127.0.0.1:{free_port()}",
                "RHIP_ARCHIVES_RESIDENT_EVENTS_INTERVAL_MS": "200",
                "RHIP_EMR_RESIDENT_EVENTS_INTERVAL_MS": "200",
            }
            if code == PG_CELL:
                # Its own account: the background work that reads identity's resident change
                # feed (archives' resident-events, emr's timeline merges) runs, as in production.
                env["RHIP_CELL_CLIENT_ID"] = f"cell-{code}"
                env["RHIP_CELL_CLIENT_SECRET"] = "faults-cell-secret-0123456789"
                env["RHIP_IDENTITY_DATABASE_URL"] = postgres.url("identity")
                env["RHIP_ARCHIVES_DATABASE_URL"] = postgres.url("archives")
                _bootstrap_admin(env)
            processes[code] = Process(
                f"cell {code}", _python("serve", "--services", "all"), env,
                work / f"{code}.log", address, env["RHIP_HEALTH_LISTEN"],
            )  # fmt: skip
            processes[code].start()
        processes["gateway"] = Process(
            "gateway",
            _python("gateway", "--listen", gateway_address),
            {
                **base,
                "RHIP_HEALTH_LISTEN": f"127.0.0.1:{free_port()}",
                "RHIP_RATE_LIMIT_PER_SECOND": "100000",
                "RHIP_RATE_LIMIT_BURST": "100000",
                # 8 writes in flight fit in the Jiangsu cell's bulkhead; 2 workers stay free
                # for Shandong while Jiangsu stalls.
                "RHIP_GRPC_WORKERS": "10",
                "RHIP_GATEWAY_CELL_INFLIGHT": "8",
            },
            work / "gateway.log",
            gateway_address,
            "",
        )
        processes["gateway"].health = processes["gateway"].env["RHIP_HEALTH_LISTEN"]
        processes["gateway"].start()  # it asks the cells for keys only when a token comes
        for process in processes.values():
            process.wait_serving()
        platform = FaultPlatform(postgres, processes)
        platform.token = platform.login()
        yield platform
    finally:
        for process in processes.values():
            process.stop()
        postgres.stop()


def _bootstrap_admin(env: dict[str, str]) -> None:
    """The cell's first administrator (what ``rhip admin create-admin`` does), made here while
    the other cell starts: one Python process fewer to start on a busy machine."""
    cell = build_cell(load_settings(env), ("identity",))
    try:
        bootstrap_admin(cell.part("identity").usecases, ADMIN, "故障测试管理员", PASSWORD)
    finally:
        cell.stop(0)
