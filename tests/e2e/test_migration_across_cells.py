"""A record migrates from Xuzhou (Jiangsu cell) to Zaozhuang (Shandong cell) through the gateway,
against real processes: it arrives once with its check-up, follow-up and open plan; the source
keeps a read-only trace; the destination cell killed (-9) during the confirm leaves the record in
exactly one place after a restart and a retry with the same request id. Along the way a
Zaozhuang clinician cannot read, list or migrate the Xuzhou record by any other way."""

from __future__ import annotations

import time
import uuid

import grpc
from rhip.api.archives.v1 import archives_peer_service_pb2_grpc, archives_service_pb2_grpc
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.api.identity.v1 import identity_service_pb2 as id_pb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from support.errors import expect_error
from support.platform import Platform
from support.residents import XUZHOU_MAN, document, dynamic_qr, register_request, stub

PASSWORD = "Demo-Passw0rd-2026"
TIMEOUT = 15


def _token(platform: Platform, username: str, region: str) -> list[tuple[str, str]]:
    gateway = identity_service_pb2_grpc.IdentityServiceStub(grpc.insecure_channel(platform.gateway))
    login = gateway.Login(
        id_pb.LoginRequest(
            password=id_pb.PasswordCredentials(username=username, password=PASSWORD)
        ),
        metadata=[("x-rhip-region", region)],
        timeout=TIMEOUT,
    )
    return [("authorization", f"Bearer {login.access_token}")]


def _form() -> rec.BasicInfo:
    return rec.BasicInfo(
        work_unit="徐州矿务集团", residence_type=1, ethnicity="01", blood_type_abo=3,
        blood_type_rh=2, education=40, occupation=6, marital_status=20, payment_methods=[1],
        drug_allergies=[1], exposures=[1], diseases=[rec.HistoryItem(code=2, date="2015-06")],
        family_father=[2, 7], family_mother=[1], disabilities=[1], kitchen_exhaust=2, fuel=3,
        drinking_water=1, toilet=1, livestock_pen=1,
    )  # fmt: skip


