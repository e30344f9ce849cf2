"""Child transfers as plain Python: the transfer as read, its state machine (PENDING →
ACCEPTED or DECLINED, nothing after), the school-entry age of a handover to a school-health
institution, and the checks of a request. No gRPC, no SQL. The source may withdraw a transfer
while it is pending (WITHDRAWN, with its reason); nothing follows a decided transfer.

The same guarantees as archives' record transfer (档随人走): the guardian's consent on file,
the target's acceptance, one record that changes hands (nothing copied, nothing left behind)
and the transfer itself kept as the source's trace of whom the child went to and when."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import Enum

from rhip.kit.errors import FailedPrecondition, Violations
from rhip.mch.children.domain import MAX_AGE_MONTHS, add_months

# School entry (入学): children start school at 6, some a little earlier or later; a handover
# to a school-health institution from 5½ until child health management ends at 7.
SCHOOL_ENTRY_MONTHS = 66
SCHOOL_QUALIFICATION = "SCHOOL_HEALTH"
MAX_CONSENT_REFERENCE = 200
MAX_REASON = 500


class TransferState(Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    # Across cells: the target accepted and the source's record is on its way (frozen at the
    # source until the target's cell confirms the import, then ACCEPTED).
    HANDING_OVER = "handing_over"

    def require_pending(self) -> None:
        """Nothing follows a decided transfer (of a child or a pregnancy)."""
        if self is not TransferState.PENDING:
            raise FailedPrecondition(
                f"the transfer is {self.name} already",
                reason="TRANSFER_STATE",
                metadata={"state": self.name},
            )


class TransferKind(Enum):
    TRANSFER = "transfer"
    SCHOOL_HANDOVER = "school_handover"


@dataclass(frozen=True)
class ChildTransfer:
    transfer_id: str
    record_id: str
    resident_id: str
    source_tenant_id: str
    source_scope: str
    target_tenant_id: str
    target_scope: str
    kind: TransferKind
    state: TransferState
    consent_reference: str
    consent_date: date
    reason: str
    decline_reason: str
    moved_visits: int
    create_time: datetime
    decide_time: datetime | None
    withdraw_reason: str = ""
    target_name: str = ""  # the target institution's name when it was asked (never logged)
    # The other side's region code when it lies in another cell (both cells keep a row under
    # the same transfer id), else "".
    peer_region: str = ""

    def require_pending(self) -> None:
        self.state.require_pending()

    def accepted(self, moved_visits: int, now: datetime) -> ChildTransfer:
        return replace(
            self, state=TransferState.ACCEPTED, moved_visits=moved_visits, decide_time=now
        )

    def declined(self, reason: str, now: datetime) -> ChildTransfer:
        return replace(self, state=TransferState.DECLINED, decline_reason=reason, decide_time=now)

    def handing_over(self) -> ChildTransfer:
        return replace(self, state=TransferState.HANDING_OVER)

    def withdrawn(self, reason: str, now: datetime) -> ChildTransfer:
        return replace(self, state=TransferState.WITHDRAWN, withdraw_reason=reason, decide_time=now)


@dataclass(frozen=True)
class ChildDocument:
    """The child's identity document as sent across cells (never logged)."""

    type: int  # identity's IdentityDocumentType value
    number: str
    issuing_country: str = ""


def check_text(value: str, field: str, limit: int, reason: str, checks: Violations) -> str:
    """Required free text of at most ``limit`` characters, stripped."""
    text = value.strip()
    if not text:
        checks.add(field, "must be set", reason)
    elif len(text) > limit:
        checks.add(field, f"must be at most {limit} characters", "TEXT_TOO_LONG")
    return text


def in_school_entry_age(birth: date, today: date) -> bool:
    return add_months(birth, SCHOOL_ENTRY_MONTHS) <= today < add_months(birth, MAX_AGE_MONTHS)


def require_under_seven(birth: date, today: date) -> None:
    """Child health management (and with it a transfer) ends at 7."""
    if add_months(birth, MAX_AGE_MONTHS) <= today:
        raise FailedPrecondition(
            "child health management covers children under 7", reason="CHILD_TOO_OLD"
        )


def require_school_entry_age(birth: date, today: date) -> None:
    """A handover to a school-health institution only at school entry (5½–7 years)."""
    if not in_school_entry_age(birth, today):
        raise FailedPrecondition(
            "a child is handed over to school health at school entry (5½–7 years)",
            reason="CHILD_NOT_SCHOOL_AGE",
            metadata={"school_entry_from": add_months(birth, SCHOOL_ENTRY_MONTHS).isoformat()},
        )
