"""Composition root of the identity service: settings → database → authorizer → keys →
use cases → servicer."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from rhip.api.identity.v1 import (
    identity_peer_service_pb2_grpc,
    identity_service_pb2_grpc,
    resident_service_pb2_grpc,
)
from rhip.identity import peer_servicer, resident_servicer
from rhip.identity.auth.accounts import AccountUseCases
from rhip.identity.auth.tokens import KeyRing
from rhip.identity.links.client import LinkGateway
from rhip.identity.links.usecases import ResidentLinks
from rhip.identity.links.worker import LinkWorker
from rhip.identity.qualifications import servicer as qualifications
from rhip.identity.qualifications.usecases import QualificationUseCases
from rhip.identity.residents.changes import ResidentChangeFeed
from rhip.identity.residents.health_cards import HealthCards, revoke_on_death
from rhip.identity.residents.merges import ResidentMerges
from rhip.identity.residents.usecases import ResidentUseCases
from rhip.identity.servicer import PUBLIC_METHODS, SERVICE_NAME, IdentityServicer
from rhip.identity.settings import load_identity_settings
from rhip.identity.usecases import IdentityUseCases
from rhip.kit.audit import AuditWriter
from rhip.kit.audit_checkpoint import AuditSeal
from rhip.kit.authz import Authorizer, PolicyStore
from rhip.kit.channels import ChannelPool
from rhip.kit.config import Settings
from rhip.kit.db import Database, migrate
from rhip.kit.healthcard import CardSigner
from rhip.kit.pii import PiiVault
from rhip.kit.server import ServiceSpec
from rhip.kit.signing_keys import SigningSecrets
from rhip.kit.tenancy import catalog

MIGRATIONS = Path(__file__).resolve().parent / "migrations" / "versions"
log = logging.getLogger(__name__)


@dataclass
class IdentityService:
    """Everything the identity service runs on, built and started."""

    db: Database
    authorizer: Authorizer
    keys: KeyRing
    usecases: IdentityUseCases
    residents: ResidentUseCases
    cards: HealthCards
    specs: list[ServiceSpec]
    links: ResidentLinks
    link_worker: LinkWorker

    def close(self) -> None:
        self.residents.read_audit.stop()  # flush the audit events of the last reads
        self.authorizer.stop()
        self.db.dispose()


def migrate_identity(settings: Settings) -> None:
    db = Database.connect(settings.database_url("identity"))
    try:
        migrate(db.engine, MIGRATIONS)
    finally:
        db.dispose()


def build_identity(
    settings: Settings, secret_key: bytes, peers: ChannelPool, signing: SigningSecrets | None = None
) -> IdentityService:
    """``peers``: the cell's channels (the gateway, for residents linked across cells);
    ``signing``: the health-card signing secrets (rhip.kit.signing_keys; None: the cell secret
    signs). Personal data, card ids and the token keys at rest stay on the cell secret."""
    options = load_identity_settings(settings.env)  # a bad value fails before anything starts
    db = Database.connect(settings.database_url("identity"), pool_size=settings.grpc_workers)
    migrate(db.engine, MIGRATIONS)
    authorizer = Authorizer(PolicyStore(db), poll_seconds=settings.authz_poll_seconds)
    authorizer.start()
    keys = KeyRing(db, secret_key, timedelta(seconds=options.access_token_ttl_seconds))
    keys.ensure_key()
    usecases = IdentityUseCases(settings, db, authorizer, keys, options=options)
    usecases.audit_seal = AuditSeal(secret_key, settings.cell, "identity")
    usecases.sync_role_catalog()
    regions = catalog()  # loaded here once, so the first request does not pay for it
    log.info("region tree: %d GB/T 2260 divisions from %s", len(regions), regions.version)
    if settings.cell_client_id:
        usecases.ensure_cell_account()
    servicer = IdentityServicer(usecases, AccountUseCases(usecases, usecases.password_policy))
    read_audit = AuditWriter(db, wait=settings.audit_reads_wait, pipelined=settings.audit_pipeline)
    residents = ResidentUseCases(
        settings,
        db,
        authorizer,
        PiiVault(secret_key),
        read_audit,
        on_death=revoke_on_death,
        options=options,
    )
    cards = HealthCards(residents, CardSigner(secret_key, signing))
    links = ResidentLinks(residents, LinkGateway(settings, peers))
    link_worker = LinkWorker(links, settings.cell, options.links_interval_seconds)
    residents.links_queued = link_worker.wake
    resident_api = resident_servicer.ResidentServicer(
        residents, ResidentMerges(residents), cards, ResidentChangeFeed(residents)
    )
    peer_api = peer_servicer.IdentityPeerServicer(links)
    specs = [
        ServiceSpec(
            full_name=SERVICE_NAME,
            register=lambda server: identity_service_pb2_grpc.add_IdentityServiceServicer_to_server(
                servicer, server
            ),
            public_methods=PUBLIC_METHODS,
        ),
        ServiceSpec(
            full_name=resident_servicer.SERVICE_NAME,
            register=lambda server: resident_service_pb2_grpc.add_ResidentServiceServicer_to_server(
                resident_api, server
            ),
            public_methods=resident_servicer.PUBLIC_METHODS,
        ),
        qualifications.spec(QualificationUseCases(db, authorizer, usecases.cell_path)),
        ServiceSpec(
            full_name=peer_servicer.SERVICE_NAME,
            register=lambda server: (
                identity_peer_service_pb2_grpc.add_IdentityPeerServiceServicer_to_server(
                    peer_api, server
                )
            ),
        ),
    ]
    return IdentityService(
        db, authorizer, keys, usecases, residents, cards, specs, links, link_worker
    )
