"""The ``tenant_qualification`` table and its repository; ``active_key`` (tenant and kind,
NULL once revoked) is unique, so a tenant holds at most one active grant of a kind."""

from __future__ import annotations

from typing import Any

from rhip.identity.qualifications.domain import (
    Qualification,
    QualificationKind,
    QualificationState,
)
from rhip.kit.db import utc
from sqlalchemy import Column, Connection, DateTime, MetaData, String, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

metadata = MetaData()

QUALIFICATION = Table(
    "tenant_qualification",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(36), nullable=False, index=True),
    Column("scope_path", String(200), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("state", String(10), nullable=False),
    Column("active_key", String(80), unique=True),
    Column("licence_number", String(64), nullable=False),
    Column("granted_by", String(80), nullable=False),
    Column("grant_time", DateTime(timezone=True), nullable=False),
    Column("revoked_by", String(80), nullable=False),
    Column("revoke_time", DateTime(timezone=True)),
    Column("revoke_reason", String(500), nullable=False),
    Column("request_id", String(36), unique=True),
)
_Q = QUALIFICATION


class QualificationTaken(Exception):
    """The tenant already holds an active grant of this kind."""


def _row_to(row: Any) -> Qualification:
    return Qualification(
        qualification_id=row.id,
        tenant_id=row.tenant_id,
        scope_path=row.scope_path,
        kind=QualificationKind(row.kind),
        state=QualificationState(row.state),
        licence_number=row.licence_number,
        granted_by=row.granted_by,
        grant_time=utc(row.grant_time),  # type: ignore[arg-type]
        revoked_by=row.revoked_by,
        revoke_time=utc(row.revoke_time),
        revoke_reason=row.revoke_reason,
    )


def _active_key(q: Qualification) -> str | None:
    return f"{q.tenant_id}:{q.kind.value}" if q.state is QualificationState.ACTIVE else None


class QualificationStore:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    def add(self, q: Qualification, request_id: str) -> None:
        try:
            with self.s.begin_nested():
                self.s.execute(
                    insert(_Q).values(
                        id=q.qualification_id, tenant_id=q.tenant_id, scope_path=q.scope_path,
                        kind=q.kind.value, state=q.state.value, active_key=_active_key(q),
                        licence_number=q.licence_number, granted_by=q.granted_by,
                        grant_time=q.grant_time, revoked_by="", revoke_time=None,
                        revoke_reason="", request_id=request_id or None,
                    )
                )  # fmt: skip
        except IntegrityError:
            raise QualificationTaken() from None

    def save(self, q: Qualification) -> None:
        self.s.execute(
            update(_Q)
            .where(_Q.c.id == q.qualification_id)
            .values(
                state=q.state.value,
                active_key=_active_key(q),
                revoked_by=q.revoked_by,
                revoke_time=q.revoke_time,
                revoke_reason=q.revoke_reason,
            )
        )

    def get(self, qualification_id: str, *, lock: bool = False) -> Qualification | None:
        query = select(_Q).where(_Q.c.id == qualification_id)
        if lock:
            query = query.with_for_update()
        row = self.s.execute(query).first()
        return _row_to(row) if row else None

    def by_request(self, request_id: str) -> Qualification | None:
        row = self.s.execute(select(_Q).where(_Q.c.request_id == request_id)).first()
        return _row_to(row) if row else None

    def active(self, tenant_id: str, kind: QualificationKind) -> Qualification | None:
        row = self.s.execute(
            select(_Q).where(_Q.c.active_key == f"{tenant_id}:{kind.value}")
        ).first()
        return _row_to(row) if row else None

    def of_tenant(
        self, tenant_id: str, show_revoked: bool, after: str | None, limit: int
    ) -> list[Qualification]:
        query = select(_Q).where(_Q.c.tenant_id == tenant_id)
        if not show_revoked:
            query = query.where(_Q.c.state == QualificationState.ACTIVE.value)
        if after is not None:
            query = query.where(_Q.c.id < after)
        rows = self.s.execute(query.order_by(_Q.c.id.desc()).limit(limit))
        return [_row_to(r) for r in rows]
