"""Check-ups and chronic-disease follow-up as plain Python (docs/domain §2.5, §2.6): the
check-up form's ranges and codes, the classification of a visit and when the next one is due;
visits, plans and tasks as read. No gRPC, no SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from rhip.archives.common import add_months, check_form_counts, parse_date
from rhip.kit.errors import Violations, clip
from rhip.kit.requests import check_no_controls, is_finite_number

# -- check-ups (§2.5) -------------------------------------------------------------------------
# The most entries each repeated field and map of a form may hold, as documented in
# health_record.proto. Checked before the entries: 10,000 items gave 10,000 violations and an
# error too large to deliver (issue 12).
CHECK_UP_MAXIMA: dict[str, int] = {
    "symptoms": 25,
    "physical_exam": 50,
    "ancillary": 50,
    "health_problems": 20,
    "hospitalisations": 20,
    "medications": 30,
    "vaccinations": 20,
    "abnormalities": 20,
    "guidance": 3,
}
MAX_EMERGENCY_SIGNS = 5
FORM_TEXT_MAX = 500  # characters of one free-text entry (a map key: FORM_KEY_MAX)
FORM_KEY_MAX = 50


def _check_texts(form: Mapping[str, Any], prefix: str, checks: Violations) -> None:
    """The free-text entries of a check-up: lists of strings and string maps, each entry at
    most ``FORM_TEXT_MAX`` characters, without control characters but line breaks."""
    for field in ("health_problems", "hospitalisations", "abnormalities"):
        for i, text in enumerate(form.get(field) or ()):
            _check_text(str(text), f"{prefix}.{field}[{i}]", FORM_TEXT_MAX, checks)
    for field in ("physical_exam", "ancillary"):
        for key, text in (form.get(field) or {}).items():
            _check_text(str(key), f"{prefix}.{field}", FORM_KEY_MAX, checks, multiline=False)
            _check_text(str(text), f"{prefix}.{field}[{clip(str(key), FORM_KEY_MAX)!r}]",
                        FORM_TEXT_MAX, checks)  # fmt: skip


def _check_text(
    text: str, field: str, maximum: int, checks: Violations, *, multiline: bool = True
) -> None:
    if len(text) > maximum:
        checks.add(field, f"must be at most {maximum} characters", "TEXT_TOO_LONG")
    checks.check(check_no_controls, text, field, multiline=multiline)


# Plausible ranges: a value outside is an impossible measurement, not a clinical finding.
RANGES: dict[str, tuple[float, float]] = {
    "temperature_celsius": (34.0, 43.0),
    "pulse": (20, 250),
    "respiration": (5, 80),
    "height_cm": (30, 250),
    "weight_kg": (1, 300),
    "waist_cm": (30, 200),
    "fasting_glucose_mmol": (0.5, 50),
    "hba1c_percent": (2, 25),
    "heart_rate": (20, 250),
}
SYSTOLIC = (40, 300)
DIASTOLIC = (20, 200)
_CHECKUP_CODES: dict[str, frozenset[int]] = {
    "elderly_self_assessment": frozenset(range(1, 6)),
    "elderly_self_care": frozenset(range(1, 5)),
    "exercise_frequency": frozenset(range(1, 5)),
    "smoking_status": frozenset(range(1, 4)),
    "drinking_frequency": frozenset(range(1, 5)),
    "hearing": frozenset({1, 2}),
    "motor_function": frozenset({1, 2}),
    "health_evaluation": frozenset({1, 2}),
}


@dataclass(frozen=True)
class BloodPressure:
    systolic: int
    diastolic: int


def check_range(
    checks: Violations, field: str, value: float | None, key: str, *, required: bool = False
) -> None:
    if not value:
        if required:
            checks.add(field, "must be set", "MEASUREMENT_REQUIRED")
        return
    if not is_finite_number(value):  # NaN, ±Infinity ("NaN" once the form is a dict)
        checks.add(field, "must be a finite number", "NUMBER_NOT_FINITE")
        return
    low, high = RANGES[key]
    if not low <= value <= high:
        checks.add(field, f"must be between {low:g} and {high:g}", "MEASUREMENT_OUT_OF_RANGE")


def check_bp(
    checks: Violations, field: str, bp: BloodPressure | None, *, required: bool = False
) -> None:
    if bp is None or (not bp.systolic and not bp.diastolic):
        if required:
            checks.add(field, "must be set", "MEASUREMENT_REQUIRED")
        return
    ok = True
    if not SYSTOLIC[0] <= bp.systolic <= SYSTOLIC[1]:
        checks.add(
            f"{field}.systolic",
            f"must be between {SYSTOLIC[0]} and {SYSTOLIC[1]} mmHg",
            "BLOOD_PRESSURE_IMPOSSIBLE",
        )
        ok = False
    if not DIASTOLIC[0] <= bp.diastolic <= DIASTOLIC[1]:
        checks.add(
            f"{field}.diastolic",
            f"must be between {DIASTOLIC[0]} and {DIASTOLIC[1]} mmHg",
            "BLOOD_PRESSURE_IMPOSSIBLE",
        )
        ok = False
    if ok and bp.diastolic >= bp.systolic:
        checks.add(
            f"{field}.diastolic",
            "must be lower than the systolic pressure",
            "BLOOD_PRESSURE_IMPOSSIBLE",
        )


def check_checkup(
    form: Mapping[str, Any], today: date, birth: date, prefix: str = "check_up"
) -> dict[str, Any]:
    """Validated check-up form (dates, ranges, codes); BMI computed. Raises with every bad field."""
    check_form_counts(form, CHECK_UP_MAXIMA, prefix)
    checks = Violations()
    _check_texts(form, prefix, checks)
    exam = checks.check(
        parse_date,
        str(form.get("exam_date", "")),
        f"{prefix}.exam_date",
        today=today,
        required=True,
    )
    if exam is not None and exam < birth:
        checks.add(f"{prefix}.exam_date", "is before the resident's birth", "DATE_ORDER")
    for key in (
        "temperature_celsius",
        "pulse",
        "respiration",
        "height_cm",
        "weight_kg",
        "waist_cm",
        "fasting_glucose_mmol",
        "hba1c_percent",
    ):
        check_range(checks, f"{prefix}.{key}", form.get(key), key)
    for key in ("bp_left", "bp_right"):
        raw = form.get(key) or {}
        bp = BloodPressure(int(raw.get("systolic", 0)), int(raw.get("diastolic", 0)))
        check_bp(checks, f"{prefix}.{key}", bp, required=key == "bp_left")
    for key, allowed in _CHECKUP_CODES.items():
        value = form.get(key)
        if value and value not in allowed:
            checks.add(f"{prefix}.{key}", "is not a code of the form", "FORM_CODE")
    symptoms = list(form.get("symptoms") or [])
    if any(not 1 <= s <= 25 for s in symptoms) or (1 in symptoms and len(symptoms) > 1):
        checks.add(
            f"{prefix}.symptoms", "codes are 1 (none) … 25; 'none' stands alone", "FORM_CODE"
        )
    for i, med in enumerate(form.get("medications") or []):
        drug = str(med.get("drug", "")).strip()
        if not drug:
            checks.add(f"{prefix}.medications[{i}].drug", "must be set", "FORM_ITEM_REQUIRED")
        _check_text(drug, f"{prefix}.medications[{i}].drug", 100, checks, multiline=False)
        if med.get("adherence") and med["adherence"] not in (1, 2, 3):
            checks.add(
                f"{prefix}.medications[{i}].adherence", "is not a code of the form", "FORM_CODE"
            )
    for i, vac in enumerate(form.get("vaccinations") or []):
        checks.check(
            parse_date,
            str(vac.get("date", "")),
            f"{prefix}.vaccinations[{i}].date",
            today=today,
            required=True,
        )
    if any(g not in (1, 2, 3) for g in form.get("guidance") or []):
        checks.add(f"{prefix}.guidance", "codes are 1, 2 and 3", "FORM_CODE")
    checks.raise_if_any()
    result = {k: v for k, v in form.items() if v not in (None, "", 0, 0.0, [], {})}
    height, weight = form.get("height_cm") or 0, form.get("weight_kg") or 0
    if height and weight:
        result["bmi"] = round(weight / (height / 100) ** 2, 1)
    return result


# -- chronic-disease follow-up (§2.6) ---------------------------------------------------------
class Program(Enum):
    HYPERTENSION = "hypertension"
    TYPE2_DIABETES = "type2_diabetes"


class Classification(Enum):
    CONTROLLED = "controlled"
    UNCONTROLLED = "uncontrolled"
    ADVERSE_REACTION = "adverse_reaction"
    COMPLICATION = "complication"


class EmergencySign(Enum):
    ALTERED_CONSCIOUSNESS = "altered_consciousness"
    SEVERE_HEADACHE = "severe_headache"
    KETOTIC_BREATH = "ketotic_breath"
    CHEST_PAIN = "chest_pain"
    PREGNANCY = "pregnancy"


SHORT_INTERVAL_DAYS = 14  # "within 2 weeks" after uncontrolled, adverse reaction, referral
ROUTINE_INTERVAL_MONTHS = 3  # at least four face-to-face follow-ups a year


@dataclass(frozen=True)
class FollowUpPolicy:
    """Targets that are configuration, not law (§2.6 marks the ≥65 target [U])."""

    bp_target: BloodPressure = BloodPressure(140, 90)
    elderly_age: int = 65
    elderly_bp_target: BloodPressure = BloodPressure(150, 90)
    glucose_target_mmol: float = 7.0

    def target_for(self, age: int) -> BloodPressure:
        return self.elderly_bp_target if age >= self.elderly_age else self.bp_target


@dataclass(frozen=True)
class Visit:
    program: Program
    visit_date: date
    bp: BloodPressure | None
    fasting_glucose: float
    heart_rate: int
    adverse_reaction: bool
    complication: bool
    emergency_signs: tuple[EmergencySign, ...]


@dataclass(frozen=True)
class Assessment:
    classification: Classification
    consecutive_uncontrolled: int
    referral_suggested: bool
    urgent_referral: bool
    next_due: date
    bp_target: BloodPressure


def check_visit(visit: Visit, today: date, prefix: str = "follow_up") -> None:
    checks = Violations()
    if visit.visit_date > today:
        checks.add(f"{prefix}.visit_date", "must not be in the future", "DATE_IN_FUTURE")
    check_bp(
        checks, f"{prefix}.blood_pressure", visit.bp, required=visit.program is Program.HYPERTENSION
    )
    check_range(
        checks, f"{prefix}.fasting_glucose_mmol", visit.fasting_glucose, "fasting_glucose_mmol",
        required=visit.program is Program.TYPE2_DIABETES,
    )  # fmt: skip
    check_range(checks, f"{prefix}.heart_rate", visit.heart_rate, "heart_rate")
    checks.raise_if_any()


def is_emergency(visit: Visit) -> bool:
    """Referral criteria of §2.6: SBP ≥180 and/or DBP ≥110, glucose ≥16.7 or ≤3.9 mmol/L,
    heart rate >100 (diabetes), altered consciousness, severe headache, ketotic breath…"""
    bp = visit.bp
    if bp is not None and bp.systolic and (bp.systolic >= 180 or bp.diastolic >= 110):
        return True
    if visit.emergency_signs:
        return True
    if visit.program is Program.TYPE2_DIABETES:
        glucose = visit.fasting_glucose
        if glucose and (glucose >= 16.7 or glucose <= 3.9):
            return True
        if visit.heart_rate > 100:
            return True
    return False


def assess(visit: Visit, age: int, previous_run: int, policy: FollowUpPolicy) -> Assessment:
    """Classify one visit and set the next due date (§2.6).

    Controlled → next quarter. First uncontrolled or an adverse reaction → within 14 days.
    Two consecutive uncontrolled visits, or a complication → referral and within 14 days.
    Emergency criteria → urgent referral and within 14 days."""
    target = policy.target_for(age)
    if visit.program is Program.HYPERTENSION:
        assert visit.bp is not None
        controlled = visit.bp.systolic < target.systolic and visit.bp.diastolic < target.diastolic
    else:
        controlled = visit.fasting_glucose < policy.glucose_target_mmol
    if visit.complication:
        classification = Classification.COMPLICATION
    elif visit.adverse_reaction:
        classification = Classification.ADVERSE_REACTION
    elif controlled:
        classification = Classification.CONTROLLED
    else:
        classification = Classification.UNCONTROLLED
    run = previous_run + 1 if not controlled else 0
    urgent = is_emergency(visit)
    referral = urgent or visit.complication or run >= 2
    if classification is Classification.CONTROLLED and not referral:
        next_due = add_months(visit.visit_date, ROUTINE_INTERVAL_MONTHS)
    else:
        next_due = visit.visit_date + timedelta(days=SHORT_INTERVAL_DAYS)
    return Assessment(classification, run, referral, urgent, next_due, target)


# -- as kept: visits, check-ups, plans and the tasks they raise -------------------------------
@dataclass(frozen=True)
class StoredFollowUp:
    follow_up_id: str
    record_id: str
    program: str
    visit_date: date
    form: dict[str, Any]
    classification: str
    consecutive_uncontrolled: int
    referral_suggested: bool
    urgent_referral: bool
    next_due_date: date
    create_time: datetime


@dataclass(frozen=True)
class StoredCheckUp:
    check_up_id: str
    record_id: str
    form: dict[str, Any]
    create_time: datetime


@dataclass(frozen=True)
class Plan:
    record_id: str
    program: str
    next_due_date: date
    state: str
    managing_tenant_id: str
    team_id: str


@dataclass(frozen=True)
class Task:
    task_id: str
    record_id: str
    kind: str
    program: str
    due_date: date
    state: str
    follow_up_id: str
    create_time: datetime
    related_record_id: str = ""


@dataclass(frozen=True)
class RecordedFollowUp:
    follow_up: StoredFollowUp
    assessment: Assessment
