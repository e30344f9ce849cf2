"""Risk screening (筛查), the first step of the five-colour grading (DOMAIN §3.2: screening →
assessment and grading → management): the institution that manages her screens her, usually at
the first check; a woman who screens positive is assessed against the assessment form by a
secondary-or-higher institution with midwifery. A positive screening is due its assessment
within ``ASSESSMENT_DAYS``; until an assessment dated on or after the screening is recorded the
pregnancy carries that due date, and past it she is on the overdue list. No gRPC, no SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from rhip.kit.errors import Violations
from rhip.kit.requests import check_no_controls

# The 2017 work specification asks that a woman who screens positive be assessed promptly; the
# two weeks are ours (the antenatal referral's follow-up period, §3.1), not a quoted figure.
ASSESSMENT_DAYS = 14
MAX_FINDINGS = 20
MAX_FINDING = 100


@dataclass(frozen=True)
class RiskScreening:
    screening_id: str
    pregnancy_id: str
    tenant_id: str
    screening_date: date
    positive: bool
    findings: tuple[str, ...]
    screened_by: str
    create_time: datetime

    @property
    def assessment_due(self) -> date | None:
        """The day her assessment is due by, for a positive screening."""
        return self.screening_date + timedelta(days=ASSESSMENT_DAYS) if self.positive else None


def check_findings(findings: list[str], positive: bool, checks: Violations) -> tuple[str, ...]:
    """Each finding 1–100 characters without control characters, at most 20; a positive
    screening says what it found, a negative one finds nothing."""
    field = "screening.findings"
    if len(findings) > MAX_FINDINGS:
        checks.add(field, f"at most {MAX_FINDINGS} findings", "TOO_MANY_ITEMS")
        return ()
    kept = []
    for index, text in enumerate(findings):
        text = text.strip()
        if not text or len(text) > MAX_FINDING:
            checks.add(f"{field}[{index}]", f"1–{MAX_FINDING} characters", "TEXT_LENGTH")
            continue
        checks.check(check_no_controls, text, f"{field}[{index}]")
        kept.append(text)
    if positive and not findings:
        checks.add(field, "a positive screening says what it found", "FINDINGS_REQUIRED")
    if not positive and findings:
        checks.add(field, "a negative screening finds nothing", "FINDINGS_WITHOUT_POSITIVE")
    return tuple(kept)


def answers_screening(assessment_day: date, screening: RiskScreening | None) -> bool:
    """An assessment dated on or after a positive screening is the one it asked for."""
    return (
        screening is not None and screening.positive and assessment_day >= screening.screening_date
    )
