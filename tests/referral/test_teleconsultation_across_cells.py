"""Teleconsultation across cells through the gateway (issue 17, docs/domain §5.2): the Xuzhou
city administrator records an agreement between the 张庄村 village clinic (Jiangsu cell
320000) and the Zaozhuang MCH hospital (Shandong cell 370000), which both cells then hold;
the clinic invites the hospital; accept, schedule, session, the signed report and the
clinic's decision are each made in the other cell first. A lost answer is retried with the
same request id and leaves one teleconsultation in one state on both sides; the report is
signed in Zaozhuang, verifies with Zaozhuang's published key, and Xuzhou stores only a report
that verifies. Two cells per backend, shared by the module's tests (each makes its own data)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import grpc
import pytest
from archives.two_cells import TIMEOUT, TwoCells
from conftest import POSTGRES_URL, REQUIRE_POSTGRES, postgres_schema
from google.protobuf.timestamp_pb2 import Timestamp
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.emr.v1 import emr_service_pb2 as epb
from rhip.api.emr.v1 import emr_service_pb2_grpc
from rhip.api.identity.v1 import identity_service_pb2 as ipb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.api.referral.v1 import teleconsultation_pb2 as tpb
from rhip.api.referral.v1 import teleconsultation_peer_service_pb2 as peer_pb
from rhip.api.referral.v1 import (
    teleconsultation_peer_service_pb2_grpc,
    teleconsultation_service_pb2_grpc,
)
from rhip.api.referral.v1 import teleconsultation_service_pb2 as pb
from rhip.demo import DEMO_PASSWORD
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from rhip.kit.errors import FailedPrecondition, Unavailable
from rhip.referral.teleconsults.domain import Teleconsultation, TState, report_digest
from rhip.referral.teleconsults.signing import ReportSigner, signature_valid
from support.errors import expect_error
from support.residents import register_request, stub, with_check
from support.two_cells import cells_behind_gateway

Md = list[tuple[str, str]]
XZ, ZZ = "320000", "370000"
HOSPITAL_REGION = "370402"  # 枣庄市妇幼保健院


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def cells(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoCells]:  # fmt: skip
    if request.param == "postgres" and not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("RHIP_TEST_POSTGRES_URL is not set but RHIP_TEST_REQUIRE_POSTGRES=1")
        pytest.skip("PostgreSQL case: set RHIP_TEST_POSTGRES_URL to run it")
    work = tmp_path_factory.mktemp(f"tele-{request.param}")
    schemas = ExitStack()

    def url(name: str) -> str:
        if request.param == "sqlite":
            return f"sqlite:///{work / name}.db"
        return schemas.enter_context(postgres_schema("tc"))

    with schemas, cells_behind_gateway(work, url) as (address, running):
        channel = grpc.insecure_channel(address)
        yield TwoCells(channel, archives_service_pb2_grpc.ArchivesServiceStub(channel), running)
        channel.close()


def _login(t: TwoCells, username: str, region: str) -> tuple[Md, Principal, str]:
    reply = identity_service_pb2_grpc.IdentityServiceStub(t.channel).Login(
        ipb.LoginRequest(
            password=ipb.PasswordCredentials(username=username, password=DEMO_PASSWORD)
        ),
        metadata=[("x-rhip-region", region)],
        timeout=TIMEOUT,
    )
    p = reply.principal
    principal = Principal(p.subject, PrincipalKind.PRACTITIONER, p.tenant_id, p.region_code)
    return [("authorization", f"Bearer {reply.access_token}")], principal, reply.access_token


def _api(t: TwoCells) -> teleconsultation_service_pb2_grpc.TeleconsultationServiceStub:
    return teleconsultation_service_pb2_grpc.TeleconsultationServiceStub(t.channel)


def _agreement(t: TwoCells, inviting: str, invited: str, region: str = HOSPITAL_REGION) -> tpb.CooperationAgreement:  # fmt: skip
    admin, _, _ = _login(t, "xz-admin", XZ)  # Xuzhou city: holds the inviting institution
    today = date.today()
    return _api(t).CreateCooperationAgreement(
        pb.CreateCooperationAgreementRequest(
            agreement=tpb.CooperationAgreement(
                inviting_tenant=f"tenants/{inviting}", invited_tenant=f"tenants/{invited}",
                invited_region=region, scope="远程会诊：妇产科、儿科", liability="按协议分担",
                start_date=today.isoformat(), end_date=(today + timedelta(days=365)).isoformat(),
            ),
            request_id=str(uuid.uuid4()),
        ),
        metadata=admin, timeout=TIMEOUT,
    )  # fmt: skip


def _resident(t: TwoCells, md: Md, digits: str) -> str:
    return str(
        stub(t.channel)
        .RegisterResident(
            register_request(with_check(digits), name="钱五", region="320312"),
            metadata=md,
            timeout=TIMEOUT,
        )
        .resident.name
    )


def _request(resident: str, hospital: str, request_id: str, **changes: Any) -> pb.RequestTeleconsultationRequest:  # fmt: skip
    values: dict[str, Any] = {
        "invited_tenant": f"tenants/{hospital}", "invited_region": HOSPITAL_REGION,
        "resident": resident, "reason": "妊娠期高血压控制不佳", "purpose": "调整治疗方案",
        "record_summary": "孕28周，血压150/95", "specialty": "产科", "title_wanted": "副主任医师及以上",
        "consent": tpb.TeleconsultationConsent(
            signer="patient", consent_date=date.today().isoformat(), reference="会诊同意书-1"
        ),
    }  # fmt: skip
    values.update(changes)
    return pb.RequestTeleconsultationRequest(
        teleconsultation=tpb.Teleconsultation(**values), request_id=request_id
    )


@contextmanager
def _answer_lost(peers: Any, method: str) -> Iterator[None]:
    """The other cell carries the call out but its answer never arrives."""
    real: Callable[..., Any] = getattr(peers, method)

    def then_fail(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise Unavailable("the answer was lost")

    setattr(peers, method, then_fail)
    try:
        yield
    finally:
        setattr(peers, method, real)


def _tele_peers(t: TwoCells, cell: str) -> Any:
    return t.cells[cell].cell.part("referral").teleconsults.tele_peers


def _get(t: TwoCells, name: str, md: Md) -> tpb.Teleconsultation:
    return _api(t).GetTeleconsultation(
        pb.GetTeleconsultationRequest(name=name), metadata=md, timeout=TIMEOUT
    )


def _names(t: TwoCells, tenant: str, md: Md) -> list[str]:
    listed = _api(t).ListTeleconsultations(
        pb.ListTeleconsultationsRequest(parent=f"tenants/{tenant}"), metadata=md, timeout=TIMEOUT
    )
    return [x.name for x in listed.teleconsultations]


def test_a_xuzhou_clinic_invites_a_zaozhuang_hospital_through_report_and_decision(
    cells: TwoCells,
) -> None:
    t, api = cells, _api(cells)
    xz, _, _ = _login(t, "xz-doctor-3", XZ)  # 铜山区棠张镇张庄村卫生室
    zz, zz_doctor, zz_token = _login(t, "zz-doctor-5", ZZ)  # 枣庄市妇幼保健院
    clinic, hospital = _login(t, "xz-doctor-3", XZ)[1].tenant_id, zz_doctor.tenant_id
    agreement = _agreement(t, clinic, hospital)
    assert agreement.invited_region == HOSPITAL_REGION
    held = api.ListCooperationAgreements(
        pb.ListCooperationAgreementsRequest(parent=f"tenants/{hospital}"), metadata=zz
    ).agreements
    (copy,) = [a for a in held if a.name == agreement.name]  # both cells hold it, same id
    assert copy.inviting_region == "320312" and copy.scope == agreement.scope
    resident = _resident(t, xz, "32031219850303041")

    # The request: Zaozhuang opens its copy, Xuzhou loses the answer and commits nothing.
    request_id = str(uuid.uuid4())
    sent = _request(resident, hospital, request_id)
    with _answer_lost(_tele_peers(t, XZ), "open_teleconsultation"):
        expect_error(
            lambda: api.RequestTeleconsultation(sent, metadata=xz, timeout=TIMEOUT),
            grpc.StatusCode.UNAVAILABLE,
        )
    (opened,) = [n for n in _names(t, hospital, zz) if n not in _names(t, clinic, xz)]
    # The same request id with another body is refused by the cell that holds it …
    other = _request(resident, hospital, request_id, reason="另一个原因")
    expect_error(
        lambda: api.RequestTeleconsultation(other, metadata=xz, timeout=TIMEOUT),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REQUEST_ID_REUSED",
    )
    # … and the retry of the same request finishes it: one teleconsultation, one id, both sides.
    requested = api.RequestTeleconsultation(sent, metadata=xz, timeout=TIMEOUT)
    assert requested.name == opened and requested.state == tpb.TELECONSULTATION_STATE_REQUESTED
    assert requested.invited_region == HOSPITAL_REGION and requested.agreement == agreement.name
    assert api.RequestTeleconsultation(sent, metadata=xz, timeout=TIMEOUT).name == opened
    expect_error(
        lambda: api.RequestTeleconsultation(other, metadata=xz, timeout=TIMEOUT),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REQUEST_ID_REUSED",
    )
    assert _names(t, clinic, xz).count(opened) == 1 and _names(t, hospital, zz).count(opened) == 1
    theirs = _get(t, opened, zz)
    assert theirs.inviting_region == "320312" and theirs.record_summary == "孕28周，血压150/95"

    # Acceptance in Zaozhuang: Xuzhou accepts, Zaozhuang loses the answer; the retry ends both.
    accept = pb.AcceptTeleconsultationRequest(
        name=opened, professional_title="主任医师", independent_practice_since="2010-09-01",
        request_id=str(uuid.uuid4()),
    )  # fmt: skip
    with _answer_lost(_tele_peers(t, ZZ), "relay"):
        expect_error(
            lambda: api.AcceptTeleconsultation(accept, metadata=zz, timeout=TIMEOUT),
            grpc.StatusCode.UNAVAILABLE,
        )
    assert (_get(t, opened, xz).state, _get(t, opened, zz).state) == (
        tpb.TELECONSULTATION_STATE_ACCEPTED, tpb.TELECONSULTATION_STATE_REQUESTED,
    )  # fmt: skip
    api.AcceptTeleconsultation(accept, metadata=zz, timeout=TIMEOUT)
    mine = _get(t, opened, xz)
    assert mine.state == _get(t, opened, zz).state == tpb.TELECONSULTATION_STATE_ACCEPTED
    assert mine.consulting_physician == zz_doctor.subject
    assert mine.consulting_physician_title == "主任医师"

    when = Timestamp()
    when.FromDatetime(datetime.now(UTC) + timedelta(hours=2))
    api.ScheduleTeleconsultation(
        pb.ScheduleTeleconsultationRequest(name=opened, scheduled_time=when), metadata=xz
    )
    api.StartTeleconsultation(pb.StartTeleconsultationRequest(name=opened), metadata=zz)
    api.EndTeleconsultation(
        pb.EndTeleconsultationRequest(name=opened, recording="oss://tele/1.mp4"), metadata=xz
    )
    seen = _get(t, opened, zz)
    assert seen.state == tpb.TELECONSULTATION_STATE_AWAITING_REPORT
    assert seen.scheduled_time == when and seen.recording == "oss://tele/1.mp4"

    # A report Zaozhuang's published key did not sign is not stored in Xuzhou.
    forged_key = ReportSigner(b"not-the-zaozhuang-cell-secret-000")
    teleconsults = t.cells[ZZ].cell.part("referral").teleconsults
    with acting_as(zz_doctor, zz_token):
        here = teleconsults.get(opened)
        signed = datetime.now(UTC)
        digest = _digest(here, "伪造的意见", signed)
        report = {
            "text": "伪造的意见", "physician": zz_doctor.subject, "digest": digest,
            "inpatient": False, "signature": forged_key.sign(digest),
            "key_id": teleconsults.signer.key_id, "sign_time": signed.isoformat(),
        }  # fmt: skip
        forged = replace(here, state=TState.REPORTED, report=report)
        with pytest.raises(FailedPrecondition) as refused:
            teleconsults.tele_peers.relay("320312", forged)
    assert refused.value.reason == "REPORT_SIGNATURE_INVALID"
    assert _get(t, opened, xz).state == tpb.TELECONSULTATION_STATE_AWAITING_REPORT

    # Xuzhou stores the signed report, Zaozhuang loses the answer; the retry signs anew (a new
    # time) but keeps the report Xuzhou holds: one report on both sides.
    report_request = pb.SubmitOpinionReportRequest(
        name=opened, report=tpb.OpinionReport(text="建议拉贝洛尔，监测尿蛋白", inpatient=False),
        request_id=str(uuid.uuid4()),
    )  # fmt: skip
    with _answer_lost(_tele_peers(t, ZZ), "relay"):
        expect_error(
            lambda: api.SubmitOpinionReport(report_request, metadata=zz, timeout=TIMEOUT),
            grpc.StatusCode.UNAVAILABLE,
        )
    first = _get(t, opened, xz).report
    assert _get(t, opened, zz).state == tpb.TELECONSULTATION_STATE_AWAITING_REPORT
    reported = api.SubmitOpinionReport(report_request, metadata=zz, timeout=TIMEOUT)
    assert reported.report == first == _get(t, opened, zz).report
    kept = _get(t, opened, xz).report
    assert kept == reported.report and kept.signature
    # Anyone verifies it with Zaozhuang's published key (and not with Xuzhou's).
    keys = {
        cell: api.GetReportSigningKey(
            pb.GetReportSigningKeyRequest(), metadata=[("x-rhip-region", cell)], timeout=TIMEOUT
        )
        for cell in (XZ, ZZ)
    }
    assert keys[ZZ].key_id == kept.key_id != keys[XZ].key_id
    assert signature_valid(keys[ZZ].public_key, kept.signature, kept.digest)
    assert not signature_valid(keys[XZ].public_key, kept.signature, kept.digest)

    # The consulting side cannot decide; the inviting physician's decision closes both.
    decide = pb.DecideTeleconsultationRequest(name=opened, decision="采纳意见，调整用药")
    expect_error(
        lambda: api.DecideTeleconsultation(decide, metadata=zz), grpc.StatusCode.PERMISSION_DENIED
    )
    api.DecideTeleconsultation(decide, metadata=xz, timeout=TIMEOUT)
    for md in (xz, zz):
        closed = _get(t, opened, md)
        assert closed.state == tpb.TELECONSULTATION_STATE_CLOSED
        assert closed.decision == "采纳意见，调整用药" and closed.report == kept
    # The resident's timeline in Xuzhou shows every move once, Zaozhuang's relayed ones too
    # (the lost-and-retried acceptance included).
    moves = ["CLOSED", "REPORTED", "AWAITING_REPORT", "IN_SESSION", "SCHEDULED", "ACCEPTED"]
    _wait_for_timeline(t, resident, xz, [f"TELECONSULTATION_{m}" for m in [*moves, "REQUESTED"]])


def _wait_for_timeline(t: TwoCells, resident: str, md: Md, wanted: list[str]) -> None:
    """emr's index is fed by referral's outbox: wait (at most 30 s) until it shows ``wanted``."""
    timeline = emr_service_pb2_grpc.EmrServiceStub(t.channel)
    deadline = time.monotonic() + 30
    while True:
        entries = timeline.ListTimeline(
            epb.ListTimelineRequest(parent=resident, page_size=100), metadata=md, timeout=TIMEOUT
        ).entries
        kinds = [e.kind for e in entries if e.kind.startswith("TELECONSULTATION_")]
        if kinds == wanted or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert kinds == wanted


def _digest(t: Teleconsultation, text: str, signed: datetime) -> str:
    return report_digest(t, text, t.physician, signed, False)


def test_an_agreement_or_request_out_of_scope_is_refused_on_both_sides(cells: TwoCells) -> None:
    t, api = cells, _api(cells)
    township, township_doctor, township_token = _login(t, "xz-doctor-2", XZ)  # 棠张镇卫生院
    zz, zz_doctor, _ = _login(t, "zz-doctor-5", ZZ)
    hospital = zz_doctor.tenant_id
    before = api.ListCooperationAgreements(
        pb.ListCooperationAgreementsRequest(parent=f"tenants/{hospital}"), metadata=zz
    ).agreements

    # A region that is no region code is bad input, checked before anything is sent.
    expect_error(
        lambda: _agreement(t, township_doctor.tenant_id, hospital, region="37040"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REGION_CODE",
        field="agreement.invited_region",
    )
    # The hospital is not in the region the agreement names: Zaozhuang refuses, nothing kept.
    expect_error(
        lambda: _agreement(t, township_doctor.tenant_id, hospital, region="370481"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "TENANT_NOT_FOUND",
    )
    # An administrator whose region does not hold the inviting institution records nothing.
    county, _, _ = _login(t, "qs-admin", XZ)  # 泉山区; the township hospital is in 铜山区
    expect_error(
        lambda: api.CreateCooperationAgreement(
            pb.CreateCooperationAgreementRequest(
                agreement=tpb.CooperationAgreement(
                    inviting_tenant=f"tenants/{township_doctor.tenant_id}",
                    invited_tenant=f"tenants/{hospital}",
                    invited_region=HOSPITAL_REGION,
                    scope="x",
                    liability="y",
                    start_date=date.today().isoformat(),
                    end_date=date.today().isoformat(),
                )
            ),
            metadata=county,
            timeout=TIMEOUT,
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    after = api.ListCooperationAgreements(
        pb.ListCooperationAgreementsRequest(parent=f"tenants/{township_doctor.tenant_id}"),
        metadata=township,
    ).agreements
    assert not [a for a in after if a.invited_tenant == f"tenants/{hospital}"]
    assert (
        api.ListCooperationAgreements(
            pb.ListCooperationAgreementsRequest(parent=f"tenants/{hospital}"), metadata=zz
        ).agreements
        == before
    )

    # Without an agreement the township hospital invites nobody in Zaozhuang.
    resident = _resident(t, township, "32031219900404051")
    expect_error(
        lambda: api.RequestTeleconsultation(
            _request(resident, hospital, str(uuid.uuid4())), metadata=township, timeout=TIMEOUT
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "AGREEMENT_REQUIRED",
    )
    # Zaozhuang opens no copy under an agreement it does not hold for this pair, even when
    # Jiangsu's cell asks on behalf of the township hospital's own clinician.
    now = datetime.now(UTC)
    claimed = Teleconsultation(
        str(uuid.uuid4()), township_doctor.tenant_id, "", hospital, "", str(uuid.uuid4()),
        resident.removeprefix("residents/"),
        {"reason": "r", "purpose": "p", "record_summary": "s", "specialty": "产科",
         "title_wanted": "主治医师", "proposed_time": ""},
        {"signer": "patient", "consent_date": date.today().isoformat(), "reference": "F-1"},
        TState.REQUESTED, now, now, peer_region=HOSPITAL_REGION,
    )  # fmt: skip
    with acting_as(township_doctor, township_token), pytest.raises(FailedPrecondition) as out:
        _tele_peers(t, XZ).open_teleconsultation(HOSPITAL_REGION, claimed, "320312")
    assert out.value.reason == "AGREEMENT_REQUIRED"
    assert f"teleconsultations/{claimed.teleconsultation_id}" not in _names(t, hospital, zz)
    # A clinician cannot open or relay anything in another cell by themselves.
    peer = teleconsultation_peer_service_pb2_grpc.TeleconsultationPeerServiceStub(t.channel)
    expect_error(
        lambda: peer.RelayTeleconsultationTransition(
            peer_pb.RelayTeleconsultationTransitionRequest(
                teleconsultation_id=claimed.teleconsultation_id,
                state=tpb.TELECONSULTATION_STATE_CANCELLED,
            ),
            metadata=[*zz, ("x-rhip-region", XZ)],
            timeout=TIMEOUT,
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )


def test_a_third_institution_sees_nothing_of_a_teleconsultation_across_cells(
    cells: TwoCells,
) -> None:
    t, api = cells, _api(cells)
    xz, clinic_doctor, _ = _login(t, "xz-doctor-3", XZ)
    zz, zz_doctor, _ = _login(t, "zz-doctor-5", ZZ)
    agreement = _agreement(t, clinic_doctor.tenant_id, zz_doctor.tenant_id)
    resident = _resident(t, xz, "32031219750505061")
    requested = api.RequestTeleconsultation(
        _request(resident, zz_doctor.tenant_id, str(uuid.uuid4())), metadata=xz, timeout=TIMEOUT
    )
    for username, cell in (("zz-doctor-4", ZZ), ("xz-doctor-1", XZ)):  # 滕州市人民医院, 泉山 CHC
        md, other, _ = _login(t, username, cell)
        expect_error(lambda md=md: _get(t, requested.name, md), grpc.StatusCode.PERMISSION_DENIED)
        expect_error(
            lambda md=md: api.AcceptTeleconsultation(
                pb.AcceptTeleconsultationRequest(
                    name=requested.name,
                    professional_title="主任医师",
                    independent_practice_since="2010-09-01",
                ),
                metadata=md,
                timeout=TIMEOUT,
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        assert requested.name not in _names(t, other.tenant_id, md)
        theirs = api.ListCooperationAgreements(
            pb.ListCooperationAgreementsRequest(parent=f"tenants/{other.tenant_id}"), metadata=md
        ).agreements
        assert agreement.name not in [a.name for a in theirs]
    # The inviting clinic cannot answer for the invited hospital, in either cell.
    expect_error(
        lambda: api.DeclineTeleconsultation(
            pb.DeclineTeleconsultationRequest(name=requested.name, reason="不接"), metadata=xz
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    declined = api.DeclineTeleconsultation(
        pb.DeclineTeleconsultationRequest(name=requested.name, reason="本院无产科专家排班"),
        metadata=zz, timeout=TIMEOUT,
    )  # fmt: skip
    mine = _get(t, requested.name, xz)
    assert declined.state == mine.state == tpb.TELECONSULTATION_STATE_DECLINED
    assert mine.reason_closed == "本院无产科专家排班"


@contextmanager
def _clocks(t: TwoCells, **ahead: timedelta) -> Iterator[None]:
    """Each named cell's teleconsultations read the time ``ahead`` of now (retention checks)."""
    held = {cell: _tele(t, cell).clock for cell in ahead}
    for cell, by in ahead.items():
        _tele(t, cell).clock = lambda by=by: datetime.now(UTC) + by
    try:
        yield
    finally:
        for cell, clock in held.items():
            _tele(t, cell).clock = clock


