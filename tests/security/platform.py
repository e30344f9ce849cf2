"""The platform the security suite attacks: a Jiangsu and a Shandong cell (demo worlds, each
with its own identity and archives databases) behind a gateway, in this process on loopback
ports, on SQLite or on PostgreSQL. One per test module and backend: the suite generates its
cases, it does not rebuild the platform for each.

The gateway's rate limit is raised: the matrix sends thousands of calls per principal, and a
RESOURCE_EXHAUSTED would hide what the cell would have answered."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc
from conftest import make_settings, postgres_schema
from rhip.demo import seed_demo
from rhip.gateway.server import build_gateway
from rhip.kit.routing import RoutingTable
from support.cells import RunningCell, start_cell
from support.platform import free_port, write_routes

JIANGSU, SHANDONG = "320000", "370000"


@dataclass
class Platform:
    backend: str  # "sqlite" or "postgres"
    gateway: str  # address
    channel: grpc.Channel  # to the gateway
    cells: dict[str, RunningCell]  # cell code → the running cell (its keys, its use cases)
    databases: list[str]  # every database URL of every cell (to count rows)

    def cell_channel(self, code: str) -> grpc.Channel:
        return self.cells[code].channel


@contextmanager
def running_platform(backend: str, postgres_url: str, work: Path) -> Iterator[Platform]:
    schemas = ExitStack()
    databases: list[str] = []

    def url(name: str) -> str:
        if backend == "sqlite":
            made = f"sqlite:///{work / name}.db"
        else:
            made = schemas.enter_context(postgres_schema("sec"))
        databases.append(made)
        return made

    gateway_address = f"127.0.0.1:{free_port()}"
    addresses = {code: f"127.0.0.1:{free_port()}" for code in (JIANGSU, SHANDONG)}
    routes = write_routes(work / "routes.json", addresses)
    cells: dict[str, RunningCell] = {}
    gateway = None
    try:
        for code, address in addresses.items():
            settings = make_settings(
                work / code, url(f"identity-{code}"), cell=code,
                RHIP_ARCHIVES_DATABASE_URL=url(f"archives-{code}"),
                RHIP_CELL_CLIENT_ID=f"cell-{code}",
                RHIP_CELL_CLIENT_SECRET=f"security-cell-secret-{code}",
                RHIP_GATEWAY_ADDRESS=gateway_address, RHIP_ROUTES=str(routes),
            )  # fmt: skip
            cells[code] = start_cell(settings, address)
            seed_demo(cells[code].usecases)
        gateway = build_gateway(
            make_settings(
                work / "gw", url("gateway"),
                RHIP_RATE_LIMIT_PER_SECOND="100000", RHIP_RATE_LIMIT_BURST="100000",
            ),
            RoutingTable.from_file(routes),
        )  # fmt: skip
        gateway.start(gateway_address)
        channel = grpc.insecure_channel(gateway_address)
        yield Platform(backend, gateway_address, channel, cells, databases[:-1])
        channel.close()
    finally:
        if gateway is not None:
            gateway.stop(0)
        for running in cells.values():
            running.channel.close()
            running.cell.stop(0)
        schemas.close()
