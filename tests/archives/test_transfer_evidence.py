"""A cross-cell transfer request needs what an in-cell one needs and evidence (issue 12, item 3),
through the gateway with a Jiangsu and a Shandong cell.

Before the fix a Zaozhuang clinician who registered a Xuzhou resident's ID number in Shandong
under a wrong name got the Xuzhou record's id, number and managing institution from
RequestRecordTransfer with ``source_region`` 320311, and the record was left TRANSFER_PENDING.
Now: the name the source holds must match exactly, the request carries evidence (a dynamic
e-health-card code scanned at the requesting institution, or a consent-form reference), a wrong
name, an unknown ID and another resident's card all get one and the same refusal, and the
requester sees nothing of the record until the source institution accepts."""

from __future__ import annotations

import json
import uuid
from typing import Any

import grpc
from archives.helpers import days_ago
from archives.two_cells import TIMEOUT, TwoCells, _get, _record_in_xuzhou, tenant_of
from google.protobuf import field_mask_pb2
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.api.identity.v1 import health_card_pb2, resident_pb2, resident_service_pb2
from rhip.archives.repository import ArchivesRepository
from rhip.kit.errors import from_rpc_error
from rhip.kit.schema import audit_event
from sqlalchemy import select
from support.errors import expect_error
from support.residents import (
    XUZHOU_MAN,
    document,
    dynamic_qr,
    register_request,
    stub,
    with_check,
)

Metadata = list[tuple[str, str]]
# A valid ID number nobody holds in Jiangsu (Quanshan district, born 1970-01-01).
UNKNOWN_IN_JIANGSU = with_check("32031119700101003")
OTHER_XUZHOU_MAN = with_check("32031119800202005")


def _register(t: TwoCells, number: str, name: str, region: str, md: Metadata) -> str:
    return str(
        stub(t.channel)
        .RegisterResident(register_request(number, name=name, region=region), metadata=md)
        .resident.name
    )


def _ask(t: TwoCells, resident: str, number: str, md: Metadata, **evidence: str) -> Any:
    """Zaozhuang asks Quanshan (Xuzhou, 320311) for the record of the holder of ``number``."""
    return t.api.RequestRecordTransfer(
        apb.RequestRecordTransferRequest(
            resident=resident,
            consent=apb.TransferConsent(method="signed_form", consent_date=days_ago(0)),
            reason="迁居枣庄", request_id=str(uuid.uuid4()), source_region="320311",
            document=document(number), **evidence,
        ),
        metadata=md, timeout=TIMEOUT,
    )  # fmt: skip


def _refusal(call: Any) -> tuple[grpc.StatusCode, str, str]:
    """What a requester learns from a refusal: code, reason and message."""
    try:
        call()
    except grpc.RpcError as error:
        return error.code(), from_rpc_error(error).reason, str(error.details())
    raise AssertionError("the request was not refused")


def _rename(t: TwoCells, resident: str, name: str, md: Metadata) -> None:
    stub(t.channel).UpdateResident(
        resident_service_pb2.UpdateResidentRequest(
            resident=resident_pb2.Resident(name=resident, display_name=name),
            update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
        ),
        metadata=md, timeout=TIMEOUT,
    )  # fmt: skip


def _listed(t: TwoCells, md: Metadata) -> list[apb.RecordTransfer]:
    request = apb.ListRecordTransfersRequest(parent=f"tenants/{tenant_of(md)}")
    return list(t.api.ListRecordTransfers(request, metadata=md, timeout=TIMEOUT).transfers)


def _hides_the_record(transfer: apb.RecordTransfer) -> None:
    assert (transfer.record, transfer.record_number, transfer.source_tenant) == ("", "", "")


def _state_in_xuzhou(t: TwoCells, record: str, xz: Metadata) -> int:
    reply = t.api.GetHealthRecord(apb.GetHealthRecordRequest(name=record), metadata=xz)
    return int(reply.state)


