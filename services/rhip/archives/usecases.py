"""Archives use cases: one method per use case. Each validates the input (every bad field at
once, before anything changes), checks the caller's permission on the record's own scope (the
managing institution's ``tenant_scope``), opens one transaction, applies the domain rules,
writes, records the history and appends an audit event. Lists filter in SQL by the caller's
scopes. Audit details carry ids and codes only: never an ID number, a name or a phone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from rhip.archives import domain
from rhip.archives.domain import (
    Assessment,
    HealthRecord,
    Program,
    RecordState,
    TerminationReason,
    Visit,
)
from rhip.archives.roles import ARCHIVES, CATALOG_PREFIX, permission_rules
from rhip.archives.store import (
    ArchivesRepository,
    CareTeam,
    Contract,
    Finding,
    Plan,
    RecordEvent,
    RecordTaken,
    SpotCheck,
    StoredCheckUp,
    StoredFollowUp,
    Task,
)
from rhip.archives.transfers import TransferUseCases
from rhip.kit.authn import current_principal
from rhip.kit.authz import Authorizer
from rhip.kit.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    NotFound,
    PermissionDenied,
    Violations,
    invalid,
)
from rhip.kit.idempotency import check_reuse, claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page, foreign_page_token
from rhip.kit.requests import check_no_controls
from rhip.kit.tenancy import catalog

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordedFollowUp:
    follow_up: StoredFollowUp
    assessment: Assessment


def sync_role_catalog(authz: Authorizer) -> None:
    """Make the ``p`` rows of ``rhip.api.archives.`` match roles.py; other rows stay."""
    authz.sync_catalog(CATALOG_PREFIX, permission_rules())


def _etag_version(etag: str) -> int | None:
    text = etag.removeprefix("W/").strip('"')
    return int(text) if text.isdigit() else None


class ArchivesUseCases(TransferUseCases):
    """The record, follow-up, quality, indicator and team use cases; the transfer use cases
    come from ``TransferUseCases``."""

    # -- records -------------------------------------------------------------------------------
    def create(
        self, resident_name: str, township: str, village: str, form: dict[str, Any], request_id: str
    ) -> HealthRecord:
        principal = current_principal()
        today = self.clock().date()
        checks = Violations()
        checks.check(domain.parse_name, resident_name, "residents", "resident")
        checks.check(domain.validate_township, township)
        checks.check(domain.validate_village, village)
        basic = checks.check(domain.check_basic_info, form, today) or {}
        request_id = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        tenant, scope = self._own_tenant(principal, "CreateHealthRecord")
        if request_id:
            with self.db.read() as conn:
                check_reuse(conn, request_id)
                earlier = ArchivesRepository(conn).by_request(request_id)
            if earlier is not None:
                self._require(principal, earlier.scope_path, "GetHealthRecord")
                return earlier
        resident = self.identity.resident(resident_name)
        if resident.state == "DECEASED":
            raise FailedPrecondition("the resident is deceased", reason="RESIDENT_DECEASED")
        if resident.state != "VERIFIED":
            raise FailedPrecondition(
                "records are created for residents with a verified identity",
                reason="RESIDENT_NOT_VERIFIED",
                metadata={"state": resident.state},
            )
        now = self.clock()
        with self._unit() as repo:
            claim(repo.s, request_id)
            existing = repo.open_record_of(resident.resident_id)
            if existing is not None:
                raise self._record_exists(existing)
            prefix = f"{tenant.region_code}{township}{village}"
            serial = repo.next_serial(tenant.tenant_id, prefix)
            record = HealthRecord(
                record_id=new_id(),
                record_number=domain.record_number(tenant.region_code, township, village, serial),
                resident_id=resident.resident_id,
                birth_date=resident.birth_date,
                state=RecordState.DRAFT,
                managing_tenant_id=tenant.tenant_id,
                managing_region=tenant.region_code,
                scope_path=scope,
                creating_tenant_id=tenant.tenant_id,
                team_id="",
                basic_info=basic,
                termination=None,
                create_time=now,
                update_time=now,
                version=1,
            )
            try:
                repo.add(record, request_id)
            except RecordTaken:
                raced = repo.open_record_of(resident.resident_id)
                if raced is None:
                    raise Aborted(
                        "the record raced with another; retry", reason="RECORD_RACE"
                    ) from None
                raise self._record_exists(raced) from None
            repo.record(
                record.record_id, "CREATED", principal.subject, now, tenant=tenant.tenant_id
            )
            self._audit(
                repo,
                "record.create",
                f"healthRecords/{record.record_id}",
                scope,
                resident=resident.resident_id,
            )
            return record

    def get(self, name: str) -> HealthRecord:
        with self._unit(durable=False) as repo:
            record = self._load(repo, name, "GetHealthRecord")
            self._audit(
                repo,
                "record.read",
                f"healthRecords/{record.record_id}",
                record.scope_path,
                resident=record.resident_id,
            )
            return record

    def list_records(
        self, parent: str, state: RecordState | None, record_number: str, resident: str, page: Page
    ) -> tuple[list[HealthRecord], str]:
        principal = current_principal()
        checks = Violations()
        tenant_id = checks.check(domain.parse_name, parent, "tenants", "parent") if parent else ""
        if record_number:
            checks.check(domain.validate_record_number, record_number)
        resident_id = (
            checks.check(domain.parse_name, resident, "residents", "resident") if resident else ""
        )
        checks.raise_if_any()
        if tenant_id:
            self._tenant_parent(principal, tenant_id, "ListHealthRecords")
        scopes = self._scopes(principal, "ListHealthRecords")
        with self._unit(durable=False) as repo:
            rows = repo.list_records(
                scopes, state=state, record_number=record_number, resident_id=resident_id or "",
                tenant_id=tenant_id or "", after=page.after, limit=page.size + 1,
            )  # fmt: skip
            chunk = rows[: page.size]
            self._audit(
                repo, "record.list", parent or "healthRecords", self.cell_path, hits=len(chunk)
            )
        return chunk, page.next_token(chunk[-1].record_id if chunk else None, len(rows) > page.size)

    def update(self, name: str, form: dict[str, Any], etag: str) -> HealthRecord:
        principal = current_principal()
        checks = Violations()
        basic = checks.check(domain.check_basic_info, form, self.clock().date()) or {}
        version = _etag_version(etag)
        if version is None:
            checks.add("etag", "send the etag of the record you read", "ETAG_REQUIRED")
        checks.raise_if_any()
        now = self.clock()
        with self._unit() as repo:
            record = self._load(repo, name, "UpdateHealthRecord", lock=True)
            record.require_state(*domain.OPEN_STATES, action="change")
            if record.version != version:
                raise Aborted("the record changed since you read it", reason="ETAG_MISMATCH")
            changed = record.changed(now, basic_info=basic)
            repo.save(changed, record.version)
            repo.record(record.record_id, "BASIC_INFO_UPDATED", principal.subject, now)
            self._audit(
                repo,
                "record.update",
                f"healthRecords/{record.record_id}",
                record.scope_path,
                resident=record.resident_id,
            )
            return changed

    def activate(self, name: str) -> HealthRecord:
        principal = current_principal()
        now = self.clock()
        with self._unit() as repo:
            record = self._load(repo, name, "ActivateHealthRecord", lock=True)
            if record.state is RecordState.ACTIVE:
                return record  # a retry
            record.require_state(RecordState.DRAFT, action="activate")
            missing = domain.missing_items(record.basic_info)
            if missing:
                raise FailedPrecondition(
                    f"the basic information form is incomplete: {', '.join(missing)}",
                    reason="BASIC_INFO_INCOMPLETE",
                    metadata={"missing": ",".join(missing)},
                )
            active = record.changed(now, state=RecordState.ACTIVE)
            repo.save(active, record.version)
            repo.record(record.record_id, "ACTIVATED", principal.subject, now)
            self._audit(
                repo,
                "record.activate",
                f"healthRecords/{record.record_id}",
                record.scope_path,
                resident=record.resident_id,
            )
            return active

    def terminate(
        self, name: str, reason: TerminationReason | None, day: str, destination: str, handover: str
    ) -> HealthRecord:
        principal = current_principal()
        now = self.clock()
        with self._unit() as repo:
            record = self._load(repo, name, "TerminateHealthRecord", lock=True)
            termination = domain.check_termination(
                reason, day, destination, handover, now.date(), record.birth_date
            )
            if record.state is RecordState.TERMINATED and record.termination == termination:
                return record  # a retry
            record.require_state(RecordState.ACTIVE, action="terminate")
            ended = record.changed(now, state=RecordState.TERMINATED, termination=termination)
            repo.save(ended, record.version)
            repo.set_plans_state(record.record_id, "closed")
            repo.record(
                record.record_id, "TERMINATED", principal.subject, now,
                reason=termination.reason.value, date=termination.day.isoformat(),
            )  # fmt: skip
            self._audit(
                repo, "record.terminate", f"healthRecords/{record.record_id}", record.scope_path,
                resident=record.resident_id, reason=termination.reason.value,
            )  # fmt: skip
            return ended

    def reactivate(self, name: str, reason: str) -> HealthRecord:
        principal = current_principal()
        reason = domain.validate_reason(reason)
        now = self.clock()
        with self._unit() as repo:
            record = self._load(repo, name, "ReactivateHealthRecord", lock=True)
            record.require_state(RecordState.TERMINATED, action="reactivate")
            assert record.termination is not None
            if record.termination.reason is not TerminationReason.LOST_TO_FOLLOW_UP:
                raise FailedPrecondition(
                    "only a record lost to follow-up is reactivated",
                    reason="REACTIVATION_NOT_ALLOWED",
                    metadata={"termination_reason": record.termination.reason.name},
                )
            existing = repo.open_record_of(record.resident_id)
            if existing is not None:
                raise self._record_exists(existing)
            active = record.changed(now, state=RecordState.ACTIVE, termination=None)
            try:
                repo.save(active, record.version)
            except RecordTaken:
                raise AlreadyExists(
                    "the resident has another open record", reason="RECORD_EXISTS"
                ) from None
            for plan_program in ("hypertension", "type2_diabetes"):
                if repo.plan(record.record_id, plan_program):
                    repo.set_plan_due(record.record_id, plan_program, now.date())
            repo.record(record.record_id, "REACTIVATED", principal.subject, now, reason=reason)
            self._audit(
                repo, "record.reactivate", f"healthRecords/{record.record_id}", record.scope_path,
                resident=record.resident_id, lost_since=record.termination.day.isoformat(),
            )  # fmt: skip
            return active

    def history(self, name: str, page: Page) -> tuple[list[RecordEvent], str]:
        with self._unit(durable=False) as repo:
            record = self._load(repo, name, "ListRecordEvents", field="parent")
            events = repo.history(record.record_id, page.after, page.size + 1)
            self._audit(
                repo,
                "record.history",
                f"healthRecords/{record.record_id}",
                record.scope_path,
                resident=record.resident_id,
            )
        chunk = events[: page.size]
        return chunk, page.next_token(
            chunk[-1].event_id if chunk else None, len(events) > page.size
        )

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
            valid = domain.check_checkup(form, now.date(), record.birth_date)
            record.require_state(
                RecordState.ACTIVE, RecordState.TRANSFER_PENDING, action="add a check-up to"
            )
            exam = date.fromisoformat(valid["exam_date"])
            stored = repo.add_check_up(record.record_id, valid, exam, now, request_id)
            repo.record(
                record.record_id, "CHECK_UP", principal.subject, now, check_up=stored.check_up_id
            )
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
        due = checks.check(domain.parse_date, first_due, "first_due_date")
        checks.raise_if_any()
        assert program is not None
        now = self.clock()
        with self._unit() as repo:
            record = self._load(repo, parent, "StartFollowUpPlan", field="parent", lock=True)
            record.require_state(RecordState.ACTIVE, action="start a follow-up plan for")
            if repo.plan(record.record_id, program.value):
                raise AlreadyExists("the record is already in this programme", reason="PLAN_EXISTS")
            repo.add_plan(record, program.value, due or now.date())
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
        today = self.clock().date()
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
            age = domain.age_on(record.birth_date, visit.visit_date)
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
            repo.record(
                record.record_id, "FOLLOW_UP", principal.subject, now, program=visit.program.value,
                classification=result.classification.value, referral=result.referral_suggested,
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
        as_of = checks.check(domain.parse_date, as_of_text, "as_of")
        checks.raise_if_any()
        as_of = as_of or self.clock().date()
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

    # -- completeness and indicators (§2.8) ---------------------------------------------------
    def completeness(self, name: str) -> tuple[HealthRecord, float, list[str], list[str]]:
        with self._unit(durable=False) as repo:
            record = self._load(repo, name, "GetRecordCompleteness")
            programs = [
                p for p in ("hypertension", "type2_diabetes") if repo.plan(record.record_id, p)
            ]
            self._audit(
                repo, "record.completeness", name, record.scope_path, resident=record.resident_id
            )
            findings = repo.findings(record_id=record.record_id, state="open")
        score, missing = domain.completeness(record.basic_info)
        wrong = domain.wrong_items(record.basic_info, programs)
        wrong += [f"{f.item}: {f.description} (spot check)" for f in findings]
        return record, score, missing, wrong

    def create_spot_check(
        self, parent: str, sample_size: int, request_id: str
    ) -> tuple[SpotCheck, list[str], list[Finding]]:
        principal = current_principal()
        checks = Violations()
        if not 1 <= sample_size <= 200:
            checks.add("sample_size", "must be 1–200", "SAMPLE_SIZE")
        request_id = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        scope, _, _ = self._indicator_scope(parent, "CreateSpotCheck")
        now = self.clock()
        with self._unit() as repo:
            claim(repo.s, request_id)
            if request_id and (earlier := repo.spot_check_by_request(request_id)):
                return (
                    earlier,
                    repo.sample(earlier.spot_check_id),
                    repo.findings(earlier.spot_check_id),
                )
            check = SpotCheck(new_id(), parent, scope, now)
            sampled = repo.add_spot_check(check, principal.subject, sample_size, request_id)
            self._audit(
                repo,
                "spot_check.create",
                f"spotChecks/{check.spot_check_id}",
                scope,
                sampled=len(sampled),
            )
            return check, sorted(sampled), []

    def _load_spot_check(self, repo: ArchivesRepository, name: str, method: str) -> SpotCheck:
        principal = current_principal()
        check_id = domain.parse_name(
            name, "spotChecks", "name" if method == "GetSpotCheck" else "parent"
        )
        check = repo.spot_check(check_id)
        if check is None:
            if self.authz.enforce(principal.subject, self.cell_path, ARCHIVES + method):
                raise NotFound(f"spotChecks/{check_id} does not exist")
            raise PermissionDenied(f"not allowed to call {method} here")
        self._require(principal, check.scope_path, method)
        return check

    def get_spot_check(self, name: str) -> tuple[SpotCheck, list[str], list[Finding]]:
        with self._unit(durable=False) as repo:
            check = self._load_spot_check(repo, name, "GetSpotCheck")
            self._audit(repo, "spot_check.read", name, check.scope_path)
            return check, repo.sample(check.spot_check_id), repo.findings(check.spot_check_id)

    def record_finding(self, parent: str, record_name: str, item: str, description: str) -> Finding:
        checks = Violations()
        record_id = (
            checks.check(domain.parse_name, record_name, "healthRecords", "finding.record") or ""
        )
        item = item.strip()
        if not item or len(item) > 100:
            checks.add("finding.item", "must be 1–100 characters", "FINDING_ITEM_REQUIRED")
        description = checks.check(domain.validate_reason, description, "finding.description") or ""
        checks.raise_if_any()
        now = self.clock()
        with self._unit() as repo:
            check = self._load_spot_check(repo, parent, "RecordSpotCheckFinding")
            if record_id not in repo.sample(check.spot_check_id):
                raise FailedPrecondition(
                    "the record is not in this sample", reason="RECORD_NOT_SAMPLED"
                )
            record = repo.get(record_id)
            assert record is not None
            _require_not_a_trace(record, "mark a finding on")
            finding = Finding(
                new_id(), check.spot_check_id, record_id, item, description, "open", "", now, None
            )
            repo.add_finding(finding)
            repo.record(
                record_id, "SPOT_CHECK_FINDING", current_principal().subject, now, item=item
            )
            self._audit(
                repo,
                "spot_check.finding",
                f"{parent}/findings/{finding.finding_id}",
                record.scope_path,
                record=record_id,
            )
            return finding

    def resolve_finding(self, name: str, resolution: str) -> Finding:
        principal = current_principal()
        parts = name.split("/")
        if len(parts) != 4 or parts[0] != "spotChecks" or parts[2] != "findings" or not parts[3]:
            raise invalid("name", "must look like spotChecks/{id}/findings/{id}", "RESOURCE_NAME")
        resolution = domain.validate_reason(resolution, "resolution")
        now = self.clock()
        with self._unit() as repo:
            finding = repo.finding(parts[3])
            if finding is None or finding.spot_check_id != parts[1]:
                if self.authz.enforce(
                    principal.subject, self.cell_path, ARCHIVES + "ResolveSpotCheckFinding"
                ):
                    raise NotFound(f"{name} does not exist")
                raise PermissionDenied("not allowed to call ResolveSpotCheckFinding here")
            # The institution managing the record fixes it, not the supervisor.
            record = self._load(
                repo, f"healthRecords/{finding.record_id}", "ResolveSpotCheckFinding"
            )
            if finding.state == "resolved":
                return finding
            _require_not_a_trace(record, "fix a finding on")
            done = replace(finding, state="resolved", resolution=resolution, resolve_time=now)
            repo.resolve_finding(done)
            repo.record(
                record.record_id, "SPOT_CHECK_RESOLVED", principal.subject, now, item=finding.item
            )
            self._audit(
                repo, "spot_check.resolve", name, record.scope_path, record=record.record_id
            )
            return done

    def set_population(self, code: str, population: int, as_of_text: str) -> tuple[str, int, date]:
        principal = current_principal()
        checks = Violations()
        region = checks.check(catalog().require, code, "population.region_code")
        if population < 1:
            checks.add(
                "population.permanent_population", "must be at least 1", "POPULATION_REQUIRED"
            )
        elif population > domain.MAX_POPULATION:  # the column is a 32-bit integer
            checks.add(
                "population.permanent_population",
                f"must be at most {domain.MAX_POPULATION}",
                "POPULATION_TOO_LARGE",
            )
        as_of = checks.check(domain.parse_date, as_of_text, "population.as_of", required=True)
        checks.raise_if_any()
        self._require(principal, region.path, "SetRegionPopulation")
        with self._unit() as repo:
            repo.set_population(code, as_of, population)
            self._audit(
                repo, "region.population", f"regions/{code}", region.path, population=population
            )
        return code, population, as_of

    def _indicator_scope(self, parent: str, method: str) -> tuple[str, str, str]:
        """(scope path, tenant id or '', region code or '') of ``regions/{code}`` or
        ``tenants/{id}``, after checking the caller may ``method`` there: a regional
        administrator reaches exactly their subtree."""
        principal = current_principal()
        if parent.startswith("regions/"):
            code = domain.parse_name(parent, "regions", "parent")
            return self._region_parent(principal, code, method).path, "", code
        tenant_id = domain.parse_name(parent, "tenants", "parent")
        return self._tenant_parent(principal, tenant_id, method), tenant_id, ""

    def indicators(self, parent: str, as_of_text: str) -> tuple[date, list[domain.Indicator]]:
        as_of = domain.parse_date(as_of_text, "as_of") or self.clock().date()
        scope, tenant_id, code = self._indicator_scope(parent, "GetIndicators")
        with self._unit(durable=False) as repo:
            counts = repo.indicator_counts(scope, tenant_id, as_of)
            population = repo.population(code, as_of) if code else 0
            self._audit(repo, "indicators.read", parent, scope, as_of=as_of.isoformat())
        return as_of, domain.indicators(domain.sum_counts(counts.values()), population)

    def rank(
        self, parent: str, kind: str, as_of_text: str
    ) -> tuple[list[tuple[str, domain.Indicator]], list[tuple[str, domain.Indicator]]]:
        checks = Violations()
        if kind not in domain.RANKABLE:
            checks.add("kind", "must be a usage, qualified or follow-up rate", "INDICATOR_KIND")
        if not parent.startswith("regions/"):
            checks.add("parent", "must look like regions/{code}", "RESOURCE_NAME")
        as_of = checks.check(domain.parse_date, as_of_text, "as_of")
        checks.raise_if_any()
        as_of = as_of or self.clock().date()
        scope, _, _ = self._indicator_scope(parent, "RankInstitutions")
        with self._unit(durable=False) as repo:
            counts = repo.indicator_counts(scope, "", as_of)
            self._audit(repo, "indicators.rank", parent, scope, kind=kind)
        return domain.rank(counts, kind)

    # -- family-doctor teams and contracts -----------------------------------------------------
    def create_team(self, parent: str, display_name: str, request_id: str) -> CareTeam:
        principal = current_principal()
        checks = Violations()
        tenant_id = checks.check(domain.parse_name, parent, "tenants", "parent") or ""
        name = display_name.strip()
        if not name or len(name) > 100:
            checks.add("team.display_name", "must be 1–100 characters", "NAME_REQUIRED")
        checks.check(check_no_controls, name, "team.display_name")
        request_id = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        if tenant_id != principal.tenant_id:
            raise PermissionDenied("teams are created in the caller's own institution")
        tenant, scope = self._own_tenant(principal, "CreateCareTeam")
        now = self.clock()
        with self._unit() as repo:
            claim(repo.s, request_id)
            if request_id and (earlier := repo.team_by_request(request_id)):
                return earlier
            team = CareTeam(new_id(), tenant.tenant_id, name, now)
            repo.add_team(team, request_id)
            self._audit(repo, "team.create", f"{parent}/teams/{team.team_id}", scope)
            return team

    def teams(self, parent: str) -> list[CareTeam]:
        principal = current_principal()
        tenant_id = domain.parse_name(parent, "tenants", "parent")
        self._tenant_parent(principal, tenant_id, "ListCareTeams")
        with self.db.read() as conn:
            return ArchivesRepository(conn).teams(tenant_id)

    def _team_of(self, repo: ArchivesRepository, name: str, record: HealthRecord) -> CareTeam:
        parts = name.split("/")
        if len(parts) != 4 or parts[0] != "tenants" or parts[2] != "teams" or not parts[3]:
            raise invalid("team", "must look like tenants/{id}/teams/{team}", "RESOURCE_NAME")
        team = repo.team(parts[3])
        if team is None or team.tenant_id != parts[1]:
            raise NotFound(f"{name} does not exist", reason="TEAM_NOT_FOUND")
        if team.tenant_id != record.managing_tenant_id:
            raise FailedPrecondition(
                "the team belongs to another institution", reason="TEAM_NOT_IN_INSTITUTION"
            )
        return team

    def _set_team(
        self, repo: ArchivesRepository, record: HealthRecord, team_id: str, now: datetime
    ) -> HealthRecord:
        changed = record.changed(now, team_id=team_id)
        repo.save(changed, record.version)
        repo.move_scope(changed)
        return changed

    def sign_contract(
        self, parent: str, team_name: str, start: str, end: str, request_id: str
    ) -> Contract:
        principal = current_principal()
        today = self.clock().date()
        checks = Violations()
        start_day = checks.check(domain.parse_date, start, "start_date")
        end_day = checks.check(domain.parse_date, end, "end_date")
        request_id = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        start_day = start_day or today
        end_day = end_day or domain.add_months(start_day, 12) - timedelta(days=1)
        domain.check_contract_dates(start_day, end_day)
        now = self.clock()
        with self._unit() as repo:
            record = self._load(repo, parent, "SignContract", field="parent", lock=True)
            claim(repo.s, request_id)
            if request_id and (earlier := repo.contract_by_request(request_id)):
                return earlier
            record.require_state(RecordState.ACTIVE, action="sign a contract for")
            team = self._team_of(repo, team_name, record)
            if repo.active_contract(record.record_id) is not None:
                raise AlreadyExists(
                    "the record has an active contract: renew or end it", reason="CONTRACT_EXISTS"
                )
            contract = Contract(
                new_id(), record.record_id, team.team_id, team.tenant_id, "active",
                start_day, end_day, "", now,
            )  # fmt: skip
            repo.add_contract(contract, request_id)
            self._set_team(repo, record, team.team_id, now)
            repo.record(
                record.record_id, "CONTRACT_SIGNED", principal.subject, now, team=team.team_id
            )
            self._audit(
                repo,
                "record.contract_sign",
                f"healthRecords/{record.record_id}",
                record.scope_path,
                resident=record.resident_id,
            )
            return contract

    def _load_contract(
        self, repo: ArchivesRepository, name: str, method: str
    ) -> tuple[HealthRecord, Contract]:
        parts = name.split("/")
        if (
            len(parts) != 4
            or parts[0] != "healthRecords"
            or parts[2] != "contracts"
            or not parts[3]
        ):
            raise invalid(
                "name", "must look like healthRecords/{id}/contracts/{id}", "RESOURCE_NAME"
            )
        record = self._load(repo, "/".join(parts[:2]), method, lock=True)
        contract = repo.contract(parts[3])
        if contract is None or contract.record_id != record.record_id:
            raise NotFound(f"{name} does not exist")
        if contract.state != "active":
            raise FailedPrecondition("the contract has ended", reason="CONTRACT_ENDED")
        return record, contract

    def renew_contract(self, name: str, end: str) -> Contract:
        principal = current_principal()
        end_day = domain.parse_date(end, "end_date", required=True)
        assert end_day is not None
        now = self.clock()
        with self._unit() as repo:
            record, contract = self._load_contract(repo, name, "RenewContract")
            if end_day <= contract.end_date:
                raise invalid("end_date", "must be after the current end date", "CONTRACT_DATES")
            domain.check_contract_dates(now.date(), end_day)
            renewed = replace(contract, end_date=end_day)
            repo.save_contract(renewed)
            repo.record(
                record.record_id,
                "CONTRACT_RENEWED",
                principal.subject,
                now,
                end=end_day.isoformat(),
            )
            self._audit(
                repo, "record.contract_renew", name, record.scope_path, resident=record.resident_id
            )
            return renewed

    def end_contract(self, name: str, reason: str) -> Contract:
        principal = current_principal()
        reason = domain.validate_reason(reason)
        now = self.clock()
        with self._unit() as repo:
            record, contract = self._load_contract(repo, name, "EndContract")
            ended = replace(contract, state="ended", end_reason=reason)
            repo.save_contract(ended)
            self._set_team(repo, record, "", now)
            repo.record(record.record_id, "CONTRACT_ENDED", principal.subject, now)
            self._audit(
                repo, "record.contract_end", name, record.scope_path, resident=record.resident_id
            )
            return ended

    def contracts(self, parent: str) -> list[Contract]:
        with self._unit(durable=False) as repo:
            record = self._load(repo, parent, "ListContracts", field="parent")
            self._audit(
                repo, "record.contracts", parent, record.scope_path, resident=record.resident_id
            )
            return repo.contracts(record.record_id)

    def move_to_team(self, name: str, team_name: str) -> HealthRecord:
        principal = current_principal()
        now = self.clock()
        with self._unit() as repo:
            record = self._load(repo, name, "MoveRecordToTeam", lock=True)
            record.require_state(RecordState.ACTIVE, action="move")
            team = self._team_of(repo, team_name, record)
            contract = repo.active_contract(record.record_id)
            if contract is None:
                raise FailedPrecondition(
                    "the managing team follows a contract: sign one first",
                    reason="CONTRACT_REQUIRED",
                )
            repo.save_contract(replace(contract, team_id=team.team_id))
            moved = self._set_team(repo, record, team.team_id, now)
            repo.record(
                record.record_id, "TEAM_CHANGED", principal.subject, now,
                source=record.team_id, destination=team.team_id,
            )  # fmt: skip
            self._audit(
                repo, "record.team_move", name, record.scope_path, resident=record.resident_id
            )
            return moved


def _require_not_a_trace(record: HealthRecord, action: str) -> None:
    """A record handed over to another cell stays here as a read-only trace: its findings are
    for the institution that manages it now (a finding does not travel with the record)."""
    if record.state is RecordState.TRANSFERRED:
        raise FailedPrecondition(
            f"cannot {action} a record handed over to another cell (a read-only trace)",
            reason="RECORD_STATE",
            metadata={"state": record.state.name},
        )


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
