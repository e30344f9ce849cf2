"""Referral tables and their repository. Every list takes the caller's scopes and filters in
SQL; nothing here commits (the use case owns the transaction)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any, cast

from rhip.kit.db import utc
from rhip.kit.ids import new_id
from rhip.kit.scopes import within_scopes
from rhip.referral.referrals.domain import (
    TIMED,
    Consent,
    Direction,
    Referral,
    Snapshot,
    State,
    Transition,
)
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    and_,
    insert,
    or_,
    select,
    text,
    true,
)
from sqlalchemy import update as sql_update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


_TIMED = "state IN ('SUBMITTED', 'ACCEPTED')"


class ReferralRow(Base):
    __tablename__ = "referral"
    __table_args__ = (
        Index("ix_referral_sender", "sender_scope", "id"),
        Index("ix_referral_receiver", "receiver_scope", "id"),
        # One resident's referrals (migration referral_0004): emr's care relationships.
        Index("ix_referral_resident", "resident_id", "id"),
        # The overdue lists (migration referral_0003): waiting referrals in deadline order.
        Index(
            "ix_referral_sender_overdue", "sender_scope", "deadline", "id",
            postgresql_where=text(_TIMED), sqlite_where=text(_TIMED),
        ),
        Index(
            "ix_referral_overdue", "deadline", "id",
            postgresql_where=text(_TIMED), sqlite_where=text(_TIMED),
        ),
    )  # fmt: skip
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8))
    resident_id: Mapped[str] = mapped_column(String(36))
    sender_tenant_id: Mapped[str] = mapped_column(String(36))
    sender_region: Mapped[str] = mapped_column(String(12))
    sender_scope: Mapped[str] = mapped_column(String(120))
    receiver_tenant_id: Mapped[str] = mapped_column(String(36))
    receiver_scope: Mapped[str] = mapped_column(String(120))
    managing_scope: Mapped[str] = mapped_column(String(120), server_default="")
    department: Mapped[str] = mapped_column(String(50))
    receiving_doctor: Mapped[str] = mapped_column(String(50))
    outward: Mapped[str] = mapped_column(Text)
    consent: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12))
    snapshot: Mapped[str | None] = mapped_column(Text)
    return_form: Mapped[str] = mapped_column(Text, server_default="{}")
    follow_up_task: Mapped[str] = mapped_column(String(120), server_default="")
    follow_up_due: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    update_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_key: Mapped[str | None] = mapped_column(String(36), unique=True)
    receiver_region: Mapped[str] = mapped_column(String(12))
    peer_region: Mapped[str] = mapped_column(String(12), server_default="")
    sender_here: Mapped[bool] = mapped_column(Boolean, server_default=true())
    accept_seconds: Mapped[int | None] = mapped_column(Integer)
    suggested_by: Mapped[str | None] = mapped_column(String(36), unique=True)


class TransitionRow(Base):
    __tablename__ = "referral_transition"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    referral_id: Mapped[str] = mapped_column(String(36), index=True)
    state: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(80))
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)


class CursorRow(Base):
    """How far a feed has been read (the archives referral suggestions)."""

    __tablename__ = "referral_cursor"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))


REFERRALS = cast(Any, ReferralRow.__table__)
CURSORS = cast(Any, CursorRow.__table__)
TRANSITIONS = cast(Any, TransitionRow.__table__)


class ReferralStore:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    def add(self, referral: Referral, request_key: str) -> None:
        self.s.execute(
            insert(REFERRALS).values(
                id=referral.referral_id,
                direction=referral.direction.value,
                resident_id=referral.resident_id,
                sender_tenant_id=referral.sender_tenant_id,
                sender_region=referral.sender_region,
                sender_scope=referral.sender_scope,
                receiver_tenant_id=referral.receiver_tenant_id,
                receiver_scope=referral.receiver_scope,
                department=referral.department,
                receiving_doctor=referral.receiving_doctor,
                outward=_json(referral.outward),
                consent=_consent_json(referral.consent),
                suggested_by=referral.suggested_by or None,
                state=referral.state.value,
                create_time=referral.create_time,
                update_time=referral.update_time,
                request_key=request_key or None,
                receiver_region=referral.receiver_region,
                peer_region=referral.peer_region,
                sender_here=referral.sender_here,
                managing_scope=referral.managing_scope,
                snapshot=_snapshot_json(referral.snapshot),
                deadline=referral.deadline,
            )
        )

    def update_draft(self, referral_id: str, **values: Any) -> None:
        values["outward"] = _json(values["outward"])
        values["consent"] = _consent_json(values["consent"])
        self.s.execute(sql_update(REFERRALS).where(REFERRALS.c.id == referral_id).values(**values))

    def by_suggestion(self, task_id: str) -> Referral | None:
        row = self.s.execute(select(REFERRALS).where(REFERRALS.c.suggested_by == task_id)).first()
        return self._full(row) if row else None

    def cursor(self, name: str) -> str:
        row = self.s.execute(select(CURSORS.c.value).where(CURSORS.c.name == name)).first()
        return str(row.value) if row else ""

    def set_cursor(self, name: str, value: str) -> None:
        done = self.s.execute(sql_update(CURSORS).where(CURSORS.c.name == name).values(value=value))
        if not done.rowcount:
            self.s.execute(insert(CURSORS).values(name=name, value=value))

    def move(
        self,
        referral: Referral,
        state: State,
        actor: str,
        now: datetime,
        reason: str = "",
        deadline: datetime | None = None,
        **changes: Any,
    ) -> None:
        """Enter ``state``: the row, and one transition with its actor, time and reason."""
        values: dict[str, Any] = {"state": state.value, "update_time": now, "deadline": deadline}
        if "snapshot" in changes:
            values["snapshot"] = _snapshot_json(changes.pop("snapshot"))
        if "return_form" in changes:
            values["return_form"] = _json(changes.pop("return_form"))
        values.update(changes)
        self.s.execute(
            sql_update(REFERRALS).where(REFERRALS.c.id == referral.referral_id).values(**values)
        )
        self.transition(referral.referral_id, state, actor, now, reason)

    def transition(
        self, referral_id: str, state: State, actor: str, now: datetime, reason: str = ""
    ) -> None:
        self.s.execute(
            insert(TRANSITIONS).values(
                id=new_id(), referral_id=referral_id, state=state.value, actor=actor, time=now,
                reason=reason,
            )
        )  # fmt: skip

    def get(self, referral_id: str, *, lock: bool = False) -> Referral | None:
        query = select(REFERRALS).where(REFERRALS.c.id == referral_id)
        if lock:
            query = query.with_for_update()
        row = self.s.execute(query).first()
        return self._full(row) if row else None

    def by_request(self, key: str) -> Referral | None:
        row = self.s.execute(select(REFERRALS).where(REFERRALS.c.request_key == key)).first()
        return self._full(row) if row else None

    def list_referrals(
        self,
        scope: str,
        box: str,
        state: State | None,
        scopes: list[str],
        after: str | None,
        limit: int,
        resident_id: str = "",
    ) -> list[Referral]:
        """An institution's referrals (``box``: out, in or both; of one resident when
        ``resident_id``), newest first, within the caller's scopes."""
        sent = REFERRALS.c.sender_scope == scope
        received = REFERRALS.c.receiver_scope == scope
        where = {"out": sent, "in": received}.get(box, or_(sent, received))
        reach = or_(
            within_scopes(REFERRALS.c.sender_scope, scopes),
            within_scopes(REFERRALS.c.receiver_scope, scopes),
        )
        query = select(REFERRALS).where(where, reach)
        if state is not None:
            query = query.where(REFERRALS.c.state == state.value)
        if resident_id:
            query = query.where(REFERRALS.c.resident_id == resident_id)
        if after:
            query = query.where(REFERRALS.c.id < after)
        rows = self.s.execute(query.order_by(REFERRALS.c.id.desc()).limit(limit)).all()
        return self._with_transitions(rows)

    def overdue(
        self,
        sender: str,
        below: bool,
        scopes: list[str],
        as_of: datetime,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Referral]:
        """Referrals past their deadline sent by the institution ``sender`` (or, ``below``,
        by any institution under that region path), the longest overdue first."""
        column = REFERRALS.c.sender_scope
        place = within_scopes(column, [sender]) if below else column == sender
        assert {s.value for s in TIMED} == {"SUBMITTED", "ACCEPTED"}  # as in _TIMED
        query = select(REFERRALS).where(
            text(f"referral.{_TIMED}"),  # literal, so the partial indexes apply to every plan
            REFERRALS.c.deadline < as_of,
            place,
            within_scopes(column, scopes),
        )
        if after is not None:
            deadline, key = after
            query = query.where(
                or_(
                    REFERRALS.c.deadline > deadline,
                    and_(REFERRALS.c.deadline == deadline, REFERRALS.c.id > key),
                )
            )
        rows = self.s.execute(
            query.order_by(REFERRALS.c.deadline, REFERRALS.c.id).limit(limit)
        ).all()
        return self._with_transitions(rows)

    # -- mapping ---------------------------------------------------------------------------
    def _transitions(self, ids: list[str]) -> dict[str, list[Transition]]:
        found: dict[str, list[Transition]] = {i: [] for i in ids}
        if not ids:
            return found
        rows = self.s.execute(
            select(TRANSITIONS).where(TRANSITIONS.c.referral_id.in_(ids)).order_by(TRANSITIONS.c.id)
        )
        for r in rows:
            found[r.referral_id].append(
                Transition(State(r.state), r.actor, utc(r.time), r.reason)  # type: ignore[arg-type]
            )
        return found

    def _with_transitions(self, rows: Sequence[Any]) -> list[Referral]:
        moves = self._transitions([r.id for r in rows])
        return [_referral(r, moves[r.id]) for r in rows]

    def _full(self, row: Any) -> Referral:
        return _referral(row, self._transitions([row.id])[row.id])


