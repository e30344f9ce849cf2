"""Ids of what a teleconsultation request or an agreement creates across cells: time-ordered
(UUIDv7, as every other id of the platform, so lists sorted by id follow creation) and still
the same for every retry of one request.

The retry path needs the id, not the time: when the other cell opened its copy and this cell's
answer was lost (or this cell died before its commit), the retry must name the same agreement
or teleconsultation there, or the other cell would hold two. So the id of a request key is
chosen once, at the first attempt, and kept in this cell's database in a transaction of its
own that commits before the other cell is called; every later attempt with that key reads it
back. (Before this table, the id was uuid5 of the request key: same on every retry, but in
random order. Those ids stay. A request whose first attempt ran on that version and whose
retry runs on this one gets a new id: the other cell's copy under the old id, never confirmed
here, is withdrawn by the first move made on it, as any copy of an unfinished request is.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from rhip.kit.db import Database
from rhip.kit.ids import new_id
from rhip.referral.referrals.store import Base
from sqlalchemy import Connection, DateTime, String, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column


class CrossCellIdRow(Base):
    """The id given to one request key (migration referral_0006); kept for good, since a
    retry may come at any time and must find the same id."""

    __tablename__ = "cross_cell_id"
    request_key: Mapped[str] = mapped_column(String(36), primary_key=True)
    id: Mapped[str] = mapped_column(String(36))
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))


CROSS_CELL_IDS = cast(Any, CrossCellIdRow.__table__)


def _insert(conn: Connection) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(CROSS_CELL_IDS)


def reserve_id(db: Database, key: str, now: datetime) -> str:
    """The id of what the request ``key`` creates across cells: a new UUIDv7 at the first
    attempt, the same one at every retry. Committed (durably) before it returns, so that the
    other cell never holds an id this cell could forget; two attempts racing agree on one."""
    with db.transaction() as tx:
        chosen = tx.execute(
            select(CROSS_CELL_IDS.c.id).where(CROSS_CELL_IDS.c.request_key == key)
        ).scalar_one_or_none()
        if chosen is not None:
            return str(chosen)
        tx.execute(
            _insert(tx)
            .values(request_key=key, id=new_id(), create_time=now)
            .on_conflict_do_nothing(index_elements=[CROSS_CELL_IDS.c.request_key])
        )
        return str(
            tx.execute(
                select(CROSS_CELL_IDS.c.id).where(CROSS_CELL_IDS.c.request_key == key)
            ).scalar_one()
        )
