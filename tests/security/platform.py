"""The platform the security suite attacks: a Jiangsu and a Shandong cell (demo worlds, each
with its own identity and archives databases) behind a gateway, in this process on loopback
ports, on SQLite or on PostgreSQL. One per test module and backend: the suite generates its
cases, it does not rebuild the platform for each.

The gateway's rate limit is raised: the matrix sends thousands of calls per principal, and a
RESOURCE_EXHAUSTED would hide what the cell would have answered. The gateway's HTTP/JSON
listener is on too: the HTTP axis of the suite (http_caller) goes through the same gateway."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc
from conftest import postgres_schema
from support.cells import RunningCell
from support.platform import free_port
from support.two_cells import JIANGSU, SHANDONG, cells_behind_gateway

__all__ = ["JIANGSU", "SHANDONG", "Platform", "running_platform"]


@dataclass
class Platform:
    backend: str  # "sqlite" or "postgres"
    gateway: str  # address
    channel: grpc.Channel  # to the gateway
    cells: dict[str, RunningCell]  # cell code → the running cell (its keys, its use cases)
    databases: list[str]  # every database URL of every cell (to count rows)
    http_port: int = 0  # the gateway's HTTP/JSON listener

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

    http_port = free_port()
    with (
        schemas,
        cells_behind_gateway(
            work,
            url,
            RHIP_RATE_LIMIT_PER_SECOND="100000",
            RHIP_RATE_LIMIT_BURST="100000",
            RHIP_GATEWAY_HTTP_LISTEN=f"127.0.0.1:{http_port}",
            # Four workers a cell (each service's pool keeps as many connections): two
            # PostgreSQL worlds at once, on make test's two workers, held ~92 of the server's
            # 100 connections with eight, and a run failed "too many clients".
            RHIP_GRPC_WORKERS="4",
        ) as (gateway_address, cells),
    ):
        channel = grpc.insecure_channel(gateway_address)
        yield Platform(backend, gateway_address, channel, cells, databases[:-1], http_port)
        channel.close()
