"""Composition root of the referral service: settings → database → authorizer → identity and
archives clients → use cases → servicer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rhip.api.referral.v1 import referral_service_pb2_grpc
from rhip.kit.authz import Authorizer, PolicyStore
from rhip.kit.channels import ChannelPool
from rhip.kit.config import Settings
from rhip.kit.db import Database, migrate
from rhip.kit.server import ServiceSpec
from rhip.referral.clients import Peers
from rhip.referral.referrals.cross_cell import CrossCellReferrals
from rhip.referral.roles import CATALOG_PREFIX, permission_rules
from rhip.referral.servicer import PUBLIC_METHODS, SERVICE_NAME, ReferralServicer
from rhip.referral.settings import load_referral_settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations" / "versions"


@dataclass
class ReferralService:
    db: Database
    authorizer: Authorizer
    owns_authorizer: bool
    usecases: CrossCellReferrals
    specs: list[ServiceSpec]
    policy_db: Database | None = None

    def close(self) -> None:
        if self.owns_authorizer:
            self.authorizer.stop()
        if self.policy_db is not None:
            self.policy_db.dispose()
        self.db.dispose()


def migrate_referral(settings: Settings) -> None:
    db = Database.connect(settings.database_url("referral"))
    try:
        migrate(db.engine, MIGRATIONS)
    finally:
        db.dispose()


def build_referral(
    settings: Settings,
    identity_address: Callable[[], str],
    archives_address: Callable[[], str],
    peers: ChannelPool,
    authorizer: Authorizer | None = None,
) -> ReferralService:
    """``authorizer``: the identity service's when both run in this process; otherwise the
    cell's policy is read from the identity database."""
    limits = load_referral_settings(settings.env)  # a bad value fails before anything starts
    db = Database.connect(settings.database_url("referral"), pool_size=settings.grpc_workers)
    migrate(db.engine, MIGRATIONS)
    policy_db = None
    owns = authorizer is None
    if authorizer is None:
        policy_db = Database.connect(settings.database_url("identity"), pool_size=2)
        authorizer = Authorizer(PolicyStore(policy_db), poll_seconds=settings.authz_poll_seconds)
        authorizer.start()
    authorizer.sync_catalog(CATALOG_PREFIX, permission_rules())
    usecases = CrossCellReferrals(
        settings.cell,
        db,
        authorizer,
        Peers(settings, identity_address, archives_address, peers),
        limits,
        issuer=settings.issuer,
    )
    servicer = ReferralServicer(usecases)
    specs = [
        ServiceSpec(
            full_name=SERVICE_NAME,
            register=lambda server: referral_service_pb2_grpc.add_ReferralServiceServicer_to_server(
                servicer, server
            ),
            public_methods=PUBLIC_METHODS,
        )
    ]
    return ReferralService(db, authorizer, owns, usecases, specs, policy_db)
