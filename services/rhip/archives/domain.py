"""Health-record rules as plain Python (docs/domain §2): record numbers, the personal basic
information form, the record lifecycle, check-up ranges, chronic-disease follow-up
classification and the transfer state machine. No gRPC, no SQL.

Forms travel as plain dicts (field name → value, as the proto names them): the rules below
check codes and ranges field by field and report every bad field at once.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from rhip.kit.errors import FailedPrecondition, Violations, clip, invalid

# Shared request checks, re-exported for the archives modules (``domain.validate_reason`` …).
from rhip.kit.requests import (
    check_count,
    check_no_controls,
    is_finite_number,
    parse_resource_name,
)
from rhip.kit.requests import validate_reason as validate_reason
from rhip.kit.requests import validate_request_id as validate_request_id
from rhip.kit.timestamps import parse_iso_date

parse_name = parse_resource_name  # the archives modules' name for it

# -- grassroots institutions (§2.2) -------------------------------------------------------------
# Tenant types (identity's TenantType values) that create, update and keep records.
GRASSROOTS_TYPES = frozenset(
    {
        "TENANT_TYPE_VILLAGE_CLINIC",
        "TENANT_TYPE_TOWNSHIP_HOSPITAL",
        "TENANT_TYPE_COMMUNITY_HEALTH_CENTER",
        "TENANT_TYPE_COMMUNITY_HEALTH_STATION",
    }
)


def require_grassroots(tenant_type: str) -> None:
    if tenant_type not in GRASSROOTS_TYPES:
        raise FailedPrecondition(
            "only township hospitals, village clinics and community health centres or stations "
            "create health records",
            reason="TENANT_NOT_GRASSROOTS",
        )


# -- record number (§2.3) ---------------------------------------------------------------------
RECORD_NUMBER_LENGTH = 17
_DIGITS3 = re.compile(r"^\d{3}$")
_RECORD_NUMBER = re.compile(r"^\d{17}$")


def validate_township(code: str, field: str = "township_code") -> str:
    """GB/T 10114 township segment: 001–099 sub-district, 100–199 town, 200–399 township,
    400–599 government-enterprise units."""
    if not _DIGITS3.match(code):
        raise invalid(field, "must be 3 digits", "TOWNSHIP_CODE_FORMAT")
    if not 1 <= int(code) <= 599:
        raise invalid(field, "must be 001–599 (GB/T 10114)", "TOWNSHIP_CODE_RANGE")
    return code


def validate_village(code: str, field: str = "village_code") -> str:
    """Record-number village segment (§2.3): 001–099 neighbourhood committee, 101–199 village
    committee, 901–999 other organisations."""
    if not _DIGITS3.match(code):
        raise invalid(field, "must be 3 digits", "VILLAGE_CODE_FORMAT")
    value = int(code)
    if not (1 <= value <= 99 or 101 <= value <= 199 or 901 <= value <= 999):
        raise invalid(field, "must be 001–099, 101–199 or 901–999", "VILLAGE_CODE_RANGE")
    return code


def record_number(county: str, township: str, village: str, serial: int) -> str:
    if not 1 <= serial <= 99999:
        raise FailedPrecondition(
            "the institution has used every serial of this locality", reason="SERIAL_EXHAUSTED"
        )
    return f"{county}{township}{village}{serial:05d}"


def validate_record_number(number: str, field: str = "record_number") -> str:
    """A 17-digit record number whose segments are in range (filters and lookups)."""
    if not _RECORD_NUMBER.match(number):
        raise invalid(field, "must be 17 digits", "RECORD_NUMBER_FORMAT")
    checks = Violations()
    checks.check(validate_township, number[6:9], field)
    checks.check(validate_village, number[9:12], field)
    if number[12:] == "00000":
        checks.add(field, "serial must not be 00000", "RECORD_NUMBER_FORMAT")
    checks.raise_if_any()
    return number


# -- dates ------------------------------------------------------------------------------------
def parse_date(
    text: str, field: str, *, today: date | None = None, required: bool = False
) -> date | None:
    if not text:
        if required:
            raise invalid(field, "must be set", "DATE_REQUIRED")
        return None
    value = parse_iso_date(text, field)  # strict YYYY-MM-DD in a sane range
    if today is not None and value > today:
        raise invalid(field, "must not be in the future", "DATE_IN_FUTURE")
    return value


def _partial_date(text: str, field: str, today: date) -> None:
    """``YYYY-MM`` or ``YYYY-MM-DD``, not in the future."""
    if re.match(r"^\d{4}-\d{2}$", text):
        text += "-01"
    parse_date(text, field, today=today, required=True)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# -- personal basic information form (§2.4) --------------------------------------------------
# Single codes: field → allowed values.
_SINGLE_CODES: dict[str, frozenset[int]] = {
    "residence_type": frozenset({1, 2}),
    "blood_type_abo": frozenset(range(1, 6)),
    "blood_type_rh": frozenset(range(1, 4)),
    "education": frozenset({10, 20, 30, 40, 60, 70, 80, 90}),
    "occupation": frozenset(range(0, 10)),
    "marital_status": frozenset({10, 20, 30, 40, 90}),
    "kitchen_exhaust": frozenset(range(1, 5)),
    "fuel": frozenset(range(1, 7)),
    "drinking_water": frozenset(range(1, 7)),
    "toilet": frozenset(range(1, 6)),
    "livestock_pen": frozenset(range(1, 5)),
}
# Multi-select codes: field → (allowed values, the "none" code that excludes the others or 0).
_MULTI_CODES: dict[str, tuple[frozenset[int], int]] = {
    "payment_methods": (frozenset(range(1, 9)), 0),
    "drug_allergies": (frozenset(range(1, 6)), 1),
    "exposures": (frozenset(range(1, 5)), 1),
    "family_father": (frozenset(range(1, 13)), 1),
    "family_mother": (frozenset(range(1, 13)), 1),
    "family_siblings": (frozenset(range(1, 13)), 1),
    "family_children": (frozenset(range(1, 13)), 1),
    "disabilities": (frozenset(range(1, 9)), 1),
}
DISEASE_CODES = frozenset(range(1, 14))
# Items a complete form must carry (不缺项): the single codes and the multi-selects that have a
# "none" answer, plus ethnicity. Unset (0 / empty) means missing.
REQUIRED_ITEMS = (
    "residence_type",
    "ethnicity",
    "blood_type_abo",
    "blood_type_rh",
    "education",
    "occupation",
    "marital_status",
    "payment_methods",
    "drug_allergies",
    "exposures",
    "family_father",
    "family_mother",
    "disabilities",
    "kitchen_exhaust",
    "fuel",
    "drinking_water",
    "toilet",
    "livestock_pen",
)
_ETHNICITY = re.compile(r"^(0[1-9]|[1-4]\d|5[0-6]|9[78])$")  # GB/T 3304: 01–56, 97, 98
_TEXT_LIMITS = {"work_unit": 100, "genetic_disease": 200}


# The most entries each repeated field and map of a form may hold, as documented in
# health_record.proto. Checked before the entries: 10,000 items gave 10,000 violations and an
# error too large to deliver (issue 12).
BASIC_INFO_MAXIMA: dict[str, int] = {
    **{field: len(allowed) for field, (allowed, _none) in _MULTI_CODES.items()},
    "diseases": 20,
    "surgeries": 20,
    "traumas": 20,
    "transfusions": 20,
}
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
MAX_POPULATION = 2_000_000_000  # permanent population of one region
FORM_TEXT_MAX = 500  # characters of one free-text entry (a map key: FORM_KEY_MAX)
FORM_KEY_MAX = 50


def check_form_counts(form: Mapping[str, Any], maxima: Mapping[str, int], prefix: str) -> None:
    """INVALID_ARGUMENT ``TOO_MANY_ITEMS`` naming every repeated field or map of ``form``
    longer than its maximum."""
    checks = Violations()
    for field, maximum in maxima.items():
        checks.check(check_count, form.get(field) or (), maximum, f"{prefix}.{field}")
    checks.raise_if_any()


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


def _codes_wrong(field: str, value: Any) -> str:
    """What is wrong with one coded item, or ''."""
    if field in _SINGLE_CODES:
        return "" if value in _SINGLE_CODES[field] else "is not a code of the form"
    allowed, none = _MULTI_CODES[field]
    values = list(value)
    if any(v not in allowed for v in values):
        return "holds a code outside the form"
    if len(set(values)) != len(values):
        return "repeats a code"
    if none and none in values and len(values) > 1:
        return "'none' cannot be combined with other answers"
    return ""


def check_basic_info(
    form: Mapping[str, Any], today: date, prefix: str = "basic_info"
) -> dict[str, Any]:
    """The normalised form; INVALID_ARGUMENT listing every wrong item (不错项). Missing items
    are allowed here (a DRAFT may be incomplete); ``missing_items`` lists them."""
    check_form_counts(form, BASIC_INFO_MAXIMA, prefix)
    checks = Violations()
    result: dict[str, Any] = {}
    for field, value in form.items():
        path = f"{prefix}.{field}"
        if field in _SINGLE_CODES:
            if value in (0, None):
                continue
            if problem := _codes_wrong(field, value):
                checks.add(path, problem, "FORM_CODE")
            result[field] = int(value)
        elif field in _MULTI_CODES:
            if not value:
                continue
            if problem := _codes_wrong(field, value):
                checks.add(path, problem, "FORM_CODE")
            result[field] = [int(v) for v in value]
        elif field == "ethnicity":
            if value and not _ETHNICITY.match(str(value)):
                checks.add(path, "must be a GB/T 3304 two-digit code", "FORM_CODE")
            if value:
                result[field] = str(value)
        elif field in _TEXT_LIMITS:
            text = str(value or "").strip()
            if len(text) > _TEXT_LIMITS[field]:
                checks.add(
                    path, f"must be at most {_TEXT_LIMITS[field]} characters", "TEXT_TOO_LONG"
                )
            checks.check(check_no_controls, text, path)
            if text:
                result[field] = text
        elif field in ("diseases", "surgeries", "traumas", "transfusions"):
            items = []
            for i, item in enumerate(value or []):
                item_path = f"{path}[{i}]"
                code = int(item.get("code", 0) or 0)
                if field == "diseases" and code not in DISEASE_CODES:
                    checks.add(
                        f"{item_path}.code", "is not a disease code of the form", "FORM_CODE"
                    )
                name = str(item.get("name", "")).strip()
                if field != "diseases" and not name:
                    checks.add(f"{item_path}.name", "must be set", "FORM_ITEM_REQUIRED")
                if len(name) > 100:
                    checks.add(
                        f"{item_path}.name", "must be at most 100 characters", "TEXT_TOO_LONG"
                    )
                checks.check(check_no_controls, name, f"{item_path}.name")
                if not (field == "diseases" and code == 1):
                    checks.check(
                        _partial_date, str(item.get("date", "")), f"{item_path}.date", today
                    )
                items.append({"code": code, "name": name, "date": str(item.get("date", ""))})
            codes = [i["code"] for i in items]
            if field == "diseases" and 1 in codes and len(codes) > 1:
                checks.add(path, "'none' cannot be combined with diseases", "FORM_CODE")
            if items:
                result[field] = items
        else:
            checks.add(path, "is not a field of the form", "FORM_FIELD_UNKNOWN")
    checks.raise_if_any()
    return result


def missing_items(form: Mapping[str, Any]) -> list[str]:
    """Required items of the form that are not filled in (不缺项)."""
    return [item for item in REQUIRED_ITEMS if not form.get(item)]


# -- record lifecycle (§2.7) ------------------------------------------------------------------
class RecordState(Enum):
    DRAFT = "draft"
    ACTIVE = "active"
    TRANSFER_PENDING = "transfer_pending"
    TRANSFERRED = "transferred"
    TERMINATED = "terminated"


# A resident has at most one record in these states (§2.2, "one record per resident").
OPEN_STATES = frozenset({RecordState.DRAFT, RecordState.ACTIVE, RecordState.TRANSFER_PENDING})


class TerminationReason(Enum):
    DEATH = "death"
    LOST_TO_FOLLOW_UP = "lost_to_follow_up"
    MOVED_OUT = "moved_out"


@dataclass(frozen=True)
class Termination:
    reason: TerminationReason
    day: date
    destination: str = ""
    handover_note: str = ""


@dataclass(frozen=True)
class HealthRecord:
    record_id: str
    record_number: str
    resident_id: str
    birth_date: date
    state: RecordState
    managing_tenant_id: str
    managing_region: str
    scope_path: str
    creating_tenant_id: str
    team_id: str
    basic_info: dict[str, Any]
    termination: Termination | None
    create_time: datetime
    update_time: datetime
    version: int

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def changed(self, now: datetime, **fields: Any) -> HealthRecord:
        return replace(self, update_time=now, version=self.version + 1, **fields)

    def require_state(self, *states: RecordState, action: str) -> None:
        if self.state not in states:
            raise FailedPrecondition(
                f"cannot {action} a record in state {self.state.name}",
                reason="RECORD_STATE",
                metadata={"state": self.state.name},
            )


def check_termination(
    reason: TerminationReason | None,
    day_text: str,
    destination: str,
    handover_note: str,
    today: date,
    birth: date,
) -> Termination:
    """§2.7: the date must be recorded; a move-out also records where to or the handover."""
    checks = Violations()
    if reason is None:
        checks.add(
            "reason", "must be death, lost to follow-up or moved out", "TERMINATION_REASON_REQUIRED"
        )
    day = None
    if not day_text:
        checks.add(
            "termination_date", "the termination date must be recorded", "TERMINATION_DATE_REQUIRED"
        )
    else:
        day = checks.check(parse_date, day_text, "termination_date", today=today)
        if day is not None and day < birth:
            checks.add("termination_date", "is before the resident's birth", "DATE_ORDER")
    destination, handover_note = destination.strip(), handover_note.strip()
    if reason is TerminationReason.MOVED_OUT and not destination and not handover_note:
        checks.add(
            "destination",
            "a move-out records where the resident went or the handover record",
            "MOVE_OUT_DESTINATION_REQUIRED",
        )
    for field, text in (("destination", destination), ("handover_note", handover_note)):
        if len(text) > 500:
            checks.add(field, "must be at most 500 characters", "TEXT_TOO_LONG")
        checks.check(check_no_controls, text, field, multiline=field == "handover_note")
    checks.raise_if_any()
    assert reason is not None and day is not None
    return Termination(reason, day, destination, handover_note)


# -- check-ups (§2.5) -------------------------------------------------------------------------
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


# -- family-doctor contracts --------------------------------------------------------------------
MAX_CONTRACT_YEARS = 3  # contracts run a year as a rule; renewals extend them


def check_contract_dates(start: date, end: date) -> None:
    if end <= start:
        raise invalid("end_date", "must be after the start date", "CONTRACT_DATES")
    if end > add_months(start, 12 * MAX_CONTRACT_YEARS):
        raise invalid("end_date", f"must be within {MAX_CONTRACT_YEARS} years", "CONTRACT_DATES")


# -- transfers (档随人走) -----------------------------------------------------------------------
class TransferState(Enum):
    PENDING = "pending"
    COMPLETED = "completed"
    DECLINED = "declined"
    HANDING_OVER = "handing_over"
    ESCALATED = "escalated"
    CLOSED = "closed"
    ABANDONED = "abandoned"


# The transfer state machine: which decisions a transfer in each state accepts. Across cells
# the source passes through HANDING_OVER (confirmed, the bundle on its way to the destination
# cell): it cannot be declined any more, and a retry of the confirm re-sends the idempotent
# import and completes it, so the record ends in exactly one place.
#
# Escalation (the two institutions cannot agree): after a decline, or a PENDING request left
# unanswered for RHIP_ARCHIVES_TRANSFER_ESCALATION_DAYS, either institution escalates; an
# ESCALATED transfer needs the county/district administrators of both sides (or one above
# them) to approve, and then proceeds like a confirm (HANDING_OVER across cells, COMPLETED within one); either side's
# rejection with a reason CLOSES it for good.
#
# ABANDONED (cross-cell): a PENDING request the source cell never acknowledged, because it
# refused to open it or could not be reached and then withdrew it (or, never having seen it,
# remembers it as abandoned so a late open opens nothing). Nothing is held for it anywhere.
TRANSFER_MOVES: dict[TransferState, frozenset[TransferState]] = {
    TransferState.PENDING: frozenset(
        {
            TransferState.COMPLETED,
            TransferState.DECLINED,
            TransferState.HANDING_OVER,
            TransferState.ESCALATED,
            TransferState.ABANDONED,
        }
    ),
    TransferState.DECLINED: frozenset({TransferState.ESCALATED}),
    TransferState.ESCALATED: frozenset(
        {TransferState.HANDING_OVER, TransferState.COMPLETED, TransferState.CLOSED}
    ),
    TransferState.HANDING_OVER: frozenset({TransferState.COMPLETED}),
    TransferState.COMPLETED: frozenset(),
    TransferState.CLOSED: frozenset(),
    TransferState.ABANDONED: frozenset(),
}


# A cross-cell request the source has not acknowledged for this long is withdrawn there by
# the destination's sweep (far longer than a cross-cell call may take).
UNACKNOWLEDGED_AFTER = timedelta(minutes=10)


def validate_reason_code(value: str, field: str = "reason") -> str:
    """An UPPER_SNAKE reason code (``SOURCE_UNREACHABLE``), at most 100 characters."""
    if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,99}", value):
        raise invalid(field, "must be an UPPER_SNAKE code of at most 100 characters", "REASON_CODE")
    return value


def require_transfer_move(current: TransferState, target: TransferState) -> None:
    if target not in TRANSFER_MOVES[current]:
        raise FailedPrecondition(
            f"a {current.name} transfer cannot become {target.name}",
            reason="TRANSFER_STATE",
            metadata={"state": current.name},
        )


class Side(Enum):
    """The two sides of a transfer: the institution keeping the record and the one asking."""

    SOURCE = "source"
    DESTINATION = "destination"


def require_escalation(
    state: TransferState, create_time: datetime, now: datetime, after_days: int
) -> None:
    """A transfer escalates after a decline, or when PENDING for ``after_days`` days."""
    if state is TransferState.PENDING and now - create_time < timedelta(days=after_days):
        raise FailedPrecondition(
            f"the managing institution has {after_days} days to answer before escalation",
            reason="ESCALATION_TOO_EARLY",
            metadata={"after_days": str(after_days)},
        )
    require_transfer_move(state, TransferState.ESCALATED)


def approved_by_both(approvals: Mapping[str, str]) -> bool:
    return all(approvals.get(side.value) for side in Side)


CONSENT_METHODS = frozenset({"signed_form", "verbal_witnessed", "app"})


def check_consent(method: str, day_text: str, reference: str, today: date) -> dict[str, str]:
    checks = Violations()
    if method not in CONSENT_METHODS:
        checks.add(
            "consent.method", "must be signed_form, verbal_witnessed or app", "CONSENT_REQUIRED"
        )
    checks.check(parse_date, day_text, "consent.consent_date", today=today, required=True)
    if len(reference) > 200:
        checks.add("consent.reference", "must be at most 200 characters", "TEXT_TOO_LONG")
    checks.raise_if_any()
    return {"method": method, "consent_date": day_text, "reference": reference.strip()}


# -- completeness (§2.8) ---------------------------------------------------------------------
def completeness(form: Mapping[str, Any]) -> tuple[float, list[str]]:
    """Share of required items filled in, and the missing ones."""
    missing = missing_items(form)
    return round(1 - len(missing) / len(REQUIRED_ITEMS), 4), missing


_PROGRAM_DISEASE = {"hypertension": (2, "hypertension"), "type2_diabetes": (3, "diabetes")}


def wrong_items(form: Mapping[str, Any], programs: list[str]) -> list[str]:
    """Items that contradict the rest of the record (不错项): a chronic-disease programme
    without the disease in the past history."""
    codes = {item.get("code") for item in form.get("diseases", [])}
    return [
        f"diseases: in the {name} programme but {name} is not in the past history"
        for program in programs
        for code, name in [_PROGRAM_DISEASE[program]]
        if code not in codes
    ]


@dataclass(frozen=True)
class Indicator:
    kind: str  # filing_rate, electronic_filing_rate, usage_rate, qualified_rate, …
    numerator: int
    denominator: int

    @property
    def rate(self) -> float:
        return round(self.numerator / self.denominator, 4) if self.denominator else 0.0


RANKABLE = ("usage_rate", "qualified_rate", "follow_up_rate", "timely_follow_up_rate")
_COUNT_KEYS = ("records", "dynamic", "qualified", "plans", "followed", "timely")


def sum_counts(parts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total = dict.fromkeys(_COUNT_KEYS, 0)
    for part in parts:
        for key in _COUNT_KEYS:
            total[key] += part.get(key, 0)
    return total


def indicators(c: Mapping[str, int], population: int) -> list[Indicator]:
    """§2.8. Every record here is electronic, so both filing rates share their numerator; the
    qualified rate takes every record in force as the sample (no spot-check sample yet)."""
    return [
        Indicator("filing_rate", c["records"], population),
        Indicator("electronic_filing_rate", c["records"], population),
        Indicator("usage_rate", c["dynamic"], c["records"]),
        Indicator("qualified_rate", c["qualified"], c["records"]),
        Indicator("follow_up_rate", c["followed"], c["plans"]),
        Indicator("timely_follow_up_rate", c["timely"], c["plans"]),
    ]


def rank(
    per_tenant: Mapping[str, Mapping[str, int]], kind: str, size: int = 3
) -> tuple[list[tuple[str, Indicator]], list[tuple[str, Indicator]]]:
    """Best and bottom ``size`` institutions by ``kind`` (ties by tenant id); institutions
    without a denominator are not ranked."""
    scored = [
        (tenant, indicator)
        for tenant, counts in per_tenant.items()
        for indicator in indicators(counts, 0)
        if indicator.kind == kind and indicator.denominator
    ]
    best = sorted(scored, key=lambda x: (-x[1].rate, x[0]))[:size]
    bottom = sorted(scored, key=lambda x: (x[1].rate, x[0]))[:size]
    return best, bottom
