"""Proto ⇄ domain conversion of the child health messages (for the servicer)."""

from __future__ import annotations

import math

from rhip.api.mch.v1 import child_pb2 as cpb
from rhip.mch.children import development, domain
from rhip.mch.children.birth import BirthFacts, StatedFacts
from rhip.mch.children.development import DevelopmentResult
from rhip.mch.children.domain import ChildVisit, Finding
from rhip.mch.children.screening import Hearing
from rhip.mch.children.usecases import ChildView, VisitInput
from rhip.mch.convert import SLOT_STATES, ts

FINDINGS = {Finding.NORMAL: cpb.EYE_FINDING_NORMAL, Finding.ABNORMAL: cpb.EYE_FINDING_ABNORMAL}
FINDINGS_BACK = {v: k for k, v in FINDINGS.items()}
DEVELOPMENT = {
    DevelopmentResult.PASSED: cpb.DEVELOPMENT_RESULT_PASSED,
    DevelopmentResult.WARNING_SIGNS: cpb.DEVELOPMENT_RESULT_WARNING_SIGNS,
}
DEVELOPMENT_BACK = {v: k for k, v in DEVELOPMENT.items()}
HEARING = {Hearing.PASS: cpb.HEARING_RESULT_PASS, Hearing.REFER: cpb.HEARING_RESULT_REFER}
HEARING_BACK = {v: k for k, v in HEARING.items()}
REASONS = {r: getattr(cpb, f"CHILD_REFERRAL_REASON_{r}") for r in domain.REFERRAL_REASONS}
RISKS = {
    r: getattr(cpb, f"NEWBORN_RISK_FACTOR_{r}")
    for r in ("LOW_BIRTH_WEIGHT", "PRETERM", "MULTIPLE_BIRTH", "BIRTH_DEFECT")
}
RISKS_BACK = {v: k for k, v in RISKS.items()}


def _number(value: float) -> float:
    return value if math.isfinite(value) else -1.0  # NaN and infinities fail the range checks


def visit_input(visit: cpb.ChildVisit) -> VisitInput:
    return VisitInput(
        visit.visit_date,
        _number(visit.weight_kg),
        _number(visit.length_cm),
        {e.item: FINDINGS_BACK.get(e.finding) for e in visit.eye},
        _number(visit.acuity_left),
        _number(visit.acuity_right),
        visit.referral_followed_up,
        DEVELOPMENT_BACK.get(visit.development.result),
        list(visit.development.warning_signs),
        _number(visit.haemoglobin_g_l),
        HEARING_BACK.get(visit.hearing_left),
        HEARING_BACK.get(visit.hearing_right),
        [RISKS_BACK.get(r) for r in visit.risk_factors_found],  # None: no such factor
    )


def stated_facts(birth: cpb.BirthFacts) -> StatedFacts:
    return StatedFacts(
        birth.birth_weight_g, birth.gestational_weeks, birth.multiple_birth, birth.birth_defect,
        birth.discharge_date,
    )  # fmt: skip


def _birth(f: BirthFacts) -> cpb.BirthFacts:
    return cpb.BirthFacts(
        birth_weight_g=f.weight_g,
        gestational_weeks=f.gestational_weeks,
        multiple_birth=f.multiple,
        birth_defect=f.birth_defect,
        discharge_date=f.discharge_date.isoformat() if f.discharge_date else "",
        high_risk_factors=[RISKS[r] for r in f.risks],
        from_delivery=f.from_delivery,
        high_risk_since=f.found_on.isoformat() if f.found_on else "",
    )


def child_to_pb(v: ChildView) -> cpb.ChildRecord:
    r = v.record
    return cpb.ChildRecord(
        name=f"childRecords/{r.record_id}",
        child=f"residents/{r.resident_id}",
        managing_tenant=f"tenants/{r.tenant_id}",
        birth_date=r.birth_date.isoformat(),
        schedule=[
            cpb.ChildSlot(
                code=s.slot.code,
                window_start_date=s.start.isoformat(),
                window_end_date=s.end.isoformat(),
                state=SLOT_STATES[s.state],
                visit=f"childRecords/{r.record_id}/visits/{s.visit_id}" if s.visit_id else "",
                eye_items=[
                    cpb.EyeItem(item=i, county_level=domain.EYE_ITEMS[i]) for i in s.slot.eye_items
                ],
                blood_routine=s.slot.blood_routine,
                hearing_screening=s.slot.hearing,
                warning_signs=[
                    cpb.WarningSign(code=c, description=development.SIGNS[c])
                    for c in development.signs_of(s.slot.code)
                ],
            )
            for s in v.schedule
        ],
        open_referral=f"childRecords/{r.record_id}/visits/{r.open_referral}"
        if r.open_referral
        else "",
        create_time=ts(r.create_time),
        pending_transfer=cpb.PendingChildTransfer(
            transfer=f"childTransfers/{v.pending.transfer_id}",
            target_tenant=f"tenants/{v.pending.target_tenant_id}",
            target_tenant_display_name=v.pending.target_name,
        )
        if v.pending
        else None,
        birth=_birth(r.facts),
    )


def child_visit_to_pb(v: ChildVisit) -> cpb.ChildVisit:
    return cpb.ChildVisit(
        name=f"childRecords/{v.record_id}/visits/{v.visit_id}",
        visit_date=v.visit_date.isoformat(),
        age_days=v.age_days,
        slot=v.slot,
        missed_slot=v.missed_slot,
        weight_kg=v.weight_kg,
        length_cm=v.length_cm,
        eye=[cpb.EyeResult(item=k, finding=FINDINGS[f]) for k, f in v.eye.items()],
        acuity_left=v.acuity_left,
        acuity_right=v.acuity_right,
        referral=v.referral,
        referral_followed_up=v.referral_followed_up,
        six_month_referral_pending=v.six_month_referral_pending,
        tenant=f"tenants/{v.tenant_id}",
        create_time=ts(v.create_time),
        development=cpb.DevelopmentCheck(
            result=DEVELOPMENT[v.development.result],
            warning_signs=list(v.development.signs),
            age_group=v.development.group,
        )
        if v.development
        else None,
        haemoglobin_g_l=v.haemoglobin_g_l,
        anaemia=v.anaemia,
        hearing_left=HEARING.get(v.hearing_left, cpb.HEARING_RESULT_UNSPECIFIED),  # type: ignore[arg-type]
        hearing_right=HEARING.get(v.hearing_right, cpb.HEARING_RESULT_UNSPECIFIED),  # type: ignore[arg-type]
        referral_reasons=[REASONS[r] for r in v.referral_reasons],
        risk_factors_found=[RISKS[r] for r in v.risk_factors_found],
    )
