"""Composition root of the emr service: settings → database → authorizer → identity and
archives clients → use cases → servicer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rhip.api.emr.v1 import emr_internal_service_pb2_grpc, emr_service_pb2_grpc
from rhip.emr.care import CareRelationships
from rhip.emr.clients import ArchivesClient, IdentityClient
from rhip.emr.internal_servicer import INTERNAL_SERVICE_NAME, EmrInternalServicer
from rhip.emr.servicer import PUBLIC_METHODS, SERVICE_NAME, EmrServicer
from rhip.emr.settings import load_emr_settings
from rhip.emr.timeline.merges import TimelineMerges
from rhip.emr.timeline.names import TimelineNames
from rhip.emr.usecases import EmrUseCases, sync_role_catalog
from rhip.kit.authz import Authorizer, PolicyStore
from rhip.kit.channels import ChannelPool
from rhip.kit.config import Settings
from rhip.kit.db import Database, migrate
from rhip.kit.institution_names import cell_names
from rhip.kit.pii import PiiVault, derive_key
from rhip.kit.resident_changes import ResidentChangesConsumer, ResidentFeed
from rhip.kit.server import ServiceSpec

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations" / "versions"


@dataclass
class EmrService:
    """Everything the emr service runs on, built."""

    db: Database
    authorizer: Authorizer
    owns_authorizer: bool
    usecases: EmrUseCases
    specs: list[ServiceSpec]
    policy_db: Database | None = None
    # Names the timeline entries that came without one; None without a cell account.
    names: TimelineNames | None = None
    # Follows identity's merges onto the timeline; None without a cell account.
    merges: ResidentChangesConsumer | None = None

    @property
    def workers(self) -> list[TimelineNames | ResidentChangesConsumer]:
        return [w for w in (self.names, self.merges) if w is not None]

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        if self.owns_authorizer:
            self.authorizer.stop()
        if self.policy_db is not None:
            self.policy_db.dispose()
        self.db.dispose()


def migrate_emr(settings: Settings) -> None:
    db = Database.connect(settings.database_url("emr"))
    try:
        migrate(db.engine, MIGRATIONS)
    finally:
        db.dispose()


def build_emr(
    settings: Settings,
    address_of: Callable[[str], str],
    peers: ChannelPool,
    secret: Callable[[], bytes],
    authorizer: Authorizer | None = None,
) -> EmrService:
    """``authorizer``: identity's, when it runs in this process; otherwise emr reads the
    cell's policy from the identity database itself."""
    options = load_emr_settings(settings.env)  # a bad value fails before anything starts
    db = Database.connect(settings.database_url("emr"), pool_size=settings.grpc_workers)
    migrate(db.engine, MIGRATIONS)
    policy_db = None
    owns = authorizer is None
    if authorizer is None:
        policy_db = Database.connect(settings.database_url("identity"), pool_size=2)
        authorizer = Authorizer(PolicyStore(policy_db), poll_seconds=settings.authz_poll_seconds)
        authorizer.start()
    sync_role_catalog(authorizer)
    usecases = EmrUseCases(
        settings.cell,
        db,
        authorizer,
        IdentityClient(lambda: address_of("identity"), peers),
        CareRelationships(
            ArchivesClient(lambda: address_of("archives"), peers),
            lambda: address_of("identity"),
            lambda: address_of("referral"),
            peers,
        ),
        PiiVault(derive_key(secret(), b"rhip-emr-pii")),
        options,
    )
    servicer = EmrServicer(usecases)
    internal_servicer = EmrInternalServicer(usecases)
    specs = [
        ServiceSpec(
            full_name=SERVICE_NAME,
            register=lambda server: emr_service_pb2_grpc.add_EmrServiceServicer_to_server(
                servicer, server
            ),
            public_methods=PUBLIC_METHODS,
        ),
        ServiceSpec(
            full_name=INTERNAL_SERVICE_NAME,
            register=lambda server: (
                emr_internal_service_pb2_grpc.add_EmrInternalServiceServicer_to_server(
                    internal_servicer, server
                )
            ),
        ),
    ]
    names = merges = None
    if settings.cell_client_id:  # identity is asked as the cell's own account
        lookup = cell_names(settings, lambda: address_of("identity"), peers)
        names = TimelineNames(db, lookup, options.timeline_names_seconds)
    feed = ResidentFeed(settings, lambda: address_of("identity"), peers)
    if feed.configured:  # the feed is read as the cell's own account too
        merges = ResidentChangesConsumer(
            "emr-timeline-merges", TimelineMerges(db), feed, options.resident_events_seconds
        )
    else:
        log.warning(
            "timeline: resident merges not followed (a survivor's timeline lacks the merged "
            "resident's entries): set RHIP_CELL_CLIENT_ID and RHIP_CELL_CLIENT_SECRET"
        )
    return EmrService(db, authorizer, owns, usecases, specs, policy_db, names, merges)
