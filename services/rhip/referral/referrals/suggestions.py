"""Referral drafts that archives' rules call for (issue 17): when a follow-up raises a
referral task (two consecutive uncontrolled visits, a complication) or an urgent referral (an
emergency finding), the referral service opens a DRAFT for the record's managing institution,
its reason filled in; the clinician completes it (UpdateReferral: the receiver, the form, the
consent) and sends it. A background pass reads archives' suggestions after a cursor kept in
this service's database, as the cell; each task opens one draft, however often it is read."""

from __future__ import annotations

import logging

from rhip.kit.authn import Principal, PrincipalKind, acting_as
from rhip.kit.errors import AlreadyExists
from rhip.kit.ids import new_id
from rhip.kit.tenancy import tenant_scope
from rhip.kit.workers import PeriodicWorker
from rhip.referral.clients import Suggestion
from rhip.referral.referrals.domain import Direction, Referral, State
from rhip.referral.referrals.usecases import ReferralUseCases

log = logging.getLogger(__name__)

CURSOR = "archives-suggestions"
PAGE = 100
SETTLE_SECONDS = 300  # far longer than any transaction that creates a task
# The outward form's reason, prefilled by the rule that raised the task.
REASONS = {
    "TASK_KIND_REFERRAL_FOLLOW_UP": "随访发现：连续两次血压/血糖控制不满意或出现新的并发症，建议上转",
    "TASK_KIND_URGENT_REFERRAL": "随访发现急症征象，紧急转诊",
}


def _created(task_id: str) -> float:
    """The creation time (epoch seconds) a UUIDv7 carries in its first 48 bits."""
    return int(task_id.replace("-", "")[:12], 16) / 1000


class Suggestions:
    def __init__(self, usecases: ReferralUseCases, cell: str, interval: float) -> None:
        self.uc = usecases
        self.actor = f"system:referral/{cell}"
        self._principal = Principal(self.actor, PrincipalKind.SERVICE_ACCOUNT, "", cell)
        self.worker = PeriodicWorker(
            "referral-suggestions",
            self.take,
            interval,
            max_backoff=10 * interval,
            report=lambda opened: f"{opened} referral drafts opened" if opened else None,
        )

    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        self.worker.stop(timeout=5)

    def take(self) -> int:
        """One pass: every suggestion after the cursor opens a draft; returns how many.

        Task ids are UUIDv7, sortable by creation time, but a task created a moment before
        another may commit after it: the cursor only moves past tasks older than
        ``SETTLE_SECONDS``, younger ones are read again next time (a task opens one draft
        however often it is read), so none is skipped."""
        with acting_as(self._principal):
            opened = 0
            with self.uc._unit(durable=False) as repo:
                after = repo.cursor(CURSOR)
            while True:
                page = self.uc.peers.referral_suggestions(after, PAGE)
                for s in page:
                    opened += self._open(s)
                horizon = self.uc.clock().timestamp() - SETTLE_SECONDS
                settled = [s.task_id for s in page if _created(s.task_id) <= horizon]
                if settled:
                    with self.uc._unit() as repo:
                        repo.set_cursor(CURSOR, settled[-1])
                if len(page) < PAGE:
                    return opened
                after = page[-1].task_id

    def _open(self, s: Suggestion) -> int:
        sender = self.uc.peers.tenant(s.managing_tenant_id)
        now = self.uc.clock()
        draft = Referral(
            referral_id=new_id(),
            direction=Direction.UP,
            resident_id=s.resident_id,
            sender_tenant_id=sender.tenant_id,
            sender_region=sender.region_code,
            sender_scope=tenant_scope(sender.region_code, sender.tenant_id),
            receiver_tenant_id="",
            receiver_scope="",
            department="",
            receiving_doctor="",
            outward={"reason": REASONS.get(s.kind, REASONS["TASK_KIND_REFERRAL_FOLLOW_UP"])},
            consent=None,
            state=State.DRAFT,
            create_time=now,
            update_time=now,
            suggested_by=s.task_id,
        )
        try:
            with self.uc._unit() as repo:
                if repo.by_suggestion(s.task_id) is not None:
                    return 0
                repo.add(draft, "")
                repo.transition(draft.referral_id, State.DRAFT, self.actor, now)
                self.uc._audit(repo, "referral.suggested", draft, task=s.task_id, kind=s.kind)
        except AlreadyExists:  # another replica opened it meanwhile (unique per task)
            return 0
        return 1
