"""The locator's presence table (SQL in one place): per keyed digest of a document, the cell
and the id of the resident that cell holds for it. A cell holds at most one resident per
document (its identity's unique index), hence the key (key id, digest, cell)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from rhip.kit.db import is_postgres
from rhip.locator.claims.store import metadata, person_lock_key
from sqlalchemy.engine import Connection

presence = sa.Table(
    "resident_presence",
    metadata,
    sa.Column("key_id", sa.String(20), primary_key=True),
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("cell", sa.String(6), primary_key=True),
    sa.Column("resident_id", sa.String(36), nullable=False),
    sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class Presence:
    cell: str
    resident_id: str


def _any_of(pairs: Iterable[tuple[str, str]]) -> sa.ColumnElement[bool]:
    return sa.or_(*(sa.and_(presence.c.key_id == k, presence.c.digest == d) for k, d in pairs))


class PresenceStore:
    def __init__(self, conn: Connection) -> None:
        self.s = conn

    def lock_people(self, digests: Iterable[str]) -> None:
        """Serialises announcements of the same documents until the transaction ends
        (PostgreSQL; SQLite writers are serial already): two cells announcing one person at
        once each wrote its own row and read the holders before the other's committed, so
        neither learnt of the other and the residents were never linked. The person's lock
        of a claim (ClaimStore.lock_person), taken in a fixed order against deadlocks."""
        if is_postgres(self.s.engine):
            for digest in sorted(set(digests)):
                self.s.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": person_lock_key(digest)}
                )

    def holders(self, digests: Iterable[tuple[str, str]]) -> list[Presence]:
        """Every (cell, resident) holding a document with one of these (key id, digest)."""
        rows = self.s.execute(
            sa.select(presence.c.cell, presence.c.resident_id)
            .where(_any_of(digests))
            .distinct()
            .order_by(presence.c.cell, presence.c.resident_id)
        )
        return [Presence(r.cell, r.resident_id) for r in rows]

    def put(self, key_id: str, digest: str, cell: str, resident_id: str, now: datetime) -> bool:
        """The cell's resident for this digest is ``resident_id``; True when that changed."""
        where = sa.and_(
            presence.c.key_id == key_id, presence.c.digest == digest, presence.c.cell == cell
        )
        held = self.s.execute(sa.select(presence.c.resident_id).where(where)).scalar()
        if held == resident_id:
            return False
        if held is None:
            self.s.execute(
                presence.insert().values(
                    key_id=key_id, digest=digest, cell=cell, resident_id=resident_id,
                    create_time=now, update_time=now,
                )
            )  # fmt: skip
        else:  # a merge's survivor now holds the document
            self.s.execute(presence.update().where(where).values(resident_id=resident_id,
                                                                  update_time=now))  # fmt: skip
        return True

    def held_by(self, cell: str, resident_id: str) -> list[tuple[str, str]]:
        """(key id, digest) of every document the cell holds ``resident_id`` for."""
        rows = self.s.execute(
            sa.select(presence.c.key_id, presence.c.digest).where(
                presence.c.cell == cell, presence.c.resident_id == resident_id
            )
        )
        return [(r.key_id, r.digest) for r in rows]

    def withdraw(self, cell: str, resident_id: str, pairs: Iterable[tuple[str, str]]) -> int:
        """The cell no longer holds ``resident_id`` for these documents: their rows go, unless
        another resident of the cell took a document over meanwhile (its row stays)."""
        stale = list(pairs)
        if not stale:
            return 0
        result = self.s.execute(
            presence.delete().where(
                _any_of(stale), presence.c.cell == cell, presence.c.resident_id == resident_id
            )
        )
        return int(result.rowcount)

    def drop_other_keys(self, digests: Iterable[tuple[str, str]], current: str, cell: str) -> int:
        """The cell's rows of the same documents under older keys (re-keyed by this call)."""
        stale = [(k, d) for k, d in digests if k != current]
        if not stale:
            return 0
        result = self.s.execute(presence.delete().where(_any_of(stale), presence.c.cell == cell))
        return int(result.rowcount)

    def purge_key(self, key_id: str) -> int:
        return int(self.s.execute(presence.delete().where(presence.c.key_id == key_id)).rowcount)
