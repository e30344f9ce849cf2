"""Delivery and newborn tables and their repository. A newborn's ``resident_id`` is filled
once identity registered the baby; until then a retry of the delivery completes it."""

from __future__ import annotations

from typing import Any

from rhip.kit.db import utc
from rhip.mch.deliveries.domain import Delivery, DeliveryMode, Newborn, NewbornSex
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
    insert,
    select,
    update,
)  # fmt: skip

DELIVERY = Table(
    "delivery",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("pregnancy_id", String(36), nullable=False, index=True),
    Column("mother_id", String(36), nullable=False, index=True),
    Column("tenant_id", String(36), nullable=False, index=True),
    Column("scope_path", String(200), nullable=False),
    Column("pregnancy_scope", String(200), nullable=False),
    Column("delivery_date", Date, nullable=False),
    Column("mode", String(12), nullable=False),
    Column("ga_days", Integer, nullable=False),
    Column("recorded_by", String(80), nullable=False),
    Column("discharge_date", Date, nullable=False),
    Column("emergency_reason", String(500), nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Column("request_id", String(36), unique=True),
)
NEWBORN = Table(
    "newborn",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("delivery_id", String(36), nullable=False, index=True),
    Column("birth_order", Integer, nullable=False),
    Column("sex", String(12), nullable=False),
    Column("birth_time", DateTime(timezone=True), nullable=False),
    Column("weight_g", Integer, nullable=False),
    Column("length_cm", Float, nullable=False),
    Column("apgar_1min", Integer, nullable=False),
    Column("live_birth", Boolean, nullable=False),
    Column("display_name", String(50), nullable=False),
    Column("resident_id", String(36), nullable=False),
)
_D, _N = DELIVERY, NEWBORN


def _newborn(row: Any) -> Newborn:
    return Newborn(
        row.id, row.birth_order, NewbornSex(row.sex), utc(row.birth_time), row.weight_g,
        row.length_cm, row.apgar_1min, bool(row.live_birth), row.display_name, row.resident_id,
    )  # fmt: skip


class DeliveryStore(StoreBase):
    def add(self, d: Delivery, request_id: str) -> None:
        self.s.execute(
            insert(_D).values(
                id=d.delivery_id, pregnancy_id=d.pregnancy_id, mother_id=d.mother_id,
                tenant_id=d.tenant_id, scope_path=d.scope_path,
                pregnancy_scope=d.pregnancy_scope, delivery_date=d.delivery_date,
                mode=d.mode.value, ga_days=d.ga_days, recorded_by=d.recorded_by,
                discharge_date=d.discharge_date, emergency_reason=d.emergency_reason,
                create_time=d.create_time, request_id=request_id or None,
            )
        )  # fmt: skip
        for n in d.newborns:
            assert n.sex is not None and n.birth_time is not None
            self.s.execute(
                insert(_N).values(
                    id=n.newborn_id, delivery_id=d.delivery_id, birth_order=n.birth_order,
                    sex=n.sex.value, birth_time=n.birth_time, weight_g=n.weight_g,
                    length_cm=n.length_cm, apgar_1min=n.apgar_1min, live_birth=n.live_birth,
                    display_name=n.display_name, resident_id=n.resident_id,
                )
            )  # fmt: skip

    def link_newborn(self, newborn_id: str, resident_id: str) -> None:
        self.s.execute(
            update(_N)
            .where(_N.c.id == newborn_id, _N.c.resident_id == "")
            .values(resident_id=resident_id)
        )

    def get(self, delivery_id: str) -> Delivery | None:
        row = self.s.execute(select(_D).where(_D.c.id == delivery_id)).first()
        return self._delivery(row) if row else None

    def by_request(self, request_id: str) -> Delivery | None:
        row = self.s.execute(select(_D).where(_D.c.request_id == request_id)).first()
        return self._delivery(row) if row else None

    def _delivery(self, row: Any) -> Delivery:
        babies = self.s.execute(
            select(_N).where(_N.c.delivery_id == row.id).order_by(_N.c.birth_order)
        )
        return Delivery(
            row.id, row.pregnancy_id, row.mother_id, row.tenant_id, row.scope_path,
            row.pregnancy_scope, row.delivery_date, DeliveryMode(row.mode), row.ga_days,
            tuple(_newborn(b) for b in babies), row.recorded_by,
            utc(row.create_time),  # type: ignore[arg-type]
            row.discharge_date, row.emergency_reason,
        )  # fmt: skip
