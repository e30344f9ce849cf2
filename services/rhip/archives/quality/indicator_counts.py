"""The indicator counts (§2.8) kept per institution and date, so that a region's indicators on
any as-of date are a sum of a few rows instead of a pass over every record.

The indicators of a region on a date D add up six counts over its institutions: records in
force, dynamic (used) records, qualified records, open follow-up plans, plans followed (at
least four visits of the programme within the year) and plans timely (next due on or after D).
Each count of one record is 1 on a set of days that follows from the record's own rows — a
union of day intervals — and 0 elsewhere. So a record contributes +1 on the day an interval
opens and -1 on the day it closes, and the count on D is the sum of every change on or before
D: past, present and future as-of dates alike, with no fallback.

The rules mirror the exact recomputation (``ArchivesRepository.exact_indicator_counts``) and
use only the current rows, as it does: a record counts for its current managing institution,
its current state (not a draft, not handed over to another cell), qualification and plans, from
the China day of its ``create_time`` until its ``termination_date``.

The store recomputes a record's contribution before and after each write of its record,
visits or plans, in the same transaction, and adds the difference to ``indicator_count``:
one row per institution and day, and the same changes rolled up per month and per year, so a
read takes at most ~50 rows per institution (earlier years, earlier months of D's year,
days of D's month) however long the history. The migration that creates the table fills it
with ``backfill``.

Concurrent writers add with UPSERTs that increment (``ON CONFLICT DO UPDATE SET n = n +
excluded.n``), never read-modify-write, so no increment is lost, and a read stays a handful of
rows (append-only delta rows aggregated on read would grow with every write and need a
compactor). The record's row lock makes the before/after of one record's writes take turns;
``add`` explains how the count rows avoid deadlocks. The day, month and year rows, their
UPSERTs and the interval helpers are rhip.kit.day_counts, shared with mch's indicator counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from rhip.kit.day_counts import (
    Change,
    DayCounts,
    Interval,
    as_of_rows,
    clip,
    steps,
    stored_day,
    union,
)
from sqlalchemy import Connection

METRICS = ("records", "dynamic", "qualified", "plans", "followed", "timely")
# Bump whenever a rule below changes what a record counts for: the service then recomputes
# every count row once after migrating (``bring_up_to_date``), instead of a migration
# importing this module and freezing whatever it said on the day it ran.
RULES_VERSION = 2  # 2: days of creation are China days (stored_day)
# A visit or check-up on day v makes the record dynamic (used) on [v, v + 365).
USE_WINDOW = timedelta(days=365)
FOLLOWED_VISITS = 4  # visits of a programme within the window for a plan to count as followed

# The columns the counts read and write, as plain table clauses: the migration that creates
# the table runs this code too, so it must not depend on the service's latest table classes.
RECORDS = sa.table(
    "health_record",
    sa.column("id", sa.String),
    sa.column("managing_tenant_id", sa.String),
    sa.column("scope_path", sa.String),
    sa.column("state", sa.String),
    sa.column("create_time", sa.DateTime(timezone=True)),
    sa.column("termination_date", sa.Date),
    sa.column("missing_items", sa.Integer),
)
FOLLOW_UPS = sa.table(
    "follow_up",
    sa.column("record_id", sa.String),
    sa.column("program", sa.String),
    sa.column("visit_date", sa.Date),
)
CHECK_UPS = sa.table("check_up", sa.column("record_id", sa.String), sa.column("exam_date", sa.Date))
PLANS = sa.table(
    "follow_up_plan",
    sa.column("record_id", sa.String),
    sa.column("program", sa.String),
    sa.column("state", sa.String),
    sa.column("next_due_date", sa.Date),
)
COUNT_KEY = ("scope_path", "managing_tenant_id", "grain", "period")
COUNT = sa.table(
    "indicator_count",
    sa.column("scope_path", sa.String),
    sa.column("managing_tenant_id", sa.String),
    sa.column("grain", sa.String),
    sa.column("period", sa.Date),
    *(sa.column(m, sa.Integer) for m in METRICS),
)

_RULES = sa.table(
    "indicator_rules",
    sa.column("id", sa.Integer),
    sa.column("version", sa.Integer),
    sa.column("update_time", sa.DateTime(timezone=True)),
)
# Replicas that start together: one recomputes, the others wait and then find it done.
_RULES_LOCK = 0x1D1C


# The day, month and year rows and their UPSERTs: the shape mch's counts share.
COUNTS = DayCounts(COUNT, COUNT_KEY, METRICS, "rhip.archives.indicator_count")
__all__ = ["as_of_rows"]  # read by the quality store with the table


@dataclass(frozen=True)
class PlanFacts:
    open: bool
    next_due: date
    visits: tuple[date, ...]  # this programme's follow-up visits, repeats kept


@dataclass(frozen=True)
class RecordFacts:
    """What the counts of one record depend on."""

    tenant_id: str
    scope_path: str
    counted: bool  # not a draft
    created: date  # China day of create_time
    terminated: date | None
    qualified: bool  # no required item missing
    visits: tuple[date, ...]  # follow-up visits and check-ups of every programme
    plans: tuple[PlanFacts, ...]


# -- the contribution of one record ------------------------------------------------------------
def _windows(days: Sequence[date]) -> list[Interval]:
    """Days with a visit within the window: the union of [v, v + window)."""
    return union((v, v + USE_WINDOW) for v in days)


def _followed(visits: Sequence[date]) -> list[Interval]:
    """Days on which at least FOLLOWED_VISITS visits fall within the window: for visits sorted
    v1 ≤ v2 ≤ …, on D ≥ vk (the latest visit by D) the count reaches four exactly while
    v(k-3) is in the window, so the days are the union of [vk, v(k-3) + window)."""
    ordered = sorted(visits)
    n = FOLLOWED_VISITS - 1
    return union(
        (ordered[k], ordered[k - n] + USE_WINDOW)
        for k in range(n, len(ordered))
        if ordered[k] < ordered[k - n] + USE_WINDOW
    )


def contribution(facts: RecordFacts | None) -> Counter[Change]:
    """The record's changes per (scope, tenant, day, metric); empty for a record that never
    counts (a draft, missing, or terminated on or before its creation day)."""
    out: Counter[Change] = Counter()
    if facts is None or not facts.counted:
        return out
    in_force: Interval = (facts.created, facts.terminated)
    if facts.terminated is not None and facts.terminated <= facts.created:
        return out
    by_metric: dict[str, list[Interval]] = {
        "records": [in_force],
        "qualified": [in_force] if facts.qualified else [],
        "dynamic": clip(_windows(sorted(set(facts.visits))), in_force),
        "plans": [],
        "followed": [],
        "timely": [],
    }
    for plan in facts.plans:
        if not plan.open:
            continue
        by_metric["plans"].append(in_force)
        by_metric["followed"] += clip(_followed(plan.visits), in_force)
        by_metric["timely"] += clip([(date.min, plan.next_due + timedelta(days=1))], in_force)
    for metric, intervals in by_metric.items():
        for day, step in steps(intervals):
            out[(facts.scope_path, facts.tenant_id, day, metric)] += step
    return out


def change(before: RecordFacts | None, after: RecordFacts | None) -> Counter[Change]:
    """What a write that turned ``before`` into ``after`` adds to the counts."""
    diff = contribution(after)
    diff.subtract(contribution(before))
    return diff


# -- reading facts and writing rows ------------------------------------------------------------
def _ids(column: Any, ranged: bool) -> Any:
    first = sa.bindparam("first", type_=sa.String)
    return (
        sa.and_(column >= first, column <= sa.bindparam("last", type_=sa.String))
        if ranged
        else column == first
    )


def _statements(ranged: bool) -> dict[str, Any]:
    """The reads of ``load_facts``, built once (a write runs them twice)."""
    records = sa.select(RECORDS).where(_ids(RECORDS.c.id, ranged))
    rows_of = sa.union_all(  # visits, check-ups and plans in one round trip
        sa.select(FOLLOW_UPS.c.record_id, sa.literal_column("'visit'").label("kind"), FOLLOW_UPS.c.program,
                  FOLLOW_UPS.c.visit_date.label("day"), sa.literal_column("''").label("state"))
        .where(_ids(FOLLOW_UPS.c.record_id, ranged)),
        sa.select(CHECK_UPS.c.record_id, sa.literal_column("'check_up'"), sa.literal_column("''"),
                  CHECK_UPS.c.exam_date, sa.literal_column("''")).where(_ids(CHECK_UPS.c.record_id, ranged)),
        sa.select(PLANS.c.record_id, sa.literal_column("'plan'"), PLANS.c.program,
                  PLANS.c.next_due_date, PLANS.c.state).where(_ids(PLANS.c.record_id, ranged)),
    )  # fmt: skip
    return {"records": records, "locked": records.with_for_update(), "rows_of": rows_of}


_ONE, _RANGE = _statements(False), _statements(True)


def load_facts(
    connection: Connection, first: str, last: str = "", *, lock: bool = False
) -> dict[str, RecordFacts]:
    """The facts of the records with ids from ``first`` to ``last`` (only ``first`` without
    it). ``lock`` takes the records' row locks first, so that concurrent writes of one record
    recompute its contribution one at a time. (A range, not a list of ids: a few index range
    scans instead of thousands of parameters per batch of the backfill.)"""
    statements, params = (
        (_RANGE, {"first": first, "last": last}) if last else (_ONE, {"first": first})
    )
    records = connection.execute(statements["locked" if lock else "records"], params).all()
    if not records:
        return {}
    visits: dict[str, list[date]] = {r.id: [] for r in records}
    by_program: dict[tuple[str, str], list[date]] = {}
    plan_rows: list[Any] = []
    for row in connection.execute(statements["rows_of"], params):
        if row.kind == "plan":
            plan_rows.append(row)
            continue
        visits[row.record_id].append(row.day)
        if row.kind == "visit":
            by_program.setdefault((row.record_id, row.program), []).append(row.day)
    plans: dict[str, list[PlanFacts]] = {r.id: [] for r in records}
    for p in plan_rows:
        plans[p.record_id].append(
            PlanFacts(p.state == "open", p.day, tuple(by_program.get((p.record_id, p.program), ())))
        )
    return {
        r.id: RecordFacts(
            tenant_id=r.managing_tenant_id,
            scope_path=r.scope_path,
            counted=r.state not in ("draft", "transferred"),  # a handed-over record counts there
            created=stored_day(r.create_time),
            terminated=r.termination_date,
            qualified=r.missing_items == 0,
            visits=tuple(visits[r.id]),
            plans=tuple(plans[r.id]),
        )
        for r in records
    }


def add(connection: Connection, changes: Mapping[Change, int]) -> None:
    """Add ``changes`` to the count rows (DayCounts.add: incrementing UPSERTs in key order,
    each institution's rows first taken by an advisory lock on PostgreSQL)."""
    COUNTS.add(connection, changes)


def backfill(connection: Connection, batch: int = 2000, pending_limit: int = 500_000) -> int:
    """Fill empty count rows from every record (what the writes would have added); returns
    the records read. Reads in batches by id and writes whenever enough changes gathered."""
    pending: Counter[Change] = Counter()
    done, after = 0, ""
    while True:
        ids = list(
            connection.execute(
                sa.select(RECORDS.c.id)
                .where(RECORDS.c.id > after)
                .order_by(RECORDS.c.id)
                .limit(batch)
            ).scalars()
        )
        if not ids:
            break
        for facts in load_facts(connection, ids[0], ids[-1]).values():
            pending.update(contribution(facts))
        done, after = done + len(ids), ids[-1]
        if len(pending) > pending_limit:  # bounded memory for a cell of many institutions
            add(connection, pending)
            pending.clear()
    add(connection, pending)
    return done


def bring_up_to_date(connection: Connection) -> int | None:
    """Recompute every count row when the stored rules version is not ``RULES_VERSION``
    (a database upgraded past the migrations that create the tables, or rules that changed);
    returns the records read, or None when the counts were already current. Run in one
    transaction after migrating, so readers see the old counts or the new, never half."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _RULES_LOCK})
    stored = connection.execute(sa.select(_RULES.c.version).where(_RULES.c.id == 1)).scalar()
    if stored == RULES_VERSION:
        return None
    connection.execute(sa.delete(COUNT))
    done = backfill(connection)
    now = datetime.now(UTC)
    connection.execute(sa.delete(_RULES))
    connection.execute(sa.insert(_RULES).values(id=1, version=RULES_VERSION, update_time=now))
    return done
