"""High-risk case reports (DOMAIN §3.2: "one case found, one registered, one reported, one
managed, one treated"): a grading that raises a pregnancy to orange, or from orange to red,
files one report to the health commission of the managing institution's county, which lists
and acknowledges them. Domain, table and repository of the reports (small enough for one
file)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from rhip.kit.db import utc
from rhip.kit.errors import FailedPrecondition
from rhip.kit.scopes import within_scopes
from rhip.mch.risk.domain import BY_SEVERITY, SEVERITY, RiskColor
from rhip.mch.store import StoreBase, metadata
from sqlalchemy import Column, DateTime, Integer, String, Table, insert, select, update


@dataclass(frozen=True)
class RiskReport:
    report_id: str
    pregnancy_id: str
    resident_id: str
    assessment_id: str
    colour: RiskColor
    scope_path: str  # the county (region path) of the managing institution
    state: str  # OPEN, ACKNOWLEDGED
    create_time: datetime
    acknowledged_by: str = ""
    acknowledge_time: datetime | None = None
    note: str = ""

    def acknowledged(self, by: str, at: datetime, note: str) -> RiskReport:
        if self.state != "OPEN":
            raise FailedPrecondition(
                "the report is already acknowledged", reason="REPORT_ACKNOWLEDGED"
            )
        return replace(
            self, state="ACKNOWLEDGED", acknowledged_by=by, acknowledge_time=at, note=note
        )


def report_due(before: int, after: int) -> RiskColor | None:
    """The colour to report when a grading moves the severity from ``before`` to ``after``:
    reaching orange from below, or red from below red; None otherwise."""
    if after >= SEVERITY[RiskColor.ORANGE] and after > before:
        return BY_SEVERITY[after]
    return None


REPORT = Table(
    "risk_report",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("pregnancy_id", String(36), nullable=False, index=True),
    Column("resident_id", String(36), nullable=False),
    Column("assessment_id", String(36), nullable=False),
    Column("colour", Integer, nullable=False),
    Column("scope_path", String(200), nullable=False, index=True),
    Column("state", String(14), nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Column("acknowledged_by", String(80), nullable=False),
    Column("acknowledge_time", DateTime(timezone=True)),
    Column("note", String(500), nullable=False),
)
_R = REPORT


def _report(row: Any) -> RiskReport:
    return RiskReport(
        row.id, row.pregnancy_id, row.resident_id, row.assessment_id, RiskColor(row.colour),
        row.scope_path, row.state, utc(row.create_time),  # type: ignore[arg-type]
        row.acknowledged_by, utc(row.acknowledge_time), row.note,
    )  # fmt: skip


class ReportStore(StoreBase):
    def add(self, r: RiskReport) -> None:
        self.s.execute(
            insert(_R).values(
                id=r.report_id, pregnancy_id=r.pregnancy_id, resident_id=r.resident_id,
                assessment_id=r.assessment_id, colour=r.colour.value, scope_path=r.scope_path,
                state=r.state, create_time=r.create_time, acknowledged_by="",
                acknowledge_time=None, note="",
            )
        )  # fmt: skip

    def save(self, r: RiskReport) -> None:
        self.s.execute(
            update(_R)
            .where(_R.c.id == r.report_id)
            .values(
                state=r.state,
                acknowledged_by=r.acknowledged_by,
                acknowledge_time=r.acknowledge_time,
                note=r.note,
            )
        )

    def get(self, report_id: str, *, lock: bool = False) -> RiskReport | None:
        query = select(_R).where(_R.c.id == report_id)
        if lock:
            query = query.with_for_update()
        row = self.s.execute(query).first()
        return _report(row) if row else None

    def find(
        self, root: str, scopes: Sequence[str], open_only: bool, after: str | None, limit: int
    ) -> list[RiskReport]:
        query = select(_R).where(
            within_scopes(_R.c.scope_path, [root]), within_scopes(_R.c.scope_path, scopes)
        )
        if open_only:
            query = query.where(_R.c.state == "OPEN")
        if after is not None:
            query = query.where(_R.c.id < after)
        return [_report(r) for r in self.s.execute(query.order_by(_R.c.id.desc()).limit(limit))]
