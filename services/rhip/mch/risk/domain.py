"""Five-colour pregnancy risk grading (DOMAIN §3.2) as plain Python: the versioned rule table
(criteria ids → colour), an assessment of the time series, the current grade (most severe
non-purple colour of the latest assessment that has one, plus a purple flag that stays once
set) and its management consequences. No gRPC, no SQL."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from rhip.kit.errors import Violations


class RiskColor(Enum):
    GREEN = 1
    YELLOW = 2
    ORANGE = 3
    RED = 4
    PURPLE = 5


# The rule table (simplified from the 2017 assessment form, DOMAIN §3.2): data, versioned, so
# a new edition is a new entry and old assessments keep naming the version they used.
RULE_TABLES: dict[str, dict[str, RiskColor]] = {
    "2017.1": {
        "Y-AGE-35": RiskColor.YELLOW,  # age ≥ 35
        "Y-AGE-18": RiskColor.YELLOW,  # age ≤ 18
        "Y-BMI": RiskColor.YELLOW,  # BMI too low or too high
        "Y-SCARRED-UTERUS": RiskColor.YELLOW,
        "Y-GDM": RiskColor.YELLOW,  # gestational diabetes
        "Y-GH": RiskColor.YELLOW,  # gestational hypertension
        "Y-TWINS": RiskColor.YELLOW,
        "Y-IVF": RiskColor.YELLOW,
        "Y-MILD-ANAEMIA": RiskColor.YELLOW,
        "Y-THROMBOCYTOPENIA": RiskColor.YELLOW,
        "Y-AMNIOTIC-FLUID": RiskColor.YELLOW,
        "O-AGE-40": RiskColor.ORANGE,
        "O-BMI-28": RiskColor.ORANGE,
        "O-IMMUNE": RiskColor.ORANGE,
        "O-EPILEPSY": RiskColor.ORANGE,
        "O-PREEXISTING-DIABETES": RiskColor.ORANGE,
        "O-THYROID": RiskColor.ORANGE,
        "O-PREECLAMPSIA": RiskColor.ORANGE,
        "O-HEART": RiskColor.ORANGE,
        "O-PLACENTA-PRAEVIA": RiskColor.ORANGE,
        "O-SEVERE-ANAEMIA": RiskColor.ORANGE,
        "R-SEVERE-HYPERTENSION": RiskColor.RED,
        "R-SEVERE-HEART": RiskColor.RED,
        "R-PERNICIOUS-PLACENTA-PRAEVIA": RiskColor.RED,
        "P-HBV": RiskColor.PURPLE,  # viral hepatitis (HBsAg+)
        "P-SYPHILIS": RiskColor.PURPLE,
        "P-HIV": RiskColor.PURPLE,
        "P-TB": RiskColor.PURPLE,
        "P-SEVERE-PNEUMONIA": RiskColor.PURPLE,
        "P-SPECIAL-VIRAL": RiskColor.PURPLE,
    }
}
CURRENT_RULES = "2017.1"
MAX_CRITERIA = 30
_CRITERION = re.compile(r"[A-Z]-[A-Z0-9-]{1,40}")


def colours_of(
    criteria: Sequence[str], checks: Violations, rules: str = CURRENT_RULES
) -> list[str]:
    """The criteria, upper-cased and de-duplicated, each a known id of the rule table."""
    table = RULE_TABLES[rules]
    if len(criteria) > MAX_CRITERIA:
        checks.add("criteria", f"at most {MAX_CRITERIA}", "TOO_MANY_ITEMS")
        return []
    kept: list[str] = []
    for i, raw in enumerate(criteria):
        text = raw.strip().upper()
        if not _CRITERION.fullmatch(text) or text not in table:
            checks.add(
                f"criteria[{i}]", f"unknown criterion of rule table {rules}", "CRITERION_UNKNOWN"
            )
        elif text not in kept:
            kept.append(text)
    return kept


def assessed_colours(criteria: Sequence[str], rules: str = CURRENT_RULES) -> list[RiskColor]:
    """The colours the criteria give; GREEN when none."""
    table = RULE_TABLES[rules]
    found = sorted({table[c] for c in criteria}, key=lambda c: c.value)
    return found or [RiskColor.GREEN]


@dataclass(frozen=True)
class RiskAssessment:
    assessment_id: str
    pregnancy_id: str
    assessment_date: date
    colours: tuple[RiskColor, ...]
    criteria: tuple[str, ...]
    rules_version: str
    assessor: str
    tenant_id: str
    tenant_scope: str
    institution_level: str
    ga_days: int
    create_time: datetime


@dataclass(frozen=True)
class Grade:
    colour: RiskColor | None  # None: never graded with a non-purple colour
    purple: bool

    @property
    def rank(self) -> int:
        return self.colour.value if self.colour else 0

    @property
    def needs_secondary_or_higher(self) -> bool:
        """Yellow, orange, red or purple: antenatal care and delivery at secondary-or-higher
        institutions (DOMAIN §3.2)."""
        return self.purple or self.rank >= RiskColor.YELLOW.value

    @property
    def management(self) -> list[str]:
        steps = []
        if self.needs_secondary_or_higher:
            steps.append("DELIVER_AT_SECONDARY_OR_HIGHER")
        if self.rank >= RiskColor.ORANGE.value:
            steps.append("REFER_TO_CRITICAL_CARE_CENTRE")
            steps.append("REPORT_HIGH_RISK_CASE")
        if self.colour is RiskColor.RED:
            steps.append("TERTIARY_CONTINUATION_ASSESSMENT")
        return steps


def current_grade(series: Sequence[RiskAssessment]) -> Grade:
    """``series`` oldest first: the latest assessment with a non-purple colour gives the
    grade (its most severe one: reassessment may raise or lower it); purple, once found,
    stays (it coexists with any colour)."""
    colour: RiskColor | None = None
    purple = False
    for a in sorted(series, key=lambda a: (a.assessment_date, a.create_time)):
        non_purple = [c for c in a.colours if c is not RiskColor.PURPLE]
        if non_purple:
            colour = max(non_purple, key=lambda c: int(c.value))
        purple = purple or RiskColor.PURPLE in a.colours
    return Grade(colour, purple)
