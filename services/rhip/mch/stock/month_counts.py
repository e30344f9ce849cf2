"""The monthly birth-certificate report's counts, kept per holder and month on write
(``bmc_month_count``), so a province's month sums a few rows per holder instead of reading
every register row of the month and grouping every serial of the province (about 600 ms at
1,000,000 certificates and 3,000,000 serials; tests/perf/RESULTS-bmc.md).

What is counted is exactly what the report computed from the rows (``exact_month``, kept as
the definition and checked against: tests/mch/test_certificates_month_counts.py):

* per register row (``StockStore.record``) of the month, at its holder (``to_holder``) and
  scope: issues by type, issued serials voided, blanks voided, lost and destroyed;
* the blanks on hand (RECEIVED or IN_STOCK) per holder scope, as a running sum of every change
  of a serial into or out of those states (``StockStore.add_serials``, ``move``, ``destroy``).

The changes of one transaction gather on its connection (``note``) and are added in one go
(``flush``) before the transaction's audit row: DayCounts' incrementing UPSERTs under an
advisory lock per holder (rhip.kit.day_counts, as mch's indicators and archives keep theirs),
taken in holder order and always before the audit head's lock, so two writers never wait for
each other the other way round. Only month and year rows are kept (a month's activity; the
on-hand sum of all years): the report never asks for a day.

Months are China Standard Time months, as the report's. The migration (mch_0009b) creates the
table empty with no version stored; the service fills it from the rows after migrating
(``bring_up_to_date``), and ``rebuild`` refills it after a bulk load outside the service."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from rhip.kit.day_counts import Change, DayCounts, RowKey
from rhip.kit.scopes import within_scopes
from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg

CST = timezone(timedelta(hours=8), "CST")
ON_HAND = frozenset({"RECEIVED", "IN_STOCK"})
ACTIVITY = ("first_issued", "replacements", "reissues", "voided_issued", "voided_blank", "lost",
            "destroyed")  # fmt: skip
METRICS = (*ACTIVITY, "on_hand")
_ISSUES = {"FIRST": "first_issued", "REPLACEMENT": "replacements", "REISSUE": "reissues"}
_KINDS = {"VOID_ISSUED": "voided_issued", "VOID_BLANK": "voided_blank", "LOSS": "lost",
          "DESTRUCTION": "destroyed"}  # fmt: skip
VERSION = 1  # what the counts count; a change refills them (bring_up_to_date)

# Plain table clauses: this runs right after migrating, independent of the stores' tables.
COUNT = sa.table(
    "bmc_month_count",
    *(sa.column(c, sa.String) for c in ("scope_path", "holder", "grain")),
    sa.column("period", sa.Date),
    *(sa.column(m, sa.Integer) for m in METRICS),
)
_STATE = sa.table(
    "bmc_month_count_state",
    sa.column("id", sa.Integer),
    sa.column("version", sa.Integer),
    sa.column("update_time", sa.DateTime(timezone=True)),
)
_M = sa.table(
    "bmc_movement",
    *(sa.column(c, sa.String) for c in ("kind", "reason", "to_holder", "scope_path")),
    sa.column("quantity", sa.Integer),
    sa.column("create_time", sa.DateTime(timezone=True)),
)
_S = sa.table("bmc_serial", *(sa.column(c, sa.String) for c in ("serial", "state", "holder_scope")))
_PENDING = "rhip.mch.bmc_month_count"  # the connection's gathered changes
_LOCK = 0x3C4E  # replicas that start together: one fills, the others find it done


class MonthCounts(DayCounts):
    """DayCounts without the day rows (the report reads months and years only)."""

    def rows(self, changes: Mapping[Change, int]) -> dict[RowKey, dict[str, int]]:
        return {k: v for k, v in super().rows(changes).items() if k[2] != "day"}


COUNTS = MonthCounts(
    COUNT, ("scope_path", "holder", "grain", "period"), METRICS, "rhip.mch.bmc_month_count"
)


def cst_day(value: datetime) -> date:
    """The China Standard Time day of a stored time (SQLite hands back naive UTC)."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(CST).date()


