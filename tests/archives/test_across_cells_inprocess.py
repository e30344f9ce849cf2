"""Migration across cells in one process, on SQLite and PostgreSQL: a Jiangsu and a Shandong
cell (demo worlds, each with its own identity and archives databases) and a gateway between
them. The cross-cell decline travels through CloseRecordTransfer; escalation travels through
RelayRecordTransferDecision and needs the county administrators of both cells."""

from __future__ import annotations

import uuid

import grpc
import pytest
from archives.two_cells import TIMEOUT, TwoCells, _get, _record_in_xuzhou, _request
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from support.errors import expect_error


def test_a_cross_cell_decline_escalates_and_both_counties_approve(two_cells: TwoCells) -> None:
    t = two_cells
    xz, zz = t.md("xz-doctor-1", "320300"), t.md("zz-doctor-1", "370400")
    record = _record_in_xuzhou(t, xz)
    transfer = _request(t, zz)
    assert transfer.state == apb.TRANSFER_STATE_PENDING
    # Isolation: the Zaozhuang clinician cannot read, list or count the Xuzhou record.
    expect_error(
        lambda: t.api.GetHealthRecord(
            apb.GetHealthRecordRequest(name=record.name), metadata=zz, timeout=TIMEOUT
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    listed = t.api.ListHealthRecords(
        apb.ListHealthRecordsRequest(record_number=record.record_number), metadata=zz
    )
    assert not listed.records
    expect_error(
        lambda: t.api.GetIndicators(apb.GetIndicatorsRequest(parent="regions/320300"), metadata=zz),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    # The source declines: the destination learns it through CloseRecordTransfer.
    t.api.DeclineRecordTransfer(
        apb.DeclineRecordTransferRequest(name=transfer.name, reason="居民仍在徐州居住"),
        metadata=xz, timeout=TIMEOUT,
    )  # fmt: skip
    at_destination = _get(t, transfer.name, zz)
    assert at_destination.state == apb.TRANSFER_STATE_DECLINED
    assert at_destination.decline_reason == "居民仍在徐州居住"
    # The destination escalates; the source cell holds the record for it again.
    escalated = t.api.EscalateRecordTransfer(
        apb.EscalateRecordTransferRequest(name=transfer.name, reason="双方意见不一致"),
        metadata=zz, timeout=TIMEOUT,
    )  # fmt: skip
    assert escalated.state == apb.TRANSFER_STATE_ESCALATED
    at_source = _get(t, transfer.name, xz)
    assert at_source.state == apb.TRANSFER_STATE_ESCALATED
    assert at_source.escalation.escalated_by == apb.TRANSFER_SIDE_DESTINATION
    pending = t.api.GetHealthRecord(apb.GetHealthRecordRequest(name=record.name), metadata=xz)
    assert pending.state == rec.RECORD_STATE_TRANSFER_PENDING
    # A county admin of neither side's county is refused; each side's admin decides its side.
    expect_error(
        lambda: t.api.ApproveRecordTransfer(
            apb.ApproveRecordTransferRequest(name=transfer.name), metadata=xz
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    qs_admin = t.md("qs-admin", "320300")
    source = t.api.ApproveRecordTransfer(
        apb.ApproveRecordTransferRequest(name=transfer.name), metadata=qs_admin, timeout=TIMEOUT
    )
    assert source.state == apb.TRANSFER_STATE_ESCALATED and source.escalation.source_approved
    assert _get(t, transfer.name, zz).escalation.source_approved  # relayed
    again = t.api.ApproveRecordTransfer(
        apb.ApproveRecordTransferRequest(name=transfer.name), metadata=qs_admin, timeout=TIMEOUT
    )
    assert again.state == apb.TRANSFER_STATE_ESCALATED
    done = t.api.ApproveRecordTransfer(
        apb.ApproveRecordTransferRequest(name=transfer.name),
        metadata=t.md("szq-admin", "370400"),
        timeout=TIMEOUT,
    )
    assert done.state == apb.TRANSFER_STATE_COMPLETED
    assert _get(t, transfer.name, xz).state == apb.TRANSFER_STATE_COMPLETED
    arrived = t.api.ListHealthRecords(
        apb.ListHealthRecordsRequest(record_number=record.record_number), metadata=zz
    ).records
    assert [(r.record_number, r.state) for r in arrived] == [
        (record.record_number, rec.RECORD_STATE_ACTIVE)
    ]
    trace = t.api.GetHealthRecord(apb.GetHealthRecordRequest(name=record.name), metadata=xz)
    assert trace.state == rec.RECORD_STATE_TRANSFERRED


def test_a_cross_cell_escalation_rejected_closes_both_sides(two_cells: TwoCells) -> None:
    t = two_cells
    xz, zz = t.md("xz-doctor-1", "320300"), t.md("zz-doctor-1", "370400")
    record = _record_in_xuzhou(t, xz)
    transfer = _request(t, zz)
    t.api.DeclineRecordTransfer(
        apb.DeclineRecordTransferRequest(name=transfer.name, reason="居民仍在徐州居住"),
        metadata=xz, timeout=TIMEOUT,
    )  # fmt: skip
    t.api.EscalateRecordTransfer(
        apb.EscalateRecordTransferRequest(name=transfer.name, reason="双方意见不一致"),
        metadata=xz, timeout=TIMEOUT,
    )  # fmt: skip
    assert _get(t, transfer.name, zz).state == apb.TRANSFER_STATE_ESCALATED
    reject = apb.RejectRecordTransferRequest(name=transfer.name, reason="未实际迁居")
    closed = t.api.RejectRecordTransfer(
        reject, metadata=t.md("szq-admin", "370400"), timeout=TIMEOUT
    )
    assert closed.state == apb.TRANSFER_STATE_CLOSED
    at_source = _get(t, transfer.name, xz)
    assert at_source.state == apb.TRANSFER_STATE_CLOSED
    assert at_source.escalation.close_reason == "未实际迁居"
    kept = t.api.GetHealthRecord(apb.GetHealthRecordRequest(name=record.name), metadata=xz)
    assert kept.state == rec.RECORD_STATE_ACTIVE
    expect_error(
        lambda: t.api.ApproveRecordTransfer(
            apb.ApproveRecordTransferRequest(name=transfer.name),
            metadata=t.md("qs-admin", "320300"),
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "TRANSFER_STATE",
    )


def _as_xuzhou_doctor(t: TwoCells):  # type: ignore[no-untyped-def]
    """The Jiangsu cell's cross-cell client, serving a Xuzhou clinician (their token travels
    as on-behalf-of, as while serving their RPC)."""
    from rhip.kit.authn import Principal, PrincipalKind, acting_as

    token = t.md("xz-doctor-1", "320300")[0][1].removeprefix("Bearer ")
    caller = Principal("user:xz", PrincipalKind.PRACTITIONER, "t", "320311")
    return t.cells["320000"].cell.part("archives").usecases.cells, acting_as(caller, token)


def test_bad_cross_cell_input_changes_nothing(two_cells: TwoCells) -> None:
    from rhip.kit.errors import RhipError

    t = two_cells
    xz, zz = t.md("xz-doctor-1", "320300"), t.md("zz-doctor-1", "370400")
    record = _record_in_xuzhou(t, xz)
    transfer = _request(t, zz)
    transfer_id = transfer.name.removeprefix("recordTransfers/")
    cells, acting = _as_xuzhou_doctor(t)
    with acting:
        for transfer_id_sent, bundle, code, reason in (
            (transfer_id, b"not json", grpc.StatusCode.INVALID_ARGUMENT, "BUNDLE_INVALID"),
            ("", b"{}", grpc.StatusCode.INVALID_ARGUMENT, None),
            (str(uuid.uuid4()), None, grpc.StatusCode.NOT_FOUND, "TRANSFER_NOT_FOUND"),
        ):
            with pytest.raises(RhipError) as error:
                if bundle is None:
                    cells.import_record("370402", transfer_id_sent, {"format": "rhip.archives.bundle.v1", "record": {"record_number": record.record_number}})  # fmt: skip
                else:
                    cells._call(
                        "370402", "ImportHealthRecord",
                        apb.ImportHealthRecordRequest(transfer_id=transfer_id_sent, bundle=bundle),
                    )  # fmt: skip
            assert error.value.code == code, error.value
            if reason:
                assert error.value.reason == reason
        with pytest.raises(RhipError) as error:
            cells.import_record(
                "370402", transfer_id,
                {"format": "rhip.archives.bundle.v1", "record": {"record_number": "3203110011010009"}},
            )  # fmt: skip
        assert error.value.reason == "BUNDLE_MISMATCH"
        with pytest.raises(RhipError) as error:
            cells._call(
                "370402", "OpenRecordTransfer",
                apb.OpenRecordTransferRequest(transfer_id="x", destination_region="320311"),
            )  # fmt: skip
        assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT
        assert {"transfer_id", "destination_tenant", "reason", "document"} <= {
            v.field for v in error.value.violations
        }
        with pytest.raises(RhipError) as error:
            cells._call(
                "370402", "WithdrawRecordTransfer",
                apb.WithdrawRecordTransferRequest(
                    transfer_id="x", destination_region="370402", reason="not a code"
                ),
            )  # fmt: skip
        assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT
        assert {"transfer_id", "destination_tenant", "destination_region", "reason"} <= {
            v.field for v in error.value.violations
        }
    # Nothing changed on either side.
    assert _get(t, transfer.name, zz).state == apb.TRANSFER_STATE_PENDING
    assert _get(t, transfer.name, xz).state == apb.TRANSFER_STATE_PENDING
    assert not t.api.ListHealthRecords(
        apb.ListHealthRecordsRequest(record_number=record.record_number), metadata=zz
    ).records


def test_source_fails_after_the_destination_imported_and_a_retry_ends_in_one_place(
    two_cells: TwoCells,
) -> None:
    """The source cell loses the import's answer (it failed after the destination committed:
    as if it crashed there); the same confirm again finishes, the record in one place."""
    from rhip.kit.errors import Unavailable

    t = two_cells
    xz, zz = t.md("xz-doctor-1", "320300"), t.md("zz-doctor-1", "370400")
    record = _record_in_xuzhou(t, xz)
    transfer = _request(t, zz)
    cells = t.cells["320000"].cell.part("archives").usecases.cells
    real_import = cells.import_record

    def import_then_fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        real_import(*args, **kwargs)  # the destination imports and commits
        raise Unavailable("the source lost the answer")

    cells.import_record = import_then_fail
    confirm = apb.ConfirmRecordTransferRequest(name=transfer.name, request_id=str(uuid.uuid4()))
    try:
        expect_error(
            lambda: t.api.ConfirmRecordTransfer(confirm, metadata=xz, timeout=TIMEOUT),
            grpc.StatusCode.UNAVAILABLE,
        )
    finally:
        cells.import_record = real_import
    assert _get(t, transfer.name, xz).state == apb.TRANSFER_STATE_HANDING_OVER
    assert _get(t, transfer.name, zz).state == apb.TRANSFER_STATE_COMPLETED
    done = t.api.ConfirmRecordTransfer(confirm, metadata=xz, timeout=TIMEOUT)
    assert done.state == apb.TRANSFER_STATE_COMPLETED
    assert t.api.ConfirmRecordTransfer(confirm, metadata=xz).state == apb.TRANSFER_STATE_COMPLETED
    arrived = t.api.ListHealthRecords(
        apb.ListHealthRecordsRequest(record_number=record.record_number), metadata=zz
    ).records
    assert [r.state for r in arrived] == [rec.RECORD_STATE_ACTIVE]
    trace = t.api.GetHealthRecord(apb.GetHealthRecordRequest(name=record.name), metadata=xz)
    assert trace.state == rec.RECORD_STATE_TRANSFERRED
