"""A referral across cells through the gateway (issue 17): a Xuzhou village clinic (Jiangsu
cell 320000) refers a resident up to the Zaozhuang maternal and child health hospital
(Shandong cell 370000), which accepts, admits and returns the patient; the 14-day task lands
in the Xuzhou record and the referral closes on both sides. Every move is made in the other
cell first and is idempotent there: when a cell loses the other's answer mid-way (as if it
died after the other side committed), the retry ends in one consistent state on both sides."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta

import grpc
import pytest
from archives.helpers import complete_form
from archives.two_cells import TIMEOUT, TwoCells
from referral.conftest import outward, return_form
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.api.emr.v1 import emr_service_pb2 as epb
from rhip.api.emr.v1 import emr_service_pb2_grpc
from rhip.api.identity.v1 import identity_service_pb2 as ipb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.api.referral.v1 import referral_pb2 as rpb
from rhip.api.referral.v1 import referral_peer_service_pb2 as peer_pb
from rhip.api.referral.v1 import referral_peer_service_pb2_grpc, referral_service_pb2_grpc
from rhip.api.referral.v1 import referral_service_pb2 as pb
from rhip.demo import DEMO_PASSWORD
from rhip.kit.errors import Unavailable
from support.errors import expect_error
from support.residents import dynamic_qr, register_request, stub, with_check


def _login(t: TwoCells, username: str, region: str) -> tuple[list[tuple[str, str]], str]:
    reply = identity_service_pb2_grpc.IdentityServiceStub(t.channel).Login(
        ipb.LoginRequest(
            password=ipb.PasswordCredentials(username=username, password=DEMO_PASSWORD)
        ),
        metadata=[("x-rhip-region", region)],
        timeout=TIMEOUT,
    )
    return [("authorization", f"Bearer {reply.access_token}")], reply.principal.tenant_id


def _record_at_the_village_clinic(t: TwoCells, md: list[tuple[str, str]]) -> tuple[str, str]:
    archives = archives_service_pb2_grpc.ArchivesServiceStub(t.channel)
    resident = stub(t.channel).RegisterResident(
        register_request(with_check("32031219700101031"), name="赵四", region="320312"),
        metadata=md, timeout=TIMEOUT,
    ).resident  # fmt: skip
    record = archives.CreateHealthRecord(
        apb.CreateHealthRecordRequest(
            resident=resident.name, township_code="001", village_code="101",
            basic_info=complete_form(),
        ),
        metadata=md, timeout=TIMEOUT,
    )  # fmt: skip
    archives.ActivateHealthRecord(apb.ActivateHealthRecordRequest(name=record.name), metadata=md)
    archives.StartFollowUpPlan(
        apb.StartFollowUpPlanRequest(parent=record.name, program=rec.PROGRAM_HYPERTENSION),
        metadata=md,
    )
    return resident.name, record.name


def _states(t: TwoCells, name: str, xz, zz) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    api = referral_service_pb2_grpc.ReferralServiceStub(t.channel)
    get = pb.GetReferralRequest(name=name)
    return (
        api.GetReferral(get, metadata=xz, timeout=TIMEOUT).state,
        api.GetReferral(get, metadata=zz, timeout=TIMEOUT).state,
    )


def test_a_xuzhou_village_clinic_refers_up_to_zaozhuang_and_back(two_cells: TwoCells) -> None:
    t = two_cells
    api = referral_service_pb2_grpc.ReferralServiceStub(t.channel)
    archives = archives_service_pb2_grpc.ArchivesServiceStub(t.channel)
    xz, _ = _login(t, "xz-doctor-3", "320000")  # 铜山区棠张镇张庄村卫生室
    zz, hospital = _login(t, "zz-doctor-5", "370000")  # 枣庄市妇幼保健院
    resident, record = _record_at_the_village_clinic(t, xz)

    draft = api.CreateReferral(
        pb.CreateReferralRequest(
            referral=rpb.Referral(
                direction=rpb.DIRECTION_UP, resident=resident,
                receiving_tenant=f"tenants/{hospital}", receiving_region="370402",
                outward=outward(),
                consent=rpb.ReferralConsent(
                    method="signed_form", consent_date=date.today().isoformat()
                ),
            ),
            request_id=str(uuid.uuid4()),
        ),
        metadata=xz, timeout=TIMEOUT,
    )  # fmt: skip
    sent = api.SubmitReferral(pb.SubmitReferralRequest(name=draft.name), metadata=xz)
    assert sent.state == rpb.REFERRAL_STATE_SUBMITTED
    # The hospital's cell holds a copy with the snapshot, not the record.
    copy = api.GetReferral(pb.GetReferralRequest(name=sent.name), metadata=zz, timeout=TIMEOUT)
    assert copy.state == rpb.REFERRAL_STATE_SUBMITTED and copy.sending_region == "320312"
    assert copy.snapshot.record_number == sent.snapshot.record_number
    assert copy.deadline == sent.deadline
    inbox = api.ListReferrals(
        pb.ListReferralsRequest(parent=f"tenants/{hospital}", box=pb.BOX_INBOX), metadata=zz
    )
    assert [r.name for r in inbox.referrals] == [sent.name]

    # The hospital's cell loses Xuzhou's answer to the acceptance (as if it died right after
    # Xuzhou committed): nothing changes at the hospital; the retry finishes on both sides.
    shandong = t.cells["370000"].cell.part("referral").usecases.peers
    real_relay = shandong.relay

    def relay_then_fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        real_relay(*args, **kwargs)
        raise Unavailable("the answer was lost")

    shandong.relay = relay_then_fail
    accept = pb.AcceptReferralRequest(name=sent.name, request_id=str(uuid.uuid4()))
    try:
        expect_error(
            lambda: api.AcceptReferral(accept, metadata=zz, timeout=TIMEOUT),
            grpc.StatusCode.UNAVAILABLE,
        )
    finally:
        shandong.relay = real_relay
    assert _states(t, sent.name, xz, zz) == (
        rpb.REFERRAL_STATE_ACCEPTED, rpb.REFERRAL_STATE_SUBMITTED,
    )  # fmt: skip
    accepted = api.AcceptReferral(accept, metadata=zz, timeout=TIMEOUT)
    assert accepted.state == rpb.REFERRAL_STATE_ACCEPTED
    assert _states(t, sent.name, xz, zz) == (rpb.REFERRAL_STATE_ACCEPTED,) * 2
    mine = api.GetReferral(pb.GetReferralRequest(name=sent.name), metadata=xz)
    assert [x.state for x in mine.transitions].count(rpb.REFERRAL_STATE_ACCEPTED) == 1

    # Arrival: the hospital scans the patient's e-health card, which Xuzhou issued (and
    # checks there): someone else's card admits nobody.
    other = stub(t.channel).RegisterResident(
        register_request(with_check("32031219800505061"), name="孙八", region="320312"),
        metadata=xz, timeout=TIMEOUT,
    ).resident  # fmt: skip
    stranger = dynamic_qr(t.channel, other.name, xz)
    expect_error(
        lambda: api.AdmitReferral(
            pb.AdmitReferralRequest(name=sent.name, health_card_code=stranger),
            metadata=zz,
            timeout=TIMEOUT,
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "HEALTH_CARD_NOT_PATIENT",
    )
    code = dynamic_qr(t.channel, resident, xz)
    admitted = api.AdmitReferral(
        pb.AdmitReferralRequest(name=sent.name, health_card_code=code),
        metadata=zz, timeout=TIMEOUT,
    )  # fmt: skip
    assert admitted.state == rpb.REFERRAL_STATE_IN_CARE
    returned = api.ReturnReferral(
        pb.ReturnReferralRequest(name=sent.name, return_form=return_form()),
        metadata=zz, timeout=TIMEOUT,
    )  # fmt: skip
    assert returned.state == rpb.REFERRAL_STATE_RETURNED
    # The return created the 14-day task in the Xuzhou record.
    tasks = archives.ListTasks(apb.ListTasksRequest(parent=record), metadata=xz).tasks
    (task,) = [x for x in tasks if x.kind == rec.TASK_KIND_REFERRAL_RETURN]
    assert task.name == returned.follow_up_task and task.referral == sent.name
    back = api.GetReferral(pb.GetReferralRequest(name=sent.name), metadata=xz)
    assert back.state == rpb.REFERRAL_STATE_RETURNED
    assert back.return_form.diagnosis == "原发性高血压3级"

    archives.RecordFollowUp(
        apb.RecordFollowUpRequest(
            parent=record,
            follow_up=rec.FollowUp(
                program=rec.PROGRAM_HYPERTENSION, visit_date=date.today().isoformat(),
                blood_pressure=rec.BloodPressure(systolic=128, diastolic=80),
            ),
        ),
        metadata=xz, timeout=TIMEOUT,
    )  # fmt: skip
    api.CloseReferral(pb.CloseReferralRequest(name=sent.name), metadata=xz, timeout=TIMEOUT)
    assert _states(t, sent.name, xz, zz) == (rpb.REFERRAL_STATE_CLOSED,) * 2

    # Only the parties: another Zaozhuang clinician and another Xuzhou one see nothing.
    other_zz, _ = _login(t, "zz-doctor-1", "370000")
    other_xz, _ = _login(t, "xz-doctor-1", "320000")
    for md in (other_zz, other_xz):
        expect_error(
            lambda md=md: api.GetReferral(pb.GetReferralRequest(name=sent.name), metadata=md),
            grpc.StatusCode.PERMISSION_DENIED,
        )

    # The resident's timeline in Xuzhou shows every move once, the hospital's relayed ones too
    # (#16: referral's timeline feed, the relayed move included).
    moves = ["CLOSED", "RETURNED", "IN_CARE", "ACCEPTED", "SUBMITTED"]
    _wait_for_timeline(t, resident, xz, [f"REFERRAL_{m}" for m in moves])


def _wait_for_timeline(t: TwoCells, resident: str, md, wanted: list[str]) -> None:  # type: ignore[no-untyped-def]
    timeline = emr_service_pb2_grpc.EmrServiceStub(t.channel)
    deadline = time.monotonic() + 30
    while True:
        entries = timeline.ListTimeline(
            epb.ListTimelineRequest(parent=resident, page_size=100), metadata=md, timeout=TIMEOUT
        ).entries
        kinds = [e.kind for e in entries if e.source == "referral"]
        if kinds == wanted or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert kinds == wanted


def test_a_submission_the_receiving_cell_refuses_is_not_sent(two_cells: TwoCells) -> None:
    t = two_cells
    api = referral_service_pb2_grpc.ReferralServiceStub(t.channel)
    xz, _ = _login(t, "xz-doctor-3", "320000")
    _, hospital = _login(t, "zz-doctor-5", "370000")
    resident, _ = _record_at_the_village_clinic(t, xz)
    referral = rpb.Referral(
        direction=rpb.DIRECTION_UP, resident=resident, receiving_tenant=f"tenants/{hospital}",
        receiving_region="370481",  # not where the hospital is
        outward=outward(),
        consent=rpb.ReferralConsent(method="signed_form", consent_date=date.today().isoformat()),
    )  # fmt: skip
    draft = api.CreateReferral(pb.CreateReferralRequest(referral=referral), metadata=xz)
    expect_error(
        lambda: api.SubmitReferral(pb.SubmitReferralRequest(name=draft.name), metadata=xz),
        grpc.StatusCode.INVALID_ARGUMENT,
        "TENANT_NOT_FOUND",
    )
    still = api.GetReferral(pb.GetReferralRequest(name=draft.name), metadata=xz)
    assert still.state == rpb.REFERRAL_STATE_DRAFT
    # A clinician cannot open or relay anything in another cell by themselves.
    zz, _ = _login(t, "zz-doctor-5", "370000")
    expect_error(
        lambda: referral_peer_service_pb2_grpc.ReferralPeerServiceStub(
            t.channel
        ).RelayReferralTransition(
            peer_pb.RelayReferralTransitionRequest(
                referral_id=draft.referral_id, state=rpb.REFERRAL_STATE_CANCELLED, reason="x"
            ),
            metadata=[*zz, ("x-rhip-region", "320000")],
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )


def test_only_the_opens_and_the_relays_are_cross_cell_methods_of_referral() -> None:
    from rhip.kit.apis import cross_cell_methods

    ours = {m for m in cross_cell_methods() if m.startswith("/rhip.api.referral.")}
    assert ours == {
        "/rhip.api.referral.v1.ReferralPeerService/OpenReferral",
        "/rhip.api.referral.v1.ReferralPeerService/RelayReferralTransition",
        "/rhip.api.referral.v1.TeleconsultationPeerService/OpenCooperationAgreement",
        "/rhip.api.referral.v1.TeleconsultationPeerService/OpenTeleconsultation",
        "/rhip.api.referral.v1.TeleconsultationPeerService/RelayTeleconsultationTransition",
        "/rhip.api.referral.v1.TeleconsultationPeerService/RelayRecordingDeletion",
    }


def test_a_cancellation_after_acceptance_reaches_the_receiving_cell(two_cells: TwoCells) -> None:
    t = two_cells
    api = referral_service_pb2_grpc.ReferralServiceStub(t.channel)
    xz, _ = _login(t, "xz-doctor-3", "320000")
    zz, hospital = _login(t, "zz-doctor-5", "370000")
    resident, _ = _record_at_the_village_clinic(t, xz)
    draft = api.CreateReferral(
        pb.CreateReferralRequest(
            referral=rpb.Referral(
                direction=rpb.DIRECTION_UP, resident=resident,
                receiving_tenant=f"tenants/{hospital}", receiving_region="370402",
                outward=outward(),
                consent=rpb.ReferralConsent(
                    method="signed_form", consent_date=date.today().isoformat()
                ),
            )
        ),
        metadata=xz,
    )  # fmt: skip
    api.SubmitReferral(pb.SubmitReferralRequest(name=draft.name), metadata=xz)
    api.AcceptReferral(pb.AcceptReferralRequest(name=draft.name), metadata=zz)
    cancelled = api.CancelReferral(
        pb.CancelReferralRequest(name=draft.name, reason="患者选择就近就医"), metadata=xz
    )
    assert cancelled.state == rpb.REFERRAL_STATE_CANCELLED
    copy = api.GetReferral(pb.GetReferralRequest(name=draft.name), metadata=zz)
    assert copy.state == rpb.REFERRAL_STATE_CANCELLED
    assert copy.transitions[-1].reason == "患者选择就近就医"
    # The hospital cannot move it any more, here or there.
    expect_error(
        lambda: api.AdmitReferral(pb.AdmitReferralRequest(name=draft.name), metadata=zz),
        grpc.StatusCode.FAILED_PRECONDITION,
        "REFERRAL_STATE",
    )


def test_a_cell_opens_referrals_only_for_its_own_clinicians_institutions(
    two_cells: TwoCells,
) -> None:
    """Jiangsu's cell account, on behalf of a Xuzhou clinician, opening at Shandong a referral
    that claims another institution as its sender is refused; nothing is opened."""
    from dataclasses import replace

    from rhip.kit.authn import Principal, PrincipalKind, acting_as
    from rhip.kit.errors import PermissionDenied
    from rhip.referral.referrals.domain import Consent, Direction, Referral, State

    t = two_cells
    xz, xz_tenant = _login(t, "xz-doctor-3", "320000")
    _, hospital = _login(t, "zz-doctor-5", "370000")
    now = datetime.now(UTC)
    forged = Referral(
        referral_id=str(uuid.uuid4()), direction=Direction.UP, resident_id=str(uuid.uuid4()),
        sender_tenant_id=str(uuid.uuid4()), sender_region="320312", sender_scope="",
        receiver_tenant_id=hospital, receiver_scope="", department="", receiving_doctor="",
        outward={f.name: "x" for f in outward().DESCRIPTOR.fields}, state=State.SUBMITTED,
        consent=Consent("signed_form", date.today(), ""), create_time=now, update_time=now,
        deadline=now + timedelta(hours=1), receiver_region="370402",
    )  # fmt: skip
    peers = t.cells["320000"].cell.part("referral").usecases.peers
    token = xz[0][1].removeprefix("Bearer ")
    caller = Principal("user:xz", PrincipalKind.PRACTITIONER, xz_tenant, "320312")
    with acting_as(caller, token), pytest.raises(PermissionDenied) as refused:
        peers.open_referral("370402", forged, now)
    assert refused.value.reason == "CROSS_CELL_CALLER"
    with acting_as(caller, token):  # its own institution as the sender: opened
        opened = peers.open_referral("370402", replace(forged, sender_tenant_id=xz_tenant), now)
    assert opened.state == "SUBMITTED"


def test_a_copy_whose_submission_was_never_committed_is_withdrawn_then_reopened(
    two_cells: TwoCells,
) -> None:
    """Xuzhou opened the hospital's copy, then lost the answer and committed nothing (the draft
    stays a draft) and the clinic did not submit again: the hospital's move finds no submission
    in Xuzhou. Within the time a commit there could still take it is asked to try later; after
    it the copy is withdrawn, not left in the inbox for good. Submitting again reopens it."""
    t = two_cells
    api = referral_service_pb2_grpc.ReferralServiceStub(t.channel)
    xz, _ = _login(t, "xz-doctor-3", "320000")
    zz, hospital = _login(t, "zz-doctor-5", "370000")
    resident, _ = _record_at_the_village_clinic(t, xz)
    draft = api.CreateReferral(
        pb.CreateReferralRequest(
            referral=rpb.Referral(
                direction=rpb.DIRECTION_UP, resident=resident,
                receiving_tenant=f"tenants/{hospital}", receiving_region="370402",
                outward=outward(),
                consent=rpb.ReferralConsent(
                    method="signed_form", consent_date=date.today().isoformat()
                ),
            )
        ),
        metadata=xz, timeout=TIMEOUT,
    )  # fmt: skip
    jiangsu = t.cells["320000"].cell.part("referral").usecases
    real_open = jiangsu.peers.open_referral

    def open_then_fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        real_open(*args, **kwargs)
        raise Unavailable("the answer was lost")

    jiangsu.peers.open_referral = open_then_fail
    try:
        expect_error(
            lambda: api.SubmitReferral(pb.SubmitReferralRequest(name=draft.name), metadata=xz),
            grpc.StatusCode.UNAVAILABLE,
        )
    finally:
        jiangsu.peers.open_referral = real_open
    assert _states(t, draft.name, xz, zz) == (
        rpb.REFERRAL_STATE_DRAFT,
        rpb.REFERRAL_STATE_SUBMITTED,
    )
    accept = pb.AcceptReferralRequest(name=draft.name)
    expect_error(  # Xuzhou may still be committing it
        lambda: api.AcceptReferral(accept, metadata=zz, timeout=TIMEOUT),
        grpc.StatusCode.UNAVAILABLE,
        "REFERRAL_NOT_CONFIRMED",
    )
    shandong = t.cells["370000"].cell.part("referral").usecases
    held_clock = shandong.clock
    shandong.clock = lambda: datetime.now(UTC) + timedelta(minutes=11)
    try:
        expect_error(
            lambda: api.AcceptReferral(accept, metadata=zz, timeout=TIMEOUT),
            grpc.StatusCode.FAILED_PRECONDITION,
            "REFERRAL_NOT_COMPLETED",
        )
    finally:
        shandong.clock = held_clock
    copy = api.GetReferral(pb.GetReferralRequest(name=draft.name), metadata=zz, timeout=TIMEOUT)
    assert copy.state == rpb.REFERRAL_STATE_CANCELLED
    assert "never submitted" in copy.transitions[-1].reason
    # The clinic submits after all: the copy opens again and the referral goes on, both sides.
    sent = api.SubmitReferral(pb.SubmitReferralRequest(name=draft.name), metadata=xz)
    assert sent.state == rpb.REFERRAL_STATE_SUBMITTED
    assert _states(t, draft.name, xz, zz) == (
        rpb.REFERRAL_STATE_SUBMITTED, rpb.REFERRAL_STATE_SUBMITTED,
    )  # fmt: skip
    api.AcceptReferral(accept, metadata=zz, timeout=TIMEOUT)
    assert _states(t, draft.name, xz, zz) == (
        rpb.REFERRAL_STATE_ACCEPTED, rpb.REFERRAL_STATE_ACCEPTED,
    )  # fmt: skip
