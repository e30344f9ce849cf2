"""Proto ⇄ domain conversion for the MchService servicer."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from rhip.api.identity.v1 import tenant_pb2
from rhip.api.mch.v1 import pregnancy_pb2 as pb
from rhip.kit.errors import invalid
from rhip.mch.deliveries.domain import Delivery, DeliveryMode, Newborn, NewbornSex
from rhip.mch.pregnancies.domain import (
    AntenatalVisit,
    DeliveryPlan,
    PregnancyState,
    TerminationReason,
    VisitKind,
)
from rhip.mch.pregnancies.labs import anaemia
from rhip.mch.pregnancies.schedule import PregnancyView
from rhip.mch.risk.domain import (
    SECONDARY_LEVEL,
    Grade,
    RiskAssessment,
    RiskColor,
    RulePack,
    grade_of,
)
from rhip.mch.risk.reports import RiskReport
from rhip.mch.risk.screening import RiskScreening

STATES = {s: getattr(pb, f"PREGNANCY_STATE_{s.value}") for s in PregnancyState}
STATES_BACK = {v: k for k, v in STATES.items()}
COLOURS = {c: getattr(pb, f"RISK_COLOR_{c.name}") for c in RiskColor}
COLOURS_BACK = {v: k for k, v in COLOURS.items()}
REASONS = {r: getattr(pb, f"TERMINATION_REASON_{r.value}") for r in TerminationReason}
REASONS_BACK = {v: k for k, v in REASONS.items()}
MODES = {m: getattr(pb, f"DELIVERY_MODE_{m.value}") for m in DeliveryMode}
MODES_BACK = {v: k for k, v in MODES.items()}
SEXES = {s: getattr(pb, f"NEWBORN_SEX_{s.value}") for s in NewbornSex}
SEXES_BACK = {v: k for k, v in SEXES.items()}
KINDS = {k: getattr(pb, f"VISIT_KIND_{k.value}") for k in VisitKind}
KINDS_BACK = {v: k for k, v in KINDS.items()}
SLOT_STATES = {
    name: getattr(pb, f"SLOT_STATE_{name}")
    for name in ("UPCOMING", "DUE", "DONE", "MISSED", "CLOSED")
}


def ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def time_from_pb(stamp: Timestamp, field: str) -> datetime | None:
    if not stamp.seconds and not stamp.nanos:
        return None
    if not 0 <= stamp.seconds <= 253402300799 or not 0 <= stamp.nanos < 1_000_000_000:
        raise invalid(field, "is not a valid time", "TIME_OUT_OF_RANGE")
    return stamp.ToDatetime(tzinfo=UTC)


def pregnancy_to_pb(v: PregnancyView) -> pb.Pregnancy:
    p = v.pregnancy
    grade = grade_of(p.risk_rank, p.purple)
    message = pb.Pregnancy(
        name=f"pregnancies/{p.pregnancy_id}",
        resident=f"residents/{p.resident_id}",
        managing_tenant=f"tenants/{p.tenant_id}",
        state=STATES[p.state],
        handbook_number=p.handbook_number,
        registration_date=p.registration_date.isoformat(),
        lmp_date=p.lmp.isoformat(),
        edd=p.edd.isoformat(),
        registration_ga_days=p.registration_ga,
        early_registration=p.early,
        within_local_deadline=p.within_local_deadline,
        risk=pb.RiskGrade(
            color=COLOURS[grade.colour] if grade.colour else pb.RISK_COLOR_UNSPECIFIED,
            purple=grade.purple,
            management=grade.management,
        ),
        delivery=f"deliveries/{p.delivery_id}" if p.delivery_id else "",
        termination_reason=REASONS[p.termination_reason]
        if p.termination_reason
        else pb.TERMINATION_REASON_UNSPECIFIED,
        termination_date=p.end_date.isoformat()
        if p.end_date and p.state is PregnancyState.TERMINATED
        else "",
        create_time=ts(p.create_time),
        update_time=ts(p.update_time),
        current_ga_days=v.current_ga,
        first_check_pending=[
            getattr(pb, f"FIRST_CHECK_ITEM_{item}") for item in v.first_check_pending
        ],
        screening=screening_to_pb(v.screening) if v.screening else None,
        assessment_due_date=p.assessment_due.isoformat() if p.assessment_due else "",
        discharge_date=p.discharge_date.isoformat() if p.discharge_date else "",
        close_date=p.close_date.isoformat() if p.close_date else "",
        open_referral=f"pregnancies/{p.pregnancy_id}/antenatalVisits/{p.open_referral}"
        if p.open_referral
        else "",
        referral_due_date=p.referral_due.isoformat() if p.referral_due else "",
        delivery_plan=plan_to_pb(p.plan, grade) if p.plan else None,
        check_42d_tenant=f"tenants/{p.check_42d_tenant}" if p.state.delivered else "",
        high_risk_visit_interval_days=p.visit_interval if p.state.open else 0,
        high_risk_visit_due_date=p.interval_due.isoformat() if p.interval_due else "",
        pending_transfer=pb.PendingPregnancyTransfer(
            transfer=f"pregnancyTransfers/{v.pending.transfer_id}",
            target_tenant=f"tenants/{v.pending.target_tenant_id}",
            target_tenant_display_name=v.pending.target_name,
        )
        if v.pending
        else None,
    )
    # Added in place: a list of slots given to the constructor is built, then copied (a page
    # converts twenty schedules).
    add = message.schedule.add
    for s in v.schedule:
        add(
            number=s.slot.number,
            window_start_days=s.slot.start_days,
            window_end_days=s.slot.end_days,
            window_start_date=s.start.isoformat(),
            window_end_date=s.end.isoformat(),
            state=SLOT_STATES[s.state],
            visit=f"pregnancies/{p.pregnancy_id}/antenatalVisits/{s.visit_id}"
            if s.visit_id
            else "",
            high_risk=s.high_risk,
        )
    return message


def plan_to_pb(plan: DeliveryPlan, grade: Grade) -> pb.DeliveryPlan:
    below = plan.level < SECONDARY_LEVEL and not plan.emergency_reason
    return pb.DeliveryPlan(
        tenant=f"tenants/{plan.tenant_id}",
        institution_level=tenant_pb2.TenantLevel.Name(plan.level),
        emergency_reason=plan.emergency_reason,
        meets_grade=not (below and grade.needs_secondary_or_higher),
        planned_by=plan.planned_by,
        plan_time=ts(plan.plan_time),
    )


def measures_of(visit: pb.AntenatalVisit) -> dict[str, float]:
    return {
        "weight_kg": visit.weight_kg,
        "systolic": float(visit.systolic),
        "diastolic": float(visit.diastolic),
        "fundal_height_cm": visit.fundal_height_cm,
        "fetal_heart_rate": float(visit.fetal_heart_rate),
    }


_LAB_NUMBERS = (
    "haemoglobin_g_per_l",
    "platelets_10e9_per_l",
    "alt_u_per_l",
    "creatinine_umol_per_l",
)
_LAB_ENUMS = {
    "urine_protein": ("URINE_DIPSTICK_", pb.UrineDipstick),
    "urine_glucose": ("URINE_DIPSTICK_", pb.UrineDipstick),
    "abo_group": ("BLOOD_GROUP_", pb.BloodGroup),
    "rh_d": ("QUALITATIVE_RESULT_", pb.QualitativeResult),
    "hbsag": ("QUALITATIVE_RESULT_", pb.QualitativeResult),
}


def screening_to_pb(s: RiskScreening) -> pb.RiskScreening:
    return pb.RiskScreening(
        name=f"pregnancies/{s.pregnancy_id}/riskScreenings/{s.screening_id}",
        screening_date=s.screening_date.isoformat(),
        positive=s.positive,
        findings=list(s.findings),
        tenant=f"tenants/{s.tenant_id}",
        screened_by=s.screened_by,
        create_time=ts(s.create_time),
    )


def labs_of(labs: pb.AntenatalLabs) -> dict[str, object]:
    """The results as pregnancies/labs.py checks them: numbers as given (0 = not given), codes
    by their short name ("" = not given; a number no enum value has stays a code
    ``check_labs`` refuses)."""
    found: dict[str, object] = {name: getattr(labs, name) for name in _LAB_NUMBERS}
    for name, (prefix, enum) in _LAB_ENUMS.items():
        value = getattr(labs, name)
        if value in enum.values():
            found[name] = "" if value == 0 else enum.Name(value).removeprefix(prefix)
        else:
            found[name] = f"#{value}"
    return found


def labs_to_pb(labs: dict[str, object]) -> pb.AntenatalLabs:
    out = pb.AntenatalLabs()
    for name, value in labs.items():
        if name in _LAB_ENUMS:
            prefix, enum = _LAB_ENUMS[name]
            setattr(out, name, enum.Value(f"{prefix}{value}"))
        else:
            setattr(out, name, value)
    return out


def visit_to_pb(v: AntenatalVisit) -> pb.AntenatalVisit:
    m = v.measures
    return pb.AntenatalVisit(
        name=f"pregnancies/{v.pregnancy_id}/antenatalVisits/{v.visit_id}",
        visit_date=v.visit_date.isoformat(),
        ga_days=v.ga_days,
        slot=v.slot,
        weight_kg=m.get("weight_kg", 0.0),
        systolic=int(m.get("systolic", 0)),
        diastolic=int(m.get("diastolic", 0)),
        fundal_height_cm=m.get("fundal_height_cm", 0.0),
        fetal_heart_rate=int(m.get("fetal_heart_rate", 0)),
        guidance=v.guidance,
        tenant=f"tenants/{v.tenant_id}",
        create_time=ts(v.create_time),
        missed_slot=v.missed_slot,
        kind=KINDS[v.kind],
        abnormal_finding=v.abnormal_finding,
        referral=bool(v.abnormal_finding) and v.kind is VisitKind.ANTENATAL,
        referral_followed_up=v.referral_followed_up,
        emergency_reason=v.emergency_reason,
        labs=labs_to_pb(v.labs),
        anaemia=anaemia(v.labs),
        newborn_visits=list(v.newborn_visits),
    )


def assessment_to_pb(a: RiskAssessment) -> pb.RiskAssessment:
    return pb.RiskAssessment(
        name=f"pregnancies/{a.pregnancy_id}/riskAssessments/{a.assessment_id}",
        assessment_date=a.assessment_date.isoformat(),
        colors=[COLOURS[c] for c in a.colours],
        criteria=list(a.criteria),
        rules_version=a.rules_version,
        rules_pack=a.rules_pack,
        assessor=a.assessor,
        tenant=f"tenants/{a.tenant_id}",
        institution_level=a.institution_level,
        ga_days=a.ga_days,
        create_time=ts(a.create_time),
        postpartum=a.postpartum_day is not None,
        postpartum_day=a.postpartum_day or 0,
    )


REPORT_STATES = {"OPEN": pb.REPORT_STATE_OPEN, "ACKNOWLEDGED": pb.REPORT_STATE_ACKNOWLEDGED}


def report_to_pb(r: RiskReport) -> pb.RiskReport:
    return pb.RiskReport(
        name=f"riskReports/{r.report_id}",
        pregnancy=f"pregnancies/{r.pregnancy_id}",
        resident=f"residents/{r.resident_id}",
        assessment=f"pregnancies/{r.pregnancy_id}/riskAssessments/{r.assessment_id}",
        color=COLOURS[r.colour],
        region_code=r.scope_path.rsplit("/", 1)[-1],
        state=REPORT_STATES[r.state],
        create_time=ts(r.create_time),
        acknowledged_by=r.acknowledged_by,
        acknowledge_time=ts(r.acknowledge_time),
        note=r.note,
    )


def newborns_from_pb(delivery: pb.Delivery) -> list[Newborn]:
    babies = []
    for i, n in enumerate(delivery.newborns):
        length = n.length_cm if math.isfinite(n.length_cm) else -1.0
        babies.append(
            Newborn(
                "",
                n.birth_order,
                SEXES_BACK.get(n.sex),
                time_from_pb(n.birth_time, f"delivery.newborns[{i}].birth_time"),
                n.weight_g,
                length,
                n.apgar_1min,
                n.live_birth,
                n.display_name,
            )
        )
    return babies


def delivery_to_pb(d: Delivery) -> pb.Delivery:
    return pb.Delivery(
        name=f"deliveries/{d.delivery_id}",
        pregnancy=f"pregnancies/{d.pregnancy_id}" if d.pregnancy_id else "",
        mother=f"residents/{d.mother_id}",
        tenant=f"tenants/{d.tenant_id}",
        delivery_date=d.delivery_date.isoformat(),
        mode=MODES[d.mode],
        ga_days=d.ga_days,
        newborns=[
            pb.Newborn(
                name=f"deliveries/{d.delivery_id}/newborns/{n.newborn_id}",
                birth_order=n.birth_order,
                sex=SEXES[n.sex] if n.sex else pb.NEWBORN_SEX_UNSPECIFIED,
                birth_time=ts(n.birth_time),
                weight_g=n.weight_g,
                length_cm=n.length_cm,
                apgar_1min=n.apgar_1min,
                live_birth=n.live_birth,
                display_name=n.display_name,
                resident=f"residents/{n.resident_id}" if n.resident_id else "",
            )
            for n in d.newborns
        ],
        recorded_by=d.recorded_by,
        create_time=ts(d.create_time),
        discharge_date=d.discharge_date.isoformat(),
        emergency_reason=d.emergency_reason,
    )


def rule_pack_to_pb(code: str, pack: RulePack) -> pb.RiskRulePack:
    """The pack region ``code`` grades with, criteria in the pack's order."""
    return pb.RiskRulePack(
        name=f"regions/{code}/riskRulePack", pack=pack.pack_id, version=pack.version,
        title=pack.title, colors=[COLOURS[c] for c in pack.colours],
        criteria=[
            pb.RiskCriterion(id=cid, color=COLOURS[colour], label=pack.labels.get(cid, ""))
            for cid, colour in pack.criteria.items()
        ],
    )  # fmt: skip
