"""The cross-cell side of a referral (a Xuzhou clinic to a Zaozhuang hospital, through the
gateway; docs/architecture.md §1): the receiving cell's copy opened by the sending cell, and
the moves each side relays to the other before committing its own. Only another cell's own
account calls these, on behalf of one of its users, and only for that user's institution's
side of the referral; every call is idempotent, so a retry after either cell died mid-way
leaves one referral in one consistent state on both sides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from rhip.kit.authn import Principal
from rhip.kit.crosscell import require_peer_cell
from rhip.kit.errors import FailedPrecondition, NotFound, PermissionDenied, Violations, invalid
from rhip.kit.tenancy import is_within, region_path, tenant_scope
from rhip.kit.timestamps import clinical_day
from rhip.referral.referrals import domain
from rhip.referral.referrals.domain import (
    ACTION_INTO,
    RECEIVER_MOVES,
    Action,
    Direction,
    Referral,
    State,
)
from rhip.referral.referrals.moves import MoveUseCases
from rhip.referral.timeline import enqueue_referral_move


class CrossCellReferrals(MoveUseCases):
    def _peer_user(self) -> tuple[Principal, Principal]:
        caller, original = require_peer_cell(self.issuer)
        if original.subject == caller.subject or not original.tenant_id:
            raise PermissionDenied(
                "only another cell, on behalf of one of its clinicians, calls this",
                reason="CROSS_CELL_CALLER",
            )
        return caller, original

    def open_copy(self, sent: Referral, checks: Violations) -> Referral:
        """Receiving side: the copy of a referral the other cell submitted."""
        caller, original = self._peer_user()
        domain.check_form(
            sent.outward, domain.OUTWARD_FIELDS, domain.OUTWARD_REQUIRED, "referral.outward",
            checks,
        )  # fmt: skip
        checks.raise_if_any()
        if original.tenant_id != sent.sender_tenant_id or not is_within(
            region_path(original.region_code), region_path(caller.region_code)
        ):
            raise PermissionDenied(
                "a cell opens referrals of its own clinicians' institutions only",
                reason="CROSS_CELL_CALLER",
            )
        receiver = self._receiver(sent.receiver_tenant_id, sent.receiver_region)
        if sent.direction is Direction.DOWN and not receiver.grassroots:
            raise invalid(
                "referral.direction",
                "a downward referral goes to a grassroots institution",
                "DOWN_TO_GRASSROOTS",
            )
        now = self.clock()
        copy = replace(
            sent,
            sender_region=original.region_code,
            sender_scope=tenant_scope(original.region_code, original.tenant_id),
            receiver_scope=tenant_scope(receiver.region_code, receiver.tenant_id),
            managing_scope="",  # the record stays in the sending cell
            peer_region=original.region_code,
            sender_here=False,
            state=State.SUBMITTED,
            create_time=now,
            update_time=now,
        )
        with self._unit() as repo:
            earlier = repo.get(sent.referral_id, lock=True)
            if earlier is not None:  # a retry of the open
                if earlier.sender_tenant_id != sent.sender_tenant_id:
                    raise PermissionDenied("not this cell's referral", reason="CROSS_CELL_CALLER")
                if _withdrawn_unconfirmed(earlier):  # submitted after all: open again
                    repo.move(earlier, State.SUBMITTED, original.subject, now, "", sent.deadline)
                    self._audit(repo, "referral.reopen", earlier, peer_region=earlier.peer_region)
                    reopened = repo.get(sent.referral_id)
                    assert reopened is not None
                    return reopened
                return earlier
            repo.add(copy, "")
            repo.transition(copy.referral_id, State.SUBMITTED, original.subject, now)
            self._audit(repo, "referral.open", copy, peer_region=copy.peer_region)
            stored = repo.get(copy.referral_id)
        assert stored is not None
        return stored

    def relay_in(
        self,
        referral_id: str,
        target: State | None,
        reason: str,
        return_form: Mapping[str, str],
        deadline: datetime | None,
        card_code: str = "",
    ) -> Referral:
        """Either side: the move the other side's institution made, made here too."""
        caller, original = self._peer_user()
        action = ACTION_INTO.get(target) if target is not None else None
        if action is None or action is Action.SUBMIT:
            raise invalid("state", "is not a move another cell relays", "REFERRAL_STATE")
        now = self.clock()
        with self._unit() as repo:
            referral = repo.get(referral_id, lock=True)
            if referral is None or not referral.peer_region:
                raise NotFound(f"referrals/{referral_id} does not cross cells here")
            theirs = action in RECEIVER_MOVES
            party = referral.receiver_tenant_id if theirs else referral.sender_tenant_id
            if (
                theirs != referral.sender_here
                or original.tenant_id != party
                or not is_within(region_path(referral.peer_region), region_path(caller.region_code))
            ):
                raise PermissionDenied(
                    "only the other side's institution makes this move",
                    reason="CROSS_CELL_CALLER",
                )
            if referral.state is target:  # a retry: made already
                return referral
            assert target is not None
            if referral.sender_here and referral.state is State.DRAFT:
                # The other cell holds a copy of a submission never committed here.
                raise FailedPrecondition(
                    "the referral was never submitted in the sending cell",
                    reason=domain.NOT_SUBMITTED,
                )
            domain.next_state(referral.state, action)
            changes: dict[str, object] = {}
            if card_code and target is State.IN_CARE:  # scanned at the receiver, issued here
                self._check_card(card_code, referral)
            if target is State.ACCEPTED:
                changes["accept_seconds"] = referral.seconds_since_submitted(now)
            if target is State.RETURNED:
                changes["return_form"] = dict(return_form)
                if referral.snapshot is not None:  # the record is here: its follow-up task too
                    due = clinical_day(now) + timedelta(days=domain.FOLLOW_UP_DAYS)
                    task = self.peers.referral_task(
                        referral.snapshot.record_id, referral.referral_id, due
                    )
                    changes.update(follow_up_task=task.name, follow_up_due=task.due_date)
            self._in_history(referral, None, target, original.subject)
            if target in domain.TIMED and deadline is None:
                raise FailedPrecondition("a deadline is required", reason="DEADLINE_REQUIRED")
            repo.move(
                referral, target, original.subject, now, reason,
                deadline if target in domain.TIMED else None, **changes,
            )  # fmt: skip
            self._audit(
                repo, f"referral.{action.value}", referral, state=target.value,
                peer_region=referral.peer_region,
            )  # fmt: skip
            moved = repo.get(referral_id)
            if self.timeline and moved is not None:  # the other side's move, on this timeline
                enqueue_referral_move(repo.s, moved, target.value, now, self.names)
        assert moved is not None
        return moved


def _withdrawn_unconfirmed(referral: Referral) -> bool:
    """A receiving copy withdrawn because its submission was never committed in the sending
    cell (moves.py: ``_withdraw_unconfirmed``)."""
    last = referral.transitions[-1] if referral.transitions else None
    return (
        referral.state is State.CANCELLED
        and last is not None
        and last.reason == domain.WITHDRAWN_UNCONFIRMED
    )
