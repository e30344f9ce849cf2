"""Child health management 0–6 with eye care as plain Python (DOMAIN §3.3, §3.4, §9): the 13
scheduled visits generated from the birth date (the newborn home visit from the discharge, and
two more newborn visits for a high-risk newborn: birth.py), each with its eye-care items (those
done mainly at county level marked), blood routine and hearing screening ages; the checks of a
visit; referral of abnormal findings (eye, development: development.py, anaemia and hearing:
screening.py) and the 8-month question about the 6-month referral. No gRPC, no SQL."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import Enum

from rhip.kit.errors import Violations
from rhip.mch.children.birth import UNKNOWN, BirthFacts, newborn_windows
from rhip.mch.children.development import Development
from rhip.mch.children.screening import Hearing

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
    code: str  # NEWBORN (NB2, NB3 for a high-risk newborn), M1, M3 … M36, Y4, Y5, Y6
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
# The extra newborn home visits of a high-risk newborn (birth.py), with the newborn visit's items.
EXTRA_NEWBORN = tuple(ChildSlot(code, 0, SLOTS[0].eye_items) for code in ("NB2", "NB3"))
BY_CODE = {s.code: s for s in (*SLOTS, *EXTRA_NEWBORN)}
MAX_AGE_MONTHS = 84  # child health management ends at 7


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def age_months(birth: date, day: date) -> int:
    """Completed months of age on ``day`` (as the windows count them: add_months)."""
    months = (day.year - birth.year) * 12 + day.month - birth.month
    while months > 0 and add_months(birth, months) > day:
        months -= 1
    return max(months, 0)


@dataclass(frozen=True)
class Window:
    slot: ChildSlot
    start: date
    end: date  # inclusive

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end


def windows(birth: date, facts: BirthFacts) -> list[Window]:
    """The child's scheduled visits in the order their windows open: the newborn home
    visit(s) from the discharge (birth.py), the full-month check at 28–30 days (DOMAIN §3.3),
    the others from the nominal age for one month (infancy and toddler checks) or three months
    (pre-school)."""
    found = [
        Window(BY_CODE[code], start, end) for code, start, end in newborn_windows(birth, facts)
    ]
    found.append(Window(BY_CODE["M1"], birth + timedelta(days=28), birth + timedelta(days=30)))
    for slot in SLOTS[2:]:
        start = add_months(birth, slot.months)
        end = add_months(start, 3 if slot.months >= 48 else 1) - timedelta(days=1)
        found.append(Window(slot, start, end))
    # A late discharge can open a newborn visit after the full-month check's window: the
    # order of the windows, not of the codes, is what "next" means.
    return sorted(found, key=lambda w: w.start)


def slot_on(ws: list[Window], day: date, done: set[str]) -> ChildSlot | None:
    """The slot a visit on ``day`` fulfils: the first window holding the day that is still
    open (windows of a late discharge may overlap), else the first holding it."""
    holding = [w for w in ws if w.holds(day)]
    fresh = [w for w in holding if w.slot.code not in done]
    chosen = fresh or holding
    return chosen[0].slot if chosen else None


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
    open_referral: str  # the visit id whose abnormal finding awaits its referral, or ""
    create_time: datetime
    facts: BirthFacts = UNKNOWN

    def windows(self) -> list[Window]:
        return windows(self.birth_date, self.facts)

    def next_from(
        self, day: date, *, visited: bool, done: frozenset[str] = frozenset()
    ) -> ChildRecord:
        """The next expected slot (the overdue list's key): after a visit on ``day`` the first
        whose window opens after it, or one still open on it that no visit filled (overlapping
        newborn windows); at enrollment the first still open on ``day``."""
        if visited:
            nxt = next(
                (
                    w for w in self.windows()
                    if w.start > day or (w.holds(day) and w.slot.code not in done)
                ),
                None,
            )  # fmt: skip
        else:
            nxt = next((w for w in self.windows() if w.end >= day), None)
        return replace(
            self,
            next_slot=nxt.slot.code if nxt else "",
            next_slot_end=nxt.end if nxt else None,
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
    referral: bool  # an abnormal finding: refer (a referral item)
    referral_followed_up: bool  # the caller confirmed the open referral happened
    six_month_referral_pending: bool  # at 8 months: the 6-month referral not confirmed
    create_time: datetime
    development: Development | None = None  # the warning-sign check, None: not assessed
    haemoglobin_g_l: float = 0.0  # 0: not measured
    anaemia: bool = False  # below the age's cut-off (screening.py)
    hearing_left: Hearing | None = None  # None: not screened
    hearing_right: Hearing | None = None
    referral_reasons: tuple[str, ...] = ()  # what is abnormal: REFERRAL_REASONS
    risk_factors_found: tuple[str, ...] = ()  # newborn risk factors found here (birth.py)


# Why a visit refers the child, in the order they are listed.
REFERRAL_REASONS = ("EYE", "DEVELOPMENT", "ANAEMIA", "HEARING")


def referral_reasons(
    eye: dict[str, Finding], development: Development | None, anaemia: bool,
    left: Hearing | None, right: Hearing | None,
) -> tuple[str, ...]:  # fmt: skip
    found = {
        "EYE": any(f is Finding.ABNORMAL for f in eye.values()),
        "DEVELOPMENT": development is not None and bool(development.signs),
        "ANAEMIA": anaemia,
        "HEARING": Hearing.REFER in (left, right),
    }
    return tuple(r for r in REFERRAL_REASONS if found[r])


@dataclass(frozen=True)
class SlotView:
    slot: ChildSlot
    start: date
    end: date
    state: str  # UPCOMING, DUE, DONE, MISSED
    visit_id: str


def schedule(r: ChildRecord, visits: list[ChildVisit], today: date) -> list[SlotView]:
    views = []
    for w in r.windows():
        slot, start, end = w.slot, w.start, w.end
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


def missed_slot(ws: list[Window], day: date, done: set[str]) -> str:
    """The latest-closing window before ``day`` without a visit."""
    closed = sorted((w for w in ws if w.end < day and w.slot.code not in done), key=lambda w: w.end)
    return closed[-1].slot.code if closed else ""


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
