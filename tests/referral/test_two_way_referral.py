"""Two-way referral inside one cell (docs/domain §5.1, §9; issue 17): the outward form, the
consent, the state machine with actor and time, the record snapshot the receiver sees instead
of the record, the return with its 14-day follow-up task in archives, and the close once that
follow-up is recorded."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import grpc
from archives.helpers import QUANSHAN_WOMAN
from referral.conftest import Referrals, outward, referral_msg, return_form
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.api.referral.v1 import referral_pb2 as rpb
from rhip.api.referral.v1 import referral_service_pb2 as pb
from rhip.kit.timestamps import clinical_day
from support.errors import expect_error
from support.residents import dynamic_qr, register_request
from support.residents import stub as resident_stub


def _days_ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


def test_a_referral_goes_up_and_back_and_closes_after_the_grassroots_follow_up(
    referrals: Referrals,
) -> None:
    r = referrals
    clinic, hosp = r.md("qs-doctor"), r.md("qs-hosp-doctor")
    draft = r.create()
    assert draft.state == rpb.REFERRAL_STATE_DRAFT
    assert draft.sending_tenant == r.tenant("qs-chc")
    assert not draft.HasField("snapshot")

    sent = r.stub.SubmitReferral(pb.SubmitReferralRequest(name=draft.name), metadata=clinic)
    assert sent.state == rpb.REFERRAL_STATE_SUBMITTED
    # The snapshot of the record summary travels with it.
    assert sent.snapshot.health_record == r.record
    assert sent.snapshot.managing_tenant == r.tenant("qs-chc")
    assert sent.snapshot.blood_type_abo == 3 and len(sent.snapshot.record_number) == 17
    assert sent.HasField("deadline") and not sent.overdue

    # The receiver sees the snapshot, never the record itself.
    seen = r.stub.GetReferral(pb.GetReferralRequest(name=sent.name), metadata=hosp)
    assert seen.snapshot.record_number == sent.snapshot.record_number
    expect_error(
        lambda: r.archives.GetHealthRecord(
            apb.GetHealthRecordRequest(name=r.record), metadata=hosp
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    inbox = r.stub.ListReferrals(
        pb.ListReferralsRequest(parent=r.tenant("qs-hosp"), box=pb.BOX_INBOX), metadata=hosp
    )
    assert [x.name for x in inbox.referrals] == [sent.name]

    r.stub.AcceptReferral(pb.AcceptReferralRequest(name=sent.name), metadata=hosp)
    in_care = r.stub.AdmitReferral(pb.AdmitReferralRequest(name=sent.name), metadata=hosp)
    assert in_care.state == rpb.REFERRAL_STATE_IN_CARE and not in_care.HasField("deadline")

    returned = r.stub.ReturnReferral(
        pb.ReturnReferralRequest(name=sent.name, return_form=return_form()), metadata=hosp
    )
    assert returned.state == rpb.REFERRAL_STATE_RETURNED
    assert returned.return_form.treatment_plan == "社区两周随访血压"
    due = (clinical_day(datetime.now(UTC)) + timedelta(days=14)).isoformat()
    assert returned.follow_up_due_date == due
    # The managing institution's record shows the 14-day task and the referral in its history.
    tasks = r.archives.ListTasks(apb.ListTasksRequest(parent=r.record), metadata=clinic).tasks
    (task,) = [t for t in tasks if t.kind == rec.TASK_KIND_REFERRAL_RETURN]
    assert task.name == returned.follow_up_task and task.due_date == due
    assert task.referral == sent.name and task.state == "open"
    events = r.archives.ListRecordEvents(
        apb.ListRecordEventsRequest(parent=r.record), metadata=clinic
    ).events
    kinds = [e.kind for e in events]
    assert kinds[-4:] == [
        "REFERRAL_SUBMITTED", "REFERRAL_ACCEPTED", "REFERRAL_IN_CARE", "REFERRAL_RETURNED",
    ]  # fmt: skip

    # Not closed before the follow-up is recorded.
    expect_error(
        lambda: r.stub.CloseReferral(pb.CloseReferralRequest(name=sent.name), metadata=clinic),
        grpc.StatusCode.FAILED_PRECONDITION,
        "FOLLOW_UP_NOT_RECORDED",
    )
    r.archives.StartFollowUpPlan(
        apb.StartFollowUpPlanRequest(parent=r.record, program=rec.PROGRAM_HYPERTENSION),
        metadata=clinic,
    )
    r.archives.RecordFollowUp(
        apb.RecordFollowUpRequest(
            parent=r.record,
            follow_up=rec.FollowUp(
                program=rec.PROGRAM_HYPERTENSION, visit_date=_days_ago(0),
                blood_pressure=rec.BloodPressure(systolic=128, diastolic=80),
            ),
        ),
        metadata=clinic,
    )  # fmt: skip
    closed = r.stub.CloseReferral(pb.CloseReferralRequest(name=sent.name), metadata=clinic)
    assert closed.state == rpb.REFERRAL_STATE_CLOSED
    history = r.archives.ListRecordEvents(
        apb.ListRecordEventsRequest(parent=r.record), metadata=clinic
    ).events
    assert history[-1].kind == "REFERRAL_CLOSED" and sent.referral_id in history[-1].detail_json
    assert [e.kind for e in history].count("REFERRAL_ACCEPTED") == 1
    states = [t.state for t in closed.transitions]
    assert states == [
        rpb.REFERRAL_STATE_DRAFT, rpb.REFERRAL_STATE_SUBMITTED, rpb.REFERRAL_STATE_ACCEPTED,
        rpb.REFERRAL_STATE_IN_CARE, rpb.REFERRAL_STATE_RETURNED, rpb.REFERRAL_STATE_CLOSED,
    ]  # fmt: skip
    actors = [t.actor for t in closed.transitions]
    doctor, receiver = (f"user:{r.world.users[u]}" for u in ("qs-doctor", "qs-hosp-doctor"))
    assert actors == [doctor, doctor, receiver, receiver, receiver, doctor]
    assert all(t.HasField("time") for t in closed.transitions)


def test_scenario_22_mandatory_fields_consent_and_reasons(referrals: Referrals) -> None:
    """§10 scenario 22: an empty initial impression or reason is refused, and nothing is
    written; a rejection or cancellation without a reason is refused."""
    r = referrals
    error = expect_error(
        lambda: r.create(outward=outward(
            initial_impression="", reason=" "
        )),
        grpc.StatusCode.INVALID_ARGUMENT,
        "FIELD_REQUIRED",
    )  # fmt: skip
    fields = {v.field for v in error.violations}
    assert {"referral.outward.initial_impression", "referral.outward.reason"} <= fields
    expect_error(
        lambda: r.create(consent=rpb.ReferralConsent()),
        grpc.StatusCode.INVALID_ARGUMENT,
        "CONSENT_REQUIRED",
        "referral.consent",
    )
    expect_error(
        lambda: r.create(direction=rpb.DIRECTION_UNSPECIFIED),
        grpc.StatusCode.INVALID_ARGUMENT,
        "DIRECTION_REQUIRED",
        "referral.direction",
    )
    outbox = r.stub.ListReferrals(
        pb.ListReferralsRequest(parent=r.tenant("qs-chc")), metadata=r.md("qs-doctor")
    )
    assert list(outbox.referrals) == []  # nothing written

    sent = r.submitted()
    hosp, clinic = r.md("qs-hosp-doctor"), r.md("qs-doctor")
    expect_error(
        lambda: r.stub.RejectReferral(pb.RejectReferralRequest(name=sent.name), metadata=hosp),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REASON_REQUIRED",
        "reason",
    )
    expect_error(
        lambda: r.stub.CancelReferral(pb.CancelReferralRequest(name=sent.name), metadata=clinic),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REASON_REQUIRED",
        "reason",
    )
    rejected = r.stub.RejectReferral(
        pb.RejectReferralRequest(name=sent.name, reason="本院无床位"), metadata=hosp
    )
    assert rejected.state == rpb.REFERRAL_STATE_REJECTED
    assert rejected.transitions[-1].reason == "本院无床位"


def test_the_state_machine_and_each_side_may_do_only_its_own_moves(referrals: Referrals) -> None:
    r = referrals
    clinic, hosp = r.md("qs-doctor"), r.md("qs-hosp-doctor")
    draft = r.create()
    # A DRAFT is not accepted; the sender does not accept; the receiver does not submit.
    expect_error(
        lambda: r.stub.AcceptReferral(pb.AcceptReferralRequest(name=draft.name), metadata=hosp),
        grpc.StatusCode.FAILED_PRECONDITION,
        "REFERRAL_STATE",
    )
    expect_error(
        lambda: r.stub.SubmitReferral(pb.SubmitReferralRequest(name=draft.name), metadata=hosp),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    r.stub.SubmitReferral(pb.SubmitReferralRequest(name=draft.name), metadata=clinic)
    expect_error(
        lambda: r.stub.AcceptReferral(pb.AcceptReferralRequest(name=draft.name), metadata=clinic),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    expect_error(
        lambda: r.stub.AdmitReferral(pb.AdmitReferralRequest(name=draft.name), metadata=hosp),
        grpc.StatusCode.FAILED_PRECONDITION,
        "REFERRAL_STATE",
    )
    r.stub.AcceptReferral(pb.AcceptReferralRequest(name=draft.name), metadata=hosp)
    expect_error(
        lambda: r.stub.CancelReferral(
            pb.CancelReferralRequest(name=draft.name, reason="患者拒绝"), metadata=hosp
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    cancelled = r.stub.CancelReferral(
        pb.CancelReferralRequest(name=draft.name, reason="患者改变主意"), metadata=clinic
    )
    assert cancelled.state == rpb.REFERRAL_STATE_CANCELLED
    expect_error(
        lambda: r.stub.AdmitReferral(pb.AdmitReferralRequest(name=draft.name), metadata=hosp),
        grpc.StatusCode.FAILED_PRECONDITION,
        "REFERRAL_STATE",
    )
    # Care completed without a return.
    other = r.in_care()
    done = r.stub.CompleteReferral(pb.CompleteReferralRequest(name=other.name), metadata=hosp)
    assert done.state == rpb.REFERRAL_STATE_COMPLETED
    assert not done.follow_up_task


def test_downward_referrals_go_to_grassroots_institutions_and_are_not_returned(
    referrals: Referrals,
) -> None:
    r = referrals
    expect_error(
        lambda: r.create(
            "ts-doctor", direction=rpb.DIRECTION_DOWN, receiving_tenant=r.tenant("qs-hosp")
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "DOWN_TO_GRASSROOTS",
        "referral.direction",
    )
    expect_error(
        lambda: r.create(receiving_tenant=r.tenant("qs-chc")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "SAME_INSTITUTION",
    )
    expect_error(
        lambda: r.create(receiving_tenant=f"tenants/{uuid.uuid4()}"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "TENANT_NOT_FOUND",
        "referral.receiving_tenant",
    )
    down = r.create(
        "qs-hosp-doctor", direction=rpb.DIRECTION_DOWN, receiving_tenant=r.tenant("qs-chc")
    )
    hosp, clinic = r.md("qs-hosp-doctor"), r.md("qs-doctor")
    r.stub.SubmitReferral(pb.SubmitReferralRequest(name=down.name), metadata=hosp)
    r.stub.AcceptReferral(pb.AcceptReferralRequest(name=down.name), metadata=clinic)
    r.stub.AdmitReferral(pb.AdmitReferralRequest(name=down.name), metadata=clinic)
    expect_error(
        lambda: r.stub.ReturnReferral(
            pb.ReturnReferralRequest(name=down.name, return_form=return_form()), metadata=clinic
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "RETURN_ONLY_UPWARD",
    )


def test_a_return_without_its_mandatory_fields_writes_nothing(referrals: Referrals) -> None:
    r = referrals
    hosp = r.md("qs-hosp-doctor")
    referral = r.in_care()
    error = expect_error(
        lambda: r.stub.ReturnReferral(
            pb.ReturnReferralRequest(
                name=referral.name, return_form=return_form(diagnosis="", treatment_plan="")
            ),
            metadata=hosp,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "FIELD_REQUIRED",
    )
    assert {v.field for v in error.violations} == {
        "return_form.diagnosis",
        "return_form.treatment_plan",
    }
    still = r.stub.GetReferral(pb.GetReferralRequest(name=referral.name), metadata=hosp)
    assert still.state == rpb.REFERRAL_STATE_IN_CARE
    tasks = r.archives.ListTasks(apb.ListTasksRequest(parent=r.record), metadata=r.md("qs-doctor"))
    assert not [t for t in tasks.tasks if t.kind == rec.TASK_KIND_REFERRAL_RETURN]


def test_retries_by_request_id_change_nothing_twice(referrals: Referrals) -> None:
    r = referrals
    clinic, hosp = r.md("qs-doctor"), r.md("qs-hosp-doctor")
    request_id = str(uuid.uuid4())
    request = pb.CreateReferralRequest(referral=referral_msg(r), request_id=request_id)
    first = r.stub.CreateReferral(request, metadata=clinic)
    again = r.stub.CreateReferral(request, metadata=clinic)
    assert again.name == first.name
    r.stub.SubmitReferral(pb.SubmitReferralRequest(name=first.name), metadata=clinic)
    accept = pb.AcceptReferralRequest(name=first.name, request_id=str(uuid.uuid4()))
    r.stub.AcceptReferral(accept, metadata=hosp)
    retried = r.stub.AcceptReferral(accept, metadata=hosp)
    assert retried.state == rpb.REFERRAL_STATE_ACCEPTED
    assert [t.state for t in retried.transitions].count(rpb.REFERRAL_STATE_ACCEPTED) == 1
    # The same id for another request is refused.
    expect_error(
        lambda: r.stub.AdmitReferral(
            pb.AdmitReferralRequest(name=first.name, request_id=accept.request_id), metadata=hosp
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REQUEST_ID_REUSED",
    )
    outbox = r.stub.ListReferrals(
        pb.ListReferralsRequest(parent=r.tenant("qs-chc"), box=pb.BOX_OUTBOX), metadata=clinic
    )
    assert len(outbox.referrals) == 1


def test_arrival_by_a_scan_of_the_patients_health_card(referrals: Referrals) -> None:
    """§5.1 arrival: the receiver scans the patient's e-health card; a code of someone else,
    or one already used, does not admit anybody."""
    r = referrals
    clinic, hosp = r.md("qs-doctor"), r.md("qs-hosp-doctor")
    referral = r.submitted()
    r.stub.AcceptReferral(pb.AcceptReferralRequest(name=referral.name), metadata=hosp)
    other = resident_stub(r.running.channel).RegisterResident(
        register_request(QUANSHAN_WOMAN, name="李秀英", region="320311"), metadata=clinic
    )
    stranger = dynamic_qr(r.running.channel, other.resident.name, clinic)
    expect_error(
        lambda: r.stub.AdmitReferral(
            pb.AdmitReferralRequest(name=referral.name, health_card_code=stranger), metadata=hosp
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "HEALTH_CARD_NOT_PATIENT",
    )
    code = dynamic_qr(r.running.channel, r.resident, clinic)
    admitted = r.stub.AdmitReferral(
        pb.AdmitReferralRequest(name=referral.name, health_card_code=code), metadata=hosp
    )
    assert admitted.state == rpb.REFERRAL_STATE_IN_CARE
    again = r.submitted()
    r.stub.AcceptReferral(pb.AcceptReferralRequest(name=again.name), metadata=hosp)
    expect_error(  # the dynamic code was used up by the first scan
        lambda: r.stub.AdmitReferral(
            pb.AdmitReferralRequest(name=again.name, health_card_code=code), metadata=hosp
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "HEALTH_CARD_REUSED",
    )
