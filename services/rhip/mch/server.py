"""Composition root of the mch service: settings → database → authorizer → identity client →
use cases → servicer; the outbox deliveries (national birth-certificate reports, the
certificates' links in identity when the cell has its own account, and emr's lifetime timeline
when the cell runs emr)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rhip.api.mch.v1 import (
    birth_certificate_service_pb2_grpc,
    mch_peer_service_pb2_grpc,
    mch_service_pb2_grpc,
)
from rhip.kit.authz import Authorizer, PolicyStore
from rhip.kit.channels import ChannelPool
from rhip.kit.config import Settings
from rhip.kit.db import Database, migrate
from rhip.kit.outbox_delivery import OutboxDelivery
from rhip.kit.outbox_http import http_delivery, load_outbox_settings
from rhip.kit.server import ServiceSpec
from rhip.kit.signing_keys import SigningSecrets
from rhip.kit.timeline_feed import cell_timeline_delivery
from rhip.mch.certificates import national
from rhip.mch.certificates import servicer as bmc_servicer
from rhip.mch.certificates.links import link_delivery
from rhip.mch.certificates.usecases import BirthCertificateUseCases
from rhip.mch.child_transfers.peers import OtherCells
from rhip.mch.clients import IdentityClient
from rhip.mch.indicators import counts
from rhip.mch.peer_servicer import PEER_SERVICE_NAME, MchPeerServicer
from rhip.mch.servicer import PUBLIC_METHODS, SERVICE_NAME, MchServicer
from rhip.mch.settings import load_mch_settings
from rhip.mch.stock import month_counts
from rhip.mch.stock.store import holder_of
from rhip.mch.team_filter import ArchivesClient
from rhip.mch.usecases import MchUseCases, sync_role_catalog

MIGRATIONS = Path(__file__).resolve().parent / "migrations" / "versions"
log = logging.getLogger(__name__)


@dataclass
class MchService:
    """Everything the mch service runs on, built."""

    db: Database
    authorizer: Authorizer
    owns_authorizer: bool
    usecases: MchUseCases
    certificates: BirthCertificateUseCases
    specs: list[ServiceSpec]
    policy_db: Database | None = None
    # Delivers the national birth-certificate reports (rhip.kit.outbox), run by the cell.
    outbox: OutboxDelivery | None = None
    # Delivers the events to emr's timeline index; None when the cell runs no emr.
    timeline: OutboxDelivery | None = None
    # Delivers the certificates' links to their children in identity (certificates/links.py);
    # None without a cell account (then each link is made in its request).
    links: OutboxDelivery | None = None

    @property
    def workers(self) -> list[OutboxDelivery]:
        return [w for w in (self.outbox, self.timeline, self.links) if w is not None]

    def close(self) -> None:
        if self.owns_authorizer:
            self.authorizer.stop()
        if self.policy_db is not None:
            self.policy_db.dispose()
        self.db.dispose()


def migrate_mch(settings: Settings) -> None:
    db = Database.connect(settings.database_url("mch"))
    try:
        bring_schema_up_to_date(db)
    finally:
        db.dispose()


def bring_schema_up_to_date(db: Database) -> None:
    """Migrate, then fill the derived indicator counts from the rows if their rules version
    is not the code's (right after mch_0004m created them, or after the rules changed), and
    the birth-certificate month counts likewise (mch_0009b)."""
    migrate(db.engine, MIGRATIONS)
    with db.engine.begin() as connection:
        done = counts.bring_up_to_date(connection)
    if done is not None:
        log.info("mch indicator counts recomputed from %d pregnancies and children", done)
    with db.engine.begin() as connection:
        done = month_counts.bring_up_to_date(connection, holder_of)
    if done is not None:
        log.info("birth-certificate month counts recomputed from %d register rows", done)


def build_mch(
    settings: Settings,
    identity_address: Callable[[], str],
    peers: ChannelPool,
    authorizer: Authorizer | None = None,
    secret_key: bytes = b"",
    emr_address: Callable[[], str] | None = None,
    signing: SigningSecrets | None = None,
    archives_address: Callable[[], str] | None = None,
) -> MchService:
    """``authorizer``: the identity service's, when both run in this process; otherwise mch
    reads the cell's policy from the identity database itself. ``emr_address``: where the
    cell's emr answers (asked at each send), when the cell runs emr: every pregnancy, child and
    certificate event then feeds its timeline index. ``archives_address``: where the cell's
    archives answers (asked at each call), when the cell runs archives: the overdue lists can
    then be filtered by family-doctor team."""
    options = load_mch_settings(settings.env)  # a bad value fails before anything starts
    db = Database.connect(settings.database_url("mch"), pool_size=settings.grpc_workers)
    bring_schema_up_to_date(db)
    policy_db = None
    owns = authorizer is None
    if authorizer is None:
        policy_db = Database.connect(settings.database_url("identity"), pool_size=2)
        authorizer = Authorizer(PolicyStore(policy_db), poll_seconds=settings.authz_poll_seconds)
        authorizer.start()
    sync_role_catalog(authorizer)
    cell_account = (
        (settings.cell_client_id, settings.cell_client_secret, settings.cell)
        if settings.cell_client_id and settings.cell_client_secret
        else None
    )
    identity = IdentityClient(identity_address, peers, cell_account)
    timeline = cell_timeline_delivery(
        settings, db, identity_address, emr_address, peers, "mch-timeline"
    )
    feeds = timeline is not None
    usecases = MchUseCases(settings.cell, db, authorizer, identity, options, timeline=feeds)
    # Child transfers to other cells go through the gateway with the cell's own account.
    usecases.other_cells = OtherCells(settings, peers)
    if archives_address is not None:
        usecases.archives = ArchivesClient(archives_address, peers)
    # The cell secret seals the certificates' printed fields; the signing secrets (by default
    # the cell secret too) sign their printed codes.
    secret = secret_key or settings.secret_key or b""
    certificates = BirthCertificateUseCases(
        settings.cell, db, authorizer, identity, options, secret, timeline=feeds, signing=signing
    )
    # With the cell's own account, a certificate's link to its child in identity is
    # delivered through the outbox after the certificate commits (certificates/links.py).
    links = link_delivery(db, identity) if cell_account is not None else None
    certificates.links = links
    servicer = MchServicer(usecases)
    certificate_servicer = bmc_servicer.BirthCertificateServicer(certificates)
    peer_servicer = MchPeerServicer(usecases)
    specs = [
        ServiceSpec(
            full_name=SERVICE_NAME,
            register=lambda server: mch_service_pb2_grpc.add_MchServiceServicer_to_server(
                servicer, server
            ),
            public_methods=PUBLIC_METHODS,
        ),
        ServiceSpec(
            full_name=bmc_servicer.SERVICE_NAME,
            register=lambda server: (
                birth_certificate_service_pb2_grpc.add_BirthCertificateServiceServicer_to_server(
                    certificate_servicer, server
                )
            ),
            public_methods=bmc_servicer.PUBLIC_METHODS,
        ),
        ServiceSpec(
            full_name=PEER_SERVICE_NAME,
            register=lambda server: mch_peer_service_pb2_grpc.add_MchPeerServiceServicer_to_server(
                peer_servicer, server
            ),
        ),
    ]
    delivery = http_delivery(
        db,
        load_outbox_settings(settings.env, "RHIP_MCH_BMC_OUTBOX", development=settings.development),
        streams=[national.STREAM],
        name="mch-bmc-national",
    )
    return MchService(
        db, authorizer, owns, usecases, certificates, specs, policy_db, delivery, timeline, links
    )
