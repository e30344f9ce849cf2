"""Child health management 0–6 with eye care as plain Python (DOMAIN §3.3, §3.4, §9): the 13
scheduled visits generated from the birth date, each with its eye-care items (those done
mainly at county level marked), blood routine and hearing screening ages; the checks of a
visit; referral of abnormal eye findings and the 8-month question about the 6-month referral.
No gRPC, no SQL."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import Enum

from rhip.kit.errors import Violations

# Eye-care items (DOMAIN §3.4); True: done mainly by county-level institutions (the * items).
EYE_ITEMS: dict[str, bool] = {
    "EYE_APPEARANCE": False,
    "HIGH_RISK_FACTORS": False,
    "LIGHT_REACTION": False,
    "BLINK_REFLEX": False,
    "RED_BALL": False,
    "VISUAL_BEHAVIOUR": False,
    "RED_REFLEX": True,
    "EYE_POSITION": True,
    "COVER_AVERSION": True,
    "REFRACTION_SCREENING": True,
    "VISUAL_ACUITY": False,
}


@dataclass(frozen=True)
class ChildSlot:
    code: str  # NEWBORN, M1, M3 … M36, Y4, Y5, Y6
    months: int  # nominal age in months (0 for the newborn visit)
    eye_items: tuple[str, ...]
    blood_routine: bool = False  # haemoglobin (6–8, 18, 30 months)
    hearing: bool = False  # hearing screening (6, 12, 24, 36 months)


_BASE = ("EYE_APPEARANCE", "VISUAL_BEHAVIOUR")
_PRESCHOOL = ("EYE_APPEARANCE", "VISUAL_BEHAVIOUR", "VISUAL_ACUITY", "EYE_POSITION",
              "REFRACTION_SCREENING")  # fmt: skip
# The 13 visits of §3.3 with the eye items of §3.4 (DOMAIN §9 "child health schedule").
SLOTS = (
    ChildSlot("NEWBORN", 0, ("EYE_APPEARANCE", "HIGH_RISK_FACTORS")),
    ChildSlot("M1", 1, ("EYE_APPEARANCE", "HIGH_RISK_FACTORS", "LIGHT_REACTION")),
    ChildSlot("M3", 3, ("EYE_APPEARANCE", "BLINK_REFLEX", "RED_BALL", "VISUAL_BEHAVIOUR")),
    ChildSlot(
        "M6",
        6,
        (*_BASE, "RED_REFLEX", "EYE_POSITION", "COVER_AVERSION"),
        blood_routine=True,
        hearing=True,
    ),
    ChildSlot("M8", 8, _BASE, blood_routine=True),
    ChildSlot("M12", 12, _BASE, hearing=True),
    ChildSlot("M18", 18, _BASE, blood_routine=True),
    ChildSlot(
        "M24",
        24,
        (*_BASE, "EYE_POSITION", "COVER_AVERSION", "REFRACTION_SCREENING"),
        hearing=True,
    ),
    ChildSlot("M30", 30, _BASE, blood_routine=True),
    ChildSlot(
        "M36",
        36,
        (*_BASE, "EYE_POSITION", "COVER_AVERSION", "REFRACTION_SCREENING"),
        hearing=True,
    ),
    ChildSlot("Y4", 48, _PRESCHOOL),
    ChildSlot("Y5", 60, _PRESCHOOL),
    ChildSlot("Y6", 72, _PRESCHOOL),
)
BY_CODE = {s.code: s for s in SLOTS}
MAX_AGE_MONTHS = 84  # child health management ends at 7


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def window(slot: ChildSlot, birth: date) -> tuple[date, date]:
    """The visit's window: the newborn visit in the newborn period (days 0–27, due within a
    week of discharge), the full-month check at 28–30 days (DOMAIN §3.3), the others from the
    nominal age for one month (infancy and toddler checks) or three months (pre-school)."""
    if slot.code == "NEWBORN":
        return birth, birth + timedelta(days=27)
    if slot.code == "M1":
        return birth + timedelta(days=28), birth + timedelta(days=30)
    start = add_months(birth, slot.months)
    end = add_months(start, 3 if slot.months >= 48 else 1) - timedelta(days=1)
    return start, end


def slot_on(birth: date, day: date) -> ChildSlot | None:
    return next((s for s in SLOTS if window(s, birth)[0] <= day <= window(s, birth)[1]), None)


class Finding(Enum):
    NORMAL = "NORMAL"
    ABNORMAL = "ABNORMAL"


@dataclass(frozen=True)
class ChildRecord:
    record_id: str
    resident_id: str
    tenant_id: str
    scope_path: str
    birth_date: date
    next_slot: str  # "" when none is left
    next_slot_end: date | None
    open_referral: str  # the visit id whose abnormal eye finding awaits its referral, or ""
    create_time: datetime

    def next_from(self, day: date, *, visited: bool) -> ChildRecord:
        """The next expected slot (the overdue list's key): after a visit on ``day`` the first
        whose window opens after it; at enrollment the first still open on ``day``."""
        if visited:
            nxt = next((s for s in SLOTS if window(s, self.birth_date)[0] > day), None)
        else:
            nxt = next((s for s in SLOTS if window(s, self.birth_date)[1] >= day), None)
        return replace(
            self,
            next_slot=nxt.code if nxt else "",
            next_slot_end=window(nxt, self.birth_date)[1] if nxt else None,
        )


@dataclass(frozen=True)
class ChildVisit:
    visit_id: str
    record_id: str
    tenant_id: str
    visit_date: date
    age_days: int
    slot: str  # the slot it fulfils, "" outside every window
    missed_slot: str  # outside every window: the latest closed slot without a visit
    weight_kg: float
    length_cm: float
    eye: dict[str, Finding]
    acuity_left: float
    acuity_right: float
    referral: bool  # an abnormal eye finding: refer (a referral item)
    referral_followed_up: bool  # the caller confirmed the open referral happened
    six_month_referral_pending: bool  # at 8 months: the 6-month referral not confirmed
    create_time: datetime


@dataclass(frozen=True)
class SlotView:
    slot: ChildSlot
    start: date
    end: date
    state: str  # UPCOMING, DUE, DONE, MISSED
    visit_id: str


def schedule(r: ChildRecord, visits: list[ChildVisit], today: date) -> list[SlotView]:
    views = []
    for slot in SLOTS:
        start, end = window(slot, r.birth_date)
        done = next((v for v in visits if v.slot == slot.code), None)
        if done is not None:
            state = "DONE"
        elif end < today:
            state = "MISSED"
        elif today < start:
            state = "UPCOMING"
        else:
            state = "DUE"
        views.append(SlotView(slot, start, end, state, done.visit_id if done else ""))
    return views


def missed_slot(birth: date, day: date, done: set[str]) -> str:
    closed = [s.code for s in SLOTS if window(s, birth)[1] < day and s.code not in done]
    return closed[-1] if closed else ""


def check_visit(
    slot: ChildSlot | None, age_days: int, weight: float, length: float,
    eye: dict[str, Finding | None], left: float, right: float, checks: Violations,
) -> None:  # fmt: skip
    """Growth within plausible ranges (0 = not measured), eye items of this visit's set,
    visual acuity (decimal 0.01–2.0) from the 4-year visit on."""
    if weight and not 0.3 <= weight <= 60:  # NaN fails too
        checks.add("visit.weight_kg", "must be 0.3–60 kg", "MEASURE_OUT_OF_RANGE")
    if length and not 25 <= length <= 160:
        checks.add("visit.length_cm", "must be 25–160 cm", "MEASURE_OUT_OF_RANGE")
    allowed = set(slot.eye_items) if slot else set(EYE_ITEMS)
    for i, (item, finding) in enumerate(eye.items()):
        if item not in EYE_ITEMS:
            checks.add(f"visit.eye[{i}].item", "unknown eye-care item", "EYE_ITEM_UNKNOWN")
        elif item not in allowed:
            checks.add(
                f"visit.eye[{i}].item", f"not an item of the {slot.code if slot else ''} visit",
                "EYE_ITEM_NOT_DUE",
            )  # fmt: skip
        if finding is None:
            checks.add(f"visit.eye[{i}].finding", "must be normal or abnormal", "FINDING_REQUIRED")
    for value, field in ((left, "visit.acuity_left"), (right, "visit.acuity_right")):
        if value and not 0.01 <= value <= 2.0:
            checks.add(field, "decimal acuity 0.01–2.0", "ACUITY_OUT_OF_RANGE")
        elif value and age_days < 4 * 365:
            checks.add(field, "visual acuity is checked from age 4", "ACUITY_TOO_YOUNG")