def test_a_wrong_name_an_unknown_id_and_anothers_card_get_one_refusal(two_cells: TwoCells) -> None:
    """The exact scenario of the issue, then every way of probing by name or ID: the requester
    cannot tell a wrong name from an unknown ID from a card of someone else, and the Xuzhou
    record stays ACTIVE throughout."""
    t = two_cells
    xz, zz = t.md("xz-doctor-1", "320300"), t.md("zz-doctor-1", "370400")
    record = _record_in_xuzhou(t, xz)  # 张三, ID XUZHOU_MAN
    in_xuzhou = str(record.resident)
    other = _register(t, OTHER_XUZHOU_MAN, "王五", "320311", xz)

    # Zaozhuang registers the Xuzhou man's ID number under a wrong name and asks for it.
    wrong = _register(t, XUZHOU_MAN, "李四", "370402", zz)
    by_wrong_name = _refusal(lambda: _ask(t, wrong, XUZHOU_MAN, zz, consent_form_reference="F-9"))
    assert by_wrong_name[:2] == (grpc.StatusCode.NOT_FOUND, "RECORD_NOT_FOUND")
    # … even with the resident's own card scanned (used up, but the name is still wrong).
    with_card = _refusal(
        lambda: _ask(t, wrong, XUZHOU_MAN, zz, health_card_qr=dynamic_qr(t.channel, in_xuzhou, xz))
    )
    assert with_card == by_wrong_name
    # An ID number Jiangsu does not know answers exactly the same.
    unknown = _register(t, UNKNOWN_IN_JIANGSU, "张三", "370402", zz)
    by_unknown_id = _refusal(
        lambda: _ask(t, unknown, UNKNOWN_IN_JIANGSU, zz, consent_form_reference="F-9")
    )
    assert by_unknown_id == by_wrong_name
    assert _state_in_xuzhou(t, record.name, xz) == rec.RECORD_STATE_ACTIVE

    # The name corrected, but no evidence: refused before anything is asked of Xuzhou.
    _rename(t, wrong, "张三", zz)
    expect_error(
        lambda: _ask(t, wrong, XUZHOU_MAN, zz), grpc.StatusCode.FAILED_PRECONDITION,
        "EVIDENCE_REQUIRED",
    )  # fmt: skip
    # Another Xuzhou resident's card with the right ID and name: the same refusal as above.
    anothers = _refusal(
        lambda: _ask(t, wrong, XUZHOU_MAN, zz, health_card_qr=dynamic_qr(t.channel, other, xz))
    )
    assert anothers == by_wrong_name
    assert _state_in_xuzhou(t, record.name, xz) == rec.RECORD_STATE_ACTIVE

    # Xuzhou keeps a trace of every refused open, with the evidence the requester gave.
    with t.cells["320000"].cell.part("archives").db.read() as conn:
        refused = conn.execute(
            select(audit_event.c.detail).where(
                audit_event.c.action == "record.transfer_open", audit_event.c.outcome == "NOT_FOUND"
            )
        ).all()
    kinds = sorted(json.loads(r.detail)["evidence"] for r in refused)
    assert kinds == ["consent_form", "consent_form", "health_card", "health_card"]
    # Every refused request is kept here as ABANDONED, and none shows anything of the record.
    kept = _listed(t, zz)
    assert len(kept) == 4 and {k.state for k in kept} == {apb.TRANSFER_STATE_ABANDONED}
    for transfer in kept:
        _hides_the_record(transfer)
        _hides_the_record(_get(t, transfer.name, zz))


