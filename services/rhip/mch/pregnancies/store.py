"""Pregnancy and antenatal-visit tables and their repository. ``open_resident_id`` (the
woman while the episode is open, NULL after) is unique: one open pregnancy per woman, even
under concurrent registrations. The ``screening_*`` columns copy her latest risk screening
(``risk_screening`` keeps them all), written only by ``save_screening``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from rhip.kit.db import utc
from rhip.kit.driver_reads import DriverRead
from rhip.kit.scopes import scope_params, within_bound_scopes
from rhip.mch.pregnancies.domain import (
    AFTER_DELIVERY,
    AntenatalVisit,
    DeliveryPlan,
    Pregnancy,
    PregnancyState,
    TerminationReason,
    VisitKind,
)
from rhip.mch.risk.screening import RiskScreening
from rhip.mch.store import StoreBase, metadata
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    insert,
    or_,
    select,
    update,
)  # fmt: skip
from sqlalchemy import false as sa_false
from sqlalchemy.exc import IntegrityError

PREGNANCY = Table(
    "pregnancy",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("resident_id", String(36), nullable=False, index=True),
    Column("open_resident_id", String(36), unique=True),
    Column("tenant_id", String(36), nullable=False, index=True),
    Column("scope_path", String(200), nullable=False, index=True),
    Column("state", String(20), nullable=False),
    Column("handbook_number", String(30), nullable=False, unique=True),
    Column("registration_date", Date, nullable=False),
    Column("lmp", Date, nullable=False),
    Column("early", Boolean, nullable=False),
    Column("within_local", Boolean, nullable=False),
    Column("next_slot", Integer, nullable=False),
    Column("next_slot_end", Date, index=True),
    Column("risk_rank", Integer, nullable=False),
    Column("purple", Boolean, nullable=False),
    Column("delivery_id", String(36), nullable=False),
    Column("termination_reason", String(12), nullable=False),
    Column("end_date", Date),
    Column("discharge_date", Date),
    Column("termination_note", String(500), nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Column("update_time", DateTime(timezone=True), nullable=False),
    Column("request_id", String(36), unique=True),
    Column("close_date", Date, index=True),
    Column("open_referral", String(36), nullable=False, server_default=""),
    Column("referral_due", Date, index=True),
    Column("plan_tenant_id", String(36), nullable=False, server_default=""),
    Column("plan_level", Integer, nullable=False, server_default="0"),
    Column("plan_reason", String(500), nullable=False, server_default=""),
    Column("plan_by", String(80), nullable=False, server_default=""),
    Column("plan_time", DateTime(timezone=True)),
    Column("delivery_tenant_id", String(36), nullable=False, server_default=""),
    Column("postpartum_abnormal", Boolean, nullable=False, server_default=sa_false()),
    Column("interval_from", Date),
    Column("interval_due", Date, index=True),
    Column("assessment_due", Date, index=True),
    Column("screening_id", String(36), nullable=False, server_default=""),  # "": none yet
    Column("screening_date", Date),
    Column("screening_positive", Boolean, nullable=False, server_default=sa_false()),
    Column("screening_findings", Text, nullable=False, server_default="[]"),
    Column("screening_tenant_id", String(36), nullable=False, server_default=""),
    Column("screening_by", String(80), nullable=False, server_default=""),
    Column("screening_time", DateTime(timezone=True)),
)
VISIT = Table(
    "antenatal_visit",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("pregnancy_id", String(36), nullable=False, index=True),
    Column("tenant_id", String(36), nullable=False),
    Column("visit_date", Date, nullable=False),
    Column("ga_days", Integer, nullable=False),
    Column("slot", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("missed_slot", Integer, nullable=False),
    Column("measures", Text, nullable=False),
    Column("guidance", Text, nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Column("request_id", String(36), unique=True),
    Column("abnormal_finding", String(500), nullable=False, server_default=""),
    Column("referral_followed_up", Boolean, nullable=False, server_default=sa_false()),
    Column("emergency_reason", String(500), nullable=False, server_default=""),
    Column("labs", Text, nullable=False, server_default="{}"),
)
_P, _V = PREGNANCY, VISIT


class PregnancyTaken(Exception):
    """The woman has an open pregnancy (``field`` = resident) or the handbook number is in
    use (``field`` = handbook_number)."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def _pregnancy(row: Any) -> Pregnancy:
    return Pregnancy(
        pregnancy_id=row.id,
        resident_id=row.resident_id,
        tenant_id=row.tenant_id,
        scope_path=row.scope_path,
        state=PregnancyState(row.state),
        handbook_number=row.handbook_number,
        registration_date=row.registration_date,
        lmp=row.lmp,
        early=bool(row.early),
        within_local_deadline=bool(row.within_local),
        next_slot=row.next_slot,
        next_slot_end=row.next_slot_end,
        risk_rank=row.risk_rank,
        purple=bool(row.purple),
        delivery_id=row.delivery_id,
        termination_reason=TerminationReason(row.termination_reason)
        if row.termination_reason
        else None,
        end_date=row.end_date,
        discharge_date=row.discharge_date,
        termination_note=row.termination_note,
        create_time=utc(row.create_time),
        update_time=utc(row.update_time),
        close_date=row.close_date,
        open_referral=row.open_referral,
        referral_due=row.referral_due,
        plan=DeliveryPlan(
            row.plan_tenant_id,
            row.plan_level,
            row.plan_reason,
            row.plan_by,
            utc(row.plan_time),  # type: ignore[arg-type]
        )
        if row.plan_tenant_id
        else None,
        delivery_tenant_id=row.delivery_tenant_id,
        postpartum_abnormal=bool(row.postpartum_abnormal),
        interval_from=row.interval_from,
        interval_due=row.interval_due,
        assessment_due=row.assessment_due,
        screening=RiskScreening(
            row.screening_id,
            row.id,
            row.screening_tenant_id,
            row.screening_date,
            bool(row.screening_positive),
            tuple(json.loads(row.screening_findings)),
            row.screening_by,
            utc(row.screening_time),  # type: ignore[arg-type]
        )
        if row.screening_id
        else None,
    )


