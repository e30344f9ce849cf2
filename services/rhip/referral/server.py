"""Composition root of the referral service: settings → database → authorizer → identity and
archives clients → use cases → servicer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rhip.api.referral.v1 import (
    referral_peer_service_pb2_grpc,
    referral_service_pb2_grpc,
    teleconsultation_peer_service_pb2_grpc,
    teleconsultation_service_pb2_grpc,
)
from rhip.kit.authz import Authorizer, PolicyStore
from rhip.kit.channels import ChannelPool
from rhip.kit.config import Settings
from rhip.kit.db import Database, migrate
from rhip.kit.institution_names import cell_names
from rhip.kit.outbox_delivery import OutboxDelivery
from rhip.kit.server import ServiceSpec
from rhip.kit.signing_keys import SigningSecrets
from rhip.kit.timeline_feed import cell_timeline_delivery
from rhip.referral.clients import Peers
from rhip.referral.peer_servicer import PEER_SERVICE_NAME, ReferralPeerServicer
from rhip.referral.referrals.suggestions import Suggestions
from rhip.referral.roles import CATALOG_PREFIX, permission_rules
from rhip.referral.servicer import PUBLIC_METHODS, SERVICE_NAME, ReferralServicer
from rhip.referral.settings import (
    load_practice_years,
    load_recording_days,
    load_referral_settings,
    load_suggestions_interval,
)
from rhip.referral.teleconsults import peer_servicer as tele_peer
from rhip.referral.teleconsults import servicer as tele_servicer
from rhip.referral.teleconsults.cross_cell import CrossCellTeleconsults
from rhip.referral.teleconsults.signing import ReportSigner
from rhip.referral.usecases import Referrals

MIGRATIONS = Path(__file__).resolve().parent / "migrations" / "versions"


@dataclass
class ReferralService:
    db: Database
    authorizer: Authorizer
    owns_authorizer: bool
    usecases: Referrals
    teleconsults: CrossCellTeleconsults
    specs: list[ServiceSpec]
    policy_db: Database | None = None
    # Opens referral drafts for archives' referral tasks; None without a cell account.
    suggestions: Suggestions | None = None
    # Delivers the moves to emr's timeline index; None when the cell runs no emr.
    timeline: OutboxDelivery | None = None

    @property
    def workers(self) -> list[Suggestions | OutboxDelivery]:
        return [w for w in (self.suggestions, self.timeline) if w is not None]

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
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
    signing: Callable[[], SigningSecrets],
    authorizer: Authorizer | None = None,
    emr_address: Callable[[], str] | None = None,
) -> ReferralService:
    """``signing``: the cell's signing secrets (rhip.kit.signing_keys), read once: the current
    one signs opinion reports, every one verifies them. ``authorizer``: the identity service's
    when both run in this process; otherwise the cell's policy is read from the identity
    database. ``emr_address``: where the cell's emr answers (asked at each send), when the cell
    runs emr: every move then feeds its timeline index."""
    limits = load_referral_settings(settings.env)  # a bad value fails before anything starts
    recording_days = load_recording_days(settings.env)
    practice_years = load_practice_years(settings.env)
    interval = load_suggestions_interval(settings.env)
    db = Database.connect(settings.database_url("referral"), pool_size=settings.grpc_workers)
    migrate(db.engine, MIGRATIONS)
    policy_db = None
    owns = authorizer is None
    if authorizer is None:
        policy_db = Database.connect(settings.database_url("identity"), pool_size=2)
        authorizer = Authorizer(PolicyStore(policy_db), poll_seconds=settings.authz_poll_seconds)
        authorizer.start()
    authorizer.sync_catalog(CATALOG_PREFIX, permission_rules())
    clients = Peers(settings, identity_address, archives_address, peers)
    timeline = cell_timeline_delivery(
        settings, db, identity_address, emr_address, peers, "referral-timeline"
    )
    # The entries' institution names, asked as the cell (the feed's own account).
    names = cell_names(settings, identity_address, peers) if timeline is not None else None
    usecases = Referrals(
        settings.cell, db, authorizer, clients, limits, issuer=settings.issuer,
        timeline=timeline is not None, names=names,
    )  # fmt: skip
    teleconsults = CrossCellTeleconsults(
        settings.cell, db, authorizer, clients, ReportSigner(signing()), recording_days,
        practice_years=practice_years, timeline=timeline is not None, issuer=settings.issuer,
        names=names,
    )  # fmt: skip
    servicer = ReferralServicer(usecases)
    peer_servicer = ReferralPeerServicer(usecases)
    tele = tele_servicer.TeleconsultationServicer(teleconsults)
    tele_peer_servicer = tele_peer.TeleconsultationPeerServicer(teleconsults)
    specs = [
        ServiceSpec(
            full_name=SERVICE_NAME,
            register=lambda server: referral_service_pb2_grpc.add_ReferralServiceServicer_to_server(
                servicer, server
            ),
            public_methods=PUBLIC_METHODS,
        ),
        ServiceSpec(
            full_name=tele_servicer.SERVICE_NAME,
            register=lambda server: (
                teleconsultation_service_pb2_grpc.add_TeleconsultationServiceServicer_to_server(
                    tele, server
                )
            ),
            public_methods=tele_servicer.PUBLIC_METHODS,
        ),
        ServiceSpec(
            full_name=PEER_SERVICE_NAME,
            register=lambda server: (
                referral_peer_service_pb2_grpc.add_ReferralPeerServiceServicer_to_server(
                    peer_servicer, server
                )
            ),
        ),
        ServiceSpec(
            full_name=tele_peer.PEER_SERVICE_NAME,
            register=lambda server: (
                teleconsultation_peer_service_pb2_grpc.add_TeleconsultationPeerServiceServicer_to_server(
                    tele_peer_servicer, server
                )
            ),
        ),
    ]
    suggestions = None
    if settings.cell_client_id and settings.cell_client_secret:
        suggestions = Suggestions(usecases, settings.cell, interval)
    return ReferralService(
        db, authorizer, owns, usecases, teleconsults, specs, policy_db, suggestions, timeline
    )
