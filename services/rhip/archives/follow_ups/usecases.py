"""Check-up and follow-up use cases: check-ups, follow-up plans, visits with their
classification, the tasks they raise and the overdue plans of an institution or team."""

from __future__ import annotations

from datetime import date
from typing import Any

from rhip.archives import common
from rhip.archives.access import UseCaseBase
from rhip.archives.follow_ups import domain
from rhip.archives.follow_ups.domain import (
    Assessment,
    Plan,
    Program,
    RecordedFollowUp,
    StoredCheckUp,
    StoredFollowUp,
    Task,
    Visit,
)
from rhip.archives.records.domain import HealthRecord, RecordState
from rhip.kit.authn import current_principal
from rhip.kit.errors import AlreadyExists, FailedPrecondition, Violations, invalid
from rhip.kit.idempotency import claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page, foreign_page_token
from rhip.kit.timestamps import clinical_day


class FollowUpUseCases(UseCaseBase):
    # -- check-ups -----------------------------------------------------------------------------
    def create_check_up(self, parent: str, form: dict[str, Any], request_id: str) -> StoredCheckUp:
        principal = current_principal()
        request_id = request_key(request_id)
        now = self.clock()
        with self._unit() as repo:
            record = self._load(repo, parent, "CreateCheckUp", field="parent", lock=True)
            claim(repo.s, request_id)
            if request_id and (earlier := repo.check_up_by_request(request_id)):
                return earlier
            valid = domain.check_checkup(form, clinical_day(now), record.birth_date)
            record.require_state(
                RecordState.ACTIVE, RecordState.TRANSFER_PENDING, action="add a check-up to"
            )
            exam = date.fromisoformat(valid["exam_date"])
            stored = repo.add_check_up(record.record_id, valid, exam, now, request_id)
            repo.record_care(
                record.record_id, "CHECK_UP", principal.subject, now, exam,
                check_up=stored.check_up_id,
            )  # fmt: skip
            self._audit(
                repo,
                "record.check_up",
                f"healthRecords/{record.record_id}",
                record.scope_path,
                resident=record.resident_id,
            )
            return stored

    def check_ups(self, parent: str) -> list[StoredCheckUp]:
        with self._unit(durable=False) as repo:
            record = self._load(repo, parent, "ListCheckUps", field="parent")
            self._audit(
                repo,
                "record.check_ups",
                f"healthRecords/{record.record_id}",
                record.scope_path,
                resident=record.resident_id,
            )
            return repo.check_ups(record.record_id)

    # -- follow-ups ----------------------------------------------------------------------------
    def start_plan(
        self, parent: str, program: Program | None, first_due: str
    ) -> tuple[HealthRecord, Plan]:
        principal = current_principal()
        checks = Violations()
        if program is None:
            checks.add("program", "must be hypertension or type 2 diabetes", "PROGRAM_REQUIRED")
        due = checks.check(common.parse_date, first_due, "first_due_date")
        checks.raise_if_any()
        assert program is not None
        now = self.clock()
        with self._unit() as repo:
            record = self._load(repo, parent, "StartFollowUpPlan", field="parent", lock=True)
            record.require_state(RecordState.ACTIVE, action="start a follow-up plan for")
            if repo.plan(record.record_id, program.value):
                raise AlreadyExists("the record is already in this programme", reason="PLAN_EXISTS")
            repo.add_plan(record, program.value, due or clinical_day(now))
            repo.record(
                record.record_id, "PLAN_STARTED", principal.subject, now, program=program.value
            )
            self._audit(
                repo,
                "record.plan_start",
                f"healthRecords/{record.record_id}",
                record.scope_path,
                resident=record.resident_id,
            )
            plan = repo.plan(record.record_id, program.value)
            assert plan is not None
            return record, plan

    def record_follow_up(
        self, parent: str, visit: Visit | None, request_id: str, problems: Violations
    ) -> RecordedFollowUp:
        """``visit`` is None when the servicer already found bad fields (in ``problems``)."""
        principal = current_principal()
        today = clinical_day(self.clock())
        request_id = problems.check(request_key, request_id) or ""
        if visit is not None:
            problems.check(domain.check_visit, visit, today)
        problems.raise_if_any()
        assert visit is not None
        now = self.clock()
        with self._unit() as repo:
            record = self._load(repo, parent, "RecordFollowUp", field="parent", lock=True)
            claim(repo.s, request_id)
            if request_id and (earlier := repo.follow_up_by_request(request_id)):
                return RecordedFollowUp(earlier, self._assessment_of(earlier, record))
            record.require_state(
                RecordState.ACTIVE, RecordState.TRANSFER_PENDING, action="follow up"
            )
            if visit.visit_date < record.birth_date:
                raise invalid(
                    "follow_up.visit_date", "is before the resident's birth", "DATE_ORDER"
                )
            plan = repo.plan(record.record_id, visit.program.value)
            if plan is None or plan.state != "open":
                raise FailedPrecondition(
                    "start a follow-up plan for this programme first", reason="NOT_IN_PROGRAM"
                )
            earlier_visits = repo.follow_ups(record.record_id, visit.program.value)
            if earlier_visits and earlier_visits[0].visit_date > visit.visit_date:
                raise invalid(
                    "follow_up.visit_date",
                    "is before the last recorded visit",
                    "VISIT_OUT_OF_ORDER",
                )
            previous_run = earlier_visits[0].consecutive_uncontrolled if earlier_visits else 0
            age = common.age_on(record.birth_date, visit.visit_date)
            result = domain.assess(visit, age, previous_run, self.policy)
            stored = StoredFollowUp(
                follow_up_id=new_id(),
                record_id=record.record_id,
                program=visit.program.value,
                visit_date=visit.visit_date,
                form=_visit_form(visit, result),
                classification=result.classification.value,
                consecutive_uncontrolled=result.consecutive_uncontrolled,
                referral_suggested=result.referral_suggested,
                urgent_referral=result.urgent_referral,
                next_due_date=result.next_due,
                create_time=now,
            )
            repo.add_follow_up(stored, request_id)
            repo.set_plan_due(record.record_id, visit.program.value, result.next_due)
            if result.urgent_referral:
                repo.add_task(
                    record,
                    "urgent_referral",
                    visit.program.value,
                    visit.visit_date,
                    stored.follow_up_id,
                    now,
                )
            if result.referral_suggested:
                repo.add_task(
                    record,
                    "referral_follow_up",
                    visit.program.value,
                    result.next_due,
                    stored.follow_up_id,
                    now,
                )
            repo.complete_referral_tasks(record.record_id)  # a returned referral was followed up
            repo.record_care(
                record.record_id, "FOLLOW_UP", principal.subject, now, visit.visit_date,
                program=visit.program.value,
                classification=result.classification.value, referral=result.referral_suggested,
                follow_up=stored.follow_up_id,
            )  # fmt: skip
            self._audit(
                repo,
                "record.follow_up",
                f"healthRecords/{record.record_id}",
                record.scope_path,
                resident=record.resident_id,
            )
            return RecordedFollowUp(stored, result)

    def _assessment_of(self, stored: StoredFollowUp, record: HealthRecord) -> Assessment:
        target = stored.form.get("bp_target", {})
        return Assessment(
            domain.Classification(stored.classification),
            stored.consecutive_uncontrolled,
            stored.referral_suggested,
            stored.urgent_referral,
            stored.next_due_date,
            domain.BloodPressure(int(target.get("systolic", 0)), int(target.get("diastolic", 0))),
        )

    def follow_ups(self, parent: str) -> list[RecordedFollowUp]:
        with self._unit(durable=False) as repo:
            record = self._load(repo, parent, "ListFollowUps", field="parent")
            self._audit(
                repo,
                "record.follow_ups",
                f"healthRecords/{record.record_id}",
                record.scope_path,
                resident=record.resident_id,
            )
            return [
                RecordedFollowUp(f, self._assessment_of(f, record))
                for f in repo.follow_ups(record.record_id)
            ]

    def tasks(self, parent: str) -> list[Task]:
        with self._unit(durable=False) as repo:
            record = self._load(repo, parent, "ListTasks", field="parent")
            self._audit(
                repo,
                "record.tasks",
                f"healthRecords/{record.record_id}",
                record.scope_path,
                resident=record.resident_id,
            )
            return repo.tasks(record.record_id)

    def overdue(self, parent: str, as_of_text: str, page: Page) -> tuple[list[Plan], date, str]:
        principal = current_principal()
        checks = Violations()
        tenant_id, team_id = "", ""
        parts = parent.split("/")
        if len(parts) == 2 and parts[0] == "tenants" and parts[1]:
            tenant_id = parts[1]
        elif (
            len(parts) == 4
            and parts[0] == "tenants"
            and parts[2] == "teams"
            and parts[1]
            and parts[3]
        ):
            tenant_id, team_id = parts[1], parts[3]
        else:
            checks.add(
                "parent",
                "must look like tenants/{id} or tenants/{id}/teams/{team}",
                "RESOURCE_NAME",
            )
        as_of = checks.check(common.parse_date, as_of_text, "as_of")
        checks.raise_if_any()
        as_of = as_of or clinical_day(self.clock())
        scope = self._tenant_parent(principal, tenant_id, "ListOverdueFollowUpPlans")
        after = None
        if page.after:
            due_text, _, key = page.after.partition("|")
            try:
                after = (date.fromisoformat(due_text), key)
            except ValueError:  # a forged token with the right fingerprint
                raise foreign_page_token() from None
        with self._unit(durable=False) as repo:
            plans = repo.overdue(scope, team_id, as_of, after, page.size + 1)
            chunk = plans[: page.size]
            self._audit(repo, "record.overdue", parent, scope, hits=len(chunk))
        last = (
            f"{chunk[-1].next_due_date.isoformat()}|{chunk[-1].record_id}/{chunk[-1].program}"
            if chunk
            else None
        )
        return chunk, as_of, page.next_token(last, len(plans) > page.size)


def _visit_form(visit: Visit, result: Assessment) -> dict[str, Any]:
    form: dict[str, Any] = {
        "heart_rate": visit.heart_rate,
        "fasting_glucose_mmol": visit.fasting_glucose,
        "adverse_reaction": visit.adverse_reaction,
        "complication": visit.complication,
        "emergency_signs": [s.value for s in visit.emergency_signs],
        "bp_target": {
            "systolic": result.bp_target.systolic,
            "diastolic": result.bp_target.diastolic,
        },
    }
    if visit.bp is not None:
        form["blood_pressure"] = {"systolic": visit.bp.systolic, "diastolic": visit.bp.diastolic}
    return form