def _values(p: Pregnancy) -> dict[str, Any]:
    return {
        "state": p.state.value,
        "open_resident_id": p.resident_id if p.state.open else None,
        "next_slot": p.next_slot,
        "next_slot_end": p.next_slot_end,
        "risk_rank": p.risk_rank,
        "purple": p.purple,
        "delivery_id": p.delivery_id,
        "termination_reason": p.termination_reason.value if p.termination_reason else "",
        "end_date": p.end_date,
        "discharge_date": p.discharge_date,
        "termination_note": p.termination_note,
        "update_time": p.update_time,
        "close_date": p.close_date,
        "open_referral": p.open_referral,
        "referral_due": p.referral_due,
        "plan_tenant_id": p.plan.tenant_id if p.plan else "",
        "plan_level": p.plan.level if p.plan else 0,
        "plan_reason": p.plan.emergency_reason if p.plan else "",
        "plan_by": p.plan.planned_by if p.plan else "",
        "plan_time": p.plan.plan_time if p.plan else None,
        "delivery_tenant_id": p.delivery_tenant_id,
        "postpartum_abnormal": p.postpartum_abnormal,
        "interval_from": p.interval_from,
        "interval_due": p.interval_due,
        "assessment_due": p.assessment_due,
    }


def _visit(row: Any, prefix: str = "") -> AntenatalVisit:
    """``prefix``: of the visit's columns in a row that joins them to its pregnancy's."""

    def field(name: str) -> Any:
        return getattr(row, prefix + name)

    return AntenatalVisit(
        field("id"), field("pregnancy_id"), field("tenant_id"), field("visit_date"),
        field("ga_days"), field("slot"), json.loads(field("measures")), field("guidance"),
        utc(field("create_time")),  # type: ignore[arg-type]
        VisitKind(field("kind")), field("missed_slot"), field("abnormal_finding"),
        bool(field("referral_followed_up")), field("emergency_reason"), json.loads(field("labs")),
    )  # fmt: skip


# The hot reads (a woman's episode, her visits, a page of a list), each statement built once
# per shape and run on the driver where that gives the same rows (rhip.kit.driver_reads):
# building the statement per call and SQLAlchemy's execution layer cost more than running it.
@cache
def _by_id(lock: bool) -> DriverRead:
    query = select(_P).where(_P.c.id == bindparam("pregnancy_id"))
    return DriverRead(query.with_for_update() if lock else query)


@cache
def _visits(after: bool, limit: bool) -> DriverRead:
    query = select(_V).where(_V.c.pregnancy_id == bindparam("pregnancy_id"))
    if after:
        query = query.where(_V.c.id > bindparam("after"))
    if not limit:
        return DriverRead(query.order_by(_V.c.visit_date, _V.c.id))
    return DriverRead(query.order_by(_V.c.id).limit(bindparam("limit", type_=Integer)))


