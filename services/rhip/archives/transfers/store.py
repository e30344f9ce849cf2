"""The record-transfer table and its repository."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from rhip.archives.store import Base, StoreBase
from rhip.archives.transfers.domain import Transfer, TransferState
from rhip.kit.db import utc
from rhip.kit.scopes import within_scopes
from sqlalchemy import DateTime, Integer, String, Text, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column


class RecordTransferRow(Base):
    __tablename__ = "record_transfer"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    record_number: Mapped[str] = mapped_column(String(17))
    resident_id: Mapped[str] = mapped_column(String(36))
    source_tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    source_scope: Mapped[str] = mapped_column(String(120), index=True)
    destination_tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    destination_region: Mapped[str] = mapped_column(String(6))
    destination_scope: Mapped[str] = mapped_column(String(120), index=True)
    state: Mapped[str] = mapped_column(String(20))
    consent: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(500))
    decline_reason: Mapped[str] = mapped_column(String(500))
    moved_plans: Mapped[int] = mapped_column(Integer)
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decide_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    decide_request_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    # Cross-cell: the other side's region (source at the destination and vice versa).
    peer_region: Mapped[str] = mapped_column(String(6), server_default="")
    # Escalation to the county administrators of both sides (JSON; "{}" when never escalated):
    # who escalated and why, each side's approval, the rejection.
    escalation: Mapped[str] = mapped_column(Text, server_default="{}")
    # Why an unacknowledged cross-cell request was abandoned (the source's error reason).
    abandon_reason: Mapped[str] = mapped_column(String(100), server_default="")


_XFER = cast(Any, RecordTransferRow.__table__)


def _transfer(row: Any) -> Transfer:
    return Transfer(
        transfer_id=row.id,
        record_id=row.record_id,
        record_number=row.record_number,
        resident_id=row.resident_id,
        source_tenant_id=row.source_tenant_id,
        source_scope=row.source_scope,
        destination_tenant_id=row.destination_tenant_id,
        destination_region=row.destination_region,
        destination_scope=row.destination_scope,
        state=TransferState(row.state),
        consent=json.loads(row.consent),
        reason=row.reason,
        decline_reason=row.decline_reason,
        moved_plans=row.moved_plans,
        create_time=utc(row.create_time),  # type: ignore[arg-type]
        decide_time=utc(row.decide_time),
        peer_region=row.peer_region,
        escalation=json.loads(row.escalation or "{}"),
        abandon_reason=row.abandon_reason,
    )


class TransfersStore(StoreBase):
    def add_transfer(self, t: Transfer, request_id: str) -> None:
        self.s.execute(
            insert(_XFER).values(
                id=t.transfer_id,
                record_id=t.record_id,
                record_number=t.record_number,
                resident_id=t.resident_id,
                source_tenant_id=t.source_tenant_id,
                source_scope=t.source_scope,
                destination_tenant_id=t.destination_tenant_id,
                destination_region=t.destination_region,
                destination_scope=t.destination_scope,
                state=t.state.value,
                consent=json.dumps(t.consent, ensure_ascii=False, sort_keys=True),
                reason=t.reason,
                decline_reason=t.decline_reason,
                moved_plans=t.moved_plans,
                create_time=t.create_time,
                decide_time=t.decide_time,
                request_id=request_id or None,
                peer_region=t.peer_region,
                escalation=json.dumps(t.escalation, ensure_ascii=False, sort_keys=True),
                abandon_reason=t.abandon_reason,
            )
        )

    def add_transfer_once(self, t: Transfer) -> bool:
        """``add_transfer`` (no request id); False when the id was just taken by a concurrent
        insert (an open and a withdrawal of the same transfer racing)."""
        try:
            with self.s.begin_nested():
                self.add_transfer(t, "")
        except IntegrityError:
            return False
        return True

    def open_transfer_source(self, t: Transfer) -> None:
        """Cross-cell, destination side: what the source cell answered (record, its number
        and managing institution)."""
        self.s.execute(
            update(_XFER)
            .where(_XFER.c.id == t.transfer_id)
            .values(
                record_id=t.record_id,
                record_number=t.record_number,
                source_tenant_id=t.source_tenant_id,
            )
        )

    def decide_transfer(self, t: Transfer, request_id: str) -> None:
        self.s.execute(
            update(_XFER)
            .where(_XFER.c.id == t.transfer_id)
            .values(
                state=t.state.value,
                decline_reason=t.decline_reason,
                moved_plans=t.moved_plans,
                decide_time=t.decide_time,
                decide_request_id=request_id or None,
                escalation=json.dumps(t.escalation, ensure_ascii=False, sort_keys=True),
                abandon_reason=t.abandon_reason,
            )
        )

    def transfer(self, transfer_id: str, *, for_update: bool = False) -> Transfer | None:
        query = select(_XFER).where(_XFER.c.id == transfer_id)
        if for_update:
            query = query.with_for_update()
        row = self.s.execute(query).first()
        return _transfer(row) if row else None

    def transfer_by_request(self, request_id: str) -> Transfer | None:
        row = self.s.execute(
            select(_XFER).where(
                or_(_XFER.c.request_id == request_id, _XFER.c.decide_request_id == request_id)
            )
        ).first()
        return _transfer(row) if row else None

    def unacknowledged_inbound(self, before: datetime) -> list[Transfer]:
        """Cross-cell, destination side: PENDING requests made before ``before`` that the
        source cell never answered (no record id yet)."""
        rows = self.s.execute(
            select(_XFER).where(
                _XFER.c.record_id == "",
                _XFER.c.state == TransferState.PENDING.value,
                _XFER.c.peer_region != "",
                _XFER.c.create_time < before,
            )
        )
        return [_transfer(r) for r in rows]

    def pending_transfer(self, record_id: str) -> Transfer | None:
        row = self.s.execute(
            select(_XFER).where(
                _XFER.c.record_id == record_id, _XFER.c.state == TransferState.PENDING.value
            )
        ).first()
        return _transfer(row) if row else None

    def transfers(
        self, tenant_id: str, scopes: Sequence[str], after: str | None, limit: int
    ) -> list[Transfer]:
        """Transfers into or out of ``tenant_id`` that either side of which ``scopes`` reach:
        the source keeps this trace of the records it handed over."""
        query = select(_XFER).where(
            or_(
                _XFER.c.source_tenant_id == tenant_id,
                _XFER.c.destination_tenant_id == tenant_id,
            ),
            or_(
                within_scopes(_XFER.c.source_scope, scopes),
                within_scopes(_XFER.c.destination_scope, scopes),
            ),
        )
        if after:
            query = query.where(_XFER.c.id < after)
        rows = self.s.execute(query.order_by(_XFER.c.id.desc()).limit(limit))
        return [_transfer(r) for r in rows]
