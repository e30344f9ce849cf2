"""A referral from a Xuzhou village clinic (Jiangsu cell) up to the Zaozhuang MCH hospital
(Shandong cell) and back, through the gateway against real processes (issue 17). Each cell is
killed (-9) during the acceptance in turn: the receiving cell before it could answer, the
sending cell while the receiving one relays the move; after a restart and a retry with the
same request id there is one referral, ACCEPTED on both sides with one acceptance. The return
creates the 14-day task in the Xuzhou record."""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta

import grpc
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.api.identity.v1 import identity_service_pb2 as id_pb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.api.referral.v1 import referral_pb2 as rpb
from rhip.api.referral.v1 import referral_service_pb2 as pb
from rhip.api.referral.v1 import referral_service_pb2_grpc
from support.errors import expect_error
from support.platform import Platform
from support.residents import register_request, stub, with_check

PASSWORD = "Demo-Passw0rd-2026"
TIMEOUT = 15


def _login(platform: Platform, username: str, region: str) -> tuple[list[tuple[str, str]], str]:
    gateway = identity_service_pb2_grpc.IdentityServiceStub(grpc.insecure_channel(platform.gateway))
    login = gateway.Login(
        id_pb.LoginRequest(
            password=id_pb.PasswordCredentials(username=username, password=PASSWORD)
        ),
        metadata=[("x-rhip-region", region)],
        timeout=TIMEOUT,
    )
    return [("authorization", f"Bearer {login.access_token}")], login.principal.tenant_id


def _until_reachable(call, seconds: float = 30.0):  # type: ignore[no-untyped-def]
    """Retry an idempotent call while the path to a just-restarted cell reconnects."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return call()
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNAVAILABLE or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_a_referral_up_across_cells_and_back_survives_killed_cells(platform: Platform) -> None:
    gateway = grpc.insecure_channel(platform.gateway)
    api = referral_service_pb2_grpc.ReferralServiceStub(gateway)
    archives = archives_service_pb2_grpc.ArchivesServiceStub(gateway)
    xz, _ = _login(platform, "xz-doctor-3", "320000")  # 铜山区棠张镇张庄村卫生室
    zz, hospital = _login(platform, "zz-doctor-5", "370000")  # 枣庄市妇幼保健院

    resident = stub(gateway).RegisterResident(
        register_request(with_check("32031219620304051"), name="钱七", region="320312"),
        metadata=xz, timeout=TIMEOUT,
    ).resident  # fmt: skip
    record = archives.CreateHealthRecord(
        apb.CreateHealthRecordRequest(
            resident=resident.name, township_code="001", village_code="101",
            basic_info=rec.BasicInfo(
                work_unit="无", residence_type=1, ethnicity="01", blood_type_abo=1,
                blood_type_rh=2, education=40, occupation=6, marital_status=20,
                payment_methods=[1], drug_allergies=[2], exposures=[1],
                diseases=[rec.HistoryItem(code=2, date="2015-06")], family_father=[1],
                family_mother=[1], disabilities=[1], kitchen_exhaust=2, fuel=3,
                drinking_water=1, toilet=1, livestock_pen=1,
            ),
        ),
        metadata=xz, timeout=TIMEOUT,
    )  # fmt: skip
    archives.ActivateHealthRecord(apb.ActivateHealthRecordRequest(name=record.name), metadata=xz)

    draft = api.CreateReferral(
        pb.CreateReferralRequest(
            referral=rpb.Referral(
                direction=rpb.DIRECTION_UP, resident=resident.name,
                receiving_tenant=f"tenants/{hospital}", receiving_region="370402",
                outward=rpb.OutwardForm(
                    initial_impression="妊娠期高血压", reason="血压控制不佳",
                    past_history="无", treatment_so_far="拉贝洛尔", referring_doctor="村医",
                    referring_doctor_phone="0516-00000002",
                ),
                consent=rpb.ReferralConsent(
                    method="signed_form", consent_date=date.today().isoformat()
                ),
            ),
            request_id=str(uuid.uuid4()),
        ),
        metadata=xz, timeout=TIMEOUT,
    )  # fmt: skip
    sent = api.SubmitReferral(
        pb.SubmitReferralRequest(name=draft.name, request_id=str(uuid.uuid4())),
        metadata=xz, timeout=TIMEOUT,
    )  # fmt: skip
    assert sent.state == rpb.REFERRAL_STATE_SUBMITTED
    assert sent.snapshot.drug_allergies == [2]

    def states() -> tuple[int, int]:
        get = pb.GetReferralRequest(name=sent.name)
        return (
            _until_reachable(lambda: api.GetReferral(get, metadata=xz, timeout=TIMEOUT)).state,
            _until_reachable(lambda: api.GetReferral(get, metadata=zz, timeout=TIMEOUT)).state,
        )

    assert states() == (rpb.REFERRAL_STATE_SUBMITTED,) * 2  # the gateway knows both cells' keys
    accept = pb.AcceptReferralRequest(name=sent.name, request_id=str(uuid.uuid4()))
    # The receiving cell dies: the acceptance fails and nothing moved anywhere.
    platform.kill("370000")
    expect_error(
        lambda: api.AcceptReferral(accept, metadata=zz, timeout=TIMEOUT),
        grpc.StatusCode.UNAVAILABLE,
    )
    platform.restart("370000")
    assert states() == (rpb.REFERRAL_STATE_SUBMITTED,) * 2
    # The sending cell dies while the receiving one relays the move: refused, nothing moved.
    platform.kill("320000")
    expect_error(
        lambda: api.AcceptReferral(accept, metadata=zz, timeout=TIMEOUT),
        grpc.StatusCode.UNAVAILABLE,
    )
    platform.restart("320000")
    assert states() == (rpb.REFERRAL_STATE_SUBMITTED,) * 2
    # The same acceptance again: one referral, ACCEPTED on both sides, accepted once.
    accepted = _until_reachable(lambda: api.AcceptReferral(accept, metadata=zz, timeout=TIMEOUT))
    assert accepted.state == rpb.REFERRAL_STATE_ACCEPTED
    assert api.AcceptReferral(accept, metadata=zz, timeout=TIMEOUT).name == sent.name
    assert states() == (rpb.REFERRAL_STATE_ACCEPTED,) * 2
    mine = api.GetReferral(pb.GetReferralRequest(name=sent.name), metadata=xz, timeout=TIMEOUT)
    assert [t.state for t in mine.transitions].count(rpb.REFERRAL_STATE_ACCEPTED) == 1

    api.AdmitReferral(pb.AdmitReferralRequest(name=sent.name), metadata=zz, timeout=TIMEOUT)
    returned = api.ReturnReferral(
        pb.ReturnReferralRequest(
            name=sent.name,
            return_form=rpb.ReturnForm(
                diagnosis="妊娠期高血压", examination_results="尿蛋白阴性",
                treatment_so_far="调整降压", treatment_plan="村卫生室每周测血压",
                doctor="产科医生", doctor_phone="0632-00000000",
            ),
        ),
        metadata=zz, timeout=TIMEOUT,
    )  # fmt: skip
    assert returned.state == rpb.REFERRAL_STATE_RETURNED
    assert states() == (rpb.REFERRAL_STATE_RETURNED,) * 2
    tasks = archives.ListTasks(apb.ListTasksRequest(parent=record.name), metadata=xz).tasks
    (task,) = [t for t in tasks if t.kind == rec.TASK_KIND_REFERRAL_RETURN]
    assert task.due_date == (date.today() + timedelta(days=14)).isoformat()
    assert task.referral == sent.name
