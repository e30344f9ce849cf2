"""Referral ⇄ protobuf: the only place the referral service's domain meets its wire types."""

from __future__ import annotations

from datetime import datetime

from rhip.api.referral.v1 import referral_pb2 as rpb
from rhip.api.referral.v1 import referral_service_pb2 as pb
from rhip.kit.errors import Violations
from rhip.kit.requests import check_enum
from rhip.kit.timestamps import to_timestamp
from rhip.referral.referrals.domain import (
    OUTWARD_FIELDS,
    RETURN_FIELDS,
    Direction,
    Referral,
    State,
)
from rhip.referral.referrals.usecases import Draft

DIRECTIONS = {rpb.DIRECTION_UP: Direction.UP, rpb.DIRECTION_DOWN: Direction.DOWN}
DIRECTIONS_BACK = {v: k for k, v in DIRECTIONS.items()}
STATES = {getattr(rpb, f"REFERRAL_STATE_{s.name}"): s for s in State}
STATES_BACK = {v: k for k, v in STATES.items()}
BOXES = {pb.BOX_UNSPECIFIED: "", pb.BOX_OUTBOX: "out", pb.BOX_INBOX: "in"}


def draft_from_pb(referral: rpb.Referral, checks: Violations) -> Draft:
    checks.check(check_enum, referral.direction, (0, *DIRECTIONS), "referral.direction")
    outward = {name: getattr(referral.outward, name) for name in OUTWARD_FIELDS}
    return Draft(
        direction=DIRECTIONS.get(referral.direction),
        resident=referral.resident,
        receiving_tenant=referral.receiving_tenant,
        department=referral.receiving_department,
        receiving_doctor=referral.receiving_doctor,
        outward=outward,
        consent_method=referral.consent.method,
        consent_date=referral.consent.consent_date,
        consent_reference=referral.consent.reference,
    )


def return_form_from_pb(form: rpb.ReturnForm) -> dict[str, str]:
    return {name: getattr(form, name) for name in RETURN_FIELDS}


def referral_to_pb(r: Referral, now: datetime) -> rpb.Referral:
    message = rpb.Referral(
        name=f"referrals/{r.referral_id}",
        referral_id=r.referral_id,
        direction=DIRECTIONS_BACK[r.direction],
        resident=f"residents/{r.resident_id}",
        sending_tenant=f"tenants/{r.sender_tenant_id}",
        receiving_tenant=f"tenants/{r.receiver_tenant_id}",
        receiving_department=r.department,
        receiving_doctor=r.receiving_doctor,
        outward=rpb.OutwardForm(**{k: r.outward.get(k, "") for k in OUTWARD_FIELDS}),
        consent=rpb.ReferralConsent(
            method=r.consent.method,
            consent_date=r.consent.consent_date.isoformat(),
            reference=r.consent.reference,
        ),
        state=STATES_BACK[r.state],
        follow_up_task=r.follow_up_task,
        follow_up_due_date=r.follow_up_due.isoformat() if r.follow_up_due else "",
        overdue=r.overdue(now),
        create_time=to_timestamp(r.create_time),
        update_time=to_timestamp(r.update_time),
        transitions=[
            rpb.Transition(
                state=STATES_BACK[t.state], actor=t.actor, time=to_timestamp(t.time),
                reason=t.reason,
            )
            for t in r.transitions
        ],
    )  # fmt: skip
    if r.return_form:
        message.return_form.CopyFrom(
            rpb.ReturnForm(**{k: r.return_form.get(k, "") for k in RETURN_FIELDS})
        )
    deadline = to_timestamp(r.deadline)
    if deadline is not None:
        message.deadline.CopyFrom(deadline)
    s = r.snapshot
    if s is not None:
        message.snapshot.CopyFrom(
            rpb.RecordSnapshot(
                health_record=f"healthRecords/{s.record_id}",
                record_number=s.record_number,
                managing_tenant=f"tenants/{s.managing_tenant_id}",
                birth_date=s.birth_date,
                blood_type_abo=s.blood_type_abo,
                blood_type_rh=s.blood_type_rh,
                drug_allergies=list(s.drug_allergies),
                past_diseases=list(s.past_diseases),
                take_time=to_timestamp(s.take_time),
            )
        )
    return message
