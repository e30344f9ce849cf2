"""Composition root of the resident locator, a platform-level service the gateway process
serves itself (rhip.gateway.server): its database (``RHIP_LOCATOR_DATABASE_URL``; SQLite under
the data directory in the demo), its keys, the use cases and the gRPC service spec. Not a
cell module (rhip.modules lists what cells serve): rhip.kit.apis.PLATFORM_APIS names it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import grpc
from rhip.api.locator.v1 import locator_service_pb2_grpc
from rhip.kit.config import Settings
from rhip.kit.db import Database, migrate
from rhip.kit.routing import RoutingTable
from rhip.kit.server import ServiceSpec
from rhip.kit.tenancy import is_within, region_path
from rhip.locator.claims.domain import Keyring
from rhip.locator.claims.usecases import LocatorUseCases
from rhip.locator.presence.usecases import PresenceUseCases
from rhip.locator.servicer import LocatorServicer
from rhip.locator.settings import load_locator_settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations" / "versions"
SERVICE = "rhip.api.locator.v1.LocatorService"


@dataclass
class Locator:
    db: Database
    usecases: LocatorUseCases
    presence: PresenceUseCases
    spec: ServiceSpec

    def close(self) -> None:
        self.db.dispose()


def open_locator(
    settings: Settings, cell_of: Callable[[str], str] = lambda region: "", *, pool_size: int = 4
) -> tuple[Database, LocatorUseCases]:
    """The locator's database, brought up to date, and its use cases (the gateway and the
    administrator's commands)."""
    own = load_locator_settings(settings)
    db = Database.connect(own.database_url, pool_size=pool_size)
    migrate(db.engine, MIGRATIONS)
    return db, LocatorUseCases(db, Keyring(own.keys), cell_of)


def cells_of(routes: RoutingTable) -> Callable[[str], str]:
    """Region code → the code of the cell owning it (the owner's region containing it)."""

    def cell_of(region: str) -> str:
        owner = routes.owner(region)
        if owner is None:
            return ""
        path = region_path(region)
        within = [r for r in owner.regions if is_within(path, region_path(r))]
        return max(within, key=lambda r: len(region_path(r)), default="")

    return cell_of


def build_locator(settings: Settings, routes: RoutingTable) -> Locator:
    db, usecases = open_locator(settings, cells_of(routes), pool_size=settings.grpc_workers)
    presence = PresenceUseCases(db, usecases.keys)
    servicer = LocatorServicer(usecases, presence)

    def register(server: grpc.Server) -> None:
        locator_service_pb2_grpc.add_LocatorServiceServicer_to_server(servicer, server)

    return Locator(db, usecases, presence, ServiceSpec(SERVICE, register))
