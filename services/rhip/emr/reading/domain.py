"""Who may read a resident's documents (issue 16, docs/domain §8): the custodian institution,
or another institution with a basis the platform can check: an active care relationship,
the resident's consent (purpose, document kinds, institution, period; revocable), or a
practitioner's break-glass (a stated reason, time-limited, reviewed). Plain Python."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import Enum

from rhip.emr.documents.domain import DocumentKind
from rhip.emr.reading.guardians import ConsentGiver, GuardianRelationship
from rhip.kit.errors import FailedPrecondition, Violations, invalid
from rhip.kit.requests import check_no_controls

MAX_CONSENT_DAYS = 366
REFERENCE_MAX = 200
PURPOSE_MAX = 200


class ReviewState(Enum):
    PENDING = "PENDING"
    JUSTIFIED = "JUSTIFIED"
    UNJUSTIFIED = "UNJUSTIFIED"


@dataclass(frozen=True)
class Consent:
    consent_id: str
    resident_id: str
    grantee_tenant_id: str
    scope_path: str  # the grantee's tenant scope
    purpose: str
    kinds: tuple[DocumentKind, ...]
    start_date: date
    end_date: date
    reference: str
    recorded_by: str
    create_time: datetime
    revoke_time: datetime | None = None
    revoke_reason: str = ""
    given_by: ConsentGiver = ConsentGiver.RESIDENT
    guardian_relationship: GuardianRelationship | None = None

    def covers(self, tenant_id: str, kind: DocumentKind, today: date) -> bool:
        return (
            self.revoke_time is None
            and self.grantee_tenant_id == tenant_id
            and self.start_date <= today <= self.end_date
            and kind in self.kinds
        )

    def revoked(self, now: datetime, reason: str) -> Consent:
        if self.revoke_time is not None:
            raise FailedPrecondition("the consent is already revoked", reason="CONSENT_REVOKED")
        return replace(self, revoke_time=now, revoke_reason=reason)


@dataclass(frozen=True)
class BreakGlass:
    access_id: str
    resident_id: str
    subject: str
    tenant_id: str
    scope_path: str
    reason: str
    start_time: datetime
    expire_time: datetime
    uses: int = 0
    review_state: ReviewState = ReviewState.PENDING
    review_note: str = ""
    reviewer: str = ""

    def active(self, subject: str, now: datetime) -> bool:
        return self.subject == subject and self.start_time <= now < self.expire_time

    def reviewed(self, state: ReviewState, note: str, reviewer: str) -> BreakGlass:
        if state is ReviewState.PENDING:
            raise invalid("review_state", "must be JUSTIFIED or UNJUSTIFIED", "REVIEW_STATE")
        if self.review_state is not ReviewState.PENDING:
            raise FailedPrecondition("the access is reviewed already", reason="ALREADY_REVIEWED")
        return replace(self, review_state=state, review_note=note, reviewer=reviewer)


def check_consent_terms(
    purpose: str,
    kinds: list[str],
    start: date | None,
    end: date | None,
    reference: str,
    today: date,
    checks: Violations,
) -> tuple[str, tuple[DocumentKind, ...], date, date, str]:
    """Separate consent (PIPL art. 29): a purpose, the data categories, a period, and the
    signed form it rests on; every problem added to ``checks``."""
    purpose, reference = purpose.strip(), reference.strip()
    if not purpose or len(purpose) > PURPOSE_MAX:
        checks.add("consent.purpose", f"must be 1–{PURPOSE_MAX} characters", "PURPOSE_REQUIRED")
    checks.check(check_no_controls, purpose, "consent.purpose")
    if not reference or len(reference) > REFERENCE_MAX:
        checks.add(
            "consent.reference",
            f"the signed form it rests on, 1–{REFERENCE_MAX} characters",
            "CONSENT_REFERENCE_REQUIRED",
        )
    checks.check(check_no_controls, reference, "consent.reference")
    parsed: list[DocumentKind] = []
    if not kinds:
        checks.add("consent.kinds", "name at least one document kind", "KINDS_REQUIRED")
    for i, name in enumerate(kinds[:10]):
        kind = DocumentKind.__members__.get(name)
        if kind is None:
            checks.add(f"consent.kinds[{i}]", "must be a document kind", "KIND_REQUIRED")
        else:
            parsed.append(kind)
    if len(kinds) > 10:
        checks.add("consent.kinds", "must have at most 10 entries", "TOO_MANY_ITEMS")
    start = start or today
    if end is None:
        checks.add("consent.end_date", "must be set", "DATE_REQUIRED")
    elif end < start or end < today:
        checks.add("consent.end_date", "must not be before the start or today", "CONSENT_PERIOD")
    elif (end - start).days > MAX_CONSENT_DAYS:
        checks.add("consent.end_date", "a consent lasts at most a year", "CONSENT_PERIOD")
    if start > today + timedelta(days=MAX_CONSENT_DAYS):
        checks.add("consent.start_date", "must be within a year", "CONSENT_PERIOD")
    return purpose, tuple(dict.fromkeys(parsed)), start, end or start, reference
