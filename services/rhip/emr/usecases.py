"""The emr use cases, one method per use case, as one object (the servicer's): ingest and
reads (documents/), recognition (recognition/), the timeline (timeline/) and the reading
rules (reading/) on the shared ground of access.py. Audit details carry ids and codes only:
never an ID number, a name or a phone."""

from __future__ import annotations

from dataclasses import replace

from rhip.emr.reading.usecases import AccessUseCases
from rhip.emr.review.usecases import ReviewUseCases
from rhip.emr.roles import CATALOG_PREFIX, EMR, permission_rules
from rhip.emr.timeline.merge_store import MergesStore
from rhip.emr.timeline.usecases import TimelineUseCases
from rhip.kit.audit_query import AuditFilter, AuditRecord, search_region
from rhip.kit.authz import Authorizer
from rhip.kit.pagination import Page


def sync_role_catalog(authz: Authorizer) -> None:
    """Make the ``p`` rows of ``rhip.api.emr.`` match roles.py; other rows stay."""
    authz.sync_catalog(CATALOG_PREFIX, permission_rules())


class EmrUseCases(TimelineUseCases, ReviewUseCases, AccessUseCases):
    """Every emr use case."""

    def search_audit(
        self, parent: str, where: AuditFilter, page: Page
    ) -> tuple[list[AuditRecord], str]:
        """Who read or changed what in this cell's emr ("who read my records"). A survivor's
        events include those of every resident merged into it while the merges stand (the
        same person, whose documents are the survivor's now: their reads are reads of the
        survivor's records); after an undo each resident has its own again."""
        if where.resident_id:
            with self.db.read() as conn:
                shown = MergesStore(conn).shown_residents(where.resident_id)
            if len(shown.residents) > 1:
                where = replace(where, same_person=shown.residents[1:])
        return search_region(self.db, self.authz, EMR + "SearchAuditEvents", parent, where, page)