_VISIT_COLUMNS = [c.label(f"v_{c.name}") for c in _V.c]


@cache
def _page(
    scopes: int, residents: bool, state: str, overdue: bool, min_risk: bool, purple: bool,
    after: bool,
) -> DriverRead:  # fmt: skip
    """A page of pregnancies (newest id first) with their visits, one row per visit (or one
    without when she has none), each pregnancy's in date order. ``state``: "" any, "CLOSED",
    "AFTER_DELIVERY" (one of those states, not yet closed) or "OTHER" (that state)."""
    query = select(_P).where(
        _P.c.tenant_id == bindparam("tenant_id"), within_bound_scopes(_P.c.scope_path, scopes)
    )
    if residents:
        query = query.where(_P.c.resident_id.in_(bindparam("residents", expanding=True)))
    # CLOSED is shown from close_date on (Pregnancy.as_of): the same rule here.
    closed = _P.c.close_date <= bindparam("today")
    if state == "CLOSED":
        query = query.where(closed)
    elif state:
        query = query.where(_P.c.state == bindparam("state"))
        if state == "AFTER_DELIVERY":
            query = query.where(or_(_P.c.close_date.is_(None), ~closed))
    if overdue:
        # A next slot whose window closed, a referral past its due date, a high-risk woman's
        # visit interval run out, or a positive screening still unassessed past its due date;
        # terminated and completed episodes have none (NULL), closed ones are out by their
        # close date.
        before: Any = bindparam("overdue_before")
        query = query.where(
            or_(
                _P.c.next_slot_end < before,
                _P.c.referral_due < before,
                _P.c.interval_due < before,
                _P.c.assessment_due < before,
            ),
            or_(_P.c.close_date.is_(None), _P.c.close_date > before),
        )
    if min_risk:
        query = query.where(_P.c.risk_rank >= bindparam("min_risk"))
    if purple:
        query = query.where(_P.c.purple.is_(True))
    if after:
        query = query.where(_P.c.id < bindparam("after"))
    page = query.order_by(_P.c.id.desc()).limit(bindparam("limit", type_=Integer)).subquery()
    joined = page.outerjoin(_V, _V.c.pregnancy_id == page.c.id)
    return DriverRead(
        select(page, *_VISIT_COLUMNS)
        .select_from(joined)
        .order_by(page.c.id.desc(), _V.c.visit_date, _V.c.id)
    )


