"""The ArchivesService messages ⇄ the archives domain objects: what the servicer sends and
reads, converted at the edge (no protobuf type goes further in)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from google.protobuf import json_format
from rhip.api.archives.v1 import archives_service_pb2 as pb
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.archives import common
from rhip.archives.follow_ups.domain import (
    MAX_EMERGENCY_SIGNS,
    BloodPressure,
    Classification,
    EmergencySign,
    Plan,
    Program,
    RecordedFollowUp,
    StoredCheckUp,
    Task,
    Visit,
)
from rhip.archives.quality.domain import Finding, Indicator, SpotCheck
from rhip.archives.records.domain import HealthRecord, RecordState, TerminationReason
from rhip.archives.teams.domain import CareTeam, Contract
from rhip.archives.transfers.domain import IdentityDocument, Transfer, TransferState
from rhip.kit.errors import Violations
from rhip.kit.history import ResourceEvent, event_fields
from rhip.kit.timestamps import to_timestamp

_STATES = {s: getattr(rec, f"RECORD_STATE_{s.name}") for s in RecordState}
STATES_BACK = {v: k for k, v in _STATES.items()}
_REASONS = {r: getattr(rec, f"TERMINATION_REASON_{r.name}") for r in TerminationReason}
REASONS_BACK = {v: k for k, v in _REASONS.items()}
_PROGRAMS = {p: getattr(rec, f"PROGRAM_{p.name}") for p in Program}
PROGRAMS_BACK = {v: k for k, v in _PROGRAMS.items()}
_PROGRAMS_BY_VALUE = {p.value: v for p, v in _PROGRAMS.items()}
_CLASSES = {c: getattr(rec, f"FOLLOW_UP_CLASSIFICATION_{c.name}") for c in Classification}
_SIGNS = {s: getattr(rec, f"EMERGENCY_SIGN_{s.name}") for s in EmergencySign}
_SIGNS_BACK = {v: k for k, v in _SIGNS.items()}
_TASK_KINDS = {
    "referral_follow_up": rec.TASK_KIND_REFERRAL_FOLLOW_UP,
    "urgent_referral": rec.TASK_KIND_URGENT_REFERRAL,
    "duplicate_record": rec.TASK_KIND_DUPLICATE_RECORD,  # resident_events.py
    "referral_return": rec.TASK_KIND_REFERRAL_RETURN,  # follow_ups/referrals.py
}
_TRANSFER_STATES = {s: getattr(pb, f"TRANSFER_STATE_{s.name}") for s in TransferState}
# Output-only fields of the check-up form, never read from a request.
CHECK_UP_OUTPUT = ("name", "create_time", "bmi")


def form_of(message: Any, output_only: tuple[str, ...] = ()) -> dict[str, Any]:
    """A request's form as a dict, output-only fields dropped first (unread, and a timestamp
    of 10^15 seconds in one made the JSON conversion fail: issue 12)."""
    if output_only:
        copy = type(message)()
        copy.CopyFrom(message)
        for field in output_only:
            copy.ClearField(field)
        message = copy
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def record_to_pb(record: HealthRecord) -> rec.HealthRecord:
    t = record.termination
    return rec.HealthRecord(
        name=f"healthRecords/{record.record_id}",
        record_id=record.record_id,
        record_number=record.record_number,
        resident=f"residents/{record.resident_id}",
        state=_STATES[record.state],
        managing_tenant=f"tenants/{record.managing_tenant_id}",
        creating_tenant=f"tenants/{record.creating_tenant_id}",
        managing_team=f"tenants/{record.managing_tenant_id}/teams/{record.team_id}"
        if record.team_id
        else "",
        basic_info=json_format.ParseDict(record.basic_info, rec.BasicInfo()),
        termination_reason=_REASONS[t.reason] if t else rec.TERMINATION_REASON_UNSPECIFIED,
        termination_date=t.day.isoformat() if t else "",
        termination_destination=t.destination if t else "",
        handover_note=t.handover_note if t else "",
        create_time=to_timestamp(record.create_time),
        update_time=to_timestamp(record.update_time),
        etag=record.etag,
        birth_date=record.birth_date.isoformat(),
    )


def event_to_pb(event: ResourceEvent) -> rec.RecordEvent:
    return rec.RecordEvent(**event_fields(event))


def check_up_to_pb(stored: StoredCheckUp) -> rec.CheckUp:
    message = json_format.ParseDict(stored.form, rec.CheckUp())
    message.name = f"healthRecords/{stored.record_id}/checkUps/{stored.check_up_id}"
    message.create_time.FromDatetime(stored.create_time.astimezone(UTC))
    return message


def document_from_pb(document: Any) -> IdentityDocument:
    return IdentityDocument(document.type, document.number, document.issuing_country)


def follow_up_to_pb(recorded: RecordedFollowUp) -> rec.FollowUp:
    f, a = recorded.follow_up, recorded.assessment
    bp = f.form.get("blood_pressure")
    return rec.FollowUp(
        name=f"healthRecords/{f.record_id}/followUps/{f.follow_up_id}",
        program=_PROGRAMS_BY_VALUE[f.program],
        visit_date=f.visit_date.isoformat(),
        blood_pressure=rec.BloodPressure(**bp) if bp else None,
        fasting_glucose_mmol=f.form.get("fasting_glucose_mmol", 0.0),
        heart_rate=f.form.get("heart_rate", 0),
        adverse_reaction=f.form.get("adverse_reaction", False),
        complication=f.form.get("complication", False),
        emergency_signs=[_SIGNS[EmergencySign(s)] for s in f.form.get("emergency_signs", [])],
        classification=_CLASSES[a.classification],
        consecutive_uncontrolled=a.consecutive_uncontrolled,
        referral_suggested=a.referral_suggested,
        urgent_referral=a.urgent_referral,
        next_due_date=a.next_due.isoformat(),
        bp_target=rec.BloodPressure(systolic=a.bp_target.systolic, diastolic=a.bp_target.diastolic),
        create_time=to_timestamp(f.create_time),
    )


def task_to_pb(task: Task) -> rec.Task:
    return rec.Task(
        name=f"healthRecords/{task.record_id}/tasks/{task.task_id}",
        kind=_TASK_KINDS[task.kind],
        program=_PROGRAMS_BY_VALUE.get(task.program, rec.PROGRAM_UNSPECIFIED),
        due_date=task.due_date.isoformat(),
        state=task.state,
        follow_up=f"healthRecords/{task.record_id}/followUps/{task.follow_up_id}"
        if task.follow_up_id and task.kind != "referral_return"
        else "",
        # A referral-return task keeps its referral's id where others keep their follow-up's.
        referral=f"referrals/{task.follow_up_id}" if task.kind == "referral_return" else "",
        create_time=to_timestamp(task.create_time),
        related_record=f"healthRecords/{task.related_record_id}" if task.related_record_id else "",
    )


def plan_to_pb(plan: Plan, as_of: date | None = None) -> rec.FollowUpPlan:
    overdue = (as_of - plan.next_due_date).days if as_of and as_of > plan.next_due_date else 0
    return rec.FollowUpPlan(
        name=f"healthRecords/{plan.record_id}/followUpPlans/{plan.program}",
        record=f"healthRecords/{plan.record_id}",
        program=_PROGRAMS_BY_VALUE[plan.program],
        next_due_date=plan.next_due_date.isoformat(),
        state=plan.state,
        managing_tenant=f"tenants/{plan.managing_tenant_id}",
        managing_team=f"tenants/{plan.managing_tenant_id}/teams/{plan.team_id}"
        if plan.team_id
        else "",
        days_overdue=overdue,
    )


_KINDS = {
    k: getattr(pb, f"INDICATOR_KIND_{k.upper()}")
    for k in (
        "filing_rate",
        "electronic_filing_rate",
        "usage_rate",
        "qualified_rate",
        "follow_up_rate",
        "timely_follow_up_rate",
    )
}
KINDS_BACK = {v: k for k, v in _KINDS.items()}


def indicator_to_pb(i: Indicator) -> pb.Indicator:
    return pb.Indicator(
        kind=_KINDS[i.kind], numerator=i.numerator, denominator=i.denominator, rate=i.rate
    )


def finding_to_pb(f: Finding) -> pb.SpotCheckFinding:
    return pb.SpotCheckFinding(
        name=f"spotChecks/{f.spot_check_id}/findings/{f.finding_id}",
        record=f"healthRecords/{f.record_id}",
        item=f.item,
        description=f.description,
        state=f.state,
        resolution=f.resolution,
        create_time=to_timestamp(f.create_time),
        resolve_time=to_timestamp(f.resolve_time),
    )


def spot_check_to_pb(check: SpotCheck, sample: list[str], findings: list[Finding]) -> pb.SpotCheck:
    flagged = {f.record_id for f in findings}
    return pb.SpotCheck(
        name=f"spotChecks/{check.spot_check_id}",
        parent=check.parent,
        records=[f"healthRecords/{r}" for r in sample],
        findings=[finding_to_pb(f) for f in findings],
        qualified=len([r for r in sample if r not in flagged]),
        create_time=to_timestamp(check.create_time),
    )


def team_to_pb(team: CareTeam) -> rec.CareTeam:
    return rec.CareTeam(
        name=f"tenants/{team.tenant_id}/teams/{team.team_id}",
        team_id=team.team_id,
        display_name=team.display_name,
        create_time=to_timestamp(team.create_time),
    )


def contract_to_pb(c: Contract) -> rec.Contract:
    return rec.Contract(
        name=f"healthRecords/{c.record_id}/contracts/{c.contract_id}",
        team=f"tenants/{c.tenant_id}/teams/{c.team_id}",
        state=rec.CONTRACT_STATE_ACTIVE if c.state == "active" else rec.CONTRACT_STATE_ENDED,
        start_date=c.start_date.isoformat(),
        end_date=c.end_date.isoformat(),
        end_reason=c.end_reason,
        create_time=to_timestamp(c.create_time),
    )


def transfer_to_pb(t: Transfer) -> pb.RecordTransfer:
    return pb.RecordTransfer(
        name=f"recordTransfers/{t.transfer_id}",
        record=f"healthRecords/{t.record_id}" if t.record_id else "",
        record_number=t.record_number,
        resident=f"residents/{t.resident_id}",
        source_tenant=f"tenants/{t.source_tenant_id}" if t.source_tenant_id else "",
        destination_tenant=f"tenants/{t.destination_tenant_id}",
        state=_TRANSFER_STATES[t.state],
        consent=pb.TransferConsent(
            method=t.consent.get("method", ""),
            consent_date=t.consent.get("consent_date", ""),
            reference=t.consent.get("reference", ""),
        ),
        reason=t.reason,
        decline_reason=t.decline_reason,
        moved_plans=t.moved_plans,
        create_time=to_timestamp(t.create_time),
        decide_time=to_timestamp(t.decide_time),
        peer_region=t.peer_region,
        escalation=_escalation_to_pb(t.escalation),
        abandon_reason=t.abandon_reason,
    )


SIDES = {"source": pb.TRANSFER_SIDE_SOURCE, "destination": pb.TRANSFER_SIDE_DESTINATION}
DECISIONS = {
    pb.TRANSFER_DECISION_ESCALATE: "escalate",
    pb.TRANSFER_DECISION_APPROVE: "approve",
    pb.TRANSFER_DECISION_REJECT: "reject",
}


def _escalation_to_pb(e: dict[str, Any]) -> pb.TransferEscalation | None:
    if not e:
        return None
    approvals = e.get("approvals", {})
    return pb.TransferEscalation(
        escalated_by=SIDES.get(e.get("by", ""), pb.TRANSFER_SIDE_UNSPECIFIED),
        reason=e.get("reason", ""),
        escalate_time=to_timestamp(datetime.fromisoformat(e["time"])) if e.get("time") else None,
        source_approved=bool(approvals.get("source")),
        destination_approved=bool(approvals.get("destination")),
        close_reason=e.get("close_reason", ""),
        closed_by=SIDES.get(e.get("closed_by", ""), pb.TRANSFER_SIDE_UNSPECIFIED),
    )


def visit_from_pb(message: rec.FollowUp, checks: Violations) -> Visit | None:
    program = PROGRAMS_BACK.get(message.program)
    if program is None:
        checks.add(
            "follow_up.program", "must be hypertension or type 2 diabetes", "PROGRAM_REQUIRED"
        )
    visit_date = checks.check(
        common.parse_date, message.visit_date, "follow_up.visit_date", required=True
    )
    signs = []
    if len(message.emergency_signs) > MAX_EMERGENCY_SIGNS:  # counted, not each one reported
        checks.add(
            "follow_up.emergency_signs",
            f"must have at most {MAX_EMERGENCY_SIGNS} entries",
            "TOO_MANY_ITEMS",
        )
        return None
    for sign in message.emergency_signs:
        if sign not in _SIGNS_BACK:
            checks.add("follow_up.emergency_signs", "holds an unknown sign", "FORM_CODE")
        else:
            signs.append(_SIGNS_BACK[sign])
    if program is None or visit_date is None:
        return None
    bp = message.blood_pressure if message.HasField("blood_pressure") else None
    return Visit(
        program=program,
        visit_date=visit_date,
        bp=BloodPressure(bp.systolic, bp.diastolic) if bp is not None else None,
        fasting_glucose=message.fasting_glucose_mmol,
        heart_rate=message.heart_rate,
        adverse_reaction=message.adverse_reaction,
        complication=message.complication,
        emergency_signs=tuple(signs),
    )


def consent_of(request: Any) -> tuple[str, str, str]:
    """A transfer request's consent (method, date, reference): RequestRecordTransfer and the
    peer's OpenRecordTransfer carry the same message."""
    consent = request.consent
    return consent.method, consent.consent_date, consent.reference


def evidence_of(request: Any) -> tuple[str, str]:
    """A transfer request's evidence oneof as (field name, value); ("", "") when absent."""
    kind = request.WhichOneof("evidence") or ""
    return kind, getattr(request, kind) if kind else ""
