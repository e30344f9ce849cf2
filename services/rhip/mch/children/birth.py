"""A child's birth facts and the newborn home visits they call for (DOMAIN §3.3), as plain
Python. The facts come from the delivery record of this cell when the child is one of its
newborns, else from what the enrolling institution states (the handbook's birth page); a
stated fact that the delivery record contradicts is refused rather than silently dropped.

The newborn home visit is due within a week after discharge (出院后7日之内, the 2012 newborn-
visit technical specification 新生儿访视技术规范, 卫办妇社发〔2012〕49号), counted from the birth when
no discharge date is known. A high-risk newborn — low birth weight (< 2500 g), preterm
(< 37 weeks), twins or multiples, birth defects — is first visited within 3 days of the
discharge (the same specification) and gets more newborn visits "as circumstances require"
(酌情增加): the platform schedules two more, a week apart.

A factor may also be found after the enrolment, at a visit (a birth defect seen at the newborn
visit; a birth weight or gestation read from the handbook when the record did not know it):
``found_at`` turns the child high-risk from that visit's day. The first visit already has its
(normal) window; the extra visits then follow the finding visit as they follow the first visit
of a high-risk newborn — a week each, the first from the next day — where their window opens
within the newborn period (the first 28 days; from then the full-month check is due) and has
not already closed on the day the finding is recorded (a visit entered late adds no visit that
can no longer be made). A child already high-risk keeps its visits. No gRPC, no SQL."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from rhip.kit.errors import Violations

LOW_BIRTH_WEIGHT_G = 2500  # below: low birth weight (低出生体重儿)
TERM_WEEKS = 37  # below: preterm (早产儿, 胎龄 < 37周)
HOME_VISIT_DAYS = 7  # normal newborns: the home visit within 7 days of discharge
HIGH_RISK_FIRST_DAYS = 3  # high-risk newborns: the first visit within 3 days of discharge
# The extra newborn visits of a high-risk newborn (NB2, NB3): how many and how far apart is
# the platform's reading of 酌情增加 — weekly until about the full-month check.
EXTRA_NEWBORN_VISITS = 2
EXTRA_VISIT_DAYS = 7
NEWBORN_SLOTS = ("NEWBORN", "NB2", "NB3")  # every slot that is a newborn home visit
NEWBORN_PERIOD_DAYS = 28  # 新生儿期: the first 28 days of life (days 0–27)

RISK_FACTORS = ("LOW_BIRTH_WEIGHT", "PRETERM", "MULTIPLE_BIRTH", "BIRTH_DEFECT")


@dataclass(frozen=True)
class BirthFacts:
    weight_g: int = 0  # 0: unknown
    gestational_weeks: int = 0  # completed weeks at birth; 0: unknown
    multiple: bool = False  # twins or more (双多胎)
    birth_defect: bool = False  # a birth defect (出生缺陷)
    discharge_date: date | None = None  # from the delivering institution; None: unknown
    from_delivery: bool = False  # taken from a delivery record of this cell
    # Risk factors found at visits after the enrolment (found_at), in RISK_FACTORS order; the
    # day they made the child high-risk (None: high-risk from the enrolment, or never); and the
    # extra newborn visits that added, following that day.
    found: tuple[str, ...] = ()
    found_on: date | None = None
    found_visits: tuple[str, ...] = ()

    @property
    def birth_risks(self) -> tuple[str, ...]:
        """The factors the enrolment's facts show."""
        known = {
            "LOW_BIRTH_WEIGHT": 0 < self.weight_g < LOW_BIRTH_WEIGHT_G,
            "PRETERM": 0 < self.gestational_weeks < TERM_WEEKS,
            "MULTIPLE_BIRTH": self.multiple,
            "BIRTH_DEFECT": self.birth_defect,
        }
        return tuple(k for k in RISK_FACTORS if known[k])

    @property
    def risks(self) -> tuple[str, ...]:
        """Every factor known: at the enrolment or found since."""
        known = set(self.birth_risks) | set(self.found)
        return tuple(k for k in RISK_FACTORS if k in known)

    @property
    def high_risk(self) -> bool:
        return bool(self.risks)

    def found_at(self, factors: tuple[str, ...], day: date, birth: date, today: date) -> BirthFacts:
        """The facts after ``factors`` were found at a visit on ``day`` (recorded ``today``):
        a child not high-risk before becomes so from ``day``, with the extra newborn visits
        still to come (module docstring)."""
        new = tuple(f for f in factors if f not in self.risks)
        if not new:
            return self
        found = tuple(k for k in RISK_FACTORS if k in {*self.found, *new})
        if self.high_risk:
            return replace(self, found=found)
        visits = tuple(
            code for code, start, end in _extra_after(day)
            if start < birth + timedelta(days=NEWBORN_PERIOD_DAYS) and end >= today
        )  # fmt: skip
        return replace(self, found=found, found_on=day, found_visits=visits)


UNKNOWN = BirthFacts()  # nothing known: a normal newborn visited within a week of the birth


