"""Tables of the residents linked across cells (SQL in one place; nothing here commits):

- ``resident_link``: this cell's resident ↔ (another cell, its resident). ``moved_by_merge``
  and ``moved_from`` remember a relink made by a merge (there or here), so its undo puts the
  link back exactly. A link the two residents no longer share a document for is removed; the
  resident's history keeps it (LINKED, then UNLINKED), as it keeps the moves.
- ``resident_announcement``: residents to announce to the locator (an outbox written in the
  registration's own transaction; the link worker empties it, so a locator that is down delays
  the links and never the registration).
- ``linked_feed_cursor``: how far this cell has read each linked cell's change feed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from rhip.identity.directory.store import Base
from rhip.identity.links.domain import Link
from rhip.identity.residents.change_store import ResidentChangeRow, changes_from_rows
from rhip.identity.residents.domain import ResidentChange
from rhip.kit.db import utc
from sqlalchemy import (
    BigInteger,
    Connection,
    DateTime,
    Index,
    Integer,
    String,
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column


class ResidentLinkRow(Base):
    __tablename__ = "resident_link"
    __table_args__ = (Index("ix_resident_link_remote", "cell", "remote_resident_id"),)
    resident_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cell: Mapped[str] = mapped_column(String(6), primary_key=True)
    remote_resident_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    moved_by_merge: Mapped[str] = mapped_column(String(36))
    moved_from: Mapped[str] = mapped_column(String(36))
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ResidentAnnouncementRow(Base):
    __tablename__ = "resident_announcement"
    resident_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer)
    # Bumped by each queueing: a pass removes the row only if nothing queued it meanwhile.
    generation: Mapped[int] = mapped_column(Integer)
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LinkedFeedCursorRow(Base):
    __tablename__ = "linked_feed_cursor"
    cell: Mapped[str] = mapped_column(String(6), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    update_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))


_LINK = cast(Any, ResidentLinkRow.__table__)
_ANN = cast(Any, ResidentAnnouncementRow.__table__)
_CUR = cast(Any, LinkedFeedCursorRow.__table__)
_CHG = cast(Any, ResidentChangeRow.__table__)


def announce_later(s: Connection, resident_id: str, now: datetime) -> None:
    """Queue ``resident_id`` for the locator, in the caller's transaction (idempotent)."""
    queued = s.execute(select(_ANN.c.resident_id).where(_ANN.c.resident_id == resident_id))
    if queued.first() is None:
        s.execute(
            insert(_ANN).values(resident_id=resident_id, attempts=0, generation=1, create_time=now)
        )
    else:  # queued again (a merge while a pass announces it): that pass must not remove it
        s.execute(
            update(_ANN)
            .where(_ANN.c.resident_id == resident_id)
            .values(generation=_ANN.c.generation + 1, attempts=0)
        )


def move_links(s: Connection, from_id: str, to_id: str, merge_id: str) -> list[list[str]]:
    """A merge here: the merged resident's links go to the survivor (the same person); returns
    [cell, remote id] of each moved link, for the undo."""
    rows = s.execute(select(_LINK).where(_LINK.c.resident_id == from_id)).all()
    moved = []
    for row in rows:
        taken = s.execute(
            select(_LINK.c.resident_id).where(
                _LINK.c.resident_id == to_id, _LINK.c.cell == row.cell,
                _LINK.c.remote_resident_id == row.remote_resident_id,
            )
        ).first()  # fmt: skip
        s.execute(
            delete(_LINK).where(
                _LINK.c.resident_id == from_id, _LINK.c.cell == row.cell,
                _LINK.c.remote_resident_id == row.remote_resident_id,
            )
        )  # fmt: skip
        if taken is None:
            s.execute(
                insert(_LINK).values(
                    resident_id=to_id, cell=row.cell, remote_resident_id=row.remote_resident_id,
                    moved_by_merge=merge_id, moved_from=from_id, create_time=row.create_time,
                )
            )  # fmt: skip
        moved.append([row.cell, row.remote_resident_id])
    return moved


def move_links_back(
    s: Connection, moved: Sequence[Sequence[str]], survivor: str, merged: str, now: datetime
) -> None:
    """The undo of ``move_links``."""
    for cell, remote in moved:
        s.execute(
            delete(_LINK).where(
                _LINK.c.resident_id == survivor, _LINK.c.cell == cell,
                _LINK.c.remote_resident_id == remote,
            )
        )  # fmt: skip
        if not _exists(s, merged, cell, remote):
            s.execute(
                insert(_LINK).values(
                    resident_id=merged, cell=cell, remote_resident_id=remote,
                    moved_by_merge="", moved_from="", create_time=now,
                )
            )  # fmt: skip


