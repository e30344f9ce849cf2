"""Child health record and child visit tables and their repository. ``resident_id`` is
unique: one child health record per child in the cell."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from rhip.kit.db import utc
from rhip.kit.scopes import within_scopes
from rhip.mch.children.domain import ChildRecord, ChildVisit, Finding
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
    insert,
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
)
_C, _V = CHILD, CHILD_VISIT


class ChildTaken(Exception):
    """The child already has a child health record in this cell."""


def _record(row: Any) -> ChildRecord:
    return ChildRecord(
        row.id, row.resident_id, row.tenant_id, row.scope_path, row.birth_date, row.next_slot,
        row.next_slot_end, row.open_referral, utc(row.create_time),  # type: ignore[arg-type]
    )  # fmt: skip


def _visit(row: Any) -> ChildVisit:
    return ChildVisit(
        row.id, row.record_id, row.tenant_id, row.visit_date, row.age_days, row.slot,
        row.missed_slot, row.weight_kg, row.length_cm,
        {k: Finding(v) for k, v in json.loads(row.eye).items()}, row.acuity_left,
        row.acuity_right, bool(row.referral), bool(row.referral_followed_up),
        bool(row.six_month_referral_pending), utc(row.create_time),  # type: ignore[arg-type]
    )  # fmt: skip


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
                    )
                )  # fmt: skip
        except IntegrityError:
            raise ChildTaken() from None

    def save(self, r: ChildRecord) -> None:
        self.s.execute(
            update(_C)
            .where(_C.c.id == r.record_id)
            .values(
                next_slot=r.next_slot, next_slot_end=r.next_slot_end, open_referral=r.open_referral
            )
        )

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
        after: str | None, limit: int,
    ) -> list[ChildRecord]:  # fmt: skip
        query = select(_C).where(
            _C.c.tenant_id == tenant_id, within_scopes(_C.c.scope_path, scopes)
        )
        if overdue_before is not None:
            query = query.where(_C.c.next_slot_end < overdue_before)
        if after is not None:
            query = query.where(_C.c.id < after)
        return [_record(r) for r in self.s.execute(query.order_by(_C.c.id.desc()).limit(limit))]

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
