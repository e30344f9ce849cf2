"""The archives repository a use case works with: every feature's store over the one
connection of its transaction (the use case owns it; nothing here commits)."""

from __future__ import annotations

from rhip.archives.follow_ups.store import FollowUpsStore
from rhip.archives.quality.store import QualityStore
from rhip.archives.records.store import RecordsStore
from rhip.archives.teams.store import TeamsStore
from rhip.archives.transfers.bundle import BundleStore
from rhip.archives.transfers.store import TransfersStore
from rhip.kit.institution_names import InstitutionNames
from sqlalchemy import Connection


class ArchivesRepository(
    RecordsStore, FollowUpsStore, TeamsStore, QualityStore, TransfersStore, BundleStore
):
    """One object for a unit of work: a use case touching a record, its plans and its
    transfer in one transaction reaches them all here.

    ``timeline``: the record history also goes to emr's timeline index (records/timeline.py),
    when the cell runs emr; off, nothing is queued that no one would deliver. ``names``: the
    institution names its entries carry (kept a while, not asked per entry)."""

    def __init__(
        self,
        connection: Connection,
        *,
        timeline: bool = False,
        names: InstitutionNames | None = None,
    ) -> None:
        super().__init__(connection)
        self.timeline = timeline
        self.names = names
