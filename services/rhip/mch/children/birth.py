"""A child's birth facts and the newborn home visits they call for (DOMAIN §3.3), as plain
Python. The facts come from the delivery record of this cell when the child is one of its
newborns, else from what the enrolling institution states (the handbook's birth page); a
stated fact that the delivery record contradicts is refused rather than silently dropped.

The newborn home visit is due within a week after discharge (出院后7日之内, the 2012 newborn-
visit technical specification 新生儿访视技术规范, 卫办妇社发〔2012〕49号), counted from the birth when
no discharge date is known. A high-risk newborn — low birth weight (< 2500 g), preterm
(< 37 weeks), twins or multiples, birth defects — is first visited within 3 days of the
discharge (the same specification) and gets more newborn visits "as circumstances require"
(酌情增加): the platform schedules two more, a week apart. No gRPC, no SQL."""

from __future__ import annotations

from dataclasses import dataclass
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

RISK_FACTORS = ("LOW_BIRTH_WEIGHT", "PRETERM", "MULTIPLE_BIRTH", "BIRTH_DEFECT")


@dataclass(frozen=True)
class BirthFacts:
    weight_g: int = 0  # 0: unknown
    gestational_weeks: int = 0  # completed weeks at birth; 0: unknown
    multiple: bool = False  # twins or more (双多胎)
    birth_defect: bool = False  # a birth defect (出生缺陷)
    discharge_date: date | None = None  # from the delivering institution; None: unknown
    from_delivery: bool = False  # taken from a delivery record of this cell

    @property
    def risks(self) -> tuple[str, ...]:
        found = {
            "LOW_BIRTH_WEIGHT": 0 < self.weight_g < LOW_BIRTH_WEIGHT_G,
            "PRETERM": 0 < self.gestational_weeks < TERM_WEEKS,
            "MULTIPLE_BIRTH": self.multiple,
            "BIRTH_DEFECT": self.birth_defect,
        }
        return tuple(k for k in RISK_FACTORS if found[k])

    @property
    def high_risk(self) -> bool:
        return bool(self.risks)


UNKNOWN = BirthFacts()  # nothing known: a normal newborn visited within a week of the birth


def newborn_windows(birth: date, facts: BirthFacts) -> list[tuple[str, date, date]]:
    """(slot code, first day, last day) of each newborn home visit, from the discharge (or the
    birth when it is unknown); the extra ones follow the first a week apart."""
    start = facts.discharge_date or birth
    if not facts.high_risk:
        return [("NEWBORN", start, start + timedelta(days=HOME_VISIT_DAYS))]
    windows = [("NEWBORN", start, start + timedelta(days=HIGH_RISK_FIRST_DAYS))]
    for code in NEWBORN_SLOTS[1 : 1 + EXTRA_NEWBORN_VISITS]:
        first = windows[-1][2] + timedelta(days=1)
        windows.append((code, first, first + timedelta(days=EXTRA_VISIT_DAYS - 1)))
    return windows


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
