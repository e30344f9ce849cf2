"""Names for the timeline entries that came without one: stored before the sources sent their
institution's name (emr_0003), or sent without it because identity could not say at the time
(rhip.kit.institution_names: a name is never worth a failed clinical write). People read a
name, not an id, so a background pass asks identity, as the cell's own account, for each such
institution's name and writes it into its entries — a few institutions per pass, through the
index of unnamed entries (emr_0005), until none is left.

An institution identity does not know (another cell's: a referral's sender) stays unnamed and
is not asked again by this process; when identity cannot answer, the next pass asks again.
"""

from __future__ import annotations

import logging

from rhip.emr.timeline.store import TimelineStore
from rhip.kit.db import Database
from rhip.kit.institution_names import InstitutionNames
from rhip.kit.workers import PeriodicWorker

log = logging.getLogger(__name__)

TENANTS_PER_PASS = 50


class TimelineNames:
    def __init__(self, db: Database, names: InstitutionNames, interval: float) -> None:
        self.db = db
        self.names = names
        self._unknown: set[str] = set()  # institutions identity settled it does not know
        self.worker = PeriodicWorker(
            "emr-timeline-names", self.name_pass, interval, max_backoff=10 * interval,
            report=lambda named: f"timeline names: {named} entries named" if named else None,
        )  # fmt: skip

    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        self.worker.stop(timeout=5)

    def name_pass(self) -> int:
        """One pass: how many entries were named."""
        with self.db.read() as conn:
            tenants = TimelineStore(conn).unnamed_tenants(TENANTS_PER_PASS, self._unknown)
        named = 0
        for tenant_id in tenants:
            name = self.names.lookup(tenant_id)
            if name is None:  # identity away: this pass ends, the next asks again
                break
            if not name:
                self._unknown.add(tenant_id)
                continue
            with self.db.transaction() as tx:
                named += TimelineStore(tx).name_entries(tenant_id, name)
        return named