def activity_metric(kind: str, reason: str) -> str | None:
    """The report's column of a register row (an issue's reason is its type), or None."""
    return _ISSUES.get(reason) if kind == "ISSUE" else _KINDS.get(kind)


# -- on write ------------------------------------------------------------------------------------
def begin(tx: Connection) -> None:
    """A transaction starts with nothing gathered (the dict lives with the pooled DBAPI
    connection: a rolled-back transaction's leftovers are dropped here)."""
    tx.info[_PENDING] = Counter()


def note(tx: Connection, scope: str, holder: str, day: date, metric: str, step: int) -> None:
    if step:
        pending: Counter[Change] = tx.info.setdefault(_PENDING, Counter())
        pending[(scope, holder, day, metric)] += step


def flush(tx: Connection) -> None:
    """Add what the transaction gathered so far to the counts (its own transaction)."""
    pending: Counter[Change] | None = tx.info.get(_PENDING)
    if pending:
        COUNTS.add(tx, pending)
    tx.info[_PENDING] = Counter()


_PG_ADVISORY = "SELECT pg_advisory_xact_lock(hashtextextended(%(key)s, 0))"
# DayCounts' own UPSERT, compiled once for psycopg (placeholders named after the columns).
_PG_UPSERT = str(
    COUNTS._upserts["postgresql"].compile(
        dialect=pg_psycopg.dialect(), column_keys=[*COUNTS.key, *METRICS]
    )
)


def take_statements(tx: Connection) -> list[tuple[str, list[dict[str, object]]]]:
    """What ``flush`` would run on PostgreSQL for the changes gathered, as SQL and parameter
    rows for a pipeline (rhip.kit.audit.append_and_commit), in the same order (each holder's
    advisory lock, holders in order, then one UPSERT of the rows in key order); the gathered
    changes are taken (cleared)."""
    pending: Counter[Change] | None = tx.info.get(_PENDING)
    tx.info[_PENDING] = Counter()
    keyed = COUNTS.rows(pending or {})
    if not keyed:
        return []
    locks: list[dict[str, object]] = [
        {"key": f"{COUNTS.lock_prefix}/{h}"} for h in sorted({k[1] for k in keyed})
    ]
    rows: list[dict[str, object]] = [
        dict(zip(COUNTS.key, key, strict=True), **keyed[key]) for key in sorted(keyed)
    ]
    return [(_PG_ADVISORY, locks), (_PG_UPSERT, rows)]


# -- reading -------------------------------------------------------------------------------------
def month(tx: Connection, scope: str, start: date) -> dict[str, dict[str, int]]:
    """holder → the report's figures for the CST month starting ``start``: the month's
    activity rows and the sum of the years' on-hand rows, of holders inside ``scope``; holders
    with nothing to show left out."""
    within = within_scopes(COUNT.c.scope_path, [scope])
    out: dict[str, dict[str, int]] = {}
    for row in tx.execute(
        sa.select(COUNT.c.holder, *(sa.func.sum(COUNT.c[m]).label(m) for m in ACTIVITY))
        .where(within, COUNT.c.grain == "month", COUNT.c.period == start)
        .group_by(COUNT.c.holder)
    ):
        out[row.holder] = {m: int(getattr(row, m) or 0) for m in ACTIVITY}
    for row in tx.execute(
        sa.select(COUNT.c.holder, sa.func.sum(COUNT.c.on_hand).label("on_hand"))
        .where(within, COUNT.c.grain == "year")
        .group_by(COUNT.c.holder)
    ):
        out.setdefault(row.holder, dict.fromkeys(ACTIVITY, 0))["on_hand"] = int(row.on_hand or 0)
    return {h: {m: v.get(m, 0) for m in METRICS} for h, v in out.items() if any(v.values())}


