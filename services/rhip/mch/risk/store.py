"""The risk-assessment table (append-only: an assessment is never changed) and its
repository."""

from __future__ import annotations

import json
from typing import Any

from rhip.kit.db import utc
from rhip.mch.risk.domain import RiskAssessment, RiskColor
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
    insert,
    select,
)

ASSESSMENT = Table(
    "risk_assessment",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("pregnancy_id", String(36), nullable=False, index=True),
    Column("assessment_date", Date, nullable=False),
    Column("colours", String(60), nullable=False),
    Column("criteria", Text, nullable=False),
    Column("rules_version", String(20), nullable=False),
    Column("rules_pack", String(40), nullable=False),
    Column("assessor", String(80), nullable=False),
    Column("tenant_id", String(36), nullable=False),
    Column("tenant_scope", String(200), nullable=False),
    Column("institution_level", String(30), nullable=False),
    Column("ga_days", Integer, nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Column("request_id", String(36), unique=True),
    Column("postpartum_day", Integer),  # a postpartum assessment: days since the delivery
)
SCREENING = Table(
    "risk_screening",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("pregnancy_id", String(36), nullable=False, index=True),
    Column("tenant_id", String(36), nullable=False),
    Column("screening_date", Date, nullable=False),
    Column("positive", Boolean, nullable=False),
    Column("findings", Text, nullable=False),
    Column("screened_by", String(80), nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Column("request_id", String(36), unique=True),
)
_A, _S = ASSESSMENT, SCREENING


def _assessment(row: Any) -> RiskAssessment:
    return RiskAssessment(
        row.id, row.pregnancy_id, row.assessment_date,
        tuple(RiskColor[c] for c in row.colours.split(",") if c),
        tuple(json.loads(row.criteria)), row.rules_version, row.rules_pack, row.assessor, row.tenant_id,
        row.tenant_scope, row.institution_level, row.ga_days,
        utc(row.create_time), row.postpartum_day,  # type: ignore[arg-type]
    )  # fmt: skip


class RiskStore(StoreBase):
    def add(self, a: RiskAssessment, request_id: str) -> None:
        self.s.execute(
            insert(_A).values(
                id=a.assessment_id, pregnancy_id=a.pregnancy_id,
                assessment_date=a.assessment_date,
                colours=",".join(c.name for c in a.colours), criteria=json.dumps(list(a.criteria)),
                rules_version=a.rules_version, rules_pack=a.rules_pack, assessor=a.assessor, tenant_id=a.tenant_id,
                tenant_scope=a.tenant_scope, institution_level=a.institution_level,
                ga_days=a.ga_days, create_time=a.create_time, request_id=request_id or None,
                postpartum_day=a.postpartum_day,
            )
        )  # fmt: skip

    def by_request(self, request_id: str) -> RiskAssessment | None:
        row = self.s.execute(select(_A).where(_A.c.request_id == request_id)).first()
        return _assessment(row) if row else None

    def series(
        self, pregnancy_id: str, after: str | None = None, limit: int | None = None
    ) -> list[RiskAssessment]:
        query = select(_A).where(_A.c.pregnancy_id == pregnancy_id)
        if after is not None:
            query = query.where(_A.c.id > after)
        query = query.order_by(_A.c.id)
        if limit is not None:
            query = query.limit(limit)
        return [_assessment(r) for r in self.s.execute(query)]


def _screening(row: Any) -> RiskScreening:
    return RiskScreening(
        row.id, row.pregnancy_id, row.tenant_id, row.screening_date, bool(row.positive),
        tuple(json.loads(row.findings)), row.screened_by, utc(row.create_time),  # type: ignore[arg-type]
    )  # fmt: skip


class ScreeningStore(StoreBase):
    """The screenings of pregnancies (append-only)."""

    def add(self, s: RiskScreening, request_id: str) -> None:
        self.s.execute(
            insert(_S).values(
                id=s.screening_id, pregnancy_id=s.pregnancy_id, tenant_id=s.tenant_id,
                screening_date=s.screening_date, positive=s.positive,
                findings=json.dumps(list(s.findings), ensure_ascii=False),
                screened_by=s.screened_by, create_time=s.create_time,
                request_id=request_id or None,
            )
        )  # fmt: skip

    def by_request(self, request_id: str) -> RiskScreening | None:
        row = self.s.execute(select(_S).where(_S.c.request_id == request_id)).first()
        return _screening(row) if row else None