def test_record_migrates_once_and_survives_a_killed_destination(platform: Platform) -> None:
    xz = _token(platform, "xz-doctor-1", "320300")
    zz = _token(platform, "zz-doctor-1", "370400")
    gateway = grpc.insecure_channel(platform.gateway)
    archives = archives_service_pb2_grpc.ArchivesServiceStub(gateway)
    peer = archives_peer_service_pb2_grpc.ArchivesPeerServiceStub(gateway)
    residents = stub(gateway)

    # Xuzhou: the resident, an active record, a check-up, a follow-up and an open plan.
    xz_resident = residents.RegisterResident(
        register_request(XUZHOU_MAN, region="320311"), metadata=xz, timeout=TIMEOUT
    ).resident
    record = archives.CreateHealthRecord(
        apb.CreateHealthRecordRequest(
            resident=xz_resident.name, township_code="001", village_code="101", basic_info=_form()
        ),
        metadata=xz,
        timeout=TIMEOUT,
    )
    record = archives.ActivateHealthRecord(
        apb.ActivateHealthRecordRequest(name=record.name), metadata=xz, timeout=TIMEOUT
    )
    archives.CreateCheckUp(
        apb.CreateCheckUpRequest(
            parent=record.name,
            check_up=rec.CheckUp(
                exam_date="2026-01-10", temperature_celsius=36.6, pulse=72, respiration=16,
                bp_left=rec.BloodPressure(systolic=128, diastolic=82), height_cm=172,
                weight_kg=70, waist_cm=86,
            ),
        ),
        metadata=xz,
        timeout=TIMEOUT,
    )  # fmt: skip
    archives.StartFollowUpPlan(
        apb.StartFollowUpPlanRequest(parent=record.name, program=rec.PROGRAM_HYPERTENSION),
        metadata=xz,
        timeout=TIMEOUT,
    )
    archives.RecordFollowUp(
        apb.RecordFollowUpRequest(
            parent=record.name,
            follow_up=rec.FollowUp(
                program=rec.PROGRAM_HYPERTENSION, visit_date="2026-02-01",
                blood_pressure=rec.BloodPressure(systolic=132, diastolic=84),
            ),
        ),
        metadata=xz,
        timeout=TIMEOUT,
    )  # fmt: skip

    # Isolation: a Zaozhuang clinician reaches the Xuzhou record by no other way.
    get = apb.GetHealthRecordRequest(name=record.name)
    expect_error(
        lambda: archives.GetHealthRecord(get, metadata=zz), grpc.StatusCode.PERMISSION_DENIED
    )
    for region in ("320300", "320311"):
        md = [*zz, ("x-rhip-region", region)]
        expect_error(
            lambda md=md: archives.GetHealthRecord(get, metadata=md),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        expect_error(
            lambda md=md: archives.ListHealthRecords(apb.ListHealthRecordsRequest(), metadata=md),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        expect_error(
            lambda md=md: peer.OpenRecordTransfer(apb.OpenRecordTransferRequest(), metadata=md),
            grpc.StatusCode.PERMISSION_DENIED,
        )
    listed = archives.ListHealthRecords(
        apb.ListHealthRecordsRequest(record_number=record.record_number),
        metadata=zz,
        timeout=TIMEOUT,
    )
    assert not listed.records
    jiangsu_channel = grpc.insecure_channel(platform.cells["320000"])
    jiangsu = archives_service_pb2_grpc.ArchivesServiceStub(jiangsu_channel)
    jiangsu_peer = archives_peer_service_pb2_grpc.ArchivesPeerServiceStub(jiangsu_channel)
    expect_error(
        lambda: jiangsu.GetHealthRecord(get, metadata=zz), grpc.StatusCode.PERMISSION_DENIED
    )
    opened = expect_error(
        lambda: jiangsu_peer.OpenRecordTransfer(
            apb.OpenRecordTransferRequest(transfer_id=str(uuid.uuid4())), metadata=zz
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert opened.reason == "CROSS_CELL_CALLER"

    # Zaozhuang: the resident presents, is registered there, shows the e-health-card code of
    # their app (issued in Jiangsu), and the clinic requests the record with the code scanned.
    zz_resident = residents.RegisterResident(
        register_request(XUZHOU_MAN, region="370402"), metadata=zz, timeout=TIMEOUT
    ).resident
    scanned = dynamic_qr(gateway, xz_resident.name, xz)
    request_id = str(uuid.uuid4())
    requested = archives.RequestRecordTransfer(
        apb.RequestRecordTransferRequest(
            resident=zz_resident.name,
            consent=apb.TransferConsent(
                method="signed_form", consent_date="2026-02-10", reference="F-1"
            ),
            reason="moved to Zaozhuang",
            request_id=request_id,
            source_region="320311",
            document=document(XUZHOU_MAN),
            health_card_qr=scanned,
        ),
        metadata=zz,
        timeout=TIMEOUT,
    )
    assert requested.state == apb.TRANSFER_STATE_PENDING and requested.peer_region == "320311"
    # Nothing of the Xuzhou record reaches Zaozhuang before Xuzhou accepts.
    assert (requested.record, requested.record_number, requested.source_tenant) == ("", "", "")
    at_source = archives.GetRecordTransfer(
        apb.GetRecordTransferRequest(name=requested.name), metadata=xz, timeout=TIMEOUT
    )
    assert (
        at_source.state == apb.TRANSFER_STATE_PENDING and at_source.consent.method == "signed_form"
    )
    pending = archives.GetHealthRecord(get, metadata=xz, timeout=TIMEOUT)
    assert pending.state == rec.RECORD_STATE_TRANSFER_PENDING

    # The destination cell dies (kill -9): the confirm fails, the record stays at the source,
    # the transfer is HANDING_OVER and can no longer be declined.
    confirm = apb.ConfirmRecordTransferRequest(name=requested.name, request_id=str(uuid.uuid4()))
    platform.kill("370000")
    expect_error(
        lambda: archives.ConfirmRecordTransfer(confirm, metadata=xz, timeout=TIMEOUT),
        grpc.StatusCode.UNAVAILABLE,
    )
    handing = archives.GetRecordTransfer(
        apb.GetRecordTransferRequest(name=requested.name), metadata=xz, timeout=TIMEOUT
    )
    assert handing.state == apb.TRANSFER_STATE_HANDING_OVER
    declined = expect_error(
        lambda: archives.DeclineRecordTransfer(
            apb.DeclineRecordTransferRequest(name=requested.name, reason="changed our mind"),
            metadata=xz,
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert declined.reason == "TRANSFER_STATE"

    # Restart it and retry the same confirm: the record arrives once; a second retry changes nothing.
    platform.restart("370000")
    # The gateway's own channel to the restarted cell may still be backing off, as for the
    # confirm below: the login (Shandong's identity, through the gateway) retries too.
    zz = _until_reachable(lambda: _token(platform, "zz-doctor-1", "370400"))
    done = _until_reachable(
        lambda: archives.ConfirmRecordTransfer(confirm, metadata=xz, timeout=TIMEOUT)
    )
    assert done.state == apb.TRANSFER_STATE_COMPLETED and done.moved_plans == 1
    again = archives.ConfirmRecordTransfer(confirm, metadata=xz, timeout=TIMEOUT)
    assert again.state == apb.TRANSFER_STATE_COMPLETED

    arrived = archives.ListHealthRecords(
        apb.ListHealthRecordsRequest(record_number=record.record_number),
        metadata=zz,
        timeout=TIMEOUT,
    ).records
    assert len(arrived) == 1
    [moved] = arrived
    assert moved.state == rec.RECORD_STATE_ACTIVE and moved.resident == zz_resident.name
    assert moved.managing_tenant != record.managing_tenant
    assert (
        len(
            archives.ListCheckUps(
                apb.ListCheckUpsRequest(parent=moved.name), metadata=zz, timeout=TIMEOUT
            ).check_ups
        )
        == 1
    )
    assert (
        len(
            archives.ListFollowUps(
                apb.ListFollowUpsRequest(parent=moved.name), metadata=zz, timeout=TIMEOUT
            ).follow_ups
        )
        == 1
    )
    inbound = archives.GetRecordTransfer(
        apb.GetRecordTransferRequest(name=requested.name), metadata=zz, timeout=TIMEOUT
    )
    assert inbound.state == apb.TRANSFER_STATE_COMPLETED and inbound.moved_plans == 1

    # The source keeps a read-only trace, no longer open; nothing there is active.
    trace = archives.GetHealthRecord(get, metadata=xz, timeout=TIMEOUT)
    assert trace.state == rec.RECORD_STATE_TRANSFERRED
    expect_error(
        lambda: archives.UpdateHealthRecord(
            apb.UpdateHealthRecordRequest(name=trace.name, basic_info=_form(), etag=trace.etag),
            metadata=xz,
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )


def _until_reachable(call, seconds: float = 20.0):  # type: ignore[no-untyped-def]
    """Retry an idempotent call while the path to a just-restarted cell still reconnects
    (channels back off up to 2 s after the kill): what any client of a retried confirm does."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return call()
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNAVAILABLE or time.monotonic() > deadline:
                raise
            time.sleep(0.5)
