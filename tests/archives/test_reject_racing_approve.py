"""An escalated cross-cell transfer that one side's administrator rejects while the other
side's gives the last approval (issue 5): in either order, and both at once from two threads,
the transfer ends CLOSED on both sides (the record stays at the source) or COMPLETED on both
(the record moved), and the record is in force in exactly one place."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
from archives.helpers import days_ago
from archives.two_cells import TIMEOUT, TwoCells, _get, _record_in_xuzhou
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.kit.errors import from_rpc_error
from support.residents import XUZHOU_MAN, document, register_request, stub

IN_FORCE = (rec.RECORD_STATE_ACTIVE, rec.RECORD_STATE_TRANSFER_PENDING)


@dataclass(frozen=True)
class Side:
    doctor: str
    city: str  # the doctor's and city administrator's login region
    county_admin: str
    city_admin: str
    county: str  # the institution's county (source_region when it is the source)


XUZHOU = Side("xz-doctor-1", "320300", "qs-admin", "xz-admin", "320311")
ZAOZHUANG = Side("zz-doctor-1", "370400", "szq-admin", "zz-admin", "370402")


def _escalated(t: TwoCells, source: Side, destination: Side, approved_by: Side) -> str:
    """A transfer from ``source`` to ``destination``, declined, escalated and approved by
    ``approved_by``'s county administrator: one approval short of proceeding."""
    dest = t.md(destination.doctor, destination.city)
    resident = stub(t.channel).RegisterResident(
        register_request(XUZHOU_MAN, region=destination.county), metadata=dest, timeout=TIMEOUT
    )
    transfer = t.api.RequestRecordTransfer(
        apb.RequestRecordTransferRequest(
            resident=resident.resident.name,
            consent=apb.TransferConsent(method="signed_form", consent_date=days_ago(0)),
            reason="迁居", request_id=str(uuid.uuid4()), source_region=source.county,
            document=document(XUZHOU_MAN), consent_form_reference="知情同意书-1",
        ),
        metadata=dest, timeout=TIMEOUT,
    )  # fmt: skip
    t.api.DeclineRecordTransfer(
        apb.DeclineRecordTransferRequest(name=transfer.name, reason="居民仍在原地居住"),
        metadata=t.md(source.doctor, source.city), timeout=TIMEOUT,
    )  # fmt: skip
    t.api.EscalateRecordTransfer(
        apb.EscalateRecordTransferRequest(name=transfer.name, reason="双方意见不一致"),
        metadata=dest, timeout=TIMEOUT,
    )  # fmt: skip
    t.api.ApproveRecordTransfer(
        apb.ApproveRecordTransferRequest(name=transfer.name),
        metadata=t.md(approved_by.county_admin, approved_by.city), timeout=TIMEOUT,
    )  # fmt: skip
    return str(transfer.name)


def _decide(t: TwoCells, name: str, side: Side, decision: str) -> Callable[[], Any]:
    md = t.md(side.county_admin, side.city)
    if decision == "approve":
        request: Any = apb.ApproveRecordTransferRequest(name=name)
        return lambda: t.api.ApproveRecordTransfer(request, metadata=md, timeout=TIMEOUT)
    reject = apb.RejectRecordTransferRequest(name=name, reason="未实际迁居")
    return lambda: t.api.RejectRecordTransfer(reject, metadata=md, timeout=TIMEOUT)


def _outcome(call: Callable[[], Any]) -> grpc.StatusCode:
    try:
        call()
    except grpc.RpcError as error:
        return from_rpc_error(error).code
    return grpc.StatusCode.OK


