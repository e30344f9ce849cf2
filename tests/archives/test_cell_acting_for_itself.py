"""A cell's own account acting for itself, with no user of that cell behind the call (issue 5,
the escalation widening): the destination accepts it only for the hand-over of an escalated
transfer whose last approval was its own administrator's; it never opens, declines, escalates,
approves or rejects anything. (The accepted case, the source's administrator approving first
and the destination's last, is test_a_cross_cell_decline_escalates_and_both_counties_approve.)"""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest
from archives.two_cells import TIMEOUT, TwoCells, _get, _record_in_xuzhou, _request, tenant_of
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.archives.repository import ArchivesRepository
from rhip.kit.errors import PermissionDenied, RhipError, Unavailable
from support.errors import expect_error
from support.residents import XUZHOU_MAN, document


def _as_cell(t: TwoCells, cell: str, region: str, method: str, request: Any) -> None:
    """``method`` called by ``cell``'s own account for itself; it must be refused."""
    cells = t.cells[cell].cell.part("archives").usecases.cells
    with pytest.raises(PermissionDenied) as error:
        cells._call(region, method, request, as_cell=True)
    assert error.value.reason == "CROSS_CELL_CALLER", (method, error.value)


def _relay(transfer_id: str, decision: int, side: int) -> apb.RelayRecordTransferDecisionRequest:
    return apb.RelayRecordTransferDecisionRequest(
        transfer_id=transfer_id, decision=decision, side=side, reason="CELL_ON_ITS_OWN"
    )


def test_a_cell_acting_for_itself_opens_declines_and_decides_nothing(two_cells: TwoCells) -> None:
    t = two_cells
    xz, zz = t.md("xz-doctor-1", "320300"), t.md("zz-doctor-1", "370400")
    record = _record_in_xuzhou(t, xz)
    transfer = _request(t, zz)
    transfer_id = transfer.name.removeprefix("recordTransfers/")
    # The source cell (Jiangsu) for itself, to the destination cell.
    _as_cell(t, "320000", "370402", "CloseRecordTransfer",
             apb.CloseRecordTransferRequest(transfer_id=transfer_id, decline_reason="不同意"))  # fmt: skip
    for decision in (
        apb.TRANSFER_DECISION_ESCALATE,
        apb.TRANSFER_DECISION_APPROVE,
        apb.TRANSFER_DECISION_REJECT,
    ):
        _as_cell(t, "320000", "370402", "RelayRecordTransferDecision",
                 _relay(transfer_id, decision, apb.TRANSFER_SIDE_SOURCE))  # fmt: skip
    _as_cell(t, "320000", "370402", "ImportHealthRecord",
             apb.ImportHealthRecordRequest(transfer_id=transfer_id, bundle=b'{"format": "rhip.archives.bundle.v2", "record": {}}'))  # fmt: skip
    # The destination cell (Shandong) for itself, to the source cell.
    _as_cell(t, "370000", "320311", "RelayRecordTransferDecision",
             _relay(transfer_id, apb.TRANSFER_DECISION_APPROVE, apb.TRANSFER_SIDE_DESTINATION))  # fmt: skip
    _as_cell(t, "370000", "320311", "OpenRecordTransfer",
             apb.OpenRecordTransferRequest(
                 transfer_id=str(uuid.uuid4()), document=document(XUZHOU_MAN),
                 destination_tenant=f"tenants/{tenant_of(zz)}", destination_region="370402",
                 consent=apb.TransferConsent(method="signed_form", consent_date=transfer.consent.consent_date, reference="F-1"),
                 reason="迁居枣庄",
             ))  # fmt: skip
    # Nothing changed on either side.
    assert _get(t, transfer.name, xz).state == apb.TRANSFER_STATE_PENDING
    assert _get(t, transfer.name, zz).state == apb.TRANSFER_STATE_PENDING
    held = t.api.GetHealthRecord(apb.GetHealthRecordRequest(name=record.name), metadata=xz)
    assert held.state == rec.RECORD_STATE_TRANSFER_PENDING


def test_the_source_cell_hands_over_for_itself_only_after_the_destination_approved_last(
    two_cells: TwoCells,
) -> None:
    t = two_cells
    xz, zz = t.md("xz-doctor-1", "320300"), t.md("zz-doctor-1", "370400")
    record = _record_in_xuzhou(t, xz)
    transfer = _request(t, zz)
    transfer_id = transfer.name.removeprefix("recordTransfers/")
    t.api.DeclineRecordTransfer(
        apb.DeclineRecordTransferRequest(name=transfer.name, reason="居民仍在徐州居住"),
        metadata=xz, timeout=TIMEOUT,
    )  # fmt: skip
    t.api.EscalateRecordTransfer(
        apb.EscalateRecordTransferRequest(name=transfer.name, reason="双方意见不一致"),
        metadata=zz, timeout=TIMEOUT,
    )  # fmt: skip
    approve = apb.ApproveRecordTransferRequest(name=transfer.name)
    first = t.api.ApproveRecordTransfer(approve, metadata=t.md("szq-admin", "370400"))
    assert first.state == apb.TRANSFER_STATE_ESCALATED
    # The source's administrator approves last; its hand-over does not reach the destination.
    jiangsu = t.cells["320000"].cell.part("archives").usecases
    real_import = jiangsu.cells.import_record

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise Unavailable("the destination cell cannot be reached")

    jiangsu.cells.import_record = unreachable
    try:
        expect_error(
            lambda: t.api.ApproveRecordTransfer(approve, metadata=t.md("qs-admin", "320300")),
            grpc.StatusCode.UNAVAILABLE,
        )
    finally:
        jiangsu.cells.import_record = real_import
    at_destination = _get(t, transfer.name, zz)
    assert at_destination.escalation.source_approved
    assert at_destination.escalation.destination_approved
    # Both approved, but the source's administrator last: the source cell may not hand over
    # for itself (it hands over on behalf of that administrator).
    with jiangsu.db.read() as conn:
        bundle = ArchivesRepository(conn).export_bundle(record.record_id)
    with pytest.raises(RhipError) as error:
        jiangsu.cells.import_record("370402", transfer_id, bundle, as_cell=True)
    assert error.value.reason == "CROSS_CELL_CALLER"
    assert _get(t, transfer.name, zz).state == apb.TRANSFER_STATE_ESCALATED
    # The administrator's retry hands over on their behalf: the record moves once.
    done = t.api.ApproveRecordTransfer(approve, metadata=t.md("qs-admin", "320300"))
    assert done.state == apb.TRANSFER_STATE_COMPLETED
    assert _get(t, transfer.name, zz).state == apb.TRANSFER_STATE_COMPLETED
