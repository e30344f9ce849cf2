"""The merges the timeline follows (rhip.emr.timeline.merges): emr's cursor in identity's
resident change feed and one row per merge, active or undone. Entries keep the resident their
source named; which residents' entries a timeline shows is decided here, at read time, so an
entry that arrives late for a merged resident still lands on the survivor's timeline, and an
undo puts back exactly what the merge joined. The same merges decide whose reading basis counts
for a merged resident's documents (``survivors``). Nothing here commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rhip.emr.store import StoreBase, resident_change_cursor, timeline_merge
from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

SOURCE = "identity"
ACTIVE, UNDONE = "active", "undone"
# Merges build on each other (B into A, then A into Z): a page follows at most this many
# levels of them. identity refuses to merge a merged resident, so a chain is no deeper than
# the number of times a survivor was itself merged on.
MAX_DEPTH = 16


@dataclass(frozen=True)
class Shown:
    """Whose entries a resident's timeline shows: the resident first, then those merged into
    it (directly or through another survivor); none when the resident itself was merged into
    another (``merged_into``), whose timeline shows them now."""

    residents: tuple[str, ...]
    merged_into: str = ""


def _insert(conn: Any) -> Any:
    # ON CONFLICT DO NOTHING: a merge seen again (a cursor reset) is the same merge.
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(timeline_merge)


class MergesStore(StoreBase):
    # -- the cursor ----------------------------------------------------------------------------
    def change_cursor(self, *, for_update: bool = False) -> int:
        """The last sequence applied; locked, it keeps a second replica from applying the
        same change at the same time."""
        c = resident_change_cursor.c
        query = select(c.last_sequence).where(c.source == SOURCE)
        if for_update:
            query = query.with_for_update()
        return int(self.s.execute(query).scalar_one())

    def set_change_cursor(self, sequence: int, now: datetime) -> None:
        c = resident_change_cursor.c
        self.s.execute(
            update(resident_change_cursor)
            .where(c.source == SOURCE)
            .values(last_sequence=sequence, update_time=now)
        )

    # -- merges --------------------------------------------------------------------------------
    def add_merge(
        self, merge_id: str, survivor_id: str, merged_id: str, sequence: int, now: datetime
    ) -> bool:
        """The merge, active; False (nothing written) when it is known, undone or not: an undo
        seen before stays undone."""
        added = self.s.execute(
            _insert(self.s)
            .values(
                merge_id=merge_id,
                survivor_id=survivor_id,
                merged_id=merged_id,
                state=ACTIVE,
                merge_sequence=sequence,
                apply_time=now,
            )
            .on_conflict_do_nothing(index_elements=[timeline_merge.c.merge_id])
            .returning(timeline_merge.c.merge_id)
        ).first()
        return added is not None

    def undo_merge(
        self, merge_id: str, survivor_id: str, merged_id: str, sequence: int, now: datetime
    ) -> bool:
        """The merge undone; False when it was undone already. An undo of a merge never seen
        is kept as undone, so that the merge read again later cannot stand."""
        m = timeline_merge.c
        done = self.s.execute(
            update(timeline_merge)
            .where(m.merge_id == merge_id, m.state == ACTIVE)
            .values(state=UNDONE, undo_sequence=sequence, undo_time=now)
        )
        if done.rowcount:
            return True
        self.s.execute(
            _insert(self.s)
            .values(
                merge_id=merge_id,
                survivor_id=survivor_id,
                merged_id=merged_id,
                state=UNDONE,
                undo_sequence=sequence,
                apply_time=now,
                undo_time=now,
            )
            .on_conflict_do_nothing(index_elements=[timeline_merge.c.merge_id])
        )
        return False

    # -- reading -------------------------------------------------------------------------------
    def shown_residents(self, resident_id: str) -> Shown:
        """Whose entries ``resident_id``'s timeline shows (one indexed query when the resident
        took part in no standing merge)."""
        m = timeline_merge.c
        rows = self.s.execute(
            select(m.survivor_id, m.merged_id).where(
                m.state == ACTIVE, or_(m.merged_id == resident_id, m.survivor_id == resident_id)
            )
        ).all()
        for row in rows:
            if row.merged_id == resident_id:
                return Shown((), row.survivor_id)
        shown = [resident_id]
        frontier = sorted({row.merged_id for row in rows})
        for _ in range(MAX_DEPTH):
            frontier = [r for r in frontier if r not in shown]
            if not frontier:
                break
            shown += frontier
            frontier = sorted(
                self.s.execute(
                    select(m.merged_id).where(m.state == ACTIVE, m.survivor_id.in_(frontier))
                ).scalars()
            )
        return Shown(tuple(shown))

    def survivors(self, resident_id: str) -> tuple[str, ...]:
        """The residents ``resident_id`` is merged into while the merges stand, nearest first
        (B into A, then A into Z: A, Z); none when it is merged into nobody (one indexed
        query). A caller's basis for any of them counts for ``resident_id``'s documents."""
        m = timeline_merge.c
        found: list[str] = []
        current = resident_id
        for _ in range(MAX_DEPTH):
            survivor = self.s.execute(
                select(m.survivor_id)
                .where(m.state == ACTIVE, m.merged_id == current)
                .order_by(m.merge_sequence.desc())
                .limit(1)
            ).scalar()
            if survivor is None or survivor == resident_id or survivor in found:
                break
            found.append(survivor)
            current = survivor
        return tuple(found)