def test_a_card_scan_opens_it_and_the_record_shows_only_once_the_source_accepts(
    two_cells: TwoCells,
) -> None:
    t = two_cells
    xz, zz = t.md("xz-doctor-1", "320300"), t.md("zz-doctor-1", "370400")
    record = _record_in_xuzhou(t, xz)
    here = _register(t, XUZHOU_MAN, "张三", "370402", zz)

    # Malformed evidence is INVALID_ARGUMENT naming the field; a static code proves nothing.
    expect_error(
        lambda: _ask(t, here, XUZHOU_MAN, zz, health_card_qr="not-a-code"),
        grpc.StatusCode.INVALID_ARGUMENT, "HEALTH_CARD_QR_MALFORMED", "health_card_qr",
    )  # fmt: skip
    expect_error(
        lambda: _ask(t, here, XUZHOU_MAN, zz, consent_form_reference="  "),
        grpc.StatusCode.INVALID_ARGUMENT, "CONSENT_REFERENCE_REQUIRED", "consent_form_reference",
    )  # fmt: skip
    used = dynamic_qr(t.channel, record.resident, xz)  # issues the card, too
    static = (
        stub(t.channel)
        .CreateHealthCardQrCode(
            _qr_request(record.resident, health_card_pb2.QR_CODE_TYPE_STATIC), metadata=xz
        )
        .payload
    )
    expect_error(
        lambda: _ask(t, here, XUZHOU_MAN, zz, health_card_qr=static),
        grpc.StatusCode.INVALID_ARGUMENT, "HEALTH_CARD_QR_STATIC", "health_card_qr",
    )  # fmt: skip
    # A code already scanned is refused by the cell that issued it.
    stub(t.channel).VerifyHealthCardQrCode(_verify(used), metadata=xz)
    refused = expect_error(
        lambda: _ask(t, here, XUZHOU_MAN, zz, health_card_qr=used),
        grpc.StatusCode.FAILED_PRECONDITION, "EVIDENCE_INVALID",
    )  # fmt: skip
    assert refused.metadata.get("outcome") == "REUSED"
    assert _state_in_xuzhou(t, record.name, xz) == rec.RECORD_STATE_ACTIVE

    # The right name and a fresh code scanned here: PENDING, and nothing of the record shows.
    requested = _ask(
        t, here, XUZHOU_MAN, zz, health_card_qr=dynamic_qr(t.channel, record.resident, xz)
    )
    assert requested.state == apb.TRANSFER_STATE_PENDING
    _hides_the_record(requested)
    _hides_the_record(_get(t, requested.name, zz))
    [listed] = [x for x in _listed(t, zz) if x.state == apb.TRANSFER_STATE_PENDING]
    _hides_the_record(listed)
    # Xuzhou sees its own record held for the request, with the kind of evidence recorded.
    at_source = _get(t, requested.name, xz)
    assert at_source.record == record.name and at_source.record_number == record.record_number
    assert _state_in_xuzhou(t, record.name, xz) == rec.RECORD_STATE_TRANSFER_PENDING

    # Xuzhou accepts: the requester now sees the record (its own now, under the same number).
    t.api.ConfirmRecordTransfer(
        apb.ConfirmRecordTransferRequest(name=requested.name, request_id=str(uuid.uuid4())),
        metadata=xz, timeout=TIMEOUT,
    )  # fmt: skip
    done = _get(t, requested.name, zz)
    assert done.state == apb.TRANSFER_STATE_COMPLETED
    assert done.record.startswith("healthRecords/") and done.record_number == record.record_number
    arrived = t.api.GetHealthRecord(apb.GetHealthRecordRequest(name=done.record), metadata=zz)
    assert arrived.resident == here and arrived.state == rec.RECORD_STATE_ACTIVE


def test_a_consent_form_reference_is_kept_with_the_request_in_both_cells(
    two_cells: TwoCells,
) -> None:
    t = two_cells
    xz, zz = t.md("xz-doctor-1", "320300"), t.md("zz-doctor-1", "370400")
    record = _record_in_xuzhou(t, xz)
    here = _register(t, XUZHOU_MAN, "张三", "370402", zz)
    requested = _ask(t, here, XUZHOU_MAN, zz, consent_form_reference="枣庄-同意书-0042")
    assert requested.state == apb.TRANSFER_STATE_PENDING
    _hides_the_record(requested)
    for code, cell in t.cells.items():
        with cell.cell.part("archives").usecases.db.read() as conn:
            stored = ArchivesRepository(conn).transfer(requested.name.split("/")[1])
        assert stored is not None, code
        assert stored.consent["evidence"] == "consent_form"
        assert stored.consent["evidence_reference"] == "枣庄-同意书-0042"
    assert _state_in_xuzhou(t, record.name, xz) == rec.RECORD_STATE_TRANSFER_PENDING


def _qr_request(resident: str, kind: int) -> Any:
    return resident_service_pb2.CreateHealthCardQrCodeRequest(
        name=f"{resident}/healthCard", type=kind
    )


def _verify(payload: str) -> Any:
    return resident_service_pb2.VerifyHealthCardQrCodeRequest(payload=payload)
