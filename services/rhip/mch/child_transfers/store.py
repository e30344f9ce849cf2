"""The child transfer table and its repository. ``open_record`` holds the record id while a
transfer is PENDING and NULL after: its unique index is what keeps one open transfer per
child, however many requests race."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rhip.kit.db import utc
from rhip.kit.scopes import within_scopes
from rhip.mch.child_transfers.domain import ChildTransfer, TransferKind, TransferState
from rhip.mch.store import StoreBase, metadata
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Integer,
    Select,
    String,
    Table,
    insert,
    or_,
    select,
    update,
)  # fmt: skip
from sqlalchemy.exc import IntegrityError

CHILD_TRANSFER = Table(
    "child_transfer",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("record_id", String(36), nullable=False, index=True),
    Column("resident_id", String(36), nullable=False),
    Column("source_tenant_id", String(36), nullable=False, index=True),
    Column("source_scope", String(200), nullable=False),
    Column("target_tenant_id", String(36), nullable=False, index=True),
    Column("target_scope", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("state", String(12), nullable=False),
    Column("consent_reference", String(200), nullable=False),
    Column("consent_date", Date, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("decline_reason", String(500), nullable=False),
    Column("moved_visits", Integer, nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Column("decide_time", DateTime(timezone=True)),
    Column("request_id", String(36), unique=True),
    Column("open_record", String(36), unique=True),  # record_id while PENDING, else NULL
    Column("withdraw_reason", String(500), nullable=False, server_default=""),
    Column("target_name", String(200), nullable=False, server_default=""),
    Column("peer_region", String(6), nullable=False, server_default=""),
)
_T = CHILD_TRANSFER


class TransferOpen(Exception):
    """The child already has a PENDING transfer."""


def _transfer(row: Any) -> ChildTransfer:
    return ChildTransfer(
        row.id, row.record_id, row.resident_id, row.source_tenant_id, row.source_scope,
        row.target_tenant_id, row.target_scope, TransferKind(row.kind), TransferState(row.state),
        row.consent_reference, row.consent_date, row.reason, row.decline_reason,
        row.moved_visits, utc(row.create_time), utc(row.decide_time),  # type: ignore[arg-type]
        row.withdraw_reason, row.target_name, row.peer_region,
    )  # fmt: skip


class ChildTransferStore(StoreBase):
    def add(self, t: ChildTransfer, request_id: str) -> None:
        try:
            with self.s.begin_nested():
                self.s.execute(
                    insert(_T).values(
                        id=t.transfer_id, record_id=t.record_id, resident_id=t.resident_id,
                        source_tenant_id=t.source_tenant_id, source_scope=t.source_scope,
                        target_tenant_id=t.target_tenant_id, target_scope=t.target_scope,
                        kind=t.kind.value, state=t.state.value,
                        consent_reference=t.consent_reference, consent_date=t.consent_date,
                        reason=t.reason, decline_reason=t.decline_reason,
                        moved_visits=t.moved_visits, create_time=t.create_time,
                        decide_time=t.decide_time, request_id=request_id or None,
                        withdraw_reason=t.withdraw_reason, target_name=t.target_name,
                        peer_region=t.peer_region,
                        # A tombstone (withdrawn before it arrived) holds no child.
                        open_record=t.record_id if t.state is TransferState.PENDING else None,
                    )
                )  # fmt: skip
        except IntegrityError:
            raise TransferOpen() from None

    def decide(self, t: ChildTransfer) -> None:
        """Accepted, declined or withdrawn: the child may be asked for again (``open_record``
        freed)."""
        self.s.execute(
            update(_T)
            .where(_T.c.id == t.transfer_id)
            .values(
                state=t.state.value, decline_reason=t.decline_reason,
                moved_visits=t.moved_visits, decide_time=t.decide_time, open_record=None,
                withdraw_reason=t.withdraw_reason,
            )
        )  # fmt: skip

    def answered(self, t: ChildTransfer) -> None:
        """Across cells, the target's cell answered the request: its kind and name."""
        self.s.execute(
            update(_T)
            .where(_T.c.id == t.transfer_id)
            .values(kind=t.kind.value, target_name=t.target_name)
        )

    def hand_over(self, t: ChildTransfer) -> None:
        """Across cells, the record is on its way: still open (the child cannot be asked for
        again), no longer pending."""
        self.s.execute(update(_T).where(_T.c.id == t.transfer_id).values(state=t.state.value))

    def get(self, transfer_id: str, *, lock: bool = False) -> ChildTransfer | None:
        query = select(_T).where(_T.c.id == transfer_id)
        if lock:
            query = query.with_for_update()
        row = self.s.execute(query).first()
        return _transfer(row) if row else None

    def by_request(self, request_id: str) -> ChildTransfer | None:
        row = self.s.execute(select(_T).where(_T.c.request_id == request_id)).first()
        return _transfer(row) if row else None

    def open_of(self, record_id: str) -> ChildTransfer | None:
        row = self.s.execute(select(_T).where(_T.c.open_record == record_id)).first()
        return _transfer(row) if row else None

    def open_of_records(self, record_ids: Sequence[str]) -> dict[str, ChildTransfer]:
        """The open transfer of each of several children that has one (a list page)."""
        if not record_ids:
            return {}
        rows = self.s.execute(select(_T).where(_T.c.open_record.in_(list(record_ids))))
        return {r.record_id: _transfer(r) for r in rows}

    def accepted_of(self, record_id: str) -> list[ChildTransfer]:
        """The record's completed moves, oldest first."""
        rows = self.s.execute(
            select(_T)
            .where(_T.c.record_id == record_id, _T.c.state == TransferState.ACCEPTED.value)
            .order_by(_T.c.decide_time, _T.c.id)
        )
        return [_transfer(r) for r in rows]

    def find(
        self, tenant_id: str, scopes: Sequence[str], state: TransferState | None,
        after: str | None, limit: int,
    ) -> list[ChildTransfer]:  # fmt: skip
        """Transfers out of or into ``tenant_id`` that ``scopes`` reach on either side: the
        source keeps this trace of the children it handed over."""
        query = either_side_page(_T, tenant_id, scopes, state, after, limit)
        return [_transfer(r) for r in self.s.execute(query)]


def either_side_page(
    table: Table, tenant_id: str, scopes: Sequence[str], state: TransferState | None,
    after: str | None, limit: int,
) -> Select[Any]:  # fmt: skip
    """A page, newest first, of the transfers (of children or pregnancies) out of or into
    ``tenant_id`` that ``scopes`` reach on either side."""
    c = table.c
    query = select(table).where(
        or_(c.source_tenant_id == tenant_id, c.target_tenant_id == tenant_id),
        or_(within_scopes(c.source_scope, scopes), within_scopes(c.target_scope, scopes)),
    )
    if state is not None:
        query = query.where(c.state == state.value)
    if after is not None:
        query = query.where(c.id < after)
    return query.order_by(c.id.desc()).limit(limit)
