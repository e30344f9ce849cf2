"""Maternal and child health indicators as plain Python (DOMAIN §3.1, §3.3, §3.4, the
issue's list): each from its counts, the ranking of institutions. No gRPC, no SQL.

The period is the 12 months ending on the as-of date; DOMAIN marks the national denominators
as recalled ([U]), so each is stated where it is computed (store.py) and in the proto."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from rhip.mch.children.birth import NEWBORN_SLOTS

KINDS = (
    "early_registration_rate",
    "postpartum_visit_rate",
    "newborn_visit_rate",
    "child_health_management_rate",
    "eye_check_coverage",
    "poor_vision_rate_6y",
    "high_risk_management_rate",
)
# Count keys: each indicator's (numerator, denominator).
PARTS: dict[str, tuple[str, str]] = {
    "early_registration_rate": ("early", "registered"),
    "postpartum_visit_rate": ("postpartum_visited", "live_deliveries"),
    "newborn_visit_rate": ("newborns_visited", "live_births"),
    "child_health_management_rate": ("children_seen", "children"),
    "eye_check_coverage": ("children_eye_checked", "children"),
    "poor_vision_rate_6y": ("poor_vision_6y", "acuity_6y"),
    "high_risk_management_rate": ("high_risk_managed", "high_risk"),
}
COUNT_KEYS = tuple(sorted({k for pair in PARTS.values() for k in pair}))
LOWER_IS_BETTER = frozenset({"poor_vision_rate_6y"})
POOR_VISION_6Y = 0.8  # decimal acuity a 6-year-old normally reaches (2021 eye-care spec: 4.9)
POSTPARTUM_VISIT_DAYS = 28  # DOMAIN §3.1: visited within 28 days of discharge
CHILD_YEARS = 7  # 0–6: under 7 on the as-of date
# A newborn is visited when one of its newborn home visits (the extra ones of a high-risk
# newborn too) was made in its window.
NEWBORN_VISIT_SLOTS = NEWBORN_SLOTS


@dataclass(frozen=True)
class Period:
    start: date  # inclusive
    end: date  # inclusive (the as-of date)

    @property
    def born_after(self) -> date:
        """Children born after this day are under 7 on the as-of date."""
        try:
            return self.end.replace(year=self.end.year - CHILD_YEARS)
        except ValueError:  # 29 February
            return self.end.replace(year=self.end.year - CHILD_YEARS, day=28)


def period_of(as_of: date) -> Period:
    return Period(as_of - timedelta(days=364), as_of)


@dataclass(frozen=True)
class Indicator:
    kind: str
    numerator: int
    denominator: int
    target: float = 0.0  # 0–1, 0 when the indicator has none

    @property
    def rate(self) -> float:
        return round(self.numerator / self.denominator, 4) if self.denominator else 0.0

    @property
    def meets_target(self) -> bool:
        return bool(self.target and self.denominator and self.rate >= self.target)


def sum_counts(parts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total = dict.fromkeys(COUNT_KEYS, 0)
    for part in parts:
        for key in COUNT_KEYS:
            total[key] += part.get(key, 0)
    return total


def indicators(counts: Mapping[str, int], eye_target: float) -> list[Indicator]:
    found = []
    for kind in KINDS:
        numerator, denominator = PARTS[kind]
        target = eye_target if kind == "eye_check_coverage" else 0.0
        found.append(Indicator(kind, counts.get(numerator, 0), counts.get(denominator, 0), target))
    return found


def rank(
    per_tenant: Mapping[str, Mapping[str, int]], kind: str, eye_target: float, size: int = 3
) -> tuple[list[tuple[str, Indicator]], list[tuple[str, Indicator]]]:
    """Best and bottom ``size`` institutions by ``kind`` (ties by tenant id); institutions
    without a denominator are not ranked. For the poor-vision rate lower is better."""
    scored = [
        (tenant, indicator)
        for tenant, counts in per_tenant.items()
        for indicator in indicators(counts, eye_target)
        if indicator.kind == kind and indicator.denominator
    ]
    sign = 1 if kind in LOWER_IS_BETTER else -1
    best = sorted(scored, key=lambda x: (sign * x[1].rate, x[0]))[:size]
    bottom = sorted(scored, key=lambda x: (-sign * x[1].rate, x[0]))[:size]
    return best, bottom
