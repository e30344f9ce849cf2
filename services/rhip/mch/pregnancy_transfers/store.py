"""The pregnancy transfer table and its repository. ``open_pregnancy`` holds the pregnancy id
while a transfer is PENDING and NULL after: its unique index is what keeps one open transfer
per pregnancy, however many requests race (child_transfers/store.py's ``open_record``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rhip.kit.db import utc
from rhip.mch.child_transfers.store import either_side_page
from rhip.mch.pregnancy_transfers.domain import Party, PregnancyTransfer, TransferState
from rhip.mch.store import StoreBase, metadata
from sqlalchemy import Column, DateTime, String, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

PREGNANCY_TRANSFER = Table(
    "pregnancy_transfer",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("pregnancy_id", String(36), nullable=False, index=True),
    Column("resident_id", String(36), nullable=False),
    Column("source_tenant_id", String(36), nullable=False, index=True),
    Column("source_scope", String(200), nullable=False),
    Column("target_tenant_id", String(36), nullable=False, index=True),
    Column("target_scope", String(200), nullable=False),
    Column("requested_by", String(8), nullable=False),
    Column("state", String(12), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("decline_reason", String(500), nullable=False),
    Column("withdraw_reason", String(500), nullable=False),
    Column("target_name", String(200), nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Column("decide_time", DateTime(timezone=True)),
    Column("request_id", String(36), unique=True),
    Column("open_pregnancy", String(36), unique=True),  # pregnancy_id while PENDING, else NULL
)
_T = PREGNANCY_TRANSFER


class TransferOpen(Exception):
    """The pregnancy already has a PENDING transfer."""


def _transfer(row: Any) -> PregnancyTransfer:
    return PregnancyTransfer(
        row.id, row.pregnancy_id, row.resident_id, row.source_tenant_id, row.source_scope,
        row.target_tenant_id, row.target_scope, Party(row.requested_by),
        TransferState(row.state), row.reason, utc(row.create_time),  # type: ignore[arg-type]
        utc(row.decide_time), row.decline_reason, row.withdraw_reason, row.target_name,
    )  # fmt: skip


class PregnancyTransferStore(StoreBase):
    def add(self, t: PregnancyTransfer, request_id: str) -> None:
        try:
            with self.s.begin_nested():
                self.s.execute(
                    insert(_T).values(
                        id=t.transfer_id, pregnancy_id=t.pregnancy_id, resident_id=t.resident_id,
                        source_tenant_id=t.source_tenant_id, source_scope=t.source_scope,
                        target_tenant_id=t.target_tenant_id, target_scope=t.target_scope,
                        requested_by=t.requested_by.value, state=t.state.value, reason=t.reason,
                        decline_reason=t.decline_reason, withdraw_reason=t.withdraw_reason,
                        target_name=t.target_name, create_time=t.create_time,
                        decide_time=t.decide_time, request_id=request_id or None,
                        open_pregnancy=t.pregnancy_id,
                    )
                )  # fmt: skip
        except IntegrityError:
            raise TransferOpen() from None

    def decide(self, t: PregnancyTransfer) -> None:
        """Accepted, declined or withdrawn: the pregnancy may be asked for again
        (``open_pregnancy`` freed)."""
        self.s.execute(
            update(_T)
            .where(_T.c.id == t.transfer_id)
            .values(
                state=t.state.value, decline_reason=t.decline_reason,
                withdraw_reason=t.withdraw_reason, decide_time=t.decide_time,
                open_pregnancy=None,
            )
        )  # fmt: skip

    def get(self, transfer_id: str, *, lock: bool = False) -> PregnancyTransfer | None:
        query = select(_T).where(_T.c.id == transfer_id)
        if lock:
            query = query.with_for_update()
        row = self.s.execute(query).first()
        return _transfer(row) if row else None

    def by_request(self, request_id: str) -> PregnancyTransfer | None:
        row = self.s.execute(select(_T).where(_T.c.request_id == request_id)).first()
        return _transfer(row) if row else None

    def open_of(self, pregnancy_id: str) -> PregnancyTransfer | None:
        return self.open_of_pregnancies([pregnancy_id]).get(pregnancy_id)

    def open_of_pregnancies(self, pregnancy_ids: Sequence[str]) -> dict[str, PregnancyTransfer]:
        """The open transfer of each of several pregnancies that has one (a list page)."""
        if not pregnancy_ids:
            return {}
        rows = self.s.execute(select(_T).where(_T.c.open_pregnancy.in_(list(pregnancy_ids))))
        return {r.pregnancy_id: _transfer(r) for r in rows}

    def find(
        self, tenant_id: str, scopes: Sequence[str], state: TransferState | None,
        after: str | None, limit: int,
    ) -> list[PregnancyTransfer]:  # fmt: skip
        """Transfers out of or into ``tenant_id`` that ``scopes`` reach on either side: the
        source keeps this trace of the women it handed over."""
        query = either_side_page(_T, tenant_id, scopes, state, after, limit)
        return [_transfer(r) for r in self.s.execute(query)]
