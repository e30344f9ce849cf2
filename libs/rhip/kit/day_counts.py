"""Counts kept per institution and day, read as of any date by summing a few rows: the shape
of the indicator counts that services maintain on write (archives, mch).

Each thing counted is 1 on a set of as-of days (a union of day intervals) and 0 elsewhere, so
it adds +1 on the day an interval opens and -1 on the day it closes, and the count on D is the
sum of every change on or before D. A change goes into its day row and the same change rolled
up into its month and year rows, so the sum as of D reads at most ~50 rows per institution
(earlier years, earlier months of D's year, days of D's month) however long the history.

Writers add with UPSERTs that increment, never read-modify-write, so concurrent increments of
one row are never lost (``DayCounts.add``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from rhip.kit.timestamps import clinical_day
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

Interval = tuple[date, date | None]  # [start, end); None: open-ended
Change = tuple[str, str, date, str]  # (scope path, tenant, day, metric)
RowKey = tuple[str, str, str, date]  # (scope path, tenant, grain, period)
GRAINS = ("year", "month", "day")


def union(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals, key=lambda i: i[0]):
        if merged and (merged[-1][1] is None or start <= merged[-1][1]):
            last_start, last_end = merged[-1]
            wider = None if end is None or last_end is None else max(end, last_end)
            merged[-1] = (last_start, wider)
        else:
            merged.append((start, end))
    return merged


def clip(intervals: Iterable[Interval], bounds: Interval) -> list[Interval]:
    low, high = bounds
    out: list[Interval] = []
    for start, end in intervals:
        start = max(start, low)
        if end is None or (high is not None and high < end):
            end = high
        if end is None or start < end:
            out.append((start, end))
    return out


def minus(intervals: Iterable[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """The days of ``intervals`` outside every one of ``holes``."""
    out = union(intervals)
    for hole_start, hole_end in union(holes):
        kept: list[Interval] = []
        for start, end in out:
            if start < hole_start:  # the part before the hole
                kept.append((start, hole_start if end is None else min(end, hole_start)))
            if hole_end is not None and (end is None or hole_end < end):  # the part after it
                kept.append((max(start, hole_end), end))
        out = [(s, e) for s, e in kept if e is None or s < e]
    return out


def steps(intervals: Iterable[Interval]) -> Iterator[tuple[date, int]]:
    for start, end in intervals:
        yield start, 1
        if end is not None:
            yield end, -1


def period(grain: str, day: date) -> date:
    if grain == "year":
        return day.replace(month=1, day=1)
    if grain == "month":
        return day.replace(day=1)
    return day


def stored_day(value: datetime) -> date:
    """The day of care (China Standard Time) of a stored time: a record created at 01:30 in
    China counts from that day, not from the UTC day before. SQLite hands back naive
    datetimes; every stored time is UTC."""
    return clinical_day(value if value.tzinfo else value.replace(tzinfo=UTC))


def as_of_rows(table: Any, as_of: date) -> sa.ColumnElement[bool]:
    """The rows of a count table whose sum is the counts on ``as_of``: every change on or
    before it, once."""
    year, month = period("year", as_of), period("month", as_of)
    grain, day = table.c.grain, table.c.period
    return sa.or_(
        sa.and_(grain == "year", day < year),
        sa.and_(grain == "month", day >= year, day < month),
        sa.and_(grain == "day", day >= month, day <= as_of),
    )


class DayCounts:
    """One count table: key (scope path, tenant, grain, period) and one integer column per
    metric. ``lock_prefix`` names the advisory locks of its institutions."""

    def __init__(
        self, table: sa.TableClause, key: Sequence[str], metrics: Sequence[str], lock_prefix: str
    ) -> None:
        self.table, self.key, self.metrics, self.lock_prefix = (
            table,
            tuple(key),
            metrics,
            lock_prefix,
        )
        self._upserts = {
            "postgresql": self._upsert(postgresql.insert),
            "sqlite": self._upsert(sqlite.insert),
        }

    def _upsert(self, insert: Any) -> Any:
        statement = insert(self.table)
        return statement.on_conflict_do_update(
            index_elements=list(self.key),
            set_={m: self.table.c[m] + statement.excluded[m] for m in self.metrics},
        )

    def rows(self, changes: Mapping[Change, int]) -> dict[RowKey, dict[str, int]]:
        """The changes rolled into their day, month and year rows; rows that add nothing
        left out."""
        out: dict[RowKey, dict[str, int]] = {}
        for (scope, tenant, day, metric), step in changes.items():
            if not step:
                continue
            for grain in GRAINS:
                row = out.setdefault(
                    (scope, tenant, grain, period(grain, day)), dict.fromkeys(self.metrics, 0)
                )
                row[metric] += step
        return {key: row for key, row in out.items() if any(row.values())}

    def add(self, connection: Connection, changes: Mapping[Change, int]) -> None:
        """Add ``changes`` to the count rows: one UPSERT that increments (a concurrent
        writer's increments are never lost: PostgreSQL re-reads the row it conflicts with under
        its row lock). Rows go in key order, and on PostgreSQL each institution's counts are
        first taken by a transaction-scoped advisory lock (institutions in order): transactions
        that write several times for one institution then cannot lock its rows in opposite
        orders and deadlock; they queue, as their writes of its day rows would anyway."""
        keyed = self.rows(changes)
        if not keyed:
            return
        dialect = connection.dialect.name
        if dialect == "postgresql":
            for tenant in sorted({key[1] for key in keyed}):
                connection.execute(_ADVISORY, {"key": f"{self.lock_prefix}/{tenant}"})
        connection.execute(
            self._upserts[dialect],
            [dict(zip(self.key, key, strict=True), **keyed[key]) for key in sorted(keyed)],
        )


_ADVISORY = sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")
