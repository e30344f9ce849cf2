"""The timeline follows identity's resident merges: when identity merges resident B into
survivor A, A's timeline shows B's entries too (archives', referral's, mch's and emr's own
documents), and B's shows none while the merge stands; an undo puts them back on B's.

Driven by identity's resident change feed (``ListResidentChanges``, read as the cell's own
account by rhip.kit.resident_changes), not by a call from identity: identity merges whether
or not emr is up, and emr catches up from its durable cursor. Each change is applied with the
cursor advance in one transaction under the cursor's row lock, so replicas take turns; a merge
is kept by its id, so a change read again (a cursor reset, a page read twice) changes nothing,
and an undo, once seen, is never revived by its merge read again.

The entries themselves are not rewritten: each keeps the resident its source named, and the
page's read decides whose entries to show (merge_store.py). So an entry that the source sent
for B before it learned of the merge, and that arrives after it, is on A's timeline too; and
an undo has nothing to move back but the merge's state. Each entry stays filtered by its own
source's rule (its read method at its scope paths; an emr document by the caller's basis for
the resident it belongs to), exactly as on B's timeline.

Deaths are not the timeline's concern (archives records the termination, which reaches the
timeline as the record's entry). No audit event: identity audited the merge; no person read
anything here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from rhip.emr.timeline.merge_store import MergesStore
from rhip.kit.db import Database
from rhip.kit.resident_changes import FeedChange

log = logging.getLogger(__name__)


class TimelineMerges:
    def __init__(
        self, db: Database, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.db = db
        self.clock = clock

    def cursor(self) -> int:
        with self.db.read() as conn:
            return MergesStore(conn).change_cursor()

    def apply(self, change: FeedChange) -> str:
        """Apply ``change`` unless done already; what happened (ids only)."""
        now = self.clock()
        with self.db.transaction() as tx:
            store = MergesStore(tx)
            if change.sequence <= store.change_cursor(for_update=True):
                return "already applied (cursor)"  # another replica got there first
            args = (change.merge_id, change.survivor_id, change.resident_id, change.sequence, now)
            if change.kind == "MERGED":
                outcome = "merged" if store.add_merge(*args) else "merge known"
            elif change.kind == "MERGE_UNDONE":
                outcome = "undone" if store.undo_merge(*args) else "undo known"
            else:
                outcome = "not for the timeline"
            store.set_change_cursor(change.sequence, now)
        return outcome
