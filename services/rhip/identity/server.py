"""Composition root of the identity service: settings → database → authorizer → keys →
use cases → servicer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.identity.servicer import PUBLIC_METHODS, SERVICE_NAME, IdentityServicer
from rhip.identity.tokens import KeyRing
from rhip.identity.usecases import IdentityUseCases
from rhip.kit.authz import Authorizer, PolicyStore
from rhip.kit.config import Settings
from rhip.kit.db import Database, migrate
from rhip.kit.server import ServiceSpec

MIGRATIONS = Path(__file__).resolve().parent / "migrations" / "versions"


@dataclass
class IdentityService:
    """Everything the identity service runs on, built and started."""

    db: Database
    authorizer: Authorizer
    keys: KeyRing
    usecases: IdentityUseCases
    spec: ServiceSpec

    def close(self) -> None:
        self.authorizer.stop()
        self.db.dispose()


def migrate_identity(settings: Settings) -> None:
    db = Database.connect(settings.database_url("identity"))
    try:
        migrate(db.engine, MIGRATIONS)
    finally:
        db.dispose()


def build_identity(settings: Settings, secret_key: bytes) -> IdentityService:
    db = Database.connect(settings.database_url("identity"), pool_size=settings.grpc_workers)
    migrate(db.engine, MIGRATIONS)
    authorizer = Authorizer(PolicyStore(db), poll_seconds=settings.authz_poll_seconds)
    authorizer.start()
    keys = KeyRing(db, secret_key, timedelta(seconds=settings.access_token_ttl_seconds))
    keys.ensure_key()
    usecases = IdentityUseCases(settings, db, authorizer, keys)
    usecases.sync_role_catalog()
    servicer = IdentityServicer(usecases)
    spec = ServiceSpec(
        full_name=SERVICE_NAME,
        register=lambda server: identity_service_pb2_grpc.add_IdentityServiceServicer_to_server(
            servicer, server
        ),
        public_methods=PUBLIC_METHODS,
    )
    return IdentityService(db, authorizer, keys, usecases, spec)
