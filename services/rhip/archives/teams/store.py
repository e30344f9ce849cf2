"""Family-doctor team and contract tables and their repository."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from rhip.archives.records.store import RECORDS
from rhip.archives.store import Base, StoreBase
from rhip.archives.teams.domain import CareTeam, Contract
from rhip.kit.db import utc
from rhip.kit.scopes import within_scopes
from sqlalchemy import Date, DateTime, String, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column


class CareTeamRow(Base):
    __tablename__ = "care_team"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    display_name: Mapped[str] = mapped_column(String(100))
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str | None] = mapped_column(String(36), unique=True)


class ContractRow(Base):
    """A family-doctor contract; ``active_record_id`` (unique, NULL once ended) keeps one
    active contract per record."""

    __tablename__ = "care_contract"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    active_record_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    team_id: Mapped[str] = mapped_column(String(36), index=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(10))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    end_reason: Mapped[str] = mapped_column(String(500))
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str | None] = mapped_column(String(36), unique=True)


_TEAM = cast(Any, CareTeamRow.__table__)
_CON = cast(Any, ContractRow.__table__)


def _contract(row: Any) -> Contract:
    return Contract(
        row.id, row.record_id, row.team_id, row.tenant_id, row.state, row.start_date,
        row.end_date, row.end_reason, utc(row.create_time),  # type: ignore[arg-type]
    )  # fmt: skip


class TeamsStore(StoreBase):
    def add_team(self, team: CareTeam, request_id: str) -> None:
        self.s.execute(
            insert(_TEAM).values(
                id=team.team_id,
                tenant_id=team.tenant_id,
                display_name=team.display_name,
                create_time=team.create_time,
                request_id=request_id or None,
            )
        )

    def team(self, team_id: str) -> CareTeam | None:
        row = self.s.execute(select(_TEAM).where(_TEAM.c.id == team_id)).first()
        if row is None:
            return None
        return CareTeam(row.id, row.tenant_id, row.display_name, utc(row.create_time))  # type: ignore[arg-type]

    def team_by_request(self, request_id: str) -> CareTeam | None:
        row = self.s.execute(select(_TEAM.c.id).where(_TEAM.c.request_id == request_id)).first()
        return self.team(row.id) if row else None

    def teams(self, tenant_id: str) -> list[CareTeam]:
        rows = self.s.execute(
            select(_TEAM).where(_TEAM.c.tenant_id == tenant_id).order_by(_TEAM.c.id)
        )
        return [CareTeam(r.id, r.tenant_id, r.display_name, utc(r.create_time)) for r in rows]  # type: ignore[arg-type]

    def add_contract(self, c: Contract, request_id: str) -> None:
        self.s.execute(
            insert(_CON).values(
                id=c.contract_id,
                record_id=c.record_id,
                active_record_id=c.record_id if c.state == "active" else None,
                team_id=c.team_id,
                tenant_id=c.tenant_id,
                state=c.state,
                start_date=c.start_date,
                end_date=c.end_date,
                end_reason=c.end_reason,
                create_time=c.create_time,
                request_id=request_id or None,
            )
        )

    def save_contract(self, c: Contract) -> None:
        self.s.execute(
            update(_CON)
            .where(_CON.c.id == c.contract_id)
            .values(
                active_record_id=c.record_id if c.state == "active" else None,
                team_id=c.team_id,
                state=c.state,
                end_date=c.end_date,
                end_reason=c.end_reason,
            )
        )

    def contract(self, contract_id: str) -> Contract | None:
        row = self.s.execute(select(_CON).where(_CON.c.id == contract_id)).first()
        return _contract(row) if row else None

    def contract_by_request(self, request_id: str) -> Contract | None:
        row = self.s.execute(select(_CON).where(_CON.c.request_id == request_id)).first()
        return _contract(row) if row else None

    def active_contract(self, record_id: str) -> Contract | None:
        row = self.s.execute(select(_CON).where(_CON.c.active_record_id == record_id)).first()
        return _contract(row) if row else None

    def end_active_contract(self, record_id: str, reason: str) -> None:
        """The record left its institution: the contract with that institution's team ends."""
        contract = self.active_contract(record_id)
        if contract is not None:
            self.save_contract(contract.ended(reason))

    def contracts(self, record_id: str) -> list[Contract]:
        rows = self.s.execute(
            select(_CON).where(_CON.c.record_id == record_id).order_by(_CON.c.id.desc())
        )
        return [_contract(r) for r in rows]

    def contracted_residents(
        self, team_id: str, scopes: Sequence[str], today: date, after: str | None, limit: int
    ) -> list[str]:
        """The resident ids of the team's contracts in force on ``today`` (active, started,
        not past their end date: a lapsed contract nobody ended no longer counts), of records
        within ``scopes``, in id order after ``after``."""
        query = (
            select(RECORDS.c.resident_id)
            .select_from(_CON.join(RECORDS, RECORDS.c.id == _CON.c.record_id))
            .where(
                _CON.c.team_id == team_id,
                _CON.c.active_record_id.is_not(None),
                _CON.c.start_date <= today,
                _CON.c.end_date >= today,
                within_scopes(RECORDS.c.scope_path, scopes),
            )
        )
        if after is not None:
            query = query.where(RECORDS.c.resident_id > after)
        query = query.order_by(RECORDS.c.resident_id).limit(limit)
        return [row.resident_id for row in self.s.execute(query)]
