"""Two-way referral (双向转诊, docs/domain §5.1, §9) as plain Python: the outward and return
forms with their mandatory fields, the patient's consent, the state machine, the time limits
per region and the health-record snapshot that travels with a referral. No gRPC, no SQL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum

from rhip.kit.errors import FailedPrecondition, Violations
from rhip.kit.requests import check_no_controls
from rhip.kit.timestamps import parse_iso_date


class Direction(Enum):
    UP = "up"  # 上转: to a higher level
    DOWN = "down"  # 下转: to a grassroots institution


class State(Enum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    IN_CARE = "IN_CARE"
    RETURNED = "RETURNED"
    COMPLETED = "COMPLETED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


class Action(Enum):
    SUBMIT = "submit"
    ACCEPT = "accept"
    REJECT = "reject"
    CANCEL = "cancel"
    ADMIT = "admit"
    RETURN = "return"
    COMPLETE = "complete"
    CLOSE = "close"


# The §5.1 state machine: action → (the states it leaves from, the state it enters).
TRANSITIONS: dict[Action, tuple[frozenset[State], State]] = {
    Action.SUBMIT: (frozenset({State.DRAFT}), State.SUBMITTED),
    Action.ACCEPT: (frozenset({State.SUBMITTED}), State.ACCEPTED),
    Action.REJECT: (frozenset({State.SUBMITTED}), State.REJECTED),
    Action.CANCEL: (frozenset({State.DRAFT, State.SUBMITTED, State.ACCEPTED}), State.CANCELLED),
    Action.ADMIT: (frozenset({State.ACCEPTED}), State.IN_CARE),
    Action.RETURN: (frozenset({State.IN_CARE}), State.RETURNED),
    Action.COMPLETE: (frozenset({State.IN_CARE}), State.COMPLETED),
    Action.CLOSE: (frozenset({State.RETURNED}), State.CLOSED),
}
# States with a running time limit (accept by, arrive by).
TIMED = frozenset({State.SUBMITTED, State.ACCEPTED})
# The grassroots follow-up after a return is due within 14 days (§2.6, §5.1).
FOLLOW_UP_DAYS = 14
# A receiving cell's copy whose submission the sending cell never committed (its answer lost
# after the opening, and the clinic did not submit again): the sending cell answers a move of
# it NOT_SUBMITTED, and the copy is withdrawn once older than any call's deadline could keep
# that commit in flight (until then: try again later). A later submission opens it again.
NOT_SUBMITTED = "REFERRAL_NOT_SUBMITTED"
UNCONFIRMED_AFTER = timedelta(minutes=10)
WITHDRAWN_UNCONFIRMED = "withdrawn: the referral was never submitted in the sending cell"


def next_state(current: State, action: Action) -> State:
    sources, target = TRANSITIONS[action]
    if current not in sources:
        raise FailedPrecondition(
            f"a {current.value} referral cannot be {action.value}ed",
            reason="REFERRAL_STATE",
            metadata={"state": current.value},
        )
    return target


# -- forms -------------------------------------------------------------------------------------
OUTWARD_FIELDS = (
    "initial_impression",
    "reason",
    "past_history",
    "treatment_so_far",
    "allergy_history",
    "referring_doctor",
    "referring_doctor_phone",
)
OUTWARD_REQUIRED = frozenset(OUTWARD_FIELDS) - {"allergy_history"}
RETURN_FIELDS = (
    "diagnosis",
    "inpatient_number",
    "examination_results",
    "treatment_so_far",
    "treatment_plan",
    "doctor",
    "doctor_phone",
)
RETURN_REQUIRED = frozenset(RETURN_FIELDS) - {"inpatient_number"}
# One-line fields and their limits; the rest are multi-line text of at most TEXT_MAX.
SHORT_FIELDS = {
    "referring_doctor": 50,
    "referring_doctor_phone": 20,
    "doctor": 50,
    "doctor_phone": 20,
    "inpatient_number": 30,
    "department": 50,
    "receiving_doctor": 50,
}
TEXT_MAX = 2000
CONSENT_METHODS = frozenset({"signed_form", "guardian_signed_form", "verbal_witnessed"})


def check_form(
    form: Mapping[str, str],
    names: tuple[str, ...],
    required: frozenset[str],
    prefix: str,
    checks: Violations,
) -> dict[str, str]:
    """The form's text fields, stripped; every missing mandatory field, over-long or
    control-character field goes into ``checks``."""
    clean: dict[str, str] = {}
    for name in names:
        value = (form.get(name) or "").strip()
        path = f"{prefix}.{name}"
        if not value:
            if name in required:
                checks.add(path, "must be set", "FIELD_REQUIRED")
            clean[name] = ""
            continue
        limit = SHORT_FIELDS.get(name, TEXT_MAX)
        if len(value) > limit:
            checks.add(path, f"must be at most {limit} characters", "FIELD_TOO_LONG")
            continue
        checks.check(check_no_controls, value, path, multiline=name not in SHORT_FIELDS)
        clean[name] = value
    return clean


def check_short(value: str, name: str, path: str, checks: Violations) -> str:
    value = value.strip()
    if len(value) > SHORT_FIELDS[name]:
        checks.add(path, f"must be at most {SHORT_FIELDS[name]} characters", "FIELD_TOO_LONG")
        return ""
    checks.check(check_no_controls, value, path)
    return value


@dataclass(frozen=True)
class Consent:
    method: str
    consent_date: date
    reference: str


def check_consent(
    method: str, day: str, reference: str, today: date, checks: Violations
) -> Consent | None:
    """The patient's consent (患者自愿): required before anything is sent."""
    prefix = "referral.consent"
    if not method and not day:
        checks.add(prefix, "the patient's (or guardian's) consent is required", "CONSENT_REQUIRED")
        return None
    if method not in CONSENT_METHODS:
        checks.add(
            f"{prefix}.method", f"must be one of {', '.join(sorted(CONSENT_METHODS))}",
            "CONSENT_METHOD",
        )  # fmt: skip
    consent_date = None
    if not day:
        checks.add(f"{prefix}.consent_date", "must be set", "DATE_REQUIRED")
    else:
        consent_date = checks.check(parse_iso_date, day, f"{prefix}.consent_date")
        if consent_date is not None and consent_date > today:
            checks.add(f"{prefix}.consent_date", "must not be in the future", "DATE_IN_FUTURE")
    reference = reference.strip()
    if len(reference) > 100:
        checks.add(f"{prefix}.reference", "must be at most 100 characters", "FIELD_TOO_LONG")
    else:
        checks.check(check_no_controls, reference, f"{prefix}.reference")
    if consent_date is None or method not in CONSENT_METHODS:
        return None
    return Consent(method, consent_date, reference)


