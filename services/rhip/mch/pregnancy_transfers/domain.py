"""Pregnancy transfers as plain Python: a woman who moves (to another community health centre
of the cell, say) has her open pregnancy's management moved to another institution. Either
side asks — the managing institution (the source) naming the institution she goes to, or that
institution (the target) naming the woman who came to it — and the other side answers:
PENDING → ACCEPTED or DECLINED (with a reason); the side that asked may withdraw it while
pending (WITHDRAWN, with a reason); nothing follows a decided transfer. The child transfer's
states (child_transfers/domain.py) without its cross-cell hand-over. No gRPC, no SQL."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum

from rhip.kit.errors import PermissionDenied
from rhip.mch.child_transfers.domain import TransferState


class Party(Enum):
    """A side of a transfer: the institution that manages her (source) or the one that is to
    (target)."""

    SOURCE = "source"
    TARGET = "target"

    @property
    def other(self) -> Party:
        return Party.TARGET if self is Party.SOURCE else Party.SOURCE


@dataclass(frozen=True)
class PregnancyTransfer:
    transfer_id: str
    pregnancy_id: str
    resident_id: str
    source_tenant_id: str
    source_scope: str
    target_tenant_id: str
    target_scope: str
    requested_by: Party  # the side that asked; the other one answers
    state: TransferState
    reason: str
    create_time: datetime
    decide_time: datetime | None = None
    decline_reason: str = ""
    withdraw_reason: str = ""
    target_name: str = ""  # the target institution's name when it was asked (never logged)

    def scope_of(self, party: Party) -> str:
        return self.source_scope if party is Party.SOURCE else self.target_scope

    def require_pending(self) -> None:
        self.state.require_pending()

    def accepted(self, now: datetime) -> PregnancyTransfer:
        return replace(self, state=TransferState.ACCEPTED, decide_time=now)

    def declined(self, reason: str, now: datetime) -> PregnancyTransfer:
        return replace(self, state=TransferState.DECLINED, decline_reason=reason, decide_time=now)

    def withdrawn(self, reason: str, now: datetime) -> PregnancyTransfer:
        return replace(self, state=TransferState.WITHDRAWN, withdraw_reason=reason, decide_time=now)


def only(party: Party, what: str) -> PermissionDenied:
    """The refusal to a caller of the wrong side: ``SOURCE_ONLY`` or ``TARGET_ONLY`` (the
    child transfer's reasons), naming the side that may."""
    side = "managing" if party is Party.SOURCE else "target"
    return PermissionDenied(
        f"only the {side} institution {what} this transfer",
        reason=f"{party.name}_ONLY",
    )
