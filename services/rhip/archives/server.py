"""Composition root of the archives service: settings → database → authorizer → identity
client → use cases → servicer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rhip.api.archives.v1 import (
    archives_internal_service_pb2_grpc,
    archives_peer_service_pb2_grpc,
    archives_service_pb2_grpc,
)
from rhip.archives.clients import IdentityClient, OtherCells
from rhip.archives.follow_ups.domain import BloodPressure, FollowUpPolicy
from rhip.archives.internal_servicer import INTERNAL_SERVICE_NAME, ArchivesInternalServicer
from rhip.archives.locator_client import LocatorClient
from rhip.archives.peer_servicer import PEER_SERVICE_NAME, ArchivesPeerServicer
from rhip.archives.quality import indicator_counts
from rhip.archives.resident_events.usecases import ResidentEvents
from rhip.archives.servicer import PUBLIC_METHODS, SERVICE_NAME, ArchivesServicer
from rhip.archives.settings import ArchivesSettings, load_archives_settings
from rhip.archives.transfers.sweeper import TransferSweeper
from rhip.archives.usecases import ArchivesUseCases, sync_role_catalog
from rhip.kit.authz import Authorizer, PolicyStore
from rhip.kit.channels import ChannelPool
from rhip.kit.config import Settings
from rhip.kit.db import Database, migrate
from rhip.kit.institution_names import InstitutionNames, cell_names
from rhip.kit.outbox_delivery import OutboxDelivery
from rhip.kit.resident_changes import ResidentChangesConsumer, ResidentFeed
from rhip.kit.server import ServiceSpec
from rhip.kit.timeline_feed import cell_timeline_delivery

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations" / "versions"


@dataclass
class ArchivesService:
    """Everything the archives service runs on, built and started."""

    db: Database
    authorizer: Authorizer
    owns_authorizer: bool
    usecases: ArchivesUseCases
    specs: list[ServiceSpec]
    policy_db: Database | None = None
    # Follows identity's resident change feed (deaths, merges); None without a cell account.
    resident_events: ResidentChangesConsumer | None = None
    # Withdraws cross-cell requests the source never acknowledged; None without cross-cell.
    sweeper: TransferSweeper | None = None
    # Delivers the record history to emr's timeline index; None when the cell runs no emr.
    timeline: OutboxDelivery | None = None

    @property
    def workers(self) -> list[ResidentChangesConsumer | TransferSweeper | OutboxDelivery]:
        """The background work the cell starts once it serves (identity's address is known)."""
        return [w for w in (self.resident_events, self.sweeper, self.timeline) if w is not None]

    def close(self) -> None:
        for worker in self.workers:  # stopped by the cell already; stopping again is a no-op
            worker.stop()
        if self.owns_authorizer:
            self.authorizer.stop()
        if self.policy_db is not None:
            self.policy_db.dispose()
        self.db.dispose()


def migrate_archives(settings: Settings) -> None:
    db = Database.connect(settings.database_url("archives"))
    try:
        bring_schema_up_to_date(db)
    finally:
        db.dispose()


def bring_schema_up_to_date(db: Database) -> None:
    """Migrate, then recompute the derived indicator counts if their rules changed."""
    migrate(db.engine, MIGRATIONS)
    with db.engine.begin() as connection:
        records = indicator_counts.bring_up_to_date(connection)
    if records is not None:
        log.info("indicator counts recomputed from %d records", records)


def build_archives(
    settings: Settings,
    identity_address: Callable[[], str],
    peers: ChannelPool,
    authorizer: Authorizer | None = None,
    emr_address: Callable[[], str] | None = None,
) -> ArchivesService:
    """``authorizer``: the identity service's, when both run in this process; otherwise
    archives reads the cell's policy from the identity database itself. ``emr_address``: where
    the cell's emr answers (asked at each send), when the cell runs emr: the record history
    then feeds its timeline index."""
    options = load_archives_settings(settings.env)  # a bad value fails before anything starts
    db = Database.connect(settings.database_url("archives"), pool_size=settings.grpc_workers)
    bring_schema_up_to_date(db)
    policy_db = None
    owns = authorizer is None
    if authorizer is None:
        policy_db = Database.connect(settings.database_url("identity"), pool_size=2)
        authorizer = Authorizer(PolicyStore(policy_db), poll_seconds=settings.authz_poll_seconds)
        authorizer.start()
    sync_role_catalog(authorizer)
    systolic, diastolic = options.elderly_bp_target
    policy = FollowUpPolicy(
        elderly_age=options.elderly_age,
        elderly_bp_target=BloodPressure(systolic, diastolic),
    )
    timeline = cell_timeline_delivery(
        settings, db, identity_address, emr_address, peers, "archives-timeline"
    )
    # The keeper's name on each entry, asked as the cell (the feed's own account).
    names = cell_names(settings, identity_address, peers) if timeline is not None else None
    usecases = ArchivesUseCases(
        settings.cell,
        db,
        authorizer,
        IdentityClient(identity_address, peers),
        policy,
        cells=OtherCells(settings, identity_address, peers),
        issuer=settings.issuer,
        escalate_after_days=options.transfer_escalation_days,
        timeline=timeline is not None,
        names=names,
    )
    sweeper = None
    if usecases.cells is not None and usecases.cells.configured:
        sweeper = TransferSweeper(usecases, settings.cell)
    servicer = ArchivesServicer(usecases)
    peer_servicer = ArchivesPeerServicer(usecases)
    internal_servicer = ArchivesInternalServicer(usecases)
    specs = [
        ServiceSpec(
            full_name=SERVICE_NAME,
            register=lambda server: archives_service_pb2_grpc.add_ArchivesServiceServicer_to_server(
                servicer, server
            ),
            public_methods=PUBLIC_METHODS,
        ),
        ServiceSpec(
            full_name=PEER_SERVICE_NAME,
            register=lambda server: (
                archives_peer_service_pb2_grpc.add_ArchivesPeerServiceServicer_to_server(
                    peer_servicer, server
                )
            ),
        ),
        ServiceSpec(
            full_name=INTERNAL_SERVICE_NAME,
            register=lambda server: (
                archives_internal_service_pb2_grpc.add_ArchivesInternalServiceServicer_to_server(
                    internal_servicer, server
                )
            ),
        ),
    ]
    return ArchivesService(
        db, authorizer, owns, usecases, specs, policy_db,
        resident_events=_resident_events(
            settings, options, db, identity_address, peers, usecases.locator,
            timeline=timeline is not None, names=names,
        ),
        sweeper=sweeper,
        timeline=timeline,
    )  # fmt: skip


def _resident_events(
    settings: Settings,
    options: ArchivesSettings,
    db: Database,
    identity_address: Callable[[], str],
    peers: ChannelPool,
    locator: LocatorClient | None = None,
    *,
    timeline: bool = False,
    names: InstitutionNames | None = None,
) -> ResidentChangesConsumer | None:
    feed = ResidentFeed(settings, identity_address, peers)
    if not feed.configured:
        log.warning(
            "resident changes: not followed (deaths and merges do not reach health records): "
            "set RHIP_CELL_CLIENT_ID and RHIP_CELL_CLIENT_SECRET"
        )
        return None
    return ResidentChangesConsumer(
        "resident-events",
        ResidentEvents(db, locator=locator, timeline=timeline, names=names),
        feed,
        options.resident_events_interval_seconds,
    )
