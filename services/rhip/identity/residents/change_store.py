"""The cell's resident change feed: a commit-ordered outbox of deaths, merges and undone merges.

Other services of the cell (archives) read it after a cursor and must never skip an entry. A
plain sequence or autoincrement column does not give that on PostgreSQL: values are taken at
insert time but become visible at commit, so a reader can see 6 while 5 is still in flight,
move its cursor to 6 and miss 5 forever. Here the next sequence comes from a one-row head
(``resident_change_head``) read ``FOR UPDATE`` in the writer's own transaction, the way the
audit chain takes its sequence: a second writer waits for the first to commit or roll back, so
sequences become visible in order and without gaps. Deaths and merges are rare, and the head
is taken at the end of their transaction, so the wait is short. (SQLite writers are serialised
by ``BEGIN IMMEDIATE`` already.)

Entries carry ids, kinds and dates only, never a name, a document number or a phone.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from rhip.identity.directory.store import Base
from rhip.identity.residents.domain import ChangeKind, ResidentChange
from rhip.kit.db import utc
from sqlalchemy import BigInteger, Connection, Date, DateTime, Integer, String, func, insert, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Mapped, mapped_column


class ResidentChangeRow(Base):
    __tablename__ = "resident_change"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(20))
    resident_id: Mapped[str] = mapped_column(String(36))
    death_date: Mapped[date | None] = mapped_column(Date)
    survivor_id: Mapped[str] = mapped_column(String(36))
    merge_id: Mapped[str] = mapped_column(String(36))
    actor: Mapped[str] = mapped_column(String(80))
    change_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ResidentChangeHeadRow(Base):
    """One row (id 1): the last sequence handed out. Locking it orders the writers."""

    __tablename__ = "resident_change_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)


_CHG = cast(Any, ResidentChangeRow.__table__)
_HEAD = cast(Any, ResidentChangeHeadRow.__table__)


def publish(
    tx: Connection,
    kind: ChangeKind,
    resident_id: str,
    actor: str,
    now: datetime,
    *,
    death_date: date | None = None,
    survivor_id: str = "",
    merge_id: str = "",
) -> int:
    """Append a change in the caller's transaction (it commits or rolls back with the change
    it describes); returns its sequence. Holds the head lock until that transaction ends."""
    last = tx.execute(select(_HEAD.c.seq).where(_HEAD.c.id == 1).with_for_update()).scalar_one()
    seq = int(last) + 1
    tx.execute(sql_update(_HEAD).where(_HEAD.c.id == 1).values(seq=seq))
    tx.execute(
        insert(_CHG).values(
            seq=seq,
            kind=kind.value,
            resident_id=resident_id,
            death_date=death_date,
            survivor_id=survivor_id,
            merge_id=merge_id,
            actor=actor,
            change_time=now,
        )
    )
    return seq


def changes_after(conn: Connection, after: int, limit: int) -> list[ResidentChange]:
    """Committed changes with a sequence above ``after``, oldest first."""
    rows = conn.execute(select(_CHG).where(_CHG.c.seq > after).order_by(_CHG.c.seq).limit(limit))
    return changes_from_rows(rows)


def changes_from_rows(rows: Any) -> list[ResidentChange]:
    """Feed rows as domain changes (also for the linked cells' filtered read, links/store.py)."""
    return [
        ResidentChange(
            seq=int(r.seq),
            kind=ChangeKind(r.kind),
            resident_id=r.resident_id,
            change_time=utc(r.change_time),  # type: ignore[arg-type]
            actor=r.actor,
            death_date=r.death_date,
            survivor_id=r.survivor_id,
            merge_id=r.merge_id,
        )
        for r in rows
    ]


def head_sequence(conn: Connection) -> int:
    """The highest committed sequence (0 for an empty feed)."""
    return int(conn.execute(select(func.coalesce(func.max(_CHG.c.seq), 0))).scalar_one())
