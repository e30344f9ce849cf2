"""Teleconsultation (远程医疗, docs/domain §5.2, §9) as plain Python: the cooperation
agreement and the written consent that guard a request, the state machine, the opinion
report's digest, and the retention of reports (15 years outpatient, 30 inpatient) and
recordings (3 years, configurable upward). No gRPC, no SQL."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from rhip.kit.errors import FailedPrecondition, PermissionDenied, Violations
from rhip.kit.practice import TITLES
from rhip.kit.requests import check_no_controls
from rhip.kit.tenancy import is_within, region_path
from rhip.kit.timestamps import parse_iso_date


class TState(Enum):
    REQUESTED = "REQUESTED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    SCHEDULED = "SCHEDULED"
    IN_SESSION = "IN_SESSION"
    AWAITING_REPORT = "AWAITING_REPORT"
    REPORTED = "REPORTED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


# move → (states it leaves, state it enters, which side makes it: inviting, invited, either)
MOVES: dict[str, tuple[frozenset[TState], TState, str]] = {
    "accept": (frozenset({TState.REQUESTED}), TState.ACCEPTED, "invited"),
    "decline": (frozenset({TState.REQUESTED}), TState.DECLINED, "invited"),
    "schedule": (frozenset({TState.ACCEPTED, TState.SCHEDULED}), TState.SCHEDULED, "either"),
    "start": (frozenset({TState.SCHEDULED}), TState.IN_SESSION, "either"),
    "end": (frozenset({TState.IN_SESSION}), TState.AWAITING_REPORT, "either"),
    "report": (frozenset({TState.AWAITING_REPORT}), TState.REPORTED, "invited"),
    "decide": (frozenset({TState.REPORTED}), TState.CLOSED, "inviting"),
    "cancel": (
        frozenset({TState.REQUESTED, TState.ACCEPTED, TState.SCHEDULED}),
        TState.CANCELLED,
        "inviting",
    ),
}

REQUEST_FIELDS = {
    "reason": 1000,
    "purpose": 1000,
    "record_summary": 4000,
    "specialty": 50,
    "title_wanted": 50,
}
AGREEMENT_FIELDS = {"scope": 2000, "liability": 4000}
SIGNERS = frozenset({"patient", "guardian"})
# Retention (docs/domain §5.2): reports as medical records, recordings as process records.
OUTPATIENT_YEARS, INPATIENT_YEARS = 15, 30
MIN_RECORDING_DAYS = 3 * 365
# Staffing (docs/domain §5.2, [U]): the invited side's physician has ≥ 3 years of independent
# clinical practice; configurable upward only.
MIN_PRACTICE_YEARS = 3
_TITLE_IN_TEXT = {
    "住院医师": re.compile("住院医师"),
    "主治医师": re.compile("主治医师"),
    "副主任医师": re.compile("副主任医师"),
    "主任医师": re.compile("(?<!副)主任医师"),
}


def move(current: TState, name: str) -> TState:
    sources, target, _ = MOVES[name]
    if current not in sources:
        raise FailedPrecondition(
            f"a {current.value} teleconsultation cannot be {name}ed",
            reason="TELECONSULTATION_STATE",
            metadata={"state": current.value},
        )
    return target


def check_texts(
    values: dict[str, str], limits: dict[str, int], prefix: str, checks: Violations
) -> dict[str, str]:
    clean = {}
    for name, limit in limits.items():
        value = (values.get(name) or "").strip()
        path = f"{prefix}.{name}" if prefix else name
        if not value:
            checks.add(path, "must be set", "FIELD_REQUIRED")
        elif len(value) > limit:
            checks.add(path, f"must be at most {limit} characters", "FIELD_TOO_LONG")
        else:
            checks.check(check_no_controls, value, path, multiline=limit > 100)
        clean[name] = value
    return clean


@dataclass(frozen=True)
class Agreement:
    agreement_id: str
    inviting_tenant_id: str
    inviting_scope: str
    invited_tenant_id: str
    invited_scope: str
    scope_text: str
    start_date: date
    end_date: date
    liability: str
    create_time: datetime
    # The other institution's region code when it is in another cell ("" within one cell).
    peer_region: str = ""

    def in_force(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date

    @property
    def peer_side(self) -> str:
        """Across cells, the side in the other cell (``inviting`` or ``invited``); "" else."""
        return _peer_side(self.inviting_scope, self.peer_region)

    def same_terms(self, other: Agreement) -> bool:
        """The same agreement (a retry of its opening), whatever each cell recorded about it."""
        fields = ("inviting_tenant_id", "invited_tenant_id", "scope_text", "start_date", "end_date", "liability")  # fmt: skip
        return all(getattr(self, f) == getattr(other, f) for f in fields)


def _peer_side(inviting_scope: str, peer_region: str) -> str:
    if not peer_region:
        return ""
    return "inviting" if is_within(inviting_scope, region_path(peer_region)) else "invited"


def check_period(start: str, end: str, checks: Violations) -> tuple[date | None, date | None]:
    first = checks.check(parse_iso_date, start, "agreement.start_date") if start else None
    last = checks.check(parse_iso_date, end, "agreement.end_date") if end else None
    if not start:
        checks.add("agreement.start_date", "must be set", "DATE_REQUIRED")
    if not end:
        checks.add("agreement.end_date", "must be set", "DATE_REQUIRED")
    if first and last and last < first:
        checks.add("agreement.end_date", "must not be before start_date", "DATE_ORDER")
    return first, last


def check_consent(signer: str, day: str, reference: str, today: date, checks: Violations) -> dict[str, str] | None:  # fmt: skip
    """Written informed consent of the patient or guardian, on file (CONSENT_REQUIRED)."""
    if not (signer or day or reference.strip()):
        checks.add(
            "teleconsultation.consent", "written consent of the patient or guardian is required",
            "CONSENT_REQUIRED",
        )  # fmt: skip
        return None
    if signer not in SIGNERS:
        checks.add(
            "teleconsultation.consent.signer", "must be patient or guardian", "CONSENT_SIGNER"
        )
    signed = (
        checks.check(parse_iso_date, day, "teleconsultation.consent.consent_date") if day else None
    )
    if not day:
        checks.add("teleconsultation.consent.consent_date", "must be set", "CONSENT_REQUIRED")
    elif signed is not None and signed > today:
        checks.add(
            "teleconsultation.consent.consent_date", "must not be in the future", "DATE_IN_FUTURE"
        )
    if not reference.strip():
        checks.add(
            "teleconsultation.consent.reference",
            "the signed paper's reference is required",
            "CONSENT_REQUIRED",
        )
    if signer not in SIGNERS or signed is None or not reference.strip():
        return None
    return {"signer": signer, "consent_date": signed.isoformat(), "reference": reference.strip()[:100]}  # fmt: skip


@dataclass(frozen=True)
class Teleconsultation:
    teleconsultation_id: str
    inviting_tenant_id: str
    inviting_scope: str
    invited_tenant_id: str
    invited_scope: str
    agreement_id: str
    resident_id: str
    form: dict[str, Any]  # reason, purpose, record_summary, specialty, title_wanted, proposed
    consent: dict[str, str]
    state: TState
    create_time: datetime
    update_time: datetime
    physician: str = ""
    scheduled_time: datetime | None = None
    reason_closed: str = ""
    recording: str = ""
    session_end: datetime | None = None
    report: dict[str, Any] = field(default_factory=dict)
    decision: str = ""
    # The other institution's region code when it is in another cell ("" within one cell):
    # both cells hold the teleconsultation under the same id and relay every move.
    peer_region: str = ""

    @property
    def peer_side(self) -> str:
        """Across cells, the side in the other cell (``inviting`` or ``invited``); "" else."""
        return _peer_side(self.inviting_scope, self.peer_region)

    def same_request(self, other: Teleconsultation) -> bool:
        """The same request (a retry of its opening): parties, resident, form and consent."""
        fields = ("inviting_tenant_id", "invited_tenant_id", "agreement_id", "resident_id", "consent")  # fmt: skip
        mine = {k: v for k, v in self.form.items() if k != "consultant"}
        theirs = {k: v for k, v in other.form.items() if k != "consultant"}
        return mine == theirs and all(getattr(self, f) == getattr(other, f) for f in fields)


# An invited cell's copy whose request the inviting cell never stored (its commit failed
# after the opening and the clinic never retried): a move the inviting cell answers with
# NOT_SHARED withdraws it, once the copy is older than any call's deadline could keep a
# commit of that request in flight there (until then: try again later). A retry of the
# request opens the withdrawn copy again.
NOT_SHARED = "TELECONSULTATION_NOT_SHARED"
UNCONFIRMED_AFTER = timedelta(minutes=10)
WITHDRAWN_UNCONFIRMED = "withdrawn: the request was never completed in the inviting cell"

# The move that enters each state (what another cell relays is the state it moved to).
MOVE_INTO = {target: name for name, (_, target, _) in MOVES.items()}


def report_digest(t: Teleconsultation, text: str, physician: str, signed: datetime, inpatient: bool) -> str:  # fmt: skip
    """SHA-256 over a canonical form of what the physician signs (the report and its context)."""
    body = {
        "teleconsultation": t.teleconsultation_id,
        "inviting_tenant": t.inviting_tenant_id,
        "invited_tenant": t.invited_tenant_id,
        "resident": t.resident_id,
        "physician": physician,
        "text": text,
        "inpatient": inpatient,
        "sign_time": signed.isoformat(),
    }
    if t.form.get("consultant"):  # the physician's declared title and practice start
        body["consultant"] = t.form["consultant"]
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def recording_kept_until(t: Teleconsultation, days: int) -> datetime | None:
    return t.session_end + timedelta(days=days) if t.session_end else None


def full_years(since: date, today: date) -> int:
    years = today.year - since.year
    return years - 1 if (today.month, today.day) < (since.month, since.day) else years


def wanted_rank(title_wanted: str) -> int | None:
    """The lowest clinical title the request names (``副主任医师及以上`` → 副主任医师), or None
    when it names none (free text the rule cannot read)."""
    ranks = [i for i, t in enumerate(TITLES) if _TITLE_IN_TEXT[t].search(title_wanted)]
    return min(ranks) if ranks else None


def check_staffing(title: str, since: date, title_wanted: str, today: date, min_years: int) -> None:
    """PERMISSION_DENIED unless the consulting physician meets the staffing rule: at least
    ``min_years`` of independent practice, and a title no lower than the one requested."""
    years = full_years(since, today)
    if years < min_years:
        raise PermissionDenied(
            f"the consulting physician needs at least {min_years} years of independent "
            f"practice (has {years})",
            reason="PRACTICE_YEARS_REQUIRED",
            metadata={"required_years": str(min_years), "years": str(years)},
        )
    wanted = wanted_rank(title_wanted)
    if wanted is not None and TITLES.index(title) < wanted:
        raise PermissionDenied(
            f"the request asks for a {TITLES[wanted]} or above",
            reason="TITLE_BELOW_REQUESTED",
            metadata={"title_wanted": TITLES[wanted]},
        )