class PregnancyStore(StoreBase):
    def add(self, p: Pregnancy, request_id: str) -> None:
        try:
            with self.s.begin_nested():
                self.s.execute(
                    insert(_P).values(
                        id=p.pregnancy_id, resident_id=p.resident_id, tenant_id=p.tenant_id,
                        scope_path=p.scope_path, handbook_number=p.handbook_number,
                        registration_date=p.registration_date, lmp=p.lmp, early=p.early,
                        within_local=p.within_local_deadline, create_time=p.create_time,
                        request_id=request_id or None, **_values(p),
                    )
                )  # fmt: skip
        except IntegrityError:
            if self.open_of(p.resident_id) is not None:
                raise PregnancyTaken("resident") from None
            raise PregnancyTaken("handbook_number") from None

    def save(self, p: Pregnancy) -> None:
        self.s.execute(update(_P).where(_P.c.id == p.pregnancy_id).values(**_values(p)))

    def save_screening(self, s: RiskScreening) -> None:
        """``s`` is her latest screening now (the caller decides: by date, then id)."""
        self.s.execute(
            update(_P)
            .where(_P.c.id == s.pregnancy_id)
            .values(
                screening_id=s.screening_id, screening_date=s.screening_date,
                screening_positive=s.positive,
                screening_findings=json.dumps(list(s.findings), ensure_ascii=False),
                screening_tenant_id=s.tenant_id, screening_by=s.screened_by,
                screening_time=s.create_time,
            )
        )  # fmt: skip

    def move(self, pregnancy_id: str, tenant_id: str, scope_path: str, now: Any) -> None:
        """The episode (and with it, by its id, its schedule, grades, screenings and plan) is
        managed by ``tenant_id`` from now on; its visits keep the institution that made them."""
        self.s.execute(
            update(_P)
            .where(_P.c.id == pregnancy_id)
            .values(tenant_id=tenant_id, scope_path=scope_path, update_time=now)
        )

    def get(self, pregnancy_id: str, *, lock: bool = False) -> Pregnancy | None:
        row = _by_id(lock).first(self.s, {"pregnancy_id": pregnancy_id})
        return _pregnancy(row) if row else None

    def by_request(self, request_id: str) -> Pregnancy | None:
        row = self.s.execute(select(_P).where(_P.c.request_id == request_id)).first()
        return _pregnancy(row) if row else None

    def delivered_of(self, resident_id: str, *, lock: bool = False) -> Pregnancy | None:
        """The woman's latest delivered episode (CLOSED or not: the caller asks as_of)."""
        query = (
            select(_P)
            .where(
                _P.c.resident_id == resident_id,
                _P.c.state.in_([s.value for s in AFTER_DELIVERY]),
            )
            .order_by(_P.c.end_date.desc(), _P.c.id.desc())
            .limit(1)
        )
        if lock:
            query = query.with_for_update()
        row = self.s.execute(query).first()
        return _pregnancy(row) if row else None

    def open_of(self, resident_id: str, *, lock: bool = False) -> Pregnancy | None:
        query = select(_P).where(_P.c.open_resident_id == resident_id)
        if lock:
            query = query.with_for_update()
        row = self.s.execute(query).first()
        return _pregnancy(row) if row else None

    def find(
        self,
        tenant_id: str,
        scopes: Sequence[str],
        state: PregnancyState | None,
        overdue_before: Any,
        today: Any,
        min_risk: int,
        purple_only: bool,
        after: str | None,
        limit: int,
        residents: Sequence[str] | None = None,
    ) -> list[tuple[Pregnancy, list[AntenatalVisit]]]:
        """Up to ``limit`` pregnancies, newest id first, each with her visits in date order,
        in one read. ``residents``: only these women (a family-doctor team's, capped by the
        caller)."""
        if state is PregnancyState.CLOSED:
            shape = "CLOSED"
        elif state is not None:
            shape = "AFTER_DELIVERY" if state in AFTER_DELIVERY else "OTHER"
        else:
            shape = ""
        query = _page(
            len(scopes), residents is not None, shape, overdue_before is not None,
            bool(min_risk), purple_only, after is not None,
        )  # fmt: skip
        params: dict[str, Any] = {
            "tenant_id": tenant_id, "today": today, "limit": limit, **scope_params(scopes),
            "residents": list(residents or ()), "state": state.value if state else "",
            "overdue_before": overdue_before, "min_risk": min_risk, "after": after,
        }  # fmt: skip
        found: dict[str, tuple[Pregnancy, list[AntenatalVisit]]] = {}
        for row in query.all(self.s, params):
            if row.id not in found:
                found[row.id] = (_pregnancy(row), [])
            if row.v_id is not None:
                found[row.id][1].append(_visit(row, "v_"))
        return list(found.values())

    # -- visits -----------------------------------------------------------------------------
    def add_visit(self, v: AntenatalVisit, request_id: str) -> None:
        self.s.execute(
            insert(_V).values(
                id=v.visit_id, pregnancy_id=v.pregnancy_id, tenant_id=v.tenant_id,
                visit_date=v.visit_date, ga_days=v.ga_days, slot=v.slot, kind=v.kind.value,
                missed_slot=v.missed_slot, abnormal_finding=v.abnormal_finding,
                referral_followed_up=v.referral_followed_up, emergency_reason=v.emergency_reason,
                measures=json.dumps(v.measures), guidance=v.guidance, labs=json.dumps(v.labs),
                create_time=v.create_time, request_id=request_id or None,
            )
        )  # fmt: skip

    def visit(self, visit_id: str) -> AntenatalVisit | None:
        row = self.s.execute(select(_V).where(_V.c.id == visit_id)).first()
        return _visit(row) if row else None

    def add_labs(self, visit_id: str, labs: dict[str, object]) -> None:
        self.s.execute(update(_V).where(_V.c.id == visit_id).values(labs=json.dumps(labs)))

    def visit_by_request(self, request_id: str) -> AntenatalVisit | None:
        row = self.s.execute(select(_V).where(_V.c.request_id == request_id)).first()
        return _visit(row) if row else None

    def visits(
        self, pregnancy_id: str, after: str | None = None, limit: int | None = None
    ) -> list[AntenatalVisit]:
        """In date order; a page (``limit``) in id order."""
        query = _visits(after is not None, limit is not None)
        params = {"pregnancy_id": pregnancy_id, "after": after, "limit": limit}
        return [_visit(r) for r in query.all(self.s, params)]
