"""Applying identity's resident changes to health records: the use case behind the consumer
(rhip.kit.resident_changes).

- A death terminates the resident's open record (docs/domain §2.7: reason death, with the date of
  death) and closes its open follow-up plans. A transfer of the record pending between two
  institutions of this cell is declined with it (nothing is left to move); one with another
  cell is left to its institutions, since a cell may not decline across cells on its own.
- A merge moves the merged resident's records to the survivor (docs/domain §9: "a merge keeps
  aliases and moves records"). When both have an open record, neither is dropped: the merged
  resident's open record stays where it is (one open record per resident holds), and each
  managing institution gets a duplicate-record task naming the other record, to agree which
  record stays and terminate or transfer the other.
- An undo moves back exactly the records that merge moved (written down per merge) and
  cancels the duplicate tasks it raised.
- When the cell runs emr, each record moved (either way) takes its entries on the lifetime
  timeline to the resident it now belongs to (records/timeline.py:enqueue_record_moved), so
  the check-ups a record gathered while merged go back with it.

Each change is applied in one transaction with its ledger row and the cursor advance, as done
by the system (``system:resident-events``) on behalf of the identity user who recorded it
(audit and record history name both). A change already in the ledger (a cursor reset, another
replica) changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from rhip.archives.locator_client import LocatorClient
from rhip.archives.records.domain import HealthRecord, RecordState, Termination, TerminationReason
from rhip.archives.records.timeline import enqueue_record_moved
from rhip.archives.repository import ArchivesRepository
from rhip.archives.resident_events.store import DUPLICATE_TASK, MergeMove, ResidentEventsRepository
from rhip.kit import audit
from rhip.kit.db import Database
from rhip.kit.institution_names import InstitutionNames
from rhip.kit.resident_changes import FeedChange
from rhip.kit.timestamps import clinical_day

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "system:resident-events"
DECEASED_DECLINE_REASON = "居民已死亡，档案已终止 (the resident died; the record is terminated)"
# No national deadline exists for resolving a duplicate record: two weeks, as for the other
# follow-up tasks of §2.6.
DUPLICATE_REVIEW_DAYS = 14
TERMINATED = "terminated "  # the outcome of a death that ended an open record: + its id


class ResidentEvents:
    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        locator: LocatorClient | None = None,
        timeline: bool = False,
        names: InstitutionNames | None = None,
    ):
        self.db = db
        # A death or merge in a record's history also reaches emr's timeline index, naming
        # the record's keeper.
        self.timeline = timeline
        self.names = names
        self.clock = clock
        # The platform's resident locator: a record a death terminated is no longer open.
        self.locator = locator

    def cursor(self) -> int:
        with self.db.read() as conn:
            return ResidentEventsRepository(conn).cursor()

    def reset_cursor(self, sequence: int) -> None:
        """For operators: read the feed again from ``sequence`` (changes already applied are
        recognised by the ledger and change nothing)."""
        with self.db.transaction() as tx:
            ResidentEventsRepository(tx).set_cursor(sequence, self.clock())

    def apply(self, change: FeedChange) -> str:
        """Apply ``change`` unless done already; returns what happened (ids only)."""
        now = self.clock()
        with self.db.transaction() as tx:
            events = ResidentEventsRepository(tx)
            if change.sequence <= events.cursor(for_update=True):
                return "already applied (cursor)"  # another replica got there first
            if events.was_applied(change.sequence):
                outcome = "already applied (ledger)"
            else:
                records = ArchivesRepository(tx, timeline=self.timeline, names=self.names)
                handler = {
                    "DECEASED": self._death,
                    "MERGED": self._merge,
                    "MERGE_UNDONE": self._undo,
                }.get(change.kind)
                outcome = handler(records, events, change, now) if handler else "unknown kind"
                events.mark_applied(change.sequence, change.kind, change.resident_id, outcome, now)
            events.set_cursor(change.sequence, now)
        if outcome.startswith(TERMINATED) and self.locator is not None and self.locator.enabled:
            self.locator.release_quietly(outcome.removeprefix(TERMINATED))  # best effort
        return outcome

    # -- handlers ------------------------------------------------------------------------------
    def _death(
        self,
        records: ArchivesRepository,
        events: ResidentEventsRepository,
        change: FeedChange,
        now: datetime,
    ) -> str:
        record = records.open_record_of(change.resident_id, for_update=True)
        if record is None:
            return "no open record"
        if change.death_date is None:
            raise ValueError(f"resident change {change.sequence} has no date of death")
        termination = Termination(TerminationReason.DEATH, change.death_date)
        ended = record.changed(now, state=RecordState.TERMINATED, termination=termination)
        records.save(ended, record.version)
        records.set_plans_state(record.record_id, "closed")
        self._history(
            records, record, "TERMINATED", change, now,
            reason=TerminationReason.DEATH.value, date=change.death_date.isoformat(),
        )  # fmt: skip
        self._audit(records, "record.terminate", record, change, reason="death")
        pending = records.pending_transfer(record.record_id)
        if pending is not None and not pending.peer_region:
            declined = pending.declined(DECEASED_DECLINE_REASON, now)
            records.decide_transfer(declined, "")
            self._history(
                records, record, "TRANSFER_DECLINED", change, now, transfer=pending.transfer_id
            )
            self._audit(records, "record.transfer_decline", record, change, reason="death")
        return f"{TERMINATED}{record.record_id}"

    def _merge(
        self,
        records: ArchivesRepository,
        events: ResidentEventsRepository,
        change: FeedChange,
        now: datetime,
    ) -> str:
        merged, survivor = change.resident_id, change.survivor_id
        survivor_open = records.open_record_of(survivor, for_update=True)
        moved, flagged = [], []
        for record in records.records_of(merged, for_update=True):
            if record.is_open and survivor_open is not None:
                self._flag_duplicate(records, record, survivor_open, change, now)
                events.add_move(
                    MergeMove(
                        change.merge_id, record.record_id, merged, survivor,
                        survivor_open.record_id, "flagged",
                    ),
                    now,
                )  # fmt: skip
                flagged.append(record.record_id)
                continue
            records.save(record.changed(now, resident_id=survivor), record.version)
            self._timeline_follows(records, record, survivor, now)
            self._history(
                records, record, "RESIDENT_MERGED", change, now,
                from_resident=merged, to_resident=survivor, merge=change.merge_id,
            )  # fmt: skip
            self._audit(records, "record.resident_merge", record, change, to_resident=survivor)
            events.add_move(
                MergeMove(change.merge_id, record.record_id, merged, survivor, "", "moved"), now
            )
            moved.append(record.record_id)
        return f"moved {len(moved)}, flagged {len(flagged)}"

    def _flag_duplicate(
        self,
        records: ArchivesRepository,
        record: HealthRecord,
        other: HealthRecord,
        change: FeedChange,
        now: datetime,
    ) -> None:
        due = clinical_day(now) + timedelta(days=DUPLICATE_REVIEW_DAYS)
        for this, that in ((record, other), (other, record)):
            records.add_task(
                this, DUPLICATE_TASK, "", due, "", now, related_record_id=that.record_id
            )
            self._history(
                records, this, "DUPLICATE_FLAGGED", change, now,
                other_record=that.record_id, merge=change.merge_id,
            )  # fmt: skip
            self._audit(records, "record.duplicate_flag", this, change, other=that.record_id)

    def _undo(
        self,
        records: ArchivesRepository,
        events: ResidentEventsRepository,
        change: FeedChange,
        now: datetime,
    ) -> str:
        returned, cleared = 0, 0
        for move in events.moves(change.merge_id):
            if move.state == "flagged":
                for this, that in (
                    (move.record_id, move.related_record_id),
                    (move.related_record_id, move.record_id),
                ):
                    events.cancel_duplicate_task(this, that)
                    record = records.get(this)
                    if record is not None:
                        self._history(
                            records, record, "DUPLICATE_CLEARED", change, now,
                            other_record=that, merge=change.merge_id,
                        )  # fmt: skip
                events.set_move_state(move.merge_id, move.record_id, "cleared")
                cleared += 1
                continue
            if move.state != "moved":
                continue
            record = records.get(move.record_id, for_update=True)
            if record is None or record.resident_id != move.to_resident_id:
                # Identity refuses to undo a merge a later merge builds on, so this does not
                # happen; if it does, the record is left where it is and the log says so.
                log.warning(
                    "resident change %d: record %s is no longer with the survivor; left",
                    change.sequence, move.record_id,
                )  # fmt: skip
                continue
            records.save(record.changed(now, resident_id=move.from_resident_id), record.version)
            self._timeline_follows(records, record, move.from_resident_id, now)
            self._history(
                records, record, "RESIDENT_MERGE_UNDONE", change, now,
                from_resident=move.to_resident_id, to_resident=move.from_resident_id,
                merge=change.merge_id,
            )  # fmt: skip
            self._audit(
                records, "record.resident_merge_undo", record, change,
                to_resident=move.from_resident_id,
            )  # fmt: skip
            events.set_move_state(move.merge_id, move.record_id, "returned")
            returned += 1
        return f"returned {returned}, cleared {cleared}"

    # -- history, timeline and audit ---------------------------------------------------------
    @staticmethod
    def _timeline_follows(
        records: ArchivesRepository, record: HealthRecord, to_resident: str, now: datetime
    ) -> None:
        """``record`` (as it stood, with the resident it leaves) moved to ``to_resident``: its
        entries on the timeline go with it, before the history entry that says so."""
        if records.timeline:
            enqueue_record_moved(
                records.s, record.record_id, record.resident_id, record.scope_path, now,
                new_resident_id=to_resident,
            )  # fmt: skip

    @staticmethod
    def _history(
        records: ArchivesRepository,
        record: HealthRecord,
        kind: str,
        change: FeedChange,
        now: datetime,
        **detail: object,
    ) -> None:
        records.record(
            record.record_id, kind, SYSTEM_ACTOR, now,
            resident_change=change.sequence, on_behalf_of=change.actor, **detail,
        )  # fmt: skip

    @staticmethod
    def _audit(
        records: ArchivesRepository,
        action: str,
        record: HealthRecord,
        change: FeedChange,
        **detail: object,
    ) -> None:
        audit.append(
            records.s,
            audit.AuditEvent(
                action,
                f"healthRecords/{record.record_id}",
                record.scope_path,
                detail={
                    "resident": record.resident_id,
                    "source": "identity",
                    "resident_change": change.sequence,
                    "on_behalf_of": change.actor,
                    **detail,
                },
                actor=SYSTEM_ACTOR,
                actor_tenant="",
            ),
        )
