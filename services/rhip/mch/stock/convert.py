"""Proto ⇄ domain conversion of blank stock (BirthCertificateService)."""

from __future__ import annotations

from rhip.api.mch.v1 import birth_certificate_pb2 as pb
from rhip.mch.convert import ts
from rhip.mch.stock.domain import (
    Balance,
    Movement,
    MovementKind,
    Serial,
    SerialState,
    Transfer,
    TransferState,
)

SERIAL_STATES = {s: getattr(pb, f"BLANK_SERIAL_STATE_{s.value}") for s in SerialState}
KINDS = {k: getattr(pb, f"STOCK_MOVEMENT_KIND_{k.value}") for k in MovementKind}
TRANSFER_STATES = {s: getattr(pb, f"STOCK_TRANSFER_STATE_{s.value}") for s in TransferState}
TRANSFER_STATES_BACK = {v: k for k, v in TRANSFER_STATES.items()}


def movement_to_pb(m: Movement) -> pb.StockMovement:
    return pb.StockMovement(
        name=f"stockMovements/{m.movement_id}", kind=KINDS[m.kind], edition=m.edition,
        first_serial=m.range.first, last_serial=m.range.last, quantity=m.range.quantity,
        from_holder=m.from_holder, to_holder=m.to_holder, state=SERIAL_STATES[m.state],
        operator=m.operator, witness=m.witness, reason=m.reason,
        police_report_ref=m.police_report_ref, newspaper_notice_ref=m.newspaper_notice_ref,
        reference=m.reference, create_time=ts(m.create_time),
    )  # fmt: skip


def transfer_to_pb(t: Transfer) -> pb.StockTransfer:
    return pb.StockTransfer(
        name=f"stockTransfers/{t.transfer_id}", from_holder=t.from_holder.name,
        to_holder=t.to_holder.name, edition=t.edition, first_serial=t.range.first,
        quantity=t.range.quantity, last_serial=t.range.last, state=TRANSFER_STATES[t.state],
        over_quota=t.over_quota, quota=t.quota, note=t.note, requested_by=t.requested_by,
        approved_by=t.approved_by, confirmed_by=t.confirmed_by,
        confirmed_quantity=t.confirmed_quantity, create_time=ts(t.create_time),
        update_time=ts(t.update_time),
    )  # fmt: skip


def serial_to_pb(s: Serial, history: list[Movement] | None = None) -> pb.BlankSerial:
    return pb.BlankSerial(
        name=f"blankSerials/{s.serial}", serial=s.serial, edition=s.edition,
        state=SERIAL_STATES[s.state], holder=s.holder,
        certificate=f"birthCertificates/{s.certificate}" if s.certificate else "",
        history=[movement_to_pb(m) for m in history or ()],
    )  # fmt: skip


def balance_to_pb(b: Balance) -> pb.StockBalance:
    return pb.StockBalance(
        holder=b.holder, received=b.received, transferred_out=b.transferred_out,
        in_transit=b.in_transit, in_stock=b.in_stock, issued=b.issued,
        void_blank=b.void_blank, void_issued=b.void_issued, lost=b.lost,
        destroyed=b.destroyed, balanced=b.balanced,
    )  # fmt: skip
