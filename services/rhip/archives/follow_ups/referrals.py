"""The follow-up task of a returned referral (双向转诊 回转, docs/domain §5.1): the referral
service of this cell asks, as the cell's own account, once a receiving hospital returns a
patient; the record's managing institution then follows the patient up within 14 days, and
the first follow-up recorded after the task completes it (which lets the referral close)."""

from __future__ import annotations

from rhip.archives import common
from rhip.archives.access import UseCaseBase
from rhip.archives.follow_ups.domain import Task
from rhip.kit.authn import current_principal
from rhip.kit.errors import PermissionDenied, Violations, invalid
from rhip.kit.requests import parse_resource_name

REFERRAL_TASK = "referral_return"


class ReferralTaskUseCases(UseCaseBase):
    def create_referral_task(self, parent: str, referral: str, due_text: str) -> Task:
        principal = current_principal()
        if not principal.is_cell_account or principal.issuer != self.issuer:
            raise PermissionDenied(
                "only this cell's referral service creates referral tasks",
                reason="CELL_ACCOUNT_REQUIRED",
            )
        checks = Violations()
        referral_id = checks.check(parse_resource_name, referral, "referrals", "referral")
        due = checks.check(common.parse_date, due_text, "due_date", required=True)
        checks.raise_if_any()
        now = self.clock()
        assert due is not None and referral_id is not None
        with self._unit() as repo:
            record = self._load(
                repo, parent, "CreateReferralFollowUpTask", field="parent", lock=True
            )
            earlier = repo.referral_task(record.record_id, referral_id)
            if earlier is not None:  # a retry, or the referral asking whether it is done
                return earlier
            if due < now.date():
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
