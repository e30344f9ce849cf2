"""The locator's table (SQL in one place): claims by keyed digest, cell and record."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from rhip.kit.audit_pipeline import pipeline_supported
from rhip.kit.db import is_postgres
from rhip.locator.claims.domain import Claim
from sqlalchemy.engine import Connection

metadata = sa.MetaData()
claims = sa.Table(
    "open_record_claim",
    metadata,
    sa.Column("cell", sa.String(6), primary_key=True),
    sa.Column("record_id", sa.String(36), primary_key=True),
    sa.Column("key_id", sa.String(20), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("resident_id", sa.String(36), nullable=False),
    sa.Column("institution", sa.String(200), nullable=False),
    sa.Column("region_code", sa.String(6), nullable=False),
    sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
)


def person_lock_key(digest: str) -> int:
    """The advisory lock of a person: the first 60 bits of the digest (a bigint)."""
    return int(digest[:15], 16)


def _claim(row: Any) -> Claim:
    """A claim from a row with the table's column names as attributes."""
    return Claim(
        row.key_id, row.digest, row.cell, row.resident_id, row.record_id,
        row.institution, row.region_code,
    )  # fmt: skip


class ClaimStore:
    def __init__(self, conn: Connection) -> None:
        self.s = conn

    def lock_person(self, digest: str) -> None:
        """Serialises claims of one person (PostgreSQL; SQLite writers are serial already)."""
        if is_postgres(self.s.engine):
            self.s.execute(
                sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": person_lock_key(digest)}
            )

    def of_person_locked(self, digest: str, digests: Iterable[tuple[str, str]]) -> list[Claim]:
        """The person's claims, read once the person's lock (``lock_person``) is held. With
        psycopg the lock and the read go in one round trip (pipeline mode; the transaction's
        BEGIN with them): the server still runs the read after the lock is granted, with a
        snapshot taken then, so it sees every claim the holder it waited for committed. Two
        round trips fewer on every claim, each a wait for the interpreter lock in a busy
        gateway (tests/perf/RESULTS-locator.md)."""
        if not pipeline_supported(self.s):
            self.lock_person(digest)
            return self.of_person(digests)
        import psycopg  # there: pipeline_supported
        from psycopg.rows import namedtuple_row

        pairs = list(digests)
        where = " OR ".join("(key_id = %s AND digest = %s)" for _ in pairs)
        columns = ", ".join(c.name for c in claims.columns)
        sql = f"SELECT {columns} FROM {claims.name} WHERE {where} ORDER BY create_time"  # noqa: S608
        params = [value for pair in pairs for value in pair]
        connection = self.s.connection.driver_connection
        assert connection is not None
        try:
            with connection.pipeline(), connection.cursor(row_factory=namedtuple_row) as cursor:
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (person_lock_key(digest),))
                cursor.execute(sql, params)
                rows = cursor.fetchall()
        except psycopg.OperationalError as error:
            # As SQLAlchemy would raise it: the database's translation makes it UNAVAILABLE
            # (the lock not granted in time, the server gone), so archives fails closed with
            # LOCATOR_UNAVAILABLE as on every other statement of the claim.
            raise sa.exc.OperationalError(sql, params, error) from error
        return [_claim(row) for row in rows]

    def of_person(self, digests: Iterable[tuple[str, str]]) -> list[Claim]:
        pairs = list(digests)
        where = sa.or_(*(sa.and_(claims.c.key_id == k, claims.c.digest == d) for k, d in pairs))
        rows = self.s.execute(sa.select(claims).where(where).order_by(claims.c.create_time))
        return [_claim(r) for r in rows]

    def get(self, cell: str, record_id: str) -> Claim | None:
        row = self.s.execute(
            sa.select(claims).where(claims.c.cell == cell, claims.c.record_id == record_id)
        ).first()
        return _claim(row) if row else None

    def add(self, claim: Claim, now: datetime) -> None:
        self.s.execute(
            claims.insert().values(
                cell=claim.cell, record_id=claim.record_id, key_id=claim.key_id,
                digest=claim.digest, resident_id=claim.resident_id,
                institution=claim.institution, region_code=claim.region_code,
                create_time=now, update_time=now,
            )
        )  # fmt: skip

    def refresh(self, claim: Claim, now: datetime) -> None:
        """A claim again: under the current key, with the details the cell gives now."""
        self.s.execute(
            claims.update()
            .where(claims.c.cell == claim.cell, claims.c.record_id == claim.record_id)
            .values(
                key_id=claim.key_id, digest=claim.digest, resident_id=claim.resident_id,
                institution=claim.institution, region_code=claim.region_code, update_time=now,
            )
        )  # fmt: skip

    def remove(self, cell: str, record_id: str) -> bool:
        result = self.s.execute(
            claims.delete().where(claims.c.cell == cell, claims.c.record_id == record_id)
        )
        return bool(result.rowcount)

    def move(self, source: Claim, destination: Claim, now: datetime) -> None:
        self.s.execute(
            claims.update()
            .where(claims.c.cell == source.cell, claims.c.record_id == source.record_id)
            .values(
                cell=destination.cell, record_id=destination.record_id,
                resident_id=destination.resident_id, institution=destination.institution,
                region_code=destination.region_code, update_time=now,
            )
        )  # fmt: skip

    def doubles(self) -> list[list[Claim]]:
        """Groups of claims of one person (one digest) held by more than one cell."""
        grouped = (
            sa.select(claims.c.key_id, claims.c.digest)
            .group_by(claims.c.key_id, claims.c.digest)
            .having(sa.func.count(sa.distinct(claims.c.cell)) > 1)
            .subquery()
        )
        rows = self.s.execute(
            sa.select(claims)
            .join(
                grouped,
                sa.and_(claims.c.key_id == grouped.c.key_id, claims.c.digest == grouped.c.digest),
            )
            .order_by(claims.c.key_id, claims.c.digest, claims.c.cell)
        )
        groups: dict[tuple[str, str], list[Claim]] = {}
        for row in rows:
            groups.setdefault((row.key_id, row.digest), []).append(_claim(row))
        return list(groups.values())

    def purge_key(self, key_id: str) -> int:
        return int(self.s.execute(claims.delete().where(claims.c.key_id == key_id)).rowcount)

    def count_by_key(self) -> dict[str, int]:
        rows = self.s.execute(sa.select(claims.c.key_id, sa.func.count()).group_by(claims.c.key_id))
        return {str(k): int(n) for k, n in rows}
