"""The follow-up task of a returned referral (双向转诊 回转, docs/domain §5.1): the referral
service of this cell asks, as the cell's own account, once a receiving hospital returns a
patient; the record's managing institution then follows the patient up within 14 days, and
the first follow-up recorded after the task completes it (which lets the referral close)."""

from __future__ import annotations

from rhip.archives import common
from rhip.archives.access import UseCaseBase
from rhip.archives.follow_ups.domain import Task
from rhip.archives.roles import ARCHIVES_INTERNAL
from rhip.kit.authn import Principal, current_principal
from rhip.kit.errors import PermissionDenied, Violations, invalid
from rhip.kit.history import ResourceEvent
from rhip.kit.requests import parse_resource_name, validate_request_id
from rhip.kit.timestamps import clinical_day

REFERRAL_TASK = "referral_return"
# The moves the referral service writes into the history (RETURNED comes with its task).
REFERRAL_MOVES = frozenset(
    {"SUBMITTED", "ACCEPTED", "REJECTED", "IN_CARE", "COMPLETED", "CLOSED", "CANCELLED"}
)


class ReferralTaskUseCases(UseCaseBase):
    def _referral_service(self) -> Principal:
        principal = current_principal()
        if not principal.is_cell_account or principal.issuer != self.issuer:
            raise PermissionDenied(
                "only this cell's referral service writes referral tasks and history",
                reason="CELL_ACCOUNT_REQUIRED",
            )
        return principal

    def record_referral_event(
        self, parent: str, referral: str, state: str, actor: str
    ) -> ResourceEvent:
        self._referral_service()
        checks = Violations()
        referral_id = checks.check(parse_resource_name, referral, "referrals", "referral")
        if state not in REFERRAL_MOVES:
            checks.add(
                "state", f"must be one of {', '.join(sorted(REFERRAL_MOVES))}", "REFERRAL_STATE"
            )
        if not actor.startswith("user:") or len(actor) > 80:
            checks.add("actor", "must look like user:{id}", "ACTOR_FORMAT")
        checks.raise_if_any()
        assert referral_id is not None
        kind = f"REFERRAL_{state}"
        now = self.clock()
        with self._unit() as repo:
            record = self._load(
                repo, parent, "RecordReferralEvent", field="parent", lock=True,
                service=ARCHIVES_INTERNAL,
            )  # fmt: skip
            earlier = repo.referral_event(record.record_id, kind, referral_id)
            if earlier is not None:  # a retry of the same move
                return earlier
            repo.record(record.record_id, kind, actor, now, referral=referral_id)
            self._audit(
                repo, "record.referral_event", f"healthRecords/{record.record_id}",
                record.scope_path, resident=record.resident_id, referral=referral_id, state=state,
            )  # fmt: skip
            event = repo.referral_event(record.record_id, kind, referral_id)
            assert event is not None
            return event

    def referral_suggestions(self, after: str, page_size: int) -> list[tuple[Task, str, str]]:
        """(task, resident id, managing tenant id) of the referrals archives' rules call for,
        after the task id ``after``: the referral service opens a draft for each."""
        principal = self._referral_service()
        checks = Violations()
        if after:
            checks.check(validate_request_id, after, "after")  # task ids are UUIDs
        if page_size < 0:
            checks.add("page_size", "must not be negative", "PAGE_SIZE_NEGATIVE")
        checks.raise_if_any()
        self._require(
            principal, self.cell_path, "ListReferralSuggestions", service=ARCHIVES_INTERNAL
        )
        with self._unit(durable=False) as repo:
            found = repo.referral_suggestions(after, min(page_size or 50, 1000))
            self._audit(repo, "record.referral_suggestions", "healthRecords", self.cell_path, hits=len(found))  # fmt: skip
        return found

    def create_referral_task(self, parent: str, referral: str, due_text: str) -> Task:
        principal = self._referral_service()
        checks = Violations()
        referral_id = checks.check(parse_resource_name, referral, "referrals", "referral")
        due = checks.check(common.parse_date, due_text, "due_date", required=True)
        checks.raise_if_any()
        now = self.clock()
        assert due is not None and referral_id is not None
        with self._unit() as repo:
            record = self._load(
                repo, parent, "CreateReferralFollowUpTask", field="parent", lock=True,
                service=ARCHIVES_INTERNAL,
            )  # fmt: skip
            earlier = repo.referral_task(record.record_id, referral_id)
            if earlier is not None:  # a retry, or the referral asking whether it is done
                return earlier
            if due < clinical_day(now):
                raise invalid("due_date", "must not be in the past", "DATE_IN_PAST")
            repo.add_task(record, REFERRAL_TASK, "", due, referral_id, now)
            repo.record(
                record.record_id, "REFERRAL_RETURNED", principal.subject, now,
                referral=referral_id, due_date=due.isoformat(),
            )  # fmt: skip
            self._audit(
                repo,
                "record.referral_task",
                f"healthRecords/{record.record_id}",
                record.scope_path,
                resident=record.resident_id,
                referral=referral_id,
            )
            task = repo.referral_task(record.record_id, referral_id)
            assert task is not None
            return task
