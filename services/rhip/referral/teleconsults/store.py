"""Cooperation agreement and teleconsultation tables and their repository; lists filter in
SQL by the caller's scopes; nothing here commits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any, cast

from rhip.kit.db import utc
from rhip.kit.scopes import within_scopes
from rhip.referral.referrals.store import Base
from rhip.referral.teleconsults.domain import Agreement, Teleconsultation, TState
from sqlalchemy import Connection, Date, DateTime, Index, String, Text, insert, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column


class AgreementRow(Base):
    __tablename__ = "cooperation_agreement"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    inviting_tenant_id: Mapped[str] = mapped_column(String(36))
    inviting_scope: Mapped[str] = mapped_column(String(120))
    invited_tenant_id: Mapped[str] = mapped_column(String(36))
    invited_scope: Mapped[str] = mapped_column(String(120))
    scope_text: Mapped[str] = mapped_column(Text)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    liability: Mapped[str] = mapped_column(Text)
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_key: Mapped[str | None] = mapped_column(String(36), unique=True)
    # The other institution's region across cells (migration referral_0005c); "" within one.
    peer_region: Mapped[str] = mapped_column(String(6), server_default="")


class TeleconsultationRow(Base):
    __tablename__ = "teleconsultation"
    # One resident's teleconsultations (migration referral_0004): emr's care relationships.
    __table_args__ = (Index("ix_teleconsultation_resident", "resident_id", "id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    inviting_tenant_id: Mapped[str] = mapped_column(String(36))
    inviting_scope: Mapped[str] = mapped_column(String(120))
    invited_tenant_id: Mapped[str] = mapped_column(String(36))
    invited_scope: Mapped[str] = mapped_column(String(120))
    agreement_id: Mapped[str] = mapped_column(String(36))
    resident_id: Mapped[str] = mapped_column(String(36))
    form: Mapped[str] = mapped_column(Text)
    specialty: Mapped[str] = mapped_column(String(50))
    consent: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    physician: Mapped[str] = mapped_column(String(80), server_default="")
    scheduled_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason_closed: Mapped[str] = mapped_column(Text, server_default="")
    recording: Mapped[str] = mapped_column(String(300), server_default="")
    session_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    report: Mapped[str] = mapped_column(Text, server_default="{}")
    decision: Mapped[str] = mapped_column(Text, server_default="")
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    update_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_key: Mapped[str | None] = mapped_column(String(36), unique=True)
    # The other institution's region across cells (migration referral_0005c); "" within one.
    peer_region: Mapped[str] = mapped_column(String(6), server_default="")


AGREEMENTS = cast(Any, AgreementRow.__table__)
TCS = cast(Any, TeleconsultationRow.__table__)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class TeleconsultStore:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    # -- agreements ----------------------------------------------------------------------------
    def add_agreement(self, a: Agreement, key: str) -> None:
        values = asdict(a)
        values["id"] = values.pop("agreement_id")
        self.s.execute(insert(AGREEMENTS).values(**values, request_key=key or None))

    def agreement(self, agreement_id: str) -> Agreement | None:
        row = self.s.execute(select(AGREEMENTS).where(AGREEMENTS.c.id == agreement_id)).first()
        return _agreement(row) if row else None

    def agreement_by_request(self, key: str) -> Agreement | None:
        row = self.s.execute(select(AGREEMENTS).where(AGREEMENTS.c.request_key == key)).first()
        return _agreement(row) if row else None

    def agreement_in_force(self, inviting: str, invited: str, day: date) -> Agreement | None:
        row = self.s.execute(
            select(AGREEMENTS)
            .where(
                AGREEMENTS.c.inviting_tenant_id == inviting,
                AGREEMENTS.c.invited_tenant_id == invited,
                AGREEMENTS.c.start_date <= day,
                AGREEMENTS.c.end_date >= day,
            )
            .order_by(AGREEMENTS.c.id.desc())
        ).first()
        return _agreement(row) if row else None

    def agreements(
        self, scope: str, scopes: list[str], after: str | None, limit: int
    ) -> list[Agreement]:
        c = AGREEMENTS.c
        query = select(AGREEMENTS).where(
            or_(c.inviting_scope == scope, c.invited_scope == scope),
            or_(within_scopes(c.inviting_scope, scopes), within_scopes(c.invited_scope, scopes)),
        )
        if after:
            query = query.where(c.id < after)
        return [_agreement(r) for r in self.s.execute(query.order_by(c.id.desc()).limit(limit))]

    # -- teleconsultations -------------------------------------------------------------------
    def add(self, t: Teleconsultation, key: str) -> None:
        self.s.execute(
            insert(TCS).values(
                id=t.teleconsultation_id, inviting_tenant_id=t.inviting_tenant_id,
                inviting_scope=t.inviting_scope, invited_tenant_id=t.invited_tenant_id,
                invited_scope=t.invited_scope, agreement_id=t.agreement_id,
                resident_id=t.resident_id, form=_json(t.form),
                specialty=t.form.get("specialty", "")[:50], consent=_json(t.consent),
                state=t.state.value, create_time=t.create_time, update_time=t.update_time,
                request_key=key or None, peer_region=t.peer_region,
            )
        )  # fmt: skip

    def by_request(self, key: str) -> Teleconsultation | None:
        row = self.s.execute(select(TCS).where(TCS.c.request_key == key)).first()
        return _tc(row) if row else None

    def get(self, tc_id: str, *, lock: bool = False) -> Teleconsultation | None:
        query = select(TCS).where(TCS.c.id == tc_id)
        row = self.s.execute(query.with_for_update() if lock else query).first()
        return _tc(row) if row else None

    def update(self, tc_id: str, **values: Any) -> None:
        if "state" in values:
            values["state"] = values["state"].value
        if "report" in values:
            values["report"] = _json(values["report"])
        if "form" in values:
            values["form"] = _json(values["form"])
        self.s.execute(update(TCS).where(TCS.c.id == tc_id).values(**values))

    def list_for(
        self, scope: str, scopes: list[str], after: str | None, limit: int, resident_id: str = ""
    ) -> list[Teleconsultation]:
        c = TCS.c
        query = select(TCS).where(
            or_(c.inviting_scope == scope, c.invited_scope == scope),
            or_(within_scopes(c.inviting_scope, scopes), within_scopes(c.invited_scope, scopes)),
        )
        if resident_id:
            query = query.where(c.resident_id == resident_id)
        if after:
            query = query.where(c.id < after)
        rows: Sequence[Any] = self.s.execute(query.order_by(c.id.desc()).limit(limit)).all()
        return [_tc(r) for r in rows]


def _agreement(r: Any) -> Agreement:
    return Agreement(
        r.id, r.inviting_tenant_id, r.inviting_scope, r.invited_tenant_id, r.invited_scope,
        r.scope_text, r.start_date, r.end_date, r.liability, utc(r.create_time),  # type: ignore[arg-type]
        r.peer_region,
    )  # fmt: skip


def _tc(r: Any) -> Teleconsultation:
    return Teleconsultation(
        teleconsultation_id=r.id,
        inviting_tenant_id=r.inviting_tenant_id,
        inviting_scope=r.inviting_scope,
        invited_tenant_id=r.invited_tenant_id,
        invited_scope=r.invited_scope,
        agreement_id=r.agreement_id,
        resident_id=r.resident_id,
        form=json.loads(r.form),
        consent=json.loads(r.consent),
        state=TState(r.state),
        create_time=utc(r.create_time),  # type: ignore[arg-type]
        update_time=utc(r.update_time),  # type: ignore[arg-type]
        physician=r.physician,
        scheduled_time=utc(r.scheduled_time),
        reason_closed=r.reason_closed,
        recording=r.recording,
        session_end=utc(r.session_end),
        report=json.loads(r.report or "{}"),
        decision=r.decision,
        peer_region=r.peer_region,
    )