# -- time limits per region (§5.1: national limits are unknown, so configuration) ----------------
@dataclass(frozen=True)
class TimeLimit:
    accept_hours: int  # the receiver accepts or rejects within this
    arrive_days: int  # the patient arrives within this once accepted


@dataclass(frozen=True)
class TimeLimits:
    default: TimeLimit = TimeLimit(48, 7)
    by_region: Mapping[str, TimeLimit] = field(default_factory=dict)  # region code → limit

    def for_region(self, code: str) -> TimeLimit:
        """The limit of the most specific configured region containing ``code``."""
        for candidate in (code, code[:4] + "00", code[:2] + "0000"):
            if candidate in self.by_region:
                return self.by_region[candidate]
        return self.default

    def deadline(self, state: State, sender_region: str, since: datetime) -> datetime | None:
        limit = self.for_region(sender_region)
        if state is State.SUBMITTED:
            return since + timedelta(hours=limit.accept_hours)
        if state is State.ACCEPTED:
            return since + timedelta(days=limit.arrive_days)
        return None


# The side that makes each move (a relayed move must come from that side's institution).
RECEIVER_MOVES = frozenset(
    {Action.ACCEPT, Action.REJECT, Action.ADMIT, Action.RETURN, Action.COMPLETE}
)
ACTION_INTO = {target: action for action, (_, target) in TRANSITIONS.items()}


@dataclass(frozen=True)
class Draft:
    """CreateReferral's input, as the servicer read it (``direction`` None when unset)."""

    direction: Direction | None
    resident: str
    receiving_tenant: str
    department: str
    receiving_doctor: str
    outward: Mapping[str, str]
    consent_method: str
    consent_date: str
    consent_reference: str
    receiving_region: str = ""  # required when the receiver is in another cell


# -- the referral --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """A copy of the record summary taken on submission: what the receiver sees (codes only,
    never a name, an ID number or a phone)."""

    record_id: str
    record_number: str
    managing_tenant_id: str
    birth_date: str
    blood_type_abo: int
    blood_type_rh: int
    drug_allergies: tuple[int, ...]
    past_diseases: tuple[int, ...]
    take_time: datetime


@dataclass(frozen=True)
class Transition:
    state: State
    actor: str
    time: datetime
    reason: str = ""


@dataclass(frozen=True)
class Referral:
    referral_id: str
    direction: Direction
    resident_id: str
    sender_tenant_id: str
    sender_region: str
    sender_scope: str
    receiver_tenant_id: str
    receiver_scope: str
    department: str
    receiving_doctor: str
    outward: Mapping[str, str]
    consent: Consent | None  # None only in a draft archives' rules opened
    state: State
    create_time: datetime
    update_time: datetime
    managing_scope: str = ""
    snapshot: Snapshot | None = None
    return_form: Mapping[str, str] = field(default_factory=dict)
    follow_up_task: str = ""
    follow_up_due: date | None = None
    deadline: datetime | None = None
    transitions: tuple[Transition, ...] = ()
    receiver_region: str = ""
    # Across cells: the other cell's region code (where the other institution is; calls go
    # there through the gateway), and whether this cell holds the sender's side.
    peer_region: str = ""
    sender_here: bool = True
    suggested_by: str = ""  # the archives task whose rule opened this draft

    def missing(self) -> list[tuple[str, str, str]]:
        """(field, description, reason) of what a draft lacks before it can be sent."""
        gaps = [
            (f"referral.outward.{name}", "must be set", "FIELD_REQUIRED")
            for name in OUTWARD_FIELDS
            if name in OUTWARD_REQUIRED and not self.outward.get(name)
        ]
        if not self.receiver_tenant_id:
            gaps.append(("referral.receiving_tenant", "must be set", "RECEIVER_REQUIRED"))
        if self.consent is None:
            gaps.append(
                ("referral.consent", "the patient's consent is required", "CONSENT_REQUIRED")
            )
        return gaps

    @property
    def scopes(self) -> tuple[str, ...]:
        """Who may see it: both institutions and the record's managing institution (and the
        administrators above each, by the authorizer's subtree rule)."""
        return tuple(s for s in (self.sender_scope, self.receiver_scope, self.managing_scope) if s)

    def seconds_since_submitted(self, now: datetime) -> int:
        """For the acceptance-time indicator: from the last submission to ``now``."""
        submitted = [t.time for t in self.transitions if t.state is State.SUBMITTED]
        return max(0, int((now - submitted[-1]).total_seconds())) if submitted else 0

    def overdue(self, now: datetime) -> bool:
        return self.state in TIMED and self.deadline is not None and self.deadline < now