def _race(first: Callable[[], Any], second: Callable[[], Any]) -> list[grpc.StatusCode]:
    """Both calls at once, from two threads."""
    barrier = threading.Barrier(2)
    outcomes: list[grpc.StatusCode] = [grpc.StatusCode.UNKNOWN, grpc.StatusCode.UNKNOWN]

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        outcomes[index] = _outcome(call)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _ends_consistently(t: TwoCells, name: str, number: str, source: Side, destination: Side) -> int:
    """The transfer's state, the same on both sides, and the record in force only where it
    says: at the source when CLOSED, at the destination when COMPLETED."""
    states = {
        side: _get(t, name, t.md(side.doctor, side.city)).state for side in (source, destination)
    }
    assert len(set(states.values())) == 1, states
    state = states[source]
    assert state in (apb.TRANSFER_STATE_CLOSED, apb.TRANSFER_STATE_COMPLETED), states
    in_force = {
        side: [
            r
            for r in t.api.ListHealthRecords(
                apb.ListHealthRecordsRequest(record_number=number),
                metadata=t.md(side.city_admin, side.city),
            ).records
            if r.state in IN_FORCE
        ]
        for side in (source, destination)
    }
    holder = source if state == apb.TRANSFER_STATE_CLOSED else destination
    assert len(in_force[holder]) == 1, in_force
    assert in_force[holder][0].state == rec.RECORD_STATE_ACTIVE
    other = destination if holder is source else source
    assert in_force[other] == [], in_force
    return state


def test_reject_and_last_approval_in_either_order_end_the_same_on_both_sides(
    two_cells: TwoCells,
) -> None:
    t = two_cells
    number = _record_in_xuzhou(t, t.md("xz-doctor-1", "320300")).record_number
    denied = grpc.StatusCode.FAILED_PRECONDITION
    # The source rejects, then the destination's last approval comes too late.
    name = _escalated(t, XUZHOU, ZAOZHUANG, approved_by=XUZHOU)
    assert _outcome(_decide(t, name, XUZHOU, "reject")) == grpc.StatusCode.OK
    assert _outcome(_decide(t, name, ZAOZHUANG, "approve")) == denied
    assert _ends_consistently(t, name, number, XUZHOU, ZAOZHUANG) == apb.TRANSFER_STATE_CLOSED
    # The destination rejects, then the source's last approval comes too late.
    name = _escalated(t, XUZHOU, ZAOZHUANG, approved_by=ZAOZHUANG)
    assert _outcome(_decide(t, name, ZAOZHUANG, "reject")) == grpc.StatusCode.OK
    assert _outcome(_decide(t, name, XUZHOU, "approve")) == denied
    assert _ends_consistently(t, name, number, XUZHOU, ZAOZHUANG) == apb.TRANSFER_STATE_CLOSED
    # The destination's last approval moves the record; the source's rejection comes too late.
    name = _escalated(t, XUZHOU, ZAOZHUANG, approved_by=XUZHOU)
    assert _outcome(_decide(t, name, ZAOZHUANG, "approve")) == grpc.StatusCode.OK
    assert _outcome(_decide(t, name, XUZHOU, "reject")) == denied
    assert _ends_consistently(t, name, number, XUZHOU, ZAOZHUANG) == apb.TRANSFER_STATE_COMPLETED
    # Back to Xuzhou: the source's (Zaozhuang's) last approval, the destination's late rejection.
    name = _escalated(t, ZAOZHUANG, XUZHOU, approved_by=XUZHOU)
    assert _outcome(_decide(t, name, ZAOZHUANG, "approve")) == grpc.StatusCode.OK
    assert _outcome(_decide(t, name, XUZHOU, "reject")) == denied
    assert _ends_consistently(t, name, number, ZAOZHUANG, XUZHOU) == apb.TRANSFER_STATE_COMPLETED


def test_reject_racing_the_last_approval_from_two_threads_ends_the_same_on_both_sides(
    two_cells: TwoCells,
) -> None:
    t = two_cells
    number = _record_in_xuzhou(t, t.md("xz-doctor-1", "320300")).record_number
    source, destination = XUZHOU, ZAOZHUANG
    for rejecting in (XUZHOU, ZAOZHUANG, XUZHOU, ZAOZHUANG):
        approving = destination if rejecting is source else source
        name = _escalated(t, source, destination, approved_by=rejecting)
        outcomes = _race(
            _decide(t, name, rejecting, "reject"), _decide(t, name, approving, "approve")
        )
        state = _ends_consistently(t, name, number, source, destination)
        # Exactly one decision took effect; the other was refused.
        winner = 0 if state == apb.TRANSFER_STATE_CLOSED else 1
        assert outcomes[winner] == grpc.StatusCode.OK, (outcomes, state)
        assert outcomes[1 - winner] != grpc.StatusCode.OK, (outcomes, state)
        if state == apb.TRANSFER_STATE_COMPLETED:  # the record moved: the next race goes back
            source, destination = destination, source