def _tele(t: TwoCells, cell: str) -> Any:
    return t.cells[cell].cell.part("referral").teleconsults


def test_a_recording_deleted_in_one_cell_is_deleted_in_the_other(cells: TwoCells) -> None:
    """The recording's reference lives on both sides: the other cell deletes first, under its
    own retention period; refused there, neither side deletes; a lost answer is retried."""
    t, api = cells, _api(cells)
    xz, clinic_doctor, _ = _login(t, "xz-doctor-3", XZ)
    zz, zz_doctor, _ = _login(t, "zz-doctor-5", ZZ)
    _agreement(t, clinic_doctor.tenant_id, zz_doctor.tenant_id)
    resident = _resident(t, xz, "32031219780606071")
    name = api.RequestTeleconsultation(
        _request(resident, zz_doctor.tenant_id, str(uuid.uuid4())), metadata=xz, timeout=TIMEOUT
    ).name
    api.AcceptTeleconsultation(
        pb.AcceptTeleconsultationRequest(
            name=name, professional_title="主任医师", independent_practice_since="2010-09-01"
        ),
        metadata=zz, timeout=TIMEOUT,
    )  # fmt: skip
    when = Timestamp()
    when.FromDatetime(datetime.now(UTC) + timedelta(hours=1))
    api.ScheduleTeleconsultation(
        pb.ScheduleTeleconsultationRequest(name=name, scheduled_time=when), metadata=xz
    )
    api.StartTeleconsultation(pb.StartTeleconsultationRequest(name=name), metadata=zz)
    api.EndTeleconsultation(
        pb.EndTeleconsultationRequest(name=name, recording="oss://tele/9.mp4"), metadata=xz
    )
    delete = pb.DeleteTeleconsultationRecordingRequest(name=name)

    def recordings() -> tuple[str, str]:
        return _get(t, name, xz).recording, _get(t, name, zz).recording

    later = timedelta(days=3 * 365 + 2)  # past the 3-year minimum on either side
    # Past the period in Xuzhou's eyes, not in Zaozhuang's: refused there, kept on both sides.
    with _clocks(t, **{XZ: later}):
        expect_error(
            lambda: api.DeleteTeleconsultationRecording(delete, metadata=xz, timeout=TIMEOUT),
            grpc.StatusCode.FAILED_PRECONDITION,
            "RETENTION_PERIOD",
        )
    assert recordings() == ("oss://tele/9.mp4", "oss://tele/9.mp4")
    # Past it on both: Zaozhuang deletes, Xuzhou loses the answer; the retry deletes in Xuzhou.
    with _clocks(t, **{XZ: later, ZZ: later}):
        with _answer_lost(_tele_peers(t, XZ), "delete_recording"):
            expect_error(
                lambda: api.DeleteTeleconsultationRecording(delete, metadata=xz, timeout=TIMEOUT),
                grpc.StatusCode.UNAVAILABLE,
            )
        assert recordings() == ("oss://tele/9.mp4", "")
        done = api.DeleteTeleconsultationRecording(delete, metadata=xz, timeout=TIMEOUT)
        assert done.recording == "" and recordings() == ("", "")
        expect_error(
            lambda: api.DeleteTeleconsultationRecording(delete, metadata=zz, timeout=TIMEOUT),
            grpc.StatusCode.FAILED_PRECONDITION,
            "NO_RECORDING",
        )