def _exists(s: Connection, resident_id: str, cell: str, remote: str) -> bool:
    return (
        s.execute(
            select(_LINK.c.resident_id).where(
                _LINK.c.resident_id == resident_id,
                _LINK.c.cell == cell,
                _LINK.c.remote_resident_id == remote,
            )
        ).first()
        is not None
    )


def _link(row: Any) -> Link:
    return Link(row.resident_id, row.cell, row.remote_resident_id, utc(row.create_time))  # type: ignore[arg-type]


class LinkRepository:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    # -- links -------------------------------------------------------------------------------
    def links_of(self, resident_id: str) -> list[Link]:
        rows = self.s.execute(
            select(_LINK).where(_LINK.c.resident_id == resident_id).order_by(_LINK.c.cell)
        )
        return [_link(r) for r in rows]

    def add(self, resident_id: str, cell: str, remote: str, now: datetime) -> bool:
        """True when the link is new."""
        if _exists(self.s, resident_id, cell, remote):
            return False
        self.s.execute(
            insert(_LINK).values(
                resident_id=resident_id, cell=cell, remote_resident_id=remote,
                moved_by_merge="", moved_from="", create_time=now,
            )
        )  # fmt: skip
        return True

    def remove(self, resident_id: str, cell: str, remote: str) -> Link | None:
        """The link goes (the two residents no longer share a document); returns it, or None
        when there was none. Its history stays in the resident's events (UNLINKED)."""
        where = and_(
            _LINK.c.resident_id == resident_id, _LINK.c.cell == cell,
            _LINK.c.remote_resident_id == remote,
        )  # fmt: skip
        row = self.s.execute(select(_LINK).where(where)).first()
        if row is None:
            return None
        self.s.execute(delete(_LINK).where(where))
        return _link(row)

    def linked_to(self, cell: str, remote: str) -> list[str]:
        """This cell's residents linked to ``remote`` of ``cell``."""
        rows = self.s.execute(
            select(_LINK.c.resident_id).where(
                _LINK.c.cell == cell, _LINK.c.remote_resident_id == remote
            )
        )
        return [r.resident_id for r in rows]

    def relink(self, cell: str, remote: str, to: str, merge_id: str, now: datetime) -> list[str]:
        """A merge in ``cell``: links to ``remote`` now name ``to``; returns the local residents."""
        moved = []
        for resident_id in self.linked_to(cell, remote):
            self.s.execute(
                delete(_LINK).where(
                    _LINK.c.resident_id == resident_id, _LINK.c.cell == cell,
                    _LINK.c.remote_resident_id == remote,
                )
            )  # fmt: skip
            if _exists(self.s, resident_id, cell, to):
                # The survivor's announcement linked it already (LinkResident may come first):
                # the row still records the merge, so that its undo moves it back.
                self.s.execute(
                    update(_LINK)
                    .where(
                        _LINK.c.resident_id == resident_id, _LINK.c.cell == cell,
                        _LINK.c.remote_resident_id == to,
                    )
                    .values(moved_by_merge=merge_id, moved_from=remote)
                )  # fmt: skip
            else:
                self.s.execute(
                    insert(_LINK).values(
                        resident_id=resident_id, cell=cell, remote_resident_id=to,
                        moved_by_merge=merge_id, moved_from=remote, create_time=now,
                    )
                )  # fmt: skip
            moved.append(resident_id)
        return moved

    def unrelink(self, cell: str, merge_id: str) -> list[tuple[str, str, str]]:
        """The undo of a merge in ``cell``: the links it moved go back; returns (local
        resident, from, back to) of each."""
        rows = self.s.execute(
            select(_LINK).where(_LINK.c.cell == cell, _LINK.c.moved_by_merge == merge_id)
        ).all()
        back = []
        for row in rows:
            self.s.execute(
                delete(_LINK).where(
                    _LINK.c.resident_id == row.resident_id, _LINK.c.cell == cell,
                    _LINK.c.remote_resident_id == row.remote_resident_id,
                )
            )  # fmt: skip
            if not _exists(self.s, row.resident_id, cell, row.moved_from):
                self.s.execute(
                    insert(_LINK).values(
                        resident_id=row.resident_id, cell=cell,
                        remote_resident_id=row.moved_from, moved_by_merge="", moved_from="",
                        create_time=row.create_time,
                    )
                )  # fmt: skip
            back.append((row.resident_id, row.remote_resident_id, row.moved_from))
        return back

    def linked_cells(self) -> list[str]:
        rows = self.s.execute(select(_LINK.c.cell).distinct().order_by(_LINK.c.cell))
        return [r.cell for r in rows]

    # -- announcements -----------------------------------------------------------------------
    def pending(self, limit: int) -> list[str]:
        """The queue, fewest failed attempts first: a resident the other cell keeps refusing
        cannot hold up the others."""
        rows = self.s.execute(
            select(_ANN.c.resident_id)
            .order_by(_ANN.c.attempts, _ANN.c.create_time, _ANN.c.resident_id)
            .limit(limit)
        )
        return [r.resident_id for r in rows]

    def generation(self, resident_id: str) -> int | None:
        """How often the resident was queued (None: not queued)."""
        return self.s.execute(
            select(_ANN.c.generation).where(_ANN.c.resident_id == resident_id)
        ).scalar()

    def announced(self, resident_id: str, generation: int | None) -> None:
        """Off the queue, unless queued again since ``generation`` was read."""
        where = _ANN.c.resident_id == resident_id
        if generation is not None:
            where = and_(where, _ANN.c.generation == generation)
        self.s.execute(delete(_ANN).where(where))

    def failed(self, resident_id: str, give_up_after: int) -> bool:
        """One more failed attempt; after ``give_up_after`` the resident leaves the queue
        (``rhip admin locator-backfill`` announces it again). True when it left."""
        self.s.execute(
            update(_ANN)
            .where(_ANN.c.resident_id == resident_id)
            .values(attempts=_ANN.c.attempts + 1)
        )
        done = self.s.execute(
            delete(_ANN).where(_ANN.c.resident_id == resident_id, _ANN.c.attempts >= give_up_after)
        )
        return bool(done.rowcount)

    # -- the linked cells' feeds -------------------------------------------------------------
    def cursor(self, cell: str) -> int:
        seq = self.s.execute(select(_CUR.c.seq).where(_CUR.c.cell == cell)).scalar()
        return int(seq or 0)

    def lock_cursor(self, cell: str, now: datetime) -> int:
        """The cursor of ``cell``'s feed, locked until the transaction ends: applying a
        change and moving the cursor is serial per cell, whatever number of identity replicas
        run the worker (SQLite writers are serial already)."""
        query = select(_CUR.c.seq).where(_CUR.c.cell == cell).with_for_update()
        seq = self.s.execute(query).scalar()
        if seq is None:  # a first change of the cell
            self._first_cursor(cell, now)
            seq = self.s.execute(query).scalar()
        return int(seq or 0)

    def _first_cursor(self, cell: str, now: datetime) -> None:
        """The cell's cursor row at 0; a racing first insert (another replica, or a pass run
        beside the worker) already wrote it, and its row is then the one to lock."""
        try:
            with self.s.begin_nested():
                self.s.execute(insert(_CUR).values(cell=cell, seq=0, update_time=now))
        except IntegrityError:
            pass

    def set_cursor(self, cell: str, seq: int, now: datetime) -> None:
        if self.s.execute(select(_CUR.c.cell).where(_CUR.c.cell == cell)).first() is None:
            self._first_cursor(cell, now)
        self.s.execute(
            update(_CUR).where(_CUR.c.cell == cell, _CUR.c.seq < seq)
            .values(seq=seq, update_time=now)
        )  # fmt: skip

    # -- this cell's feed, for a linked cell -------------------------------------------------
    def changes_for(self, cell: str, after: int, limit: int) -> tuple[list[ResidentChange], int]:
        """Changes of this cell's feed after ``after`` about residents linked to ``cell`` (the
        resident or the survivor), filtered in SQL; and how far the feed was read."""
        head = int(self.s.execute(select(func.coalesce(func.max(_CHG.c.seq), 0))).scalar_one())
        linked = exists().where(
            _LINK.c.cell == cell,
            or_(
                _LINK.c.resident_id == _CHG.c.resident_id, _LINK.c.resident_id == _CHG.c.survivor_id
            ),
        )
        rows = self.s.execute(
            select(_CHG)
            .where(and_(_CHG.c.seq > after, _CHG.c.seq <= head, linked))
            .order_by(_CHG.c.seq)
            .limit(limit)
        ).all()
        changes = changes_from_rows(rows)
        read = changes[-1].seq if len(changes) == limit else max(head, after)
        return changes, read
