"""Tables and repository of the resident change consumer (resident_events.py): its cursor in
identity's feed, the ledger of changes applied, and the records each merge moved. Nothing here
commits: the consumer applies a change, writes its ledger row and advances the cursor in one
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from rhip.archives.follow_ups.store import TaskRow
from rhip.archives.store import Base
from sqlalchemy import BigInteger, Connection, DateTime, String, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column

SOURCE = "identity"


class ResidentChangeCursorRow(Base):
    """How far this cell's archives has applied a feed (one row per source)."""

    __tablename__ = "resident_change_cursor"
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(BigInteger)
    update_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ResidentChangeAppliedRow(Base):
    """A change already applied: seen again (a cursor reset, a second replica), it is skipped."""

    __tablename__ = "resident_change_applied"
    sequence: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(20))
    resident_id: Mapped[str] = mapped_column(String(36))
    outcome: Mapped[str] = mapped_column(String(200))
    applied_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ResidentMergeMoveRow(Base):
    """A record a merge touched: ``moved`` to the survivor (``returned`` once the merge is
    undone), or ``flagged`` as a duplicate of the survivor's open record (``related``) and
    left with the merged resident (``cleared`` once undone)."""

    __tablename__ = "resident_merge_move"
    merge_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    from_resident_id: Mapped[str] = mapped_column(String(36))
    to_resident_id: Mapped[str] = mapped_column(String(36))
    related_record_id: Mapped[str] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(10))
    move_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))


_CUR = cast(Any, ResidentChangeCursorRow.__table__)
_APPLIED = cast(Any, ResidentChangeAppliedRow.__table__)
_MOVE = cast(Any, ResidentMergeMoveRow.__table__)
TASKS = cast(Any, TaskRow.__table__)
DUPLICATE_TASK = "duplicate_record"


@dataclass(frozen=True)
class MergeMove:
    merge_id: str
    record_id: str
    from_resident_id: str
    to_resident_id: str
    related_record_id: str
    state: str  # moved, returned, flagged, cleared


class ResidentEventsRepository:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    # -- cursor ----------------------------------------------------------------------------------
    def cursor(self, *, for_update: bool = False) -> int:
        """The last sequence applied; locked, it also keeps a second replica's consumer from
        applying the same change at the same time."""
        query = select(_CUR.c.last_sequence).where(_CUR.c.source == SOURCE)
        if for_update:
            query = query.with_for_update()
        return int(self.s.execute(query).scalar_one())

    def set_cursor(self, sequence: int, now: datetime) -> None:
        self.s.execute(
            update(_CUR)
            .where(_CUR.c.source == SOURCE)
            .values(last_sequence=sequence, update_time=now)
        )

    # -- ledger ----------------------------------------------------------------------------------
    def was_applied(self, sequence: int) -> bool:
        query = select(_APPLIED.c.sequence).where(_APPLIED.c.sequence == sequence)
        return self.s.execute(query).first() is not None

    def mark_applied(
        self, sequence: int, kind: str, resident_id: str, outcome: str, now: datetime
    ) -> None:
        self.s.execute(
            insert(_APPLIED).values(
                sequence=sequence,
                kind=kind,
                resident_id=resident_id,
                outcome=outcome[:200],
                applied_time=now,
            )
        )

    # -- merges ----------------------------------------------------------------------------------
    def add_move(self, move: MergeMove, now: datetime) -> None:
        self.s.execute(
            insert(_MOVE).values(
                merge_id=move.merge_id,
                record_id=move.record_id,
                from_resident_id=move.from_resident_id,
                to_resident_id=move.to_resident_id,
                related_record_id=move.related_record_id,
                state=move.state,
                move_time=now,
            )
        )

    def moves(self, merge_id: str) -> list[MergeMove]:
        rows = self.s.execute(
            select(_MOVE).where(_MOVE.c.merge_id == merge_id).order_by(_MOVE.c.record_id)
        )
        return [
            MergeMove(
                r.merge_id,
                r.record_id,
                r.from_resident_id,
                r.to_resident_id,
                r.related_record_id,
                r.state,
            )
            for r in rows
        ]

    def set_move_state(self, merge_id: str, record_id: str, state: str) -> None:
        self.s.execute(
            update(_MOVE)
            .where(_MOVE.c.merge_id == merge_id, _MOVE.c.record_id == record_id)
            .values(state=state)
        )

    def cancel_duplicate_task(self, record_id: str, related_record_id: str) -> None:
        """The open duplicate-record task of ``record_id`` about ``related_record_id``."""
        self.s.execute(
            update(TASKS)
            .where(
                TASKS.c.record_id == record_id,
                TASKS.c.related_record_id == related_record_id,
                TASKS.c.kind == DUPLICATE_TASK,
                TASKS.c.state == "open",
            )
            .values(state="cancelled")
        )
