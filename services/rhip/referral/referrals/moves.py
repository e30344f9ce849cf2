"""The moves of a referral (§5.1, §9): each by its side, through the state machine, with
actor, time and reason, the record's history, and across cells the other cell first."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from rhip.kit.authn import current_principal
from rhip.kit.errors import FailedPrecondition, Unavailable, Violations
from rhip.kit.idempotency import claim, request_key
from rhip.kit.requests import validate_reason
from rhip.kit.tenancy import tenant_scope
from rhip.kit.timestamps import clinical_day
from rhip.referral.referrals import domain
from rhip.referral.referrals.domain import (
    Action,
    Direction,
    Referral,
    Snapshot,
    State,
)
from rhip.referral.referrals.usecases import ReferralUseCases
from rhip.referral.timeline import enqueue_referral_move

# UpdateReferral's mask paths → the Draft field each replaces ("consent": all three).


# A scanned card code on its way to the other cell (not a column).
CARD = "_health_card_code"


class MoveUseCases(ReferralUseCases):
    def _move(
        self,
        name: str,
        request_id: str,
        method: str,
        sides: str,
        action: Action,
        checks: Violations | None = None,
        reason: str = "",
        work: Callable[[Referral, datetime], dict[str, object]] | None = None,
    ) -> Referral:
        """One transition: checks, the caller's side, the state machine, ``work`` (what else
        the move writes), the transition row, the audit event. A retry with the same request id
        answers the referral as it is."""
        checks = checks or Violations()
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        principal = current_principal()
        now = self.clock()
        try:
            with self._unit() as repo:
                referral = self._load(repo, name, method, sides, lock=True)
                if claim(repo.s, key):
                    return referral
                target = domain.next_state(referral.state, action)
                changes = work(referral, now) if work else {}
                card = str(changes.pop(CARD, ""))
                deadline = self.limits.deadline(target, referral.sender_region, now)
                if referral.peer_region:  # the other cell makes the same move first
                    told = self._tell_peer(referral, action, target, reason, deadline, changes, card)  # fmt: skip
                    changes.update(told)
                self._in_history(referral, changes.get("snapshot"), target, principal.subject)
                repo.move(referral, target, principal.subject, now, reason, deadline, **changes)
                self._audit(repo, f"referral.{action.value}", referral, state=target.value)
                moved = repo.get(referral.referral_id)
                if self.timeline and moved is not None:  # as moved: a submission sets the keeper
                    enqueue_referral_move(repo.s, moved, target.value, now, self.names)
        except FailedPrecondition as refused:  # after the move's transaction rolled back
            if refused.reason != domain.NOT_SUBMITTED:
                raise
            raise self._withdraw_unconfirmed(name, method, sides, now) from None
        assert moved is not None
        return moved

    def _withdraw_unconfirmed(self, name: str, method: str, sides: str, now: datetime) -> Exception:
        """The sending cell never committed the submission of this receiving copy. Withdrawn
        once older than any commit of it there could take (domain.UNCONFIRMED_AFTER); a later
        submission there opens it again (cross_cell.py: ``open_copy``)."""
        with self._unit() as repo:
            copy = self._load(repo, name, method, sides, lock=True)
            if copy.sender_here or copy.state is not State.SUBMITTED:
                return FailedPrecondition(
                    "the sending cell holds this referral in another state", reason="REFERRAL_STATE"
                )
            if now - copy.create_time < domain.UNCONFIRMED_AFTER:
                return Unavailable(
                    "the sending institution's cell has not committed this referral yet: try "
                    "again in a few minutes",
                    reason="REFERRAL_NOT_CONFIRMED",
                    retry_after_seconds=60,
                )
            actor = current_principal().subject
            repo.move(copy, State.CANCELLED, actor, now, domain.WITHDRAWN_UNCONFIRMED)
            self._audit(repo, "referral.withdraw_unconfirmed", copy, peer_region=copy.peer_region)
        return FailedPrecondition(
            "the sending institution never completed this referral's submission in its cell: "
            "it is withdrawn here (a submission there opens it again)",
            reason="REFERRAL_NOT_COMPLETED",
        )

    def _in_history(self, referral: Referral, taken: object, target: State, actor: str) -> None:
        """Every move from submission on appears in the resident's record history (§5.1),
        when the record is in this cell (RETURNED is written with the follow-up task)."""
        snapshot = taken if isinstance(taken, Snapshot) else referral.snapshot
        if snapshot is None or not referral.sender_here or target is State.RETURNED:
            return
        self.peers.referral_event(snapshot.record_id, referral.referral_id, target.value, actor)

    def _tell_peer(
        self,
        referral: Referral,
        action: Action,
        target: State,
        reason: str,
        deadline: datetime | None,
        changes: Mapping[str, object],
        card: str = "",
    ) -> dict[str, object]:
        """Across cells: open the receiving cell's copy on submission, relay every other move;
        idempotent there, so a retry after either side died ends in one consistent state."""
        now = self.clock()
        if action is Action.SUBMIT:
            snapshot = changes.get("snapshot")
            opened = replace(
                referral, state=target, deadline=deadline, update_time=now,
                snapshot=snapshot if isinstance(snapshot, Snapshot) else None,
            )  # fmt: skip
            self.peers.open_referral(referral.peer_region, opened, now)
            return {}
        form = changes.get("return_form")
        answer = self.peers.relay(
            referral.peer_region, referral.referral_id, target, reason,
            form if isinstance(form, dict) else {}, deadline, card,
        )  # fmt: skip
        if target is State.RETURNED and answer.follow_up_task:  # made in the sender's cell
            return {"follow_up_task": answer.follow_up_task, "follow_up_due": answer.follow_up_due}
        return {}

    def submit(self, name: str, request_id: str) -> Referral:
        def snapshot(referral: Referral, now: datetime) -> dict[str, object]:
            gaps = Violations()
            for field, description, reason in referral.missing():
                gaps.add(field, description, reason)
            gaps.raise_if_any()  # a draft archives' rules opened, not completed yet
            summary = self.peers.record_summary(f"residents/{referral.resident_id}")
            if summary is None:  # the sender sees no open record: nothing travels
                return {}
            managing = self.peers.tenant(summary.managing_tenant_id)
            return {
                "snapshot": Snapshot(
                    summary.record_id, summary.record_number, summary.managing_tenant_id,
                    summary.birth_date, summary.blood_type_abo, summary.blood_type_rh,
                    summary.drug_allergies, summary.past_diseases, now,
                ),
                "managing_scope": tenant_scope(managing.region_code, managing.tenant_id),
            }  # fmt: skip

        return self._move(name, request_id, "SubmitReferral", "s", Action.SUBMIT, work=snapshot)

    def accept(self, name: str, request_id: str) -> Referral:
        def timed(referral: Referral, now: datetime) -> dict[str, object]:
            return {"accept_seconds": referral.seconds_since_submitted(now)}

        return self._move(name, request_id, "AcceptReferral", "r", Action.ACCEPT, work=timed)

    def reject(self, name: str, reason: str, request_id: str) -> Referral:
        checks = Violations()
        reason = checks.check(validate_reason, reason) or ""
        return self._move(name, request_id, "RejectReferral", "r", Action.REJECT, checks, reason)

    def cancel(self, name: str, reason: str, request_id: str) -> Referral:
        checks = Violations()
        reason = checks.check(validate_reason, reason) or ""
        return self._move(name, request_id, "CancelReferral", "s", Action.CANCEL, checks, reason)

    def admit(self, name: str, request_id: str, card_code: str = "") -> Referral:
        checks = Violations()
        if len(card_code) > 2000:
            checks.add("health_card_code", "must be at most 2000 characters", "FIELD_TOO_LONG")

        def scanned(referral: Referral, now: datetime) -> dict[str, object]:
            if not card_code:
                return {}  # the receiver's admission
            if not referral.sender_here:  # the sender's cell issued the card: checked there
                return {CARD: card_code}
            self._check_card(card_code, referral)
            return {}

        return self._move(
            name, request_id, "AdmitReferral", "r", Action.ADMIT, checks, work=scanned
        )

    def _check_card(self, code: str, referral: Referral) -> None:
        """A scanned e-health-card code this cell issued: valid, and the referred resident's."""
        outcome, holder = self.peers.scan_card(code)
        if outcome != "VALID":
            raise FailedPrecondition(
                f"the scanned health-card code is not valid ({outcome})",
                reason="HEALTH_CARD_" + outcome,
            )
        if holder != referral.resident_id:
            raise FailedPrecondition(
                "the scanned health card is not the referred patient's",
                reason="HEALTH_CARD_NOT_PATIENT",
            )

    def complete(self, name: str, request_id: str) -> Referral:
        return self._move(name, request_id, "CompleteReferral", "r", Action.COMPLETE)

    def return_(self, name: str, form: Mapping[str, str], request_id: str) -> Referral:
        checks = Violations()
        clean = domain.check_form(
            form, domain.RETURN_FIELDS, domain.RETURN_REQUIRED, "return_form", checks
        )

        def follow_up(referral: Referral, now: datetime) -> dict[str, object]:
            if referral.direction is not Direction.UP:
                raise FailedPrecondition(
                    "only an upward referral is returned (回转); complete this one",
                    reason="RETURN_ONLY_UPWARD",
                )
            changes: dict[str, object] = {"return_form": clean}
            if referral.snapshot is not None and referral.sender_here:
                # The managing institution follows the patient up within 14 days (§5.1).
                due = clinical_day(now) + timedelta(days=domain.FOLLOW_UP_DAYS)
                task = self.peers.referral_task(
                    referral.snapshot.record_id, referral.referral_id, due
                )
                changes.update(follow_up_task=task.name, follow_up_due=task.due_date)
            return changes

        return self._move(
            name, request_id, "ReturnReferral", "r", Action.RETURN, checks, work=follow_up
        )

    def close(self, name: str, request_id: str) -> Referral:
        def followed_up(referral: Referral, now: datetime) -> dict[str, object]:
            if (
                referral.snapshot is not None
                and referral.follow_up_due is not None
                and not referral.peer_region
            ):
                task = self.peers.referral_task(
                    referral.snapshot.record_id, referral.referral_id, referral.follow_up_due
                )
                if task.state != "done":
                    raise FailedPrecondition(
                        "the grassroots follow-up after the return is not recorded yet",
                        reason="FOLLOW_UP_NOT_RECORDED",
                        metadata={"task": task.name},
                    )
            return {}

        return self._move(name, request_id, "CloseReferral", "sm", Action.CLOSE, work=followed_up)
