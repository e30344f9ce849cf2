"""Referral ⇄ protobuf: the only place the referral service's domain meets its wire types."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

from rhip.api.referral.v1 import referral_pb2 as rpb
from rhip.api.referral.v1 import referral_service_pb2 as pb
from rhip.kit.errors import Violations
from rhip.kit.requests import check_enum, parse_resource_name, validate_request_id
from rhip.kit.timestamps import from_timestamp, to_timestamp
from rhip.referral.referrals.domain import (
    OUTWARD_FIELDS,
    RETURN_FIELDS,
    Direction,
    Draft,
    Referral,
    Snapshot,
    State,
    check_consent,
)

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
        receiving_region=referral.receiving_region,
    )


def return_form_from_pb(form: rpb.ReturnForm) -> dict[str, str]:
    return {name: getattr(form, name) for name in RETURN_FIELDS}


def return_form_to_pb(form: Mapping[str, str]) -> rpb.ReturnForm:
    return rpb.ReturnForm(**{k: form.get(k, "") for k in RETURN_FIELDS})


def referral_now_to_pb(r: Referral) -> rpb.Referral:
    """The referral as an answer sees it: its overdue flags computed at this instant."""
    return referral_to_pb(r, datetime.now(UTC))


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
        )
        if r.consent
        else None,
        state=STATES_BACK[r.state],
        follow_up_task=r.follow_up_task,
        receiving_region=r.receiver_region,
        sending_region=r.sender_region,
        suggested_by=r.suggested_by,
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
        message.return_form.CopyFrom(return_form_to_pb(r.return_form))
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


def sent_from_pb(r: rpb.Referral, checks: Violations) -> Referral:
    """The referral another cell sends with OpenReferral, as this service's domain object
    (scopes and cell fields are set by the use case, never taken from the other cell)."""
    referral_id = checks.check(validate_request_id, r.referral_id, "referral.referral_id")
    sender = checks.check(
        parse_resource_name, r.sending_tenant, "tenants", "referral.sending_tenant"
    )
    receiver = checks.check(
        parse_resource_name, r.receiving_tenant, "tenants", "referral.receiving_tenant"
    )
    resident = checks.check(parse_resource_name, r.resident, "residents", "referral.resident")
    if not r.referral_id:
        checks.add("referral.referral_id", "must be set", "FIELD_REQUIRED")
    direction = DIRECTIONS.get(r.direction)
    if direction is None:
        checks.add("referral.direction", "must be up or down", "DIRECTION_REQUIRED")
    consent = check_consent(
        r.consent.method, r.consent.consent_date, r.consent.reference, date.max, checks
    )
    deadline = (
        checks.check(from_timestamp, r.deadline, "referral.deadline")
        if r.HasField("deadline")
        else None
    )
    if deadline is None:
        checks.add("referral.deadline", "must be set", "DEADLINE_REQUIRED")
    snapshot = None
    if r.HasField("snapshot"):
        s = r.snapshot
        snapshot = Snapshot(
            s.health_record.removeprefix("healthRecords/"), s.record_number,
            s.managing_tenant.removeprefix("tenants/"), s.birth_date, s.blood_type_abo,
            s.blood_type_rh, tuple(s.drug_allergies), tuple(s.past_diseases),
            s.take_time.ToDatetime(tzinfo=UTC),
        )  # fmt: skip
    checks.raise_if_any()
    assert direction and consent and referral_id and sender and receiver and resident
    now = datetime.now(UTC)
    return Referral(
        referral_id=referral_id,
        direction=direction,
        resident_id=resident,
        sender_tenant_id=sender,
        sender_region=r.sending_region,
        sender_scope="",
        receiver_tenant_id=receiver,
        receiver_scope="",
        department=r.receiving_department[:50],
        receiving_doctor=r.receiving_doctor[:50],
        outward={name: getattr(r.outward, name) for name in OUTWARD_FIELDS},
        consent=consent,
        state=State.SUBMITTED,
        create_time=now,
        update_time=now,
        snapshot=snapshot,
        deadline=deadline,
        receiver_region=r.receiving_region,
    )