def exact_month(
    tx: Connection, scopes: Sequence[str], start: datetime, end: datetime, holder_of: Any
) -> dict[str, dict[str, int]]:
    """The same recomputed from every row (the register rows of the month, every serial of
    the subtree): the definition the kept counts must equal; what the report read before."""
    out: dict[str, dict[str, int]] = {}

    def of(holder: str) -> dict[str, int]:
        return out.setdefault(holder, dict.fromkeys(METRICS, 0))

    for holder, kind, reason, quantity in tx.execute(
        sa.select(_M.c.to_holder, _M.c.kind, _M.c.reason, sa.func.sum(_M.c.quantity))
        .where(
            within_scopes(_M.c.scope_path, scopes),
            _M.c.kind.in_(["ISSUE", "VOID_ISSUED", "VOID_BLANK", "LOSS", "DESTRUCTION"]),
            _M.c.create_time >= start,
            _M.c.create_time < end,
        )
        .group_by(_M.c.to_holder, _M.c.kind, _M.c.reason)
    ):
        if metric := activity_metric(kind, reason):
            of(holder)[metric] += int(quantity or 0)
    for holder_scope, count in tx.execute(
        sa.select(_S.c.holder_scope, sa.func.count())
        .where(within_scopes(_S.c.holder_scope, scopes), _S.c.state.in_(sorted(ON_HAND)))
        .group_by(_S.c.holder_scope)
    ):
        of(holder_of(holder_scope))["on_hand"] += int(count)
    return {h: v for h, v in out.items() if any(v.values())}


# -- filling -------------------------------------------------------------------------------------
def backfill(tx: Connection, holder_of: Any, batch: int = 50_000) -> int:
    """Fill empty count rows from the register and the serials (what the writes would have
    added); returns the register rows read. Streams the register in batches of rows."""
    pending: Counter[Change] = Counter()
    read = 0
    result = tx.execute(
        sa.select(_M.c.kind, _M.c.reason, _M.c.to_holder, _M.c.scope_path, _M.c.quantity,
                  _M.c.create_time)
        .where(_M.c.kind.in_(["ISSUE", "VOID_ISSUED", "VOID_BLANK", "LOSS", "DESTRUCTION"]))
        .execution_options(yield_per=batch)
    )  # fmt: skip
    for kind, reason, holder, scope, quantity, created in result:
        read += 1
        if metric := activity_metric(kind, reason):
            pending[(scope, holder, cst_day(created).replace(day=1), metric)] += quantity
    today = datetime.now(CST).date()
    for holder_scope, count in tx.execute(
        sa.select(_S.c.holder_scope, sa.func.count())
        .where(_S.c.state.in_(sorted(ON_HAND)))
        .group_by(_S.c.holder_scope)
    ):
        pending[(holder_scope, holder_of(holder_scope), today, "on_hand")] += int(count)
    COUNTS.add(tx, pending)
    return read


def rebuild(tx: Connection, holder_of: Any) -> int:
    """Recompute every count row from the rows (after a bulk load outside the service)."""
    tx.execute(sa.delete(COUNT))
    return backfill(tx, holder_of)


def bring_up_to_date(tx: Connection, holder_of: Any) -> int | None:
    """Refill the counts when the stored version is not ``VERSION`` (right after mch_0009b
    created the table, or after what is counted changed); None when already current. One
    transaction: readers see the old counts or the new."""
    if tx.dialect.name == "postgresql":
        tx.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK})
    stored = tx.execute(sa.select(_STATE.c.version).where(_STATE.c.id == 1)).scalar()
    if stored == VERSION:
        return None
    done = rebuild(tx, holder_of)
    tx.execute(sa.delete(_STATE))
    tx.execute(sa.insert(_STATE).values(id=1, version=VERSION, update_time=datetime.now(UTC)))
    return done
