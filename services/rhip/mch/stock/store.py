"""Blank-stock tables and their repository.

One row per serial (``bmc_serial``), not ranges: every serial has its own state and holder,
and the one change that must never happen twice (IN_STOCK → ISSUED) is a conditional UPDATE of
exactly one row, which both SQLite and PostgreSQL make atomic without range splitting. A row
is a 10-character key, an edition, a state and the holder's scope (~100 bytes with its
indexes): 3,000,000 serials are a few hundred MB. Moving a range is one UPDATE over the
primary key range.

The register (``bmc_movement``) is append-only: a receipt, a transfer, a loss or a destruction
is one row for its whole range; a void or an issue one row for its serial. A serial's history
is the rows whose range covers it. Nothing is ever deleted from either table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from rhip.kit.db import utc
from rhip.kit.scopes import within_scopes
from rhip.mch.deliveries.store import DELIVERY, NEWBORN
from rhip.mch.stock import month_counts
from rhip.mch.stock.domain import (
    Holder,
    Movement,
    MovementKind,
    Serial,
    SerialRange,
    SerialState,
    Transfer,
    TransferState,
)
from rhip.mch.stock.month_counts import ON_HAND, cst_day
from rhip.mch.store import StoreBase, metadata
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    and_,
    func,
    insert,
    or_,
    select,
    update,
)

SERIAL = Table(
    "bmc_serial",
    metadata,
    Column("serial", String(10), primary_key=True),
    Column("edition", SmallInteger, nullable=False),
    Column("state", String(12), nullable=False),
    Column("holder_scope", String(200), nullable=False),
    Column("transfer_id", String(36)),  # the pending transfer carrying it
    Index("ix_bmc_serial_holder_state", "holder_scope", "state"),
    Index("ix_bmc_serial_transfer_id", "transfer_id"),
)
MOVEMENT = Table(
    "bmc_movement",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(12), nullable=False),
    Column("edition", SmallInteger, nullable=False),
    Column("first_serial", String(10), nullable=False),
    Column("last_serial", String(10), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("is_range", Boolean, nullable=False),
    Column("from_holder", String(50), nullable=False),
    Column("to_holder", String(50), nullable=False),
    Column("scope_path", String(200), nullable=False),  # the holder's after the movement
    Column("from_scope", String(200), nullable=False),  # the holder's before ("" on receipt)
    Column("state", String(12), nullable=False),
    Column("operator", String(80), nullable=False),
    Column("witness", String(100), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("police_report_ref", String(100), nullable=False),
    Column("newspaper_notice_ref", String(100), nullable=False),
    Column("reference", String(100), nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Column("request_id", String(36), unique=True),
    Index("ix_bmc_movement_first_serial", "first_serial"),
    Index("ix_bmc_movement_range", "is_range", "first_serial"),
    Index("ix_bmc_movement_scope_kind_time", "scope_path", "kind", "create_time"),
)
TRANSFER = Table(
    "bmc_transfer",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("from_holder", String(50), nullable=False),
    Column("to_holder", String(50), nullable=False),
    Column("from_scope", String(200), nullable=False),
    Column("to_scope", String(200), nullable=False),
    Column("edition", SmallInteger, nullable=False),
    Column("first_serial", String(10), nullable=False),
    Column("last_serial", String(10), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("state", String(20), nullable=False),
    Column("over_quota", Boolean, nullable=False),
    Column("quota", Integer, nullable=False),
    Column("note", String(500), nullable=False),
    Column("requested_by", String(80), nullable=False),
    Column("approved_by", String(80), nullable=False),
    Column("confirmed_by", String(80), nullable=False),
    Column("confirmed_quantity", Integer, nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Column("update_time", DateTime(timezone=True), nullable=False),
    Column("request_id", String(36), unique=True),
    Index("ix_bmc_transfer_from_scope", "from_scope"),
    Index("ix_bmc_transfer_to_scope", "to_scope"),
)
_S, _M, _T = SERIAL, MOVEMENT, TRANSFER
CHUNK = 20_000  # serial rows per INSERT batch


def holder_of(scope: str) -> str:
    """The holder's name from its scope: `…/t-{id}` → tenants/{id}; a region path → its code."""
    last = scope.rsplit("/", 1)[-1]
    if last.startswith("t-"):
        return f"tenants/{last[2:]}"
    parts = scope.split("/")[1:]  # 32, 3203, 320311
    code = parts[-1].ljust(6, "0")
    return f"regions/{code}"


