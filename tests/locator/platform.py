"""Two demo cells (Jiangsu, Shandong) behind a real gateway serving the resident locator, on
SQLite or PostgreSQL (the locator's own database beside the cells'), with a gateway that a
test stops and starts again on the same address (the locator unreachable, then back)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
import sqlalchemy as sa
from conftest import make_settings, postgres_schema
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.identity.v1 import identity_service_pb2 as id_pb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.demo import DEMO_PASSWORD
from rhip.gateway.server import Gateway, build_gateway
from rhip.identity.demo import seed_demo
from rhip.kit.config import Settings
from rhip.kit.routing import RoutingTable
from support.cells import RunningCell, start_cell
from support.platform import free_port, write_routes

JIANGSU, SHANDONG = "320000", "370000"
TIMEOUT = 15


@dataclass
class Platform:
    address: str  # the gateway's
    cells: dict[str, RunningCell]
    gateway_settings: Settings
    routes: Path
    locator_url: str
    gateway: Gateway | None = None
    channel: grpc.Channel = field(init=False)

    def __post_init__(self) -> None:
        self.channel = grpc.insecure_channel(self.address)

    @property
    def archives(self) -> archives_service_pb2_grpc.ArchivesServiceStub:
        return archives_service_pb2_grpc.ArchivesServiceStub(self.channel)

    def start_gateway(self) -> None:
        self.gateway = build_gateway(self.gateway_settings, RoutingTable.from_file(self.routes))
        self.gateway.start(self.address)

    def stop_gateway(self) -> None:
        if self.gateway is not None:
            self.gateway.stop(0)
            self.gateway = None

    def md(self, username: str, region: str, channel: grpc.Channel | None = None):  # type: ignore[no-untyped-def]
        """A user's bearer token, logged in through the gateway (or ``channel``)."""
        login = identity_service_pb2_grpc.IdentityServiceStub(channel or self.channel).Login(
            id_pb.LoginRequest(
                password=id_pb.PasswordCredentials(username=username, password=DEMO_PASSWORD)
            ),
            metadata=[("x-rhip-region", region)],
            timeout=TIMEOUT,
        )
        return [("authorization", f"Bearer {login.access_token}")]

    def cell_md(self, cell: str) -> list[tuple[str, str]]:
        """The cell account's token (client credentials), through the gateway."""
        login = identity_service_pb2_grpc.IdentityServiceStub(self.channel).Login(
            id_pb.LoginRequest(
                client=id_pb.ClientCredentials(
                    client_id=f"cell-{cell}", client_secret=f"inprocess-cell-secret-{cell}"
                )
            ),
            metadata=[("x-rhip-region", cell)],
            timeout=TIMEOUT,
        )
        return [("authorization", f"Bearer {login.access_token}")]

    def claim_rows(self, table: str = "open_record_claim") -> list[dict[str, object]]:
        """Every row of a locator table (the claims by default), as stored."""
        engine = sa.create_engine(self.locator_url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(sa.text(f"SELECT * FROM {table}")).mappings()
                return [dict(r) for r in rows]
        finally:
            engine.dispose()


@pytest.fixture
def platform(tmp_path: Path, database_url: str) -> Iterator[Platform]:
    schemas = ExitStack()

    def url(name: str) -> str:
        if database_url.startswith("sqlite"):
            return f"sqlite:///{tmp_path / name}.db"
        return schemas.enter_context(postgres_schema("loc"))

    with schemas:
        address = f"127.0.0.1:{free_port()}"
        addresses = {code: f"127.0.0.1:{free_port()}" for code in (JIANGSU, SHANDONG)}
        routes = write_routes(tmp_path / "routes.json", addresses)
        cells: dict[str, RunningCell] = {}
        locator_url = url("locator")
        platform = None
        try:
            for code, cell_address in addresses.items():
                settings = make_settings(
                    tmp_path / code, url(f"identity-{code}"), cell=code,
                    RHIP_ARCHIVES_DATABASE_URL=url(f"archives-{code}"),
                    RHIP_CELL_CLIENT_ID=f"cell-{code}",
                    RHIP_CELL_CLIENT_SECRET=f"inprocess-cell-secret-{code}",
                    RHIP_GATEWAY_ADDRESS=address, RHIP_ROUTES=str(routes),
                    RHIP_IDENTITY_LINKS_INTERVAL_MS="200",
                )  # fmt: skip
                cells[code] = start_cell(settings, cell_address)
                seed_demo(cells[code].usecases)
            gateway_settings = make_settings(
                tmp_path / "gw", url("gateway"), RHIP_LOCATOR_DATABASE_URL=locator_url
            )
            platform = Platform(address, cells, gateway_settings, routes, locator_url)
            platform.start_gateway()
            yield platform
        finally:
            if platform is not None:
                platform.stop_gateway()
                platform.channel.close()
            for running in cells.values():
                running.channel.close()
                running.cell.stop(0)
