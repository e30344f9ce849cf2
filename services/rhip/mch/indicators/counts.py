"""The mch indicator counts kept per institution and day (rolled up per month and year) in
``mch_indicator_count``, maintained by every write that changes what a pregnancy or a child
counts for (rules.py), in the write's own transaction, so a region's indicators on any as-of
date sum a few rows instead of a pass over every pregnancy and child (the archives shape:
rhip.archives.quality.indicator_counts, with the shared part in rhip.kit.day_counts).

A write runs inside ``counting``: it reads the facts of the pregnancies and children it may
change, under their row locks (so concurrent writes of one of them take turns), lets the write
happen, reads them again and adds the difference of their contributions with incrementing
UPSERTs. A child's newborn visit also changes the newborn-visit count of its mother's
pregnancy, so a child's write counts the pregnancies whose newborn the child is as well.

The migration that creates the table leaves it empty with no rules version stored; the service
fills it after migrating (``bring_up_to_date``) from the existing rows, and again whenever
``rules.RULES_VERSION`` changes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from rhip.kit.day_counts import Change, DayCounts, stored_day
from rhip.mch.indicators import rules
from rhip.mch.indicators.domain import COUNT_KEYS, NEWBORN_VISIT_SLOTS
from sqlalchemy import Connection

# The columns the counts read, as plain table clauses: the service runs this code right after
# migrating, so it must not depend on the feature stores' latest tables.
_P = sa.table(
    "pregnancy",
    *(sa.column(c, sa.String) for c in ("id", "tenant_id", "scope_path")),
    sa.column("registration_date", sa.Date),
    sa.column("early", sa.Boolean),
)
_V = sa.table(
    "antenatal_visit",
    sa.column("pregnancy_id", sa.String),
    sa.column("kind", sa.String),
    sa.column("visit_date", sa.Date),
)
_D = sa.table(
    "delivery",
    sa.column("id", sa.String),
    sa.column("pregnancy_id", sa.String),
    sa.column("delivery_date", sa.Date),
    sa.column("discharge_date", sa.Date),
)
_N = sa.table(
    "newborn",
    sa.column("delivery_id", sa.String),
    sa.column("live_birth", sa.Boolean),
    sa.column("resident_id", sa.String),
)
_R = sa.table(
    "risk_report",
    sa.column("pregnancy_id", sa.String),
    sa.column("state", sa.String),
    sa.column("create_time", sa.DateTime(timezone=True)),
    sa.column("acknowledge_time", sa.DateTime(timezone=True)),
)
_C = sa.table(
    "child_record",
    *(sa.column(c, sa.String) for c in ("id", "resident_id", "tenant_id", "scope_path")),
    sa.column("birth_date", sa.Date),
    sa.column("create_time", sa.DateTime(timezone=True)),
)
_CV = sa.table(
    "child_visit",
    sa.column("record_id", sa.String),
    sa.column("visit_date", sa.Date),
    sa.column("slot", sa.String),
    sa.column("eye", sa.String),
    sa.column("acuity_left", sa.Float),
    sa.column("acuity_right", sa.Float),
)
METRICS = COUNT_KEYS
COUNT = sa.table(
    "mch_indicator_count",
    *(sa.column(c, sa.String) for c in ("scope_path", "tenant_id", "grain")),
    sa.column("period", sa.Date),
    *(sa.column(m, sa.Integer) for m in METRICS),
)
COUNTS = DayCounts(
    COUNT, ("scope_path", "tenant_id", "grain", "period"), METRICS, "rhip.mch.indicator_count"
)
_RULES = sa.table(
    "mch_indicator_rules",
    sa.column("id", sa.Integer),
    sa.column("version", sa.Integer),
    sa.column("update_time", sa.DateTime(timezone=True)),
)
_RULES_LOCK = 0x3C4D  # replicas that start together: one recomputes, the others then find it done


def _ids(column: Any, ids: Sequence[str], last: str) -> Any:
    """``ids`` (a write's few), or the range from ``ids[0]`` to ``last`` (a backfill batch: a
    few index range scans instead of thousands of parameters)."""
    return sa.and_(column >= ids[0], column <= last) if last else column.in_(ids)


# -- pregnancies -------------------------------------------------------------------------------
def load_pregnancies(
    connection: Connection, ids: Sequence[str], last: str = "", *, lock: bool = False
) -> dict[str, rules.PregnancyFacts]:
    if not ids:
        return {}
    query = sa.select(_P).where(_ids(_P.c.id, ids, last)).order_by(_P.c.id)
    rows = connection.execute(query.with_for_update() if lock else query).all()
    if not rows:
        return {}
    deliveries: dict[str, dict[str, list[Any]]] = {r.id: {} for r in rows}
    for d in connection.execute(
        sa.select(_D.c.id, _D.c.pregnancy_id, _D.c.delivery_date, _D.c.discharge_date).where(
            _ids(_D.c.pregnancy_id, ids, last)
        )
    ):
        deliveries[d.pregnancy_id][d.id] = [d.delivery_date, d.discharge_date, 0, 0]
    newborn_seen = (
        sa.exists()
        .where(_C.c.resident_id == _N.c.resident_id, _CV.c.record_id == _C.c.id)
        .where(_CV.c.slot.in_(NEWBORN_VISIT_SLOTS))
    )
    for n in connection.execute(
        sa.select(_D.c.pregnancy_id, _N.c.delivery_id, newborn_seen.label("seen"))
        .select_from(_N.join(_D, _D.c.id == _N.c.delivery_id))
        .where(_ids(_D.c.pregnancy_id, ids, last), _N.c.live_birth.is_(True))
    ):
        facts = deliveries[n.pregnancy_id][n.delivery_id]
        facts[2] += 1
        facts[3] += bool(n.seen)
    home: dict[str, list[date]] = {r.id: [] for r in rows}
    for v in connection.execute(
        sa.select(_V.c.pregnancy_id, _V.c.visit_date).where(
            _ids(_V.c.pregnancy_id, ids, last), _V.c.kind == "POSTPARTUM_HOME"
        )
    ):
        home[v.pregnancy_id].append(v.visit_date)
    reports: dict[str, list[rules.ReportFacts]] = {r.id: [] for r in rows}
    for r in connection.execute(sa.select(_R).where(_ids(_R.c.pregnancy_id, ids, last))):
        acknowledged = stored_day(r.acknowledge_time) if r.acknowledge_time else None
        reports[r.pregnancy_id].append(
            rules.ReportFacts(stored_day(r.create_time), acknowledged, r.state == "OPEN")
        )
    return {
        p.id: rules.PregnancyFacts(
            p.tenant_id,
            p.scope_path,
            p.registration_date,
            bool(p.early),
            tuple(rules.DeliveryFacts(*d) for d in deliveries[p.id].values()),
            tuple(home[p.id]),
            tuple(reports[p.id]),
        )
        for p in rows
    }


# -- children ----------------------------------------------------------------------------------
def load_children(
    connection: Connection, ids: Sequence[str], last: str = "", *, lock: bool = False
) -> dict[str, rules.ChildFacts]:
    if not ids:
        return {}
    query = sa.select(_C).where(_ids(_C.c.id, ids, last)).order_by(_C.c.id)
    rows = connection.execute(query.with_for_update() if lock else query).all()
    if not rows:
        return {}
    visits: dict[str, list[rules.ChildVisitFacts]] = {r.id: [] for r in rows}
    for v in connection.execute(sa.select(_CV).where(_ids(_CV.c.record_id, ids, last))):
        visits[v.record_id].append(
            rules.ChildVisitFacts(
                v.visit_date, v.eye != "{}", v.slot, v.acuity_left, v.acuity_right
            )
        )
    return {
        c.id: rules.ChildFacts(
            c.tenant_id, c.scope_path, c.birth_date, stored_day(c.create_time), tuple(visits[c.id])
        )
        for c in rows
    }


def _mothers_of(connection: Connection, residents: Iterable[str]) -> list[str]:
    """The pregnancies whose live-born newborn is one of these residents."""
    residents = sorted(set(residents) - {""})
    if not residents:
        return []
    return sorted(
        connection.execute(
            sa.select(_D.c.pregnancy_id)
            .select_from(_N.join(_D, _D.c.id == _N.c.delivery_id))
            .where(_N.c.resident_id.in_(residents), _D.c.pregnancy_id != "")
            .distinct()
        ).scalars()
    )


def _contribution(
    pregnancies: dict[str, rules.PregnancyFacts], children: dict[str, rules.ChildFacts]
) -> Counter[Change]:
    out: Counter[Change] = Counter()
    for p in pregnancies.values():
        out.update(rules.pregnancy_contribution(p))
    for c in children.values():
        out.update(rules.child_contribution(c))
    return out


@contextmanager
def counting(
    connection: Connection,
    pregnancies: Iterable[str] = (),
    children: Iterable[str] = (),
    newborns: Iterable[str] = (),
) -> Iterator[None]:
    """Around a write that may change what these pregnancies and child records count for (and
    the pregnancies whose newborns are the children, or the ``newborns`` residents): add the
    change of their contributions to the counts, in the write's transaction.

    Locks go children first, then pregnancies (ids in order), in every write: a child's visit
    holds its record and then needs the mother's pregnancy; linking a newborn holds nothing
    before and takes the newborn's child record (if already enrolled) before the pregnancy,
    so that either write sees the other's rows when it counts. The counts' own locks
    (DayCounts.add) come at the end of the block: a write audits after it, never inside it,
    so that every transaction takes the counts' locks before the audit head's."""
    child_ids = sorted(set(children))
    if newborns:
        child_ids = sorted(
            set(child_ids)
            | set(
                connection.execute(
                    sa.select(_C.c.id).where(_C.c.resident_id.in_(sorted(set(newborns))))
                ).scalars()
            )
        )
    kids = load_children(connection, child_ids, lock=True)
    residents = list(newborns) + list(
        connection.execute(sa.select(_C.c.resident_id).where(_C.c.id.in_(child_ids))).scalars()
        if child_ids
        else []
    )
    pregnancy_ids = sorted(set(pregnancies) | set(_mothers_of(connection, residents)))
    before = _contribution(load_pregnancies(connection, pregnancy_ids, lock=True), kids)
    yield
    after = _contribution(
        load_pregnancies(connection, pregnancy_ids), load_children(connection, child_ids)
    )
    COUNTS.add(connection, rules.change(before, after))


# -- filling and reading -----------------------------------------------------------------------
def backfill(connection: Connection, batch: int = 2000, pending_limit: int = 500_000) -> int:
    """Fill empty count rows from every pregnancy and child (what the writes would have
    added); returns how many were read. Batches by id; writes whenever enough changes
    gathered (bounded memory)."""
    pending: Counter[Change] = Counter()
    done = 0

    def pregnancies(ids: list[str]) -> Iterator[Counter[Change]]:
        for facts in load_pregnancies(connection, ids[:1], ids[-1]).values():
            yield rules.pregnancy_contribution(facts)

    def children(ids: list[str]) -> Iterator[Counter[Change]]:
        for facts in load_children(connection, ids[:1], ids[-1]).values():
            yield rules.child_contribution(facts)

    sources: tuple[tuple[Any, Callable[[list[str]], Iterator[Counter[Change]]]], ...] = (
        (_P, pregnancies),
        (_C, children),
    )
    for table, contributions in sources:
        after = ""
        while True:
            ids = list(
                connection.execute(
                    sa.select(table.c.id)
                    .where(table.c.id > after)
                    .order_by(table.c.id)
                    .limit(batch)
                ).scalars()
            )
            if not ids:
                break
            for contribution in contributions(ids):
                pending.update(contribution)
            done, after = done + len(ids), ids[-1]
            if len(pending) > pending_limit:
                COUNTS.add(connection, pending)
                pending.clear()
    COUNTS.add(connection, pending)
    return done


def rebuild(connection: Connection) -> int:
    """Recompute every count row from the rows (after a bulk load outside the service)."""
    connection.execute(sa.delete(COUNT))
    return backfill(connection)


def bring_up_to_date(connection: Connection) -> int | None:
    """Recompute every count row when the stored rules version is not ``RULES_VERSION`` (a
    database upgraded past mch_0004m, or rules that changed); returns the pregnancies and
    children read, or None when the counts were already current. Run in one transaction after
    migrating, so readers see the old counts or the new, never half."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _RULES_LOCK})
    stored = connection.execute(sa.select(_RULES.c.version).where(_RULES.c.id == 1)).scalar()
    if stored == rules.RULES_VERSION:
        return None
    done = rebuild(connection)
    connection.execute(sa.delete(_RULES))
    connection.execute(
        sa.insert(_RULES).values(id=1, version=rules.RULES_VERSION, update_time=datetime.now(UTC))
    )
    return done
