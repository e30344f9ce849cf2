"""Child health record and child visit tables and their repository. ``resident_id`` is
unique: one child health record per child in the cell. The record keeps the child's birth
facts (children/birth.py) and the risk factors found since; a visit its development check,
haemoglobin, hearing screen and the risk factors it found."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from rhip.kit.db import utc
from rhip.kit.scopes import within_scopes
from rhip.mch.children.birth import NEWBORN_SLOTS, BirthFacts
from rhip.mch.children.development import Development, DevelopmentResult
from rhip.mch.children.domain import ChildRecord, ChildVisit, Finding
from rhip.mch.children.screening import Hearing
from rhip.mch.deliveries.store import DELIVERY, NEWBORN
from rhip.mch.store import StoreBase, metadata
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    Text,
    false,
    func,
    insert,
    or_,
    select,
    update,
)  # fmt: skip
from sqlalchemy.exc import IntegrityError

CHILD = Table(
    "child_record",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("resident_id", String(36), nullable=False, unique=True),
    Column("tenant_id", String(36), nullable=False, index=True),
    Column("scope_path", String(200), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("next_slot", String(8), nullable=False),
    Column("next_slot_end", Date, index=True),
    Column("open_referral", String(36), nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Column("request_id", String(36), unique=True),
    # Birth facts (0 / false / NULL: unknown); server defaults let a bundle from a cell that
    # predates them be imported.
    Column("birth_weight_g", Integer, nullable=False, server_default="0"),
    Column("gestational_weeks", Integer, nullable=False, server_default="0"),
    Column("multiple_birth", Boolean, nullable=False, server_default=false()),
    Column("birth_defect", Boolean, nullable=False, server_default=false()),
    Column("discharge_date", Date),
    Column("facts_from_delivery", Boolean, nullable=False, server_default=false()),
    # Risk factors found at visits after the enrolment (comma-joined), the day they made the
    # child high-risk and the extra newborn visits that added (birth.py: found_at; mch_0011r).
    Column("risks_found", String(80), nullable=False, server_default=""),
    Column("high_risk_since", Date),
    Column("found_visits", String(16), nullable=False, server_default=""),
)
CHILD_VISIT = Table(
    "child_visit",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("record_id", String(36), nullable=False, index=True),
    Column("tenant_id", String(36), nullable=False),
    Column("visit_date", Date, nullable=False),
    Column("age_days", Integer, nullable=False),
    Column("slot", String(8), nullable=False),
    Column("missed_slot", String(8), nullable=False),
    Column("weight_kg", Float, nullable=False),
    Column("length_cm", Float, nullable=False),
    Column("eye", Text, nullable=False),
    Column("acuity_left", Float, nullable=False),
    Column("acuity_right", Float, nullable=False),
    Column("referral", Boolean, nullable=False),
    Column("referral_followed_up", Boolean, nullable=False),
    Column("six_month_referral_pending", Boolean, nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Column("request_id", String(36), unique=True),
    # {"result", "group", "signs"} or "" when not assessed.
    Column("development", Text, nullable=False, server_default=""),
    Column("haemoglobin_g_l", Float, nullable=False, server_default="0"),
    Column("anaemia", Boolean, nullable=False, server_default=false()),
    Column("hearing_left", String(8), nullable=False, server_default=""),
    Column("hearing_right", String(8), nullable=False, server_default=""),
    Column("referral_reasons", String(60), nullable=False, server_default=""),  # comma-joined
    # The newborn risk factors this visit found (comma-joined; mch_0011r).
    Column("risk_factors_found", String(80), nullable=False, server_default=""),
)
# Enrolment finds the child's delivery by the newborn's resident (index of mch_0004m).
_C, _V, _D, _N = CHILD, CHILD_VISIT, DELIVERY, NEWBORN


class ChildTaken(Exception):
    """The child already has a child health record in this cell."""


def _codes(text: str | None) -> tuple[str, ...]:
    return tuple(c for c in (text or "").split(",") if c)


def _record(row: Any) -> ChildRecord:
    facts = BirthFacts(
        row.birth_weight_g, row.gestational_weeks, bool(row.multiple_birth),
        bool(row.birth_defect), row.discharge_date, bool(row.facts_from_delivery),
        _codes(row.risks_found), row.high_risk_since, _codes(row.found_visits),
    )  # fmt: skip
    return ChildRecord(
        row.id, row.resident_id, row.tenant_id, row.scope_path, row.birth_date, row.next_slot,
        row.next_slot_end, row.open_referral, utc(row.create_time),  # type: ignore[arg-type]
        facts,
    )  # fmt: skip


def _development(text: str) -> Development | None:
    if not text:
        return None
    found = json.loads(text)
    return Development(DevelopmentResult(found["result"]), found["group"], tuple(found["signs"]))


def _hearing(text: str) -> Hearing | None:
    return Hearing(text) if text else None


def _visit(row: Any) -> ChildVisit:
    return ChildVisit(
        row.id, row.record_id, row.tenant_id, row.visit_date, row.age_days, row.slot,
        row.missed_slot, row.weight_kg, row.length_cm,
        {k: Finding(v) for k, v in json.loads(row.eye).items()}, row.acuity_left,
        row.acuity_right, bool(row.referral), bool(row.referral_followed_up),
        bool(row.six_month_referral_pending), utc(row.create_time),  # type: ignore[arg-type]
        _development(row.development), row.haemoglobin_g_l, bool(row.anaemia),
        _hearing(row.hearing_left), _hearing(row.hearing_right),
        tuple(r for r in row.referral_reasons.split(",") if r), _codes(row.risk_factors_found),
    )  # fmt: skip


def _found(r: ChildRecord) -> dict[str, Any]:
    """The columns of the risk factors found after the enrolment."""
    return {
        "risks_found": ",".join(r.facts.found),
        "high_risk_since": r.facts.found_on,
        "found_visits": ",".join(r.facts.found_visits),
    }


class ChildStore(StoreBase):
    def add(self, r: ChildRecord, request_id: str) -> None:
        try:
            with self.s.begin_nested():
                self.s.execute(
                    insert(_C).values(
                        id=r.record_id, resident_id=r.resident_id, tenant_id=r.tenant_id,
                        scope_path=r.scope_path, birth_date=r.birth_date, next_slot=r.next_slot,
                        next_slot_end=r.next_slot_end, open_referral=r.open_referral,
                        create_time=r.create_time, request_id=request_id or None,
                        birth_weight_g=r.facts.weight_g,
                        gestational_weeks=r.facts.gestational_weeks,
                        multiple_birth=r.facts.multiple, birth_defect=r.facts.birth_defect,
                        discharge_date=r.facts.discharge_date,
                        facts_from_delivery=r.facts.from_delivery, **_found(r),
                    )
                )  # fmt: skip
        except IntegrityError:
            raise ChildTaken() from None

    def save(self, r: ChildRecord) -> None:
        self.s.execute(
            update(_C)
            .where(_C.c.id == r.record_id)
            .values(
                next_slot=r.next_slot, next_slot_end=r.next_slot_end,
                open_referral=r.open_referral, **_found(r),
            )
        )  # fmt: skip

    def move(self, record_id: str, tenant_id: str, scope_path: str) -> None:
        """The record (and with it, by its id, its schedule, visits and vision history) is
        managed by ``tenant_id`` from now on."""
        self.s.execute(
            update(_C)
            .where(_C.c.id == record_id)
            .values(tenant_id=tenant_id, scope_path=scope_path)
        )

    def get(self, record_id: str, *, lock: bool = False) -> ChildRecord | None:
        query = select(_C).where(_C.c.id == record_id)
        if lock:
            query = query.with_for_update()
        row = self.s.execute(query).first()
        return _record(row) if row else None

    def by_request(self, request_id: str) -> ChildRecord | None:
        row = self.s.execute(select(_C).where(_C.c.request_id == request_id)).first()
        return _record(row) if row else None

    def of_child(self, resident_id: str) -> ChildRecord | None:
        row = self.s.execute(select(_C).where(_C.c.resident_id == resident_id)).first()
        return _record(row) if row else None

    def find(
        self, tenant_id: str, scopes: Sequence[str], overdue_before: date | None,
        after: str | None, limit: int, residents: Sequence[str] | None = None,
    ) -> list[ChildRecord]:  # fmt: skip
        """``residents``: only these children (a family-doctor team's, capped by the caller)."""
        query = select(_C).where(
            _C.c.tenant_id == tenant_id, within_scopes(_C.c.scope_path, scopes)
        )
        if residents is not None:
            query = query.where(_C.c.resident_id.in_(residents))
        if overdue_before is not None:
            query = query.where(_C.c.next_slot_end < overdue_before)
        if after is not None:
            query = query.where(_C.c.id < after)
        return [_record(r) for r in self.s.execute(query.order_by(_C.c.id.desc()).limit(limit))]

    def delivery_facts(self, resident_id: str) -> BirthFacts | None:
        """The birth facts of the delivery record of this cell that holds the child as one of
        its newborns (weight, gestational age when a pregnancy was registered, multiples,
        discharge), or None."""
        row = self.s.execute(
            select(_N.c.delivery_id, _N.c.weight_g, _D.c.ga_days, _D.c.discharge_date)
            .select_from(_N.join(_D, _D.c.id == _N.c.delivery_id))
            .where(_N.c.resident_id == resident_id)
            .limit(1)
        ).first()
        if row is None:
            return None
        babies = self.s.execute(
            select(func.count()).select_from(_N).where(_N.c.delivery_id == row.delivery_id)
        ).scalar_one()
        return BirthFacts(
            row.weight_g, row.ga_days // 7, babies > 1, False, row.discharge_date, True
        )

    def newborn_visits(
        self, delivery_id: str, days: Collection[date]
    ) -> list[tuple[date, str, str, str]]:
        """The newborn home visits (a visit filling a newborn slot, or one outside every window
        that came late for it) on ``days`` of the live-born babies of ``delivery_id`` enrolled
        here: (visit date, record id, visit id, record scope), by date."""
        if not days:
            return []
        newborn = or_(_V.c.slot.in_(NEWBORN_SLOTS), _V.c.missed_slot.in_(NEWBORN_SLOTS))
        rows = self.s.execute(
            select(_V.c.visit_date, _V.c.record_id, _V.c.id, _C.c.scope_path)
            .select_from(
                _N.join(_C, _C.c.resident_id == _N.c.resident_id).join(
                    _V, _V.c.record_id == _C.c.id
                )
            )
            .where(
                _N.c.delivery_id == delivery_id,
                _N.c.live_birth.is_(True),
                _V.c.visit_date.in_(sorted(days)),
                newborn,
            )
            .order_by(_V.c.visit_date, _V.c.record_id, _V.c.id)
        )
        return [(r.visit_date, r.record_id, r.id, r.scope_path) for r in rows]

    def add_visit(self, v: ChildVisit, request_id: str) -> None:
        self.s.execute(
            insert(_V).values(
                id=v.visit_id, record_id=v.record_id, tenant_id=v.tenant_id,
                visit_date=v.visit_date, age_days=v.age_days, slot=v.slot,
                missed_slot=v.missed_slot, weight_kg=v.weight_kg, length_cm=v.length_cm,
                eye=json.dumps({k: f.value for k, f in v.eye.items()}),
                acuity_left=v.acuity_left, acuity_right=v.acuity_right, referral=v.referral,
                referral_followed_up=v.referral_followed_up,
                six_month_referral_pending=v.six_month_referral_pending,
                create_time=v.create_time, request_id=request_id or None,
                development=json.dumps({
                    "result": v.development.result.value, "group": v.development.group,
                    "signs": list(v.development.signs),
                }) if v.development else "",
                haemoglobin_g_l=v.haemoglobin_g_l, anaemia=v.anaemia,
                hearing_left=v.hearing_left.value if v.hearing_left else "",
                hearing_right=v.hearing_right.value if v.hearing_right else "",
                referral_reasons=",".join(v.referral_reasons),
                risk_factors_found=",".join(v.risk_factors_found),
            )
        )  # fmt: skip

    def visit_by_request(self, request_id: str) -> ChildVisit | None:
        row = self.s.execute(select(_V).where(_V.c.request_id == request_id)).first()
        return _visit(row) if row else None

    def visits(self, record_id: str) -> list[ChildVisit]:
        rows = self.s.execute(
            select(_V).where(_V.c.record_id == record_id).order_by(_V.c.visit_date, _V.c.id)
        )
        return [_visit(r) for r in rows]

    def visits_of(self, record_ids: Sequence[str]) -> dict[str, list[ChildVisit]]:
        """The visits of several children in one read (a list page), each in date order."""
        found: dict[str, list[ChildVisit]] = {i: [] for i in record_ids}
        if not record_ids:
            return found
        rows = self.s.execute(
            select(_V)
            .where(_V.c.record_id.in_(list(record_ids)))
            .order_by(_V.c.record_id, _V.c.visit_date, _V.c.id)
        )
        for row in rows:
            found[row.record_id].append(_visit(row))
        return found
