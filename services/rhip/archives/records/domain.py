"""Health-record rules as plain Python (docs/domain §2): record numbers, the personal basic
information form, the record lifecycle and completeness; the record's history as read. No
gRPC, no SQL.

Forms travel as plain dicts (field name → value, as the proto names them): the rules below
check codes and ranges field by field and report every bad field at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import Enum
from typing import Any

from rhip.archives.common import check_form_counts, parse_date
from rhip.kit.errors import FailedPrecondition, Violations, invalid
from rhip.kit.requests import check_no_controls

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


def _partial_date(text: str, field: str, today: date) -> None:
    """``YYYY-MM`` or ``YYYY-MM-DD``, not in the future."""
    if re.match(r"^\d{4}-\d{2}$", text):
        text += "-01"
    parse_date(text, field, today=today, required=True)


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


# -- as kept: the one-record rule as the store reports it, the record's history -------------
class RecordTaken(Exception):
    """The resident already has an open record (maybe created concurrently)."""


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