def _extra_after(day: date) -> list[tuple[str, date, date]]:
    """The extra newborn visits following a visit window (or a visit) that ends on ``day``:
    each a week long, from the day after the one before."""
    windows: list[tuple[str, date, date]] = []
    for code in NEWBORN_SLOTS[1 : 1 + EXTRA_NEWBORN_VISITS]:
        first = (windows[-1][2] if windows else day) + timedelta(days=1)
        windows.append((code, first, first + timedelta(days=EXTRA_VISIT_DAYS - 1)))
    return windows


def newborn_windows(birth: date, facts: BirthFacts) -> list[tuple[str, date, date]]:
    """(slot code, first day, last day) of each newborn home visit, from the discharge (or the
    birth when it is unknown); the extra ones follow the first a week apart, or, for a risk
    found at a visit, that visit (those ``found_at`` kept)."""
    start = facts.discharge_date or birth
    if facts.found_on is not None:
        normal = ("NEWBORN", start, start + timedelta(days=HOME_VISIT_DAYS))
        extra = [w for w in _extra_after(facts.found_on) if w[0] in facts.found_visits]
        return [normal, *extra]
    if not facts.high_risk:
        return [("NEWBORN", start, start + timedelta(days=HOME_VISIT_DAYS))]
    first = ("NEWBORN", start, start + timedelta(days=HIGH_RISK_FIRST_DAYS))
    return [first, *_extra_after(first[2])]


@dataclass(frozen=True)
class StatedFacts:
    """What the enrolling institution states (0, False or "" when it states nothing)."""

    weight_g: int = 0
    gestational_weeks: int = 0
    multiple: bool = False
    birth_defect: bool = False
    discharge_date: str = ""


NOTHING_STATED = StatedFacts()


def check_stated(
    stated: StatedFacts, discharge: date | None, birth: date, checks: Violations
) -> None:
    """Plausible ranges, as a delivery record's (``discharge``: the stated discharge date,
    already parsed)."""
    if stated.weight_g and not 300 <= stated.weight_g <= 7000:
        checks.add("birth.birth_weight_g", "must be 300–7000 g", "WEIGHT_OUT_OF_RANGE")
    if stated.gestational_weeks and not 20 <= stated.gestational_weeks <= 44:
        checks.add(
            "birth.gestational_weeks", "must be 20–44 completed weeks", "GESTATION_OUT_OF_RANGE"
        )
    if discharge is not None and discharge < birth:
        checks.add("birth.discharge_date", "is before the birth", "DISCHARGE_BEFORE_BIRTH")


def merge(
    delivery: BirthFacts | None, stated: StatedFacts, discharge: date | None, checks: Violations
) -> BirthFacts:
    """The delivery's facts, completed by the stated ones where the delivery does not know
    them; a stated value the delivery contradicts is a violation."""
    if delivery is None:
        return BirthFacts(
            stated.weight_g, stated.gestational_weeks, stated.multiple, stated.birth_defect,
            discharge,
        )  # fmt: skip

    def conflict(field: str, known: object) -> None:
        checks.add(f"birth.{field}", f"the delivery record says {known}", "BIRTH_FACT_CONFLICT")

    if stated.weight_g and stated.weight_g != delivery.weight_g:
        conflict("birth_weight_g", f"{delivery.weight_g} g")
    weeks = delivery.gestational_weeks
    if stated.gestational_weeks and weeks and stated.gestational_weeks != weeks:
        conflict("gestational_weeks", f"{weeks} weeks")
    if stated.multiple and not delivery.multiple:
        conflict("multiple_birth", "a single birth")
    if discharge is not None and delivery.discharge_date not in (None, discharge):
        conflict("discharge_date", str(delivery.discharge_date))
    return BirthFacts(
        delivery.weight_g, weeks or stated.gestational_weeks, delivery.multiple,
        stated.birth_defect, delivery.discharge_date or discharge, from_delivery=True,
    )  # fmt: skip


def check_found(
    factors: list[str | None], facts: BirthFacts, checks: Violations
) -> tuple[str, ...]:
    """The risk factors a visit found (``None``: a value that is no factor): each once, and
    none the record's birth facts contradict (a known weight of 2500 g or more, 37 weeks or
    more, a single birth by the delivery record)."""
    seen: list[str] = []
    for i, factor in enumerate(factors):
        field = f"visit.risk_factors_found[{i}]"
        if factor is None:
            checks.add(field, "must be a newborn risk factor", "RISK_FACTOR_UNKNOWN")
            continue
        if factor in seen:
            checks.add(field, "is named twice", "RISK_FACTOR_REPEATED")
            continue
        seen.append(factor)
        if factor == "LOW_BIRTH_WEIGHT" and facts.weight_g >= LOW_BIRTH_WEIGHT_G:
            checks.add(field, f"the birth weight is {facts.weight_g} g", "BIRTH_FACT_CONFLICT")
        elif factor == "PRETERM" and facts.gestational_weeks >= TERM_WEEKS:
            checks.add(field, f"born at {facts.gestational_weeks} weeks", "BIRTH_FACT_CONFLICT")
        elif factor == "MULTIPLE_BIRTH" and facts.from_delivery and not facts.multiple:
            checks.add(field, "the delivery record says a single birth", "BIRTH_FACT_CONFLICT")
    return tuple(seen)
