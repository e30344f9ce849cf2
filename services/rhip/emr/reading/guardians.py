"""Who gives a consent to read a resident's records: the resident, or her guardian. PIPL art. 31:
processing the personal information of a minor under 14 needs the consent of the minor's parent
or other guardian, so a consent for a resident under 14 on its first day is the guardian's. A
guardian may also consent for an adult without capacity, which the platform cannot tell, so a
guardian's consent is accepted at any age. Only the relationship is kept, no guardian's name or
number. No gRPC, no SQL."""

from __future__ import annotations

from datetime import date
from enum import Enum

from rhip.kit.errors import Violations

GUARDIAN_BELOW_AGE = 14


class ConsentGiver(Enum):
    RESIDENT = "RESIDENT"
    GUARDIAN = "GUARDIAN"


class GuardianRelationship(Enum):
    MOTHER = "MOTHER"
    FATHER = "FATHER"
    OTHER = "OTHER"


def age_on(birth: date, day: date) -> int:
    """Whole years on ``day``: a birthday counts from that day; one on 29 February from 1 March
    in other years."""
    before_birthday = (day.month, day.day) < (birth.month, birth.day)
    return day.year - birth.year - before_birthday


def check_giver(
    giver: ConsentGiver,
    relationship: GuardianRelationship | None,
    birth: date | None,
    first_day: date,
    checks: Violations,
) -> None:
    """A guardian names the relationship; the resident herself names none; a resident under 14
    on the consent's first day consents through her guardian."""
    if giver is ConsentGiver.GUARDIAN and relationship is None:
        checks.add(
            "consent.guardian_relationship",
            "a guardian's consent names the guardian's relationship",
            "GUARDIAN_RELATIONSHIP_REQUIRED",
        )
    if giver is ConsentGiver.RESIDENT and relationship is not None:
        checks.add(
            "consent.guardian_relationship",
            "only a guardian's consent names a relationship",
            "GUARDIAN_RELATIONSHIP_WITHOUT_GUARDIAN",
        )
    if (
        giver is ConsentGiver.RESIDENT
        and birth is not None
        and age_on(birth, first_day) < GUARDIAN_BELOW_AGE
    ):
        checks.add(
            "consent.given_by",
            f"the resident is under {GUARDIAN_BELOW_AGE}: her guardian gives the consent "
            "(PIPL art. 31)",
            "GUARDIAN_CONSENT_REQUIRED",
        )