def _consent_json(consent: Consent | None) -> str:
    if consent is None:
        return "{}"
    return _json({**asdict(consent), "consent_date": consent.consent_date.isoformat()})


def _snapshot_json(snap: Snapshot | None) -> str | None:
    if snap is None:
        return None
    return _json({**asdict(snap), "take_time": snap.take_time.isoformat()})


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _referral(row: Any, transitions: list[Transition]) -> Referral:
    consent = json.loads(row.consent)
    snapshot = None
    if row.snapshot:
        s = json.loads(row.snapshot)
        snapshot = Snapshot(
            s["record_id"], s["record_number"], s["managing_tenant_id"], s["birth_date"],
            s["blood_type_abo"], s["blood_type_rh"], tuple(s["drug_allergies"]),
            tuple(s["past_diseases"]), datetime.fromisoformat(s["take_time"]),
        )  # fmt: skip
    return Referral(
        referral_id=row.id,
        direction=Direction(row.direction),
        resident_id=row.resident_id,
        sender_tenant_id=row.sender_tenant_id,
        sender_region=row.sender_region,
        sender_scope=row.sender_scope,
        receiver_tenant_id=row.receiver_tenant_id,
        receiver_scope=row.receiver_scope,
        department=row.department,
        receiving_doctor=row.receiving_doctor,
        outward=json.loads(row.outward),
        consent=Consent(
            consent["method"], date.fromisoformat(consent["consent_date"]), consent["reference"]
        )
        if consent
        else None,
        state=State(row.state),
        create_time=utc(row.create_time),  # type: ignore[arg-type]
        update_time=utc(row.update_time),  # type: ignore[arg-type]
        managing_scope=row.managing_scope,
        snapshot=snapshot,
        return_form=json.loads(row.return_form or "{}"),
        follow_up_task=row.follow_up_task,
        follow_up_due=row.follow_up_due,
        deadline=utc(row.deadline),
        transitions=tuple(transitions),
        receiver_region=row.receiver_region,
        peer_region=row.peer_region,
        sender_here=bool(row.sender_here),
        suggested_by=row.suggested_by or "",
    )
