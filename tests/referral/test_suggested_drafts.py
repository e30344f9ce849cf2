"""Referral drafts opened by archives' rules (issue 17): two consecutive uncontrolled visits
raise a referral task in archives, and the referral service opens one DRAFT for the record's
managing institution with the reason filled in; the clinician completes it (UpdateReferral,
an update mask) and sends it; an incomplete draft is not sent."""

from __future__ import annotations

import time
from datetime import date, timedelta

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from referral.conftest import Referrals, outward, referral_msg
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.api.referral.v1 import referral_pb2 as rpb
from rhip.api.referral.v1 import referral_service_pb2 as pb
from rhip.kit.ids import new_id
from rhip.referral.referrals.suggestions import CURSOR, _created
from support.errors import expect_error


def _visit(r: Referrals, days_ago: int, systolic: int, diastolic: int) -> None:
    r.archives.RecordFollowUp(
        apb.RecordFollowUpRequest(
            parent=r.record,
            follow_up=rec.FollowUp(
                program=rec.PROGRAM_HYPERTENSION,
                visit_date=(date.today() - timedelta(days=days_ago)).isoformat(),
                blood_pressure=rec.BloodPressure(systolic=systolic, diastolic=diastolic),
            ),
        ),
        metadata=r.md("qs-doctor"),
    )


@pytest.mark.cell_env(RHIP_REFERRAL_SUGGESTIONS_INTERVAL_MS="3600000")  # passes run by hand
def test_two_uncontrolled_visits_open_a_draft_the_clinician_completes_and_sends(
    referrals: Referrals,
) -> None:
    r = referrals
    clinic = r.md("qs-doctor")
    suggestions = r.running.cell.part("referral").suggestions
    r.archives.StartFollowUpPlan(
        apb.StartFollowUpPlanRequest(parent=r.record, program=rec.PROGRAM_HYPERTENSION),
        metadata=clinic,
    )
    _visit(r, 20, 152, 94)
    assert suggestions.take() == 0  # once uncontrolled: no referral yet
    _visit(r, 8, 150, 92)
    assert suggestions.take() == 1
    assert suggestions.take() == 0  # read again: no second draft
    # A task this young may still have older siblings committing: the cursor stays before it.
    with suggestions.uc._unit(durable=False) as repo:
        assert repo.cursor(CURSOR) == ""

    outbox = r.stub.ListReferrals(
        pb.ListReferralsRequest(parent=r.tenant("qs-chc"), box=pb.BOX_OUTBOX), metadata=clinic
    )
    (draft,) = outbox.referrals
    assert draft.state == rpb.REFERRAL_STATE_DRAFT and draft.suggested_by
    assert draft.resident == r.resident and draft.outward.reason
    assert draft.transitions[0].actor.startswith("system:referral/")

    error = expect_error(
        lambda: r.stub.SubmitReferral(pb.SubmitReferralRequest(name=draft.name), metadata=clinic),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert {v.field for v in error.violations} >= {
        "referral.outward.initial_impression",
        "referral.receiving_tenant",
        "referral.consent",
    }
    expect_error(
        lambda: r.stub.UpdateReferral(
            pb.UpdateReferralRequest(
                referral=rpb.Referral(name=draft.name), update_mask=FieldMask(paths=["resident"])
            ),
            metadata=clinic,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "UPDATE_MASK_FIELD",
        "update_mask",
    )
    complete = referral_msg(r, name=draft.name, outward=outward(reason=draft.outward.reason))
    expect_error(  # another institution does not complete it
        lambda: r.stub.UpdateReferral(
            pb.UpdateReferralRequest(
                referral=complete, update_mask=FieldMask(paths=["receiving_tenant"])
            ),
            metadata=r.md("ts-doctor"),
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    updated = r.stub.UpdateReferral(
        pb.UpdateReferralRequest(
            referral=complete,
            update_mask=FieldMask(paths=["receiving_tenant", "outward", "consent"]),
        ),
        metadata=clinic,
    )
    assert updated.receiving_tenant == r.tenant("qs-hosp") and updated.consent.method
    sent = r.stub.SubmitReferral(pb.SubmitReferralRequest(name=draft.name), metadata=clinic)
    assert sent.state == rpb.REFERRAL_STATE_SUBMITTED and sent.snapshot.health_record == r.record
    expect_error(
        lambda: r.stub.UpdateReferral(
            pb.UpdateReferralRequest(
                referral=complete, update_mask=FieldMask(paths=["receiving_doctor"])
            ),
            metadata=clinic,
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "REFERRAL_STATE",
    )


def test_a_task_ids_creation_time_is_read_from_the_uuid() -> None:
    before = time.time()
    created = _created(new_id())
    assert before - 1 <= created <= time.time() + 1
