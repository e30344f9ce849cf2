"""Who applies for a first certificate, and when (DOMAIN §4.3, first issuance), as plain
Python: no gRPC, no SQL.

- The mother applies in person, or another person with her signed authorization: the
  certificate records which, and for an authorized person their name, their relationship to
  the child and the reference of the authorization on file.
- The father's information left blank (the mother's written statement): the mother applies in
  person (``MOTHER_MUST_APPLY_IN_PERSON``); she signs the statement at the counter.
- Late applications (Zhejiang): more than ``explanation_days`` (30) after the birth an
  explanation is required, more than ``parentage_days`` (365, "1 year") a parentage test too.
  Days are counted between the China Standard Time days of the birth and of the application,
  so a birth late in the evening is not a day older for an application the next morning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rhip.kit.errors import FailedPrecondition, Violations
from rhip.kit.timestamps import clinical_day
from rhip.mch.certificates.domain import Applicant, ApplicantKind, check_text


def check_applicant(given: Applicant, path: str, checks: Violations) -> Applicant:
    """The applicant as recorded, or violations: a kind is required; an authorized person
    needs a name, a relationship and the authorization's reference; when the mother applies
    they stay blank (a name there would be a second person the record does not explain)."""
    name = check_text(given.name, f"{path}.name", checks, required=False, limit=50)
    relationship = check_text(given.relationship, f"{path}.relationship", checks,
                              required=False, limit=20)  # fmt: skip
    reference = check_text(given.authorization_ref, f"{path}.authorization_ref", checks,
                           required=False, limit=100)  # fmt: skip
    if given.kind is None:
        checks.add(f"{path}.kind", "the mother in person, or a person she authorized",
                   "APPLICANT_REQUIRED")  # fmt: skip
    elif given.kind is ApplicantKind.AUTHORIZED_PERSON:
        for value, field in ((name, "name"), (relationship, "relationship"),
                             (reference, "authorization_ref")):  # fmt: skip
            if not value:
                checks.add(f"{path}.{field}", "must be set for an authorized person",
                           "FIELD_REQUIRED")  # fmt: skip
    else:
        for value, field in ((name, "name"), (relationship, "relationship"),
                             (reference, "authorization_ref")):  # fmt: skip
            if value:
                checks.add(f"{path}.{field}", "stays blank when the mother applies in person",
                           "APPLICANT_IS_MOTHER")  # fmt: skip
    return Applicant(given.kind, name, relationship, reference)


def require_in_person(applicant: Applicant, father_unknown_statement: bool) -> None:
    """The mother who leaves the father's fields blank signs her statement in person."""
    if father_unknown_statement and applicant.kind is not ApplicantKind.MOTHER:
        raise FailedPrecondition(
            "the father's information is left blank on the mother's statement: the mother "
            "applies in person", reason="MOTHER_MUST_APPLY_IN_PERSON",
        )  # fmt: skip


@dataclass(frozen=True)
class Lateness:
    """How late a first application is, and what that asks for."""

    days: int  # whole China Standard Time days from the birth to the application
    explanation_required: bool
    parentage_test_required: bool


def lateness(born: datetime, applied: datetime, explanation_days: int,
             parentage_days: int) -> Lateness:  # fmt: skip
    days = (clinical_day(applied) - clinical_day(born)).days
    return Lateness(days, days > explanation_days, days > parentage_days)


def require_late_application(late: Lateness, explanation: str, parentage_test_ref: str) -> None:
    """A late application's explanation, then (over a year) its parentage test."""
    metadata = {"days_since_birth": str(late.days)}
    if late.explanation_required and not explanation:
        raise FailedPrecondition(
            f"applied for {late.days} days after the birth: a late application needs an "
            "explanation (late_application_explanation)",
            reason="LATE_APPLICATION_EXPLANATION_REQUIRED", metadata=metadata,
        )  # fmt: skip
    if late.parentage_test_required and not parentage_test_ref:
        raise FailedPrecondition(
            f"applied for {late.days} days after the birth: an application after a year needs "
            "a parentage test (its reference in parentage_test_ref)",
            reason="PARENTAGE_TEST_REQUIRED", metadata=metadata,
        )  # fmt: skip
