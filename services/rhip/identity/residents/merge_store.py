"""The resident merges table and its repository: what a merge moved, so an undo restores it.
The use case owns the transaction; nothing here commits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from rhip.identity.directory.store import Base
from rhip.identity.residents.domain import MergeRecord
from rhip.kit.db import utc
from sqlalchemy import Connection, DateTime, String, Text, insert, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column


class ResidentMergeRow(Base):
    __tablename__ = "resident_merge"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    survivor_id: Mapped[str] = mapped_column(String(36), index=True)
    merged_id: Mapped[str] = mapped_column(String(36), index=True)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    moved: Mapped[str] = mapped_column(Text)  # JSON: what moved, so an undo restores it
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    undo_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    undo_reason: Mapped[str] = mapped_column(String(500))
    request_id: Mapped[str | None] = mapped_column(String(36), unique=True)


_MRG = cast(Any, ResidentMergeRow.__table__)


class MergeRepository:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    # -- merges ------------------------------------------------------------------------------
    def add_merge(self, merge: MergeRecord, request_id: str) -> None:
        self.s.execute(
            insert(_MRG).values(
                id=merge.merge_id,
                survivor_id=merge.survivor_id,
                merged_id=merge.merged_id,
                state=merge.state,
                reason=merge.reason,
                moved=json.dumps(merge.moved, sort_keys=True),
                create_time=merge.create_time,
                undo_time=None,
                undo_reason="",
                request_id=request_id or None,
            )
        )

    def get_merge(self, merge_id: str, *, for_update: bool = False) -> MergeRecord | None:
        query = select(_MRG).where(_MRG.c.id == merge_id)
        if for_update:
            query = query.with_for_update()
        row = self.s.execute(query).first()
        return self._merge(row) if row else None

    def merge_by_request(self, request_id: str) -> MergeRecord | None:
        row = self.s.execute(select(_MRG).where(_MRG.c.request_id == request_id)).first()
        return self._merge(row) if row else None

    def later_active_merges(self, resident_ids: Sequence[str], since: datetime) -> int:
        """Active merges after ``since`` that touch these residents (they block an undo)."""
        query = select(_MRG.c.id).where(
            _MRG.c.state == "active",
            _MRG.c.create_time > since,
            or_(
                _MRG.c.survivor_id.in_(list(resident_ids)), _MRG.c.merged_id.in_(list(resident_ids))
            ),
        )
        return len(self.s.execute(query).all())

    def mark_merge_undone(self, merge_id: str, reason: str, now: datetime) -> None:
        self.s.execute(
            update(_MRG)
            .where(_MRG.c.id == merge_id)
            .values(state="undone", undo_time=now, undo_reason=reason)
        )

    @staticmethod
    def _merge(row: Any) -> MergeRecord:
        return MergeRecord(
            merge_id=row.id,
            survivor_id=row.survivor_id,
            merged_id=row.merged_id,
            state=row.state,
            reason=row.reason,
            moved=json.loads(row.moved),
            create_time=utc(row.create_time),  # type: ignore[arg-type]
            undo_time=utc(row.undo_time),
            undo_reason=row.undo_reason,
        )