def _holder(name: str) -> Holder:
    if name.startswith("tenants/"):
        return Holder("", name.removeprefix("tenants/"))
    return Holder(name.removeprefix("regions/"))


def _range(row: Any) -> SerialRange:
    return SerialRange(row.first_serial, row.last_serial, row.quantity)


def _movement(row: Any) -> Movement:
    return Movement(
        row.id, MovementKind(row.kind), row.edition, _range(row), row.from_holder,
        row.to_holder, SerialState(row.state), row.operator, row.witness, row.reason,
        row.police_report_ref, row.newspaper_notice_ref, row.reference,
        utc(row.create_time),  # type: ignore[arg-type]
    )  # fmt: skip


def _transfer(row: Any) -> Transfer:
    return Transfer(
        row.id, _holder(row.from_holder), _holder(row.to_holder), row.from_scope, row.to_scope,
        row.edition, _range(row), TransferState(row.state), bool(row.over_quota), row.quota,
        row.note, row.requested_by, row.approved_by, row.confirmed_by, row.confirmed_quantity,
        utc(row.create_time), utc(row.update_time),  # type: ignore[arg-type]
    )  # fmt: skip


def _in_range(r: SerialRange) -> Any:
    return _S.c.serial.between(r.first, r.last)


class StockStore(StoreBase):
    # -- serials ----------------------------------------------------------------------------
    def any_in(self, r: SerialRange) -> bool:
        return self.s.execute(select(_S.c.serial).where(_in_range(r)).limit(1)).first() is not None

    def _on_hand(self, scope: str, step: int) -> None:
        """A change of the blanks on hand at ``scope`` (the monthly report's counts)."""
        now = datetime.now(month_counts.CST).date()
        month_counts.note(self.s, scope, holder_of(scope), now, "on_hand", step)

    def add_serials(self, r: SerialRange, edition: int, scope: str) -> None:
        self._on_hand(scope, r.quantity)  # RECEIVED
        start = int(r.first[1:])
        letter = r.first[0]
        for offset in range(0, r.quantity, CHUNK):
            self.s.execute(
                insert(_S),
                [
                    {"serial": f"{letter}{n:09d}", "edition": edition, "state": "RECEIVED",
                     "holder_scope": scope, "transfer_id": None}
                    for n in range(start + offset, start + min(offset + CHUNK, r.quantity))
                ],
            )  # fmt: skip

    def move(
        self, r: SerialRange, *, holder_scope: str, states: Sequence[SerialState],
        new_state: SerialState, new_scope: str | None = None, edition: int | None = None,
        transfer_id: str | None = None, set_transfer: str | None = None,
    ) -> int:  # fmt: skip
        """The conditional state change of a range: only serials held by ``holder_scope`` in
        one of ``states`` change; the caller compares the count with the range's size.

        The blanks on hand (RECEIVED, IN_STOCK) are counted on write: states on hand and
        states not on hand change in one UPDATE each, so each count is exact."""
        values: dict[str, Any] = {"state": new_state.value, "transfer_id": set_transfer}
        if new_scope is not None:
            values["holder_scope"] = new_scope
        target = new_scope if new_scope is not None else holder_scope
        moved = 0
        for on_hand in (True, False):
            group = [s.value for s in states if (s.value in ON_HAND) is on_hand]
            if not group:
                continue
            where = [_in_range(r), _S.c.holder_scope == holder_scope, _S.c.state.in_(group)]
            if edition is not None:
                where.append(_S.c.edition == edition)
            if transfer_id is not None:
                where.append(_S.c.transfer_id == transfer_id)
            # The new values as parameters (the SET clause compiled once per shape).
            done = int(self.s.execute(update(_S).where(*where), values).rowcount)
            moved += done
            if on_hand:
                self._on_hand(holder_scope, -done)
            if new_state.value in ON_HAND:
                self._on_hand(target, done)
        return moved

    def available(self, r: SerialRange, holder_scope: str, edition: int) -> int:
        return int(
            self.s.execute(
                select(func.count()).where(
                    _in_range(r), _S.c.holder_scope == holder_scope, _S.c.state == "RECEIVED",
                    _S.c.edition == edition,
                )
            ).scalar_one()
        )  # fmt: skip

    def destroy(self, r: SerialRange, scopes: Sequence[str], current_edition: int) -> int:
        """Void blanks, and blanks of a superseded edition (on hand: their holders' counts go
        down, so their holders come back from the UPDATE)."""
        within = [_in_range(r), within_scopes(_S.c.holder_scope, scopes)]
        voids = self.s.execute(
            update(_S).where(*within, _S.c.state == "VOID_BLANK").values(state="DESTROYED")
        ).rowcount
        old = self.s.execute(
            update(_S)
            .where(*within, _S.c.state.in_(sorted(ON_HAND)), _S.c.edition < current_edition)
            .values(state="DESTROYED")
            .returning(_S.c.holder_scope)
        ).scalars().all()  # fmt: skip
        for scope, count in Counter(old).items():
            self._on_hand(scope, -count)
        return int(voids) + len(old)

    def get(self, serial: str) -> Serial | None:
        row = self.s.execute(select(_S).where(_S.c.serial == serial)).first()
        if row is None:
            return None
        state = SerialState(row.state)
        issued = state in (SerialState.ISSUED, SerialState.VOID_ISSUED)
        return Serial(
            row.serial, row.edition, state, holder_of(row.holder_scope), row.holder_scope,
            row.serial if issued else "",
        )  # fmt: skip

    def editions_in(self, r: SerialRange) -> list[int]:
        return list(self.s.execute(select(_S.c.edition).where(_in_range(r)).distinct()).scalars())

    def counts(self, scopes: Sequence[str]) -> list[tuple[str, str, int]]:
        """(holder scope, state, count) of every serial held inside ``scopes``."""
        rows = self.s.execute(
            select(_S.c.holder_scope, _S.c.state, func.count())
            .where(within_scopes(_S.c.holder_scope, scopes))
            .group_by(_S.c.holder_scope, _S.c.state)
        )
        return [(r[0], r[1], int(r[2])) for r in rows]

    # -- the register -----------------------------------------------------------------------
    def record(self, m: Movement, scope: str, from_scope: str = "", request_id: str = "") -> None:
        if metric := month_counts.activity_metric(m.kind.value, m.reason):
            month_counts.note(self.s, scope, m.to_holder, cst_day(m.create_time), metric,
                              m.range.quantity)  # fmt: skip
        # Values as parameters, not .values(): the INSERT is compiled once, not per call.
        self.s.execute(
            insert(_M),
            dict(
                id=m.movement_id, kind=m.kind.value, edition=m.edition,
                first_serial=m.range.first, last_serial=m.range.last, quantity=m.range.quantity,
                is_range=m.range.quantity > 1, from_holder=m.from_holder, to_holder=m.to_holder,
                scope_path=scope, from_scope=from_scope, state=m.state.value, operator=m.operator, witness=m.witness,
                reason=m.reason, police_report_ref=m.police_report_ref,
                newspaper_notice_ref=m.newspaper_notice_ref, reference=m.reference,
                create_time=m.create_time, request_id=request_id or None,
            ),
        )  # fmt: skip

    def movement_by_request(self, request_id: str) -> Movement | None:
        row = self.s.execute(select(_M).where(_M.c.request_id == request_id)).first()
        return _movement(row) if row else None

    def history(self, serial: str) -> list[Movement]:
        """Every register row covering ``serial``: its own rows (by index) and the ranges
        (few: receipts, transfers, losses, destructions) that contain it."""
        rows = self.s.execute(
            select(_M)
            .where(
                or_(
                    _M.c.first_serial == serial,
                    and_(_M.c.is_range.is_(True), _M.c.first_serial <= serial,
                         _M.c.last_serial >= serial),
                )
            )
            .order_by(_M.c.create_time, _M.c.id)
        )  # fmt: skip
        return [_movement(r) for r in rows]

    def flows(self, scopes: Sequence[str]) -> list[tuple[str, str, str, int]]:
        """(kind, from holder, to holder, quantity) of receipts and transfers touching
        ``scopes`` (for the balances)."""
        rows = self.s.execute(
            select(_M.c.kind, _M.c.from_holder, _M.c.to_holder, func.sum(_M.c.quantity))
            .where(
                _M.c.kind.in_(["RECEIPT", "TRANSFER"]),
                or_(within_scopes(_M.c.scope_path, scopes), within_scopes(_M.c.from_scope, scopes)),
            )
            .group_by(_M.c.kind, _M.c.from_holder, _M.c.to_holder)
        )
        return [(r[0], r[1], r[2], int(r[3] or 0)) for r in rows]

    # -- transfers --------------------------------------------------------------------------
    def add_transfer(self, t: Transfer, request_id: str) -> None:
        self.s.execute(
            insert(_T).values(
                id=t.transfer_id, from_holder=t.from_holder.name, to_holder=t.to_holder.name,
                from_scope=t.from_scope, to_scope=t.to_scope, edition=t.edition,
                first_serial=t.range.first, last_serial=t.range.last,
                quantity=t.range.quantity, state=t.state.value, over_quota=t.over_quota,
                quota=t.quota, note=t.note, requested_by=t.requested_by,
                approved_by=t.approved_by, confirmed_by=t.confirmed_by,
                confirmed_quantity=t.confirmed_quantity, create_time=t.create_time,
                update_time=t.update_time, request_id=request_id or None,
            )
        )  # fmt: skip

    def save_transfer(self, t: Transfer, expected: TransferState) -> bool:
        """Saves the new state only if the stored one is still ``expected`` (two confirmers
        racing: one wins)."""
        done = self.s.execute(
            update(_T)
            .where(_T.c.id == t.transfer_id, _T.c.state == expected.value)
            .values(
                state=t.state.value, approved_by=t.approved_by, confirmed_by=t.confirmed_by,
                confirmed_quantity=t.confirmed_quantity, update_time=t.update_time,
            )
        )  # fmt: skip
        return bool(done.rowcount)

    def transfer(self, transfer_id: str) -> Transfer | None:
        row = self.s.execute(select(_T).where(_T.c.id == transfer_id)).first()
        return _transfer(row) if row else None

    def transfer_by_request(self, request_id: str) -> Transfer | None:
        row = self.s.execute(select(_T).where(_T.c.request_id == request_id)).first()
        return _transfer(row) if row else None

    def transfers(
        self, holder: str, scopes: Sequence[str], state: TransferState | None,
        after: str | None, limit: int,
    ) -> list[Transfer]:  # fmt: skip
        query = select(_T).where(
            or_(
                and_(_T.c.from_holder == holder, within_scopes(_T.c.from_scope, scopes)),
                and_(_T.c.to_holder == holder, within_scopes(_T.c.to_scope, scopes)),
            )
        )
        if state is not None:
            query = query.where(_T.c.state == state.value)
        if after is not None:
            query = query.where(_T.c.id < after)
        return [_transfer(r) for r in self.s.execute(query.order_by(_T.c.id.desc()).limit(limit))]

    def live_births(self, scope: str, start: date, end: date) -> int:
        """Live births recorded by deliveries inside ``scope`` between the two days."""
        return int(
            self.s.execute(
                select(func.count())
                .select_from(NEWBORN.join(DELIVERY, NEWBORN.c.delivery_id == DELIVERY.c.id))
                .where(
                    within_scopes(DELIVERY.c.scope_path, [scope]),
                    NEWBORN.c.live_birth.is_(True),
                    DELIVERY.c.delivery_date.between(start, end),
                )
            ).scalar_one()
        )

    def allocated_since(self, to_holder: str, since: datetime) -> int:
        """Serials asked for by ``to_holder`` since ``since`` (every transfer counts, pending
        ones too: the quota is about requests)."""
        return int(
            self.s.execute(
                select(func.coalesce(func.sum(_T.c.quantity), 0)).where(
                    _T.c.to_holder == to_holder, _T.c.create_time >= since
                )
            ).scalar_one()
        )