def test_a_copy_whose_request_was_never_completed_is_withdrawn_and_reopened_by_a_retry(
    cells: TwoCells,
) -> None:
    """The clinic's cell opened the hospital's copy, then stored nothing (its answer lost) and
    the clinic did not retry: the hospital's move finds no request in the clinic's cell. Within
    the time a commit there could still take, it is asked to try later; after it, the copy is
    withdrawn (not left in the hospital's inbox for good). A retry of the request reopens it."""
    t, api = cells, _api(cells)
    xz, clinic_doctor, _ = _login(t, "xz-doctor-3", XZ)
    zz, zz_doctor, _ = _login(t, "zz-doctor-5", ZZ)
    clinic, hospital = clinic_doctor.tenant_id, zz_doctor.tenant_id
    _agreement(t, clinic, hospital)
    resident = _resident(t, xz, "32031219790707081")
    sent = _request(resident, hospital, str(uuid.uuid4()))
    with _answer_lost(_tele_peers(t, XZ), "open_teleconsultation"):
        expect_error(
            lambda: api.RequestTeleconsultation(sent, metadata=xz, timeout=TIMEOUT),
            grpc.StatusCode.UNAVAILABLE,
        )
    (opened,) = [n for n in _names(t, hospital, zz) if n not in _names(t, clinic, xz)]
    accept = pb.AcceptTeleconsultationRequest(
        name=opened, professional_title="主任医师", independent_practice_since="2010-09-01"
    )
    expect_error(  # the clinic's cell may still be storing it
        lambda: api.AcceptTeleconsultation(accept, metadata=zz, timeout=TIMEOUT),
        grpc.StatusCode.UNAVAILABLE,
        "REQUEST_NOT_CONFIRMED",
    )
    assert _get(t, opened, zz).state == tpb.TELECONSULTATION_STATE_REQUESTED
    with _clocks(t, **{ZZ: timedelta(minutes=11)}):
        expect_error(
            lambda: api.AcceptTeleconsultation(accept, metadata=zz, timeout=TIMEOUT),
            grpc.StatusCode.FAILED_PRECONDITION,
            "REQUEST_NOT_COMPLETED",
        )
    withdrawn = _get(t, opened, zz)
    assert withdrawn.state == tpb.TELECONSULTATION_STATE_CANCELLED
    assert "never completed" in withdrawn.reason_closed
    # The clinic retries after all: one teleconsultation, requested on both sides, and it goes on.
    requested = api.RequestTeleconsultation(sent, metadata=xz, timeout=TIMEOUT)
    assert requested.name == opened
    assert _get(t, opened, zz).state == tpb.TELECONSULTATION_STATE_REQUESTED
    api.AcceptTeleconsultation(accept, metadata=zz, timeout=TIMEOUT)
    assert (
        _get(t, opened, xz).state
        == _get(t, opened, zz).state
        == (tpb.TELECONSULTATION_STATE_ACCEPTED)
    )
