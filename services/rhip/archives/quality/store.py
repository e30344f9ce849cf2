"""Quality tables and their repository: regions' populations, the indicator counts and spot
checks with their findings."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from rhip.archives.follow_ups.store import CHECK_UPS, FOLLOW_UPS, PLANS
from rhip.archives.quality import indicator_counts
from rhip.archives.quality.domain import Finding, SpotCheck
from rhip.archives.records.domain import RecordState
from rhip.archives.records.store import RECORDS
from rhip.archives.store import Base, StoreBase
from rhip.kit.db import utc
from rhip.kit.scopes import like_prefix, within_scopes
from rhip.kit.timestamps import CHINA_STANDARD_TIME
from sqlalchemy import (
    Date,
    DateTime,
    Index,
    Integer,
    String,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    union,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column


class RegionPopulationRow(Base):
    """Permanent population of a region from a date (filing-rate denominator, §2.8)."""

    __tablename__ = "region_population"
    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    population: Mapped[int] = mapped_column(Integer)


def _scope_type() -> Any:
    # Byte order on PostgreSQL, so that a prefix LIKE on the scope is an index range whatever
    # the database's collation.
    return String(120).with_variant(String(120, collation="C"), "postgresql")


class IndicatorCountRow(Base):
    """What the records of one institution add to each indicator count on one day, and the
    same rolled up per month and per year (indicator_counts.py). Maintained by every write
    of a record, its visits or its plans, in the same transaction."""

    __tablename__ = "indicator_count"
    __table_args__ = (
        # A region's read: a few periods of every institution in the cell, filtered by scope.
        Index("ix_indicator_count_period", "grain", "period", "scope_path"),
    )
    scope_path: Mapped[str] = mapped_column(_scope_type(), primary_key=True)
    managing_tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grain: Mapped[str] = mapped_column(String(5), primary_key=True)  # year, month or day
    period: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    records: Mapped[int] = mapped_column(Integer)
    dynamic: Mapped[int] = mapped_column(Integer)
    qualified: Mapped[int] = mapped_column(Integer)
    plans: Mapped[int] = mapped_column(Integer)
    followed: Mapped[int] = mapped_column(Integer)
    timely: Mapped[int] = mapped_column(Integer)


class SpotCheckRow(Base):
    __tablename__ = "spot_check"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    parent: Mapped[str] = mapped_column(String(80))
    scope_path: Mapped[str] = mapped_column(String(120), index=True)
    created_by: Mapped[str] = mapped_column(String(80))
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str | None] = mapped_column(String(36), unique=True)


class SpotCheckItemRow(Base):
    __tablename__ = "spot_check_item"
    spot_check_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class SpotCheckFindingRow(Base):
    __tablename__ = "spot_check_finding"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    spot_check_id: Mapped[str] = mapped_column(String(36), index=True)
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    item: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(10))
    resolution: Mapped[str] = mapped_column(String(500))
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolve_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


_SPOT = cast(Any, SpotCheckRow.__table__)
_SPOT_ITEM = cast(Any, SpotCheckItemRow.__table__)
_FIND = cast(Any, SpotCheckFindingRow.__table__)
_POP = cast(Any, RegionPopulationRow.__table__)
_COUNT = cast(Any, IndicatorCountRow.__table__)


def _finding(r: Any) -> Finding:
    return Finding(
        r.id, r.spot_check_id, r.record_id, r.item, r.description, r.state, r.resolution,
        utc(r.create_time), utc(r.resolve_time),  # type: ignore[arg-type]
    )  # fmt: skip


class QualityStore(StoreBase):
    def set_population(self, region_code: str, as_of: date, population: int) -> None:
        self.s.execute(delete(_POP).where(_POP.c.region_code == region_code, _POP.c.as_of == as_of))
        self.s.execute(
            insert(_POP).values(region_code=region_code, as_of=as_of, population=population)
        )

    def population(self, region_code: str, as_of: date) -> int:
        """The region's latest figure from on or before ``as_of``; 0 when none."""
        value = self.s.execute(
            select(_POP.c.population)
            .where(_POP.c.region_code == region_code, _POP.c.as_of <= as_of)
            .order_by(_POP.c.as_of.desc())
            .limit(1)
        ).scalar()
        return int(value or 0)

    def indicator_counts(
        self, scope: str, tenant_id: str, as_of: date
    ) -> dict[str, dict[str, int]]:
        """Per managing institution under ``scope`` (or only ``tenant_id``) with records in
        force on ``as_of``: the six counts, summed from ``indicator_count`` (at most ~50 rows
        per institution). Equal to ``exact_indicator_counts`` for every date."""

        def lit(name: str, value: object) -> Any:
            # Rendered into the statement: a prepared generic plan cannot turn a bound LIKE
            # prefix into an index range.
            return bindparam(name, value, String, literal_execute=True)

        in_scope = or_(
            _COUNT.c.scope_path == lit("scope", scope),
            _COUNT.c.scope_path.like(lit("below", like_prefix(scope)), escape="\\"),
        )
        if tenant_id:
            in_scope = and_(in_scope, _COUNT.c.managing_tenant_id == lit("tenant", tenant_id))
        sums = [func.sum(_COUNT.c[m]).label(m) for m in indicator_counts.METRICS]
        rows = self.s.execute(
            select(_COUNT.c.managing_tenant_id, *sums)
            .where(in_scope, indicator_counts.as_of_rows(_COUNT, as_of))
            .group_by(_COUNT.c.managing_tenant_id)
            .having(func.sum(_COUNT.c.records) > 0)
        ).all()
        return {
            r.managing_tenant_id: {m: int(getattr(r, m)) for m in indicator_counts.METRICS}
            for r in rows
        }

    def rebuild_indicator_counts(self) -> int:
        """Recompute every count row from the records (after a bulk load that bypassed the
        repository); returns the records read."""
        self.s.execute(delete(_COUNT))
        return indicator_counts.backfill(self.s)

    def exact_indicator_counts(
        self, scope: str, tenant_id: str, as_of: date
    ) -> dict[str, dict[str, int]]:
        """The same counts recomputed from the records' own dates, a pass over every record,
        plan and visit of the year under ``scope``: what ``indicator_count`` must always sum
        to (tests check it after every kind of write). Not on any request path: at a million
        records it takes seconds. Served by ix_health_record_indicators (index-only on
        PostgreSQL) and one pass over the visits and check-ups of the year."""

        # The scope and the dates are rendered into the statements (literal_execute): once
        # prepared, a generic plan guesses the selectivity of a bound LIKE and of the visit
        # window, and at a million records it then loops over the visits for every plan.
        if self.s.dialect.name == "postgresql":  # and no generic plan for this transaction
            self.s.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))

        def lit(name: str, value: object, type_: Any = String) -> Any:
            return bindparam(name, value, type_, literal_execute=True)

        year_ago = lit("year_ago", as_of - indicator_counts.USE_WINDOW, Date)
        day = lit("as_of", as_of, Date)
        end = lit(
            "end",
            # The end of the China day, as UTC (what is stored).
            datetime.combine(as_of + timedelta(days=1), time.min, CHINA_STANDARD_TIME).astimezone(
                UTC
            ),
            DateTime(timezone=True),
        )
        in_force = and_(
            or_(
                RECORDS.c.scope_path == lit("scope", scope),
                RECORDS.c.scope_path.like(lit("below", like_prefix(scope)), escape="\\"),
            ),
            # drafts are not records yet; a record handed over to another cell counts there
            RECORDS.c.state.notin_([RecordState.DRAFT.value, RecordState.TRANSFERRED.value]),
            RECORDS.c.create_time < end,
            or_(RECORDS.c.termination_date.is_(None), RECORDS.c.termination_date > day),
        )
        if tenant_id:
            in_force = and_(in_force, RECORDS.c.managing_tenant_id == lit("tenant", tenant_id))
        # Records with a follow-up visit or a check-up within the year: one pass over the
        # visits of the window joined to the records (not two probes per record).
        used = union(
            select(FOLLOW_UPS.c.record_id.label("record_id")).where(
                FOLLOW_UPS.c.visit_date > year_ago, FOLLOW_UPS.c.visit_date <= day
            ),
            select(CHECK_UPS.c.record_id.label("record_id")).where(
                CHECK_UPS.c.exam_date > year_ago, CHECK_UPS.c.exam_date <= day
            ),
        ).subquery("used")
        rows = self.s.execute(
            select(
                RECORDS.c.managing_tenant_id,
                func.count().label("records"),
                func.sum(case((RECORDS.c.missing_items == 0, 1), else_=0)).label("qualified"),
            )
            .where(in_force)
            .group_by(RECORDS.c.managing_tenant_id)
        ).all()
        dynamic: dict[str, int] = {
            tenant: int(count)
            for tenant, count in self.s.execute(
                select(RECORDS.c.managing_tenant_id, func.count())
                .select_from(RECORDS.join(used, used.c.record_id == RECORDS.c.id))
                .where(in_force)
                .group_by(RECORDS.c.managing_tenant_id)
            ).all()
        }
        result = {
            r.managing_tenant_id: {
                "records": int(r.records),
                "dynamic": int(dynamic.get(r.managing_tenant_id, 0)),
                "qualified": int(r.qualified or 0),
                "plans": 0,
                "followed": 0,
                "timely": 0,
            }
            for r in rows
        }
        visits = (
            select(FOLLOW_UPS.c.record_id, FOLLOW_UPS.c.program, func.count().label("n"))
            .where(FOLLOW_UPS.c.visit_date > year_ago, FOLLOW_UPS.c.visit_date <= day)
            .group_by(FOLLOW_UPS.c.record_id, FOLLOW_UPS.c.program)
            .subquery("visits")
        )
        plans = self.s.execute(
            select(
                RECORDS.c.managing_tenant_id,
                func.count().label("plans"),
                func.sum(
                    case(
                        (func.coalesce(visits.c.n, 0) >= indicator_counts.FOLLOWED_VISITS, 1),
                        else_=0,
                    )
                ).label("followed"),
                func.sum(case((PLANS.c.next_due_date >= day, 1), else_=0)).label("timely"),
            )
            .select_from(
                PLANS.join(RECORDS, RECORDS.c.id == PLANS.c.record_id).outerjoin(
                    visits,
                    and_(
                        visits.c.record_id == PLANS.c.record_id,
                        visits.c.program == PLANS.c.program,
                    ),
                )
            )
            .where(in_force, PLANS.c.state == "open")
            .group_by(RECORDS.c.managing_tenant_id)
        ).all()
        for r in plans:
            counts = result.setdefault(
                r.managing_tenant_id,
                {
                    "records": 0,
                    "dynamic": 0,
                    "qualified": 0,
                    "plans": 0,
                    "followed": 0,
                    "timely": 0,
                },
            )
            counts.update(
                plans=int(r.plans), followed=int(r.followed or 0), timely=int(r.timely or 0)
            )
        return result

    # -- spot checks -----------------------------------------------------------------------------
    def add_spot_check(
        self, check: SpotCheck, created_by: str, sample_size: int, request_id: str
    ) -> list[str]:
        """Store the check and sample up to ``sample_size`` active records under its scope at
        random; returns the sampled record ids."""
        self.s.execute(
            insert(_SPOT).values(
                id=check.spot_check_id,
                parent=check.parent,
                scope_path=check.scope_path,
                created_by=created_by,
                create_time=check.create_time,
                request_id=request_id or None,
            )
        )
        ids = list(
            self.s.execute(
                select(RECORDS.c.id)
                .where(
                    within_scopes(RECORDS.c.scope_path, [check.scope_path]),
                    RECORDS.c.state == RecordState.ACTIVE.value,
                )
                .order_by(func.random())
                .limit(sample_size)
            ).scalars()
        )
        if ids:
            self.s.execute(
                insert(_SPOT_ITEM),
                [{"spot_check_id": check.spot_check_id, "record_id": i} for i in ids],
            )
        return ids

    def spot_check(self, spot_check_id: str) -> SpotCheck | None:
        row = self.s.execute(select(_SPOT).where(_SPOT.c.id == spot_check_id)).first()
        return SpotCheck(row.id, row.parent, row.scope_path, utc(row.create_time)) if row else None  # type: ignore[arg-type]

    def spot_checks(self, scope: str, before: str | None, limit: int) -> list[SpotCheck]:
        """Spot checks made at or below ``scope``, newest first (ids are UUIDv7: time order),
        those after the id ``before`` of the last page."""
        query = select(_SPOT).where(within_scopes(_SPOT.c.scope_path, [scope]))
        if before:
            query = query.where(_SPOT.c.id < before)
        rows = self.s.execute(query.order_by(_SPOT.c.id.desc()).limit(limit))
        return [SpotCheck(r.id, r.parent, r.scope_path, utc(r.create_time)) for r in rows]  # type: ignore[arg-type]

    def spot_check_by_request(self, request_id: str) -> SpotCheck | None:
        row = self.s.execute(select(_SPOT.c.id).where(_SPOT.c.request_id == request_id)).first()
        return self.spot_check(row.id) if row else None

    def sample(self, spot_check_id: str) -> list[str]:
        return list(
            self.s.execute(
                select(_SPOT_ITEM.c.record_id)
                .where(_SPOT_ITEM.c.spot_check_id == spot_check_id)
                .order_by(_SPOT_ITEM.c.record_id)
            ).scalars()
        )

    def add_finding(self, f: Finding) -> None:
        self.s.execute(
            insert(_FIND).values(
                id=f.finding_id, spot_check_id=f.spot_check_id, record_id=f.record_id, item=f.item,
                description=f.description, state=f.state, resolution=f.resolution,
                create_time=f.create_time, resolve_time=f.resolve_time,
            )
        )  # fmt: skip

    def resolve_finding(self, f: Finding) -> None:
        self.s.execute(
            update(_FIND)
            .where(_FIND.c.id == f.finding_id)
            .values(state=f.state, resolution=f.resolution, resolve_time=f.resolve_time)
        )

    def finding(self, finding_id: str) -> Finding | None:
        row = self.s.execute(select(_FIND).where(_FIND.c.id == finding_id)).first()
        return _finding(row) if row else None

    def findings(
        self, spot_check_id: str = "", record_id: str = "", state: str = ""
    ) -> list[Finding]:
        query = select(_FIND)
        if spot_check_id:
            query = query.where(_FIND.c.spot_check_id == spot_check_id)
        if record_id:
            query = query.where(_FIND.c.record_id == record_id)
        if state:
            query = query.where(_FIND.c.state == state)
        return [_finding(r) for r in self.s.execute(query.order_by(_FIND.c.id))]
