"""Record transfers as plain Python (档随人走, docs/domain §2.7): the transfer state machine,
escalation to the administrators of both sides, consent, and the transfer as read with the
decisions that move it on. No gRPC, no SQL."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from rhip.archives.common import parse_date
from rhip.kit.errors import FailedPrecondition, Violations, invalid


class TransferState(Enum):
    PENDING = "pending"
    COMPLETED = "completed"
    DECLINED = "declined"
    HANDING_OVER = "handing_over"
    ESCALATED = "escalated"
    CLOSED = "closed"
    ABANDONED = "abandoned"


# The transfer state machine: which decisions a transfer in each state accepts. Across cells
# the source passes through HANDING_OVER (confirmed, the bundle on its way to the destination
# cell): it cannot be declined any more, and a retry of the confirm re-sends the idempotent
# import and completes it, so the record ends in exactly one place.
#
# Escalation (the two institutions cannot agree): after a decline, or a PENDING request left
# unanswered for RHIP_ARCHIVES_TRANSFER_ESCALATION_DAYS, either institution escalates; an
# ESCALATED transfer needs the county/district administrators of both sides (or one above
# them) to approve, and then proceeds like a confirm (HANDING_OVER across cells, COMPLETED within one); either side's
# rejection with a reason CLOSES it for good.
#
# ABANDONED (cross-cell): a PENDING request the source cell never acknowledged, because it
# refused to open it or could not be reached and then withdrew it (or, never having seen it,
# remembers it as abandoned so a late open opens nothing). Nothing is held for it anywhere.
TRANSFER_MOVES: dict[TransferState, frozenset[TransferState]] = {
    TransferState.PENDING: frozenset(
        {
            TransferState.COMPLETED,
            TransferState.DECLINED,
            TransferState.HANDING_OVER,
            TransferState.ESCALATED,
            TransferState.ABANDONED,
        }
    ),
    TransferState.DECLINED: frozenset({TransferState.ESCALATED}),
    TransferState.ESCALATED: frozenset(
        {TransferState.HANDING_OVER, TransferState.COMPLETED, TransferState.CLOSED}
    ),
    TransferState.HANDING_OVER: frozenset({TransferState.COMPLETED}),
    TransferState.COMPLETED: frozenset(),
    TransferState.CLOSED: frozenset(),
    TransferState.ABANDONED: frozenset(),
}


# A cross-cell request the source has not acknowledged for this long is withdrawn there by
# the destination's sweep (far longer than a cross-cell call may take).
UNACKNOWLEDGED_AFTER = timedelta(minutes=10)


def validate_reason_code(value: str, field: str = "reason") -> str:
    """An UPPER_SNAKE reason code (``SOURCE_UNREACHABLE``), at most 100 characters."""
    if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,99}", value):
        raise invalid(field, "must be an UPPER_SNAKE code of at most 100 characters", "REASON_CODE")
    return value


def require_transfer_move(current: TransferState, target: TransferState) -> None:
    if target not in TRANSFER_MOVES[current]:
        raise FailedPrecondition(
            f"a {current.name} transfer cannot become {target.name}",
            reason="TRANSFER_STATE",
            metadata={"state": current.name},
        )


class Side(Enum):
    """The two sides of a transfer: the institution keeping the record and the one asking."""

    SOURCE = "source"
    DESTINATION = "destination"


def require_escalation(
    state: TransferState, create_time: datetime, now: datetime, after_days: int
) -> None:
    """A transfer escalates after a decline, or when PENDING for ``after_days`` days."""
    if state is TransferState.PENDING and now - create_time < timedelta(days=after_days):
        raise FailedPrecondition(
            f"the managing institution has {after_days} days to answer before escalation",
            reason="ESCALATION_TOO_EARLY",
            metadata={"after_days": str(after_days)},
        )
    require_transfer_move(state, TransferState.ESCALATED)


def approved_by_both(approvals: Mapping[str, str]) -> bool:
    return all(approvals.get(side.value) for side in Side)


CONSENT_METHODS = frozenset({"signed_form", "verbal_witnessed", "app"})


def check_consent(method: str, day_text: str, reference: str, today: date) -> dict[str, str]:
    checks = Violations()
    if method not in CONSENT_METHODS:
        checks.add(
            "consent.method", "must be signed_form, verbal_witnessed or app", "CONSENT_REQUIRED"
        )
    checks.check(parse_date, day_text, "consent.consent_date", today=today, required=True)
    if len(reference) > 200:
        checks.add("consent.reference", "must be at most 200 characters", "TEXT_TOO_LONG")
    checks.raise_if_any()
    return {"method": method, "consent_date": day_text, "reference": reference.strip()}


@dataclass(frozen=True)
class IdentityDocument:
    """The resident's document a cross-cell request names (identity's IdentityDocument as
    sent: its kind, number and, for a passport, issuing country)."""

    type: int
    number: str
    issuing_country: str = ""


@dataclass(frozen=True)
class Transfer:
    transfer_id: str
    record_id: str
    record_number: str
    resident_id: str
    source_tenant_id: str
    source_scope: str
    destination_tenant_id: str
    destination_region: str
    destination_scope: str
    state: TransferState
    consent: dict[str, str]
    reason: str
    decline_reason: str
    moved_plans: int
    create_time: datetime
    decide_time: datetime | None
    peer_region: str = ""  # cross-cell: the other side's region; "" within the cell
    # Escalation: by (side), reason, time (ISO), approvals {side: subject}, last_approval
    # (side), close_reason, closed_by (side); empty when never escalated.
    escalation: dict[str, Any] = field(default_factory=dict)
    abandon_reason: str = ""  # ABANDONED: why (the source's error reason)

    def withheld(self) -> Transfer:
        """Without the source's record id, number and managing institution."""
        return replace(self, record_id="", record_number="", source_tenant_id="")

    def answered(self, record_id: str, record_number: str, source_tenant_id: str) -> Transfer:
        """Cross-cell, destination side: what the source cell answered to the open."""
        return replace(
            self,
            record_id=record_id,
            record_number=record_number,
            source_tenant_id=source_tenant_id,
        )

    def declined(self, reason: str, now: datetime) -> Transfer:
        return replace(self, state=TransferState.DECLINED, decline_reason=reason, decide_time=now)

    def abandoned(self, reason: str, now: datetime) -> Transfer:
        return replace(self, state=TransferState.ABANDONED, abandon_reason=reason, decide_time=now)

    def handing_over(self, now: datetime) -> Transfer:
        return replace(self, state=TransferState.HANDING_OVER, decide_time=now)

    def completed(self, moved_plans: int, now: datetime) -> Transfer:
        return replace(
            self, state=TransferState.COMPLETED, moved_plans=moved_plans, decide_time=now
        )

    def imported(
        self, record_id: str, record_number: str, moved_plans: int, now: datetime
    ) -> Transfer:
        """Cross-cell, destination side: completed, under the record's id and number here."""
        done = self.completed(moved_plans, now)
        return replace(done, record_id=record_id, record_number=record_number)

    def escalated(self, side: Side, reason: str, now: datetime) -> Transfer:
        escalation: dict[str, Any] = {
            "by": side.value, "reason": reason, "time": now.isoformat(), "approvals": {},
            "close_reason": "", "closed_by": "",
        }  # fmt: skip
        return replace(self, state=TransferState.ESCALATED, escalation=escalation)

    def awaiting_approval(self, sides: list[Side]) -> list[Side]:
        """Those of ``sides`` whose administrators have not approved yet."""
        approvals = self.escalation.get("approvals", {})
        return [side for side in sides if not approvals.get(side.value)]

    def approved(self, sides: list[Side], subject: str) -> Transfer:
        """Approved by ``subject`` for ``sides`` (none of which approved before)."""
        approvals = dict(self.escalation.get("approvals", {}))
        for side in sides:
            approvals[side.value] = subject
        escalation = {**self.escalation, "approvals": approvals, "last_approval": sides[-1].value}
        return replace(self, escalation=escalation)

    def closed(self, side: Side, reason: str, now: datetime) -> Transfer:
        escalation = {**self.escalation, "close_reason": reason, "closed_by": side.value}
        return replace(self, state=TransferState.CLOSED, escalation=escalation, decide_time=now)
