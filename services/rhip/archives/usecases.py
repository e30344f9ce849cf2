"""Archives use cases: one method per use case. Each validates the input (every bad field at
once, before anything changes), checks the caller's permission on the record's own scope (the
managing institution's ``tenant_scope``), opens one transaction, applies the domain rules,
writes, records the history and appends an audit event. Lists filter in SQL by the caller's
scopes. Audit details carry ids and codes only: never an ID number, a name or a phone.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from rhip.api.identity.v1 import resident_pb2
from rhip.archives import domain
from rhip.archives.clients import IdentityClient, OtherCells, TenantFacts
from rhip.archives.domain import (
    Assessment,
    FollowUpPolicy,
    HealthRecord,
    Program,
    RecordState,
    Side,
    TerminationReason,
    TransferState,
    Visit,
)
from rhip.archives.roles import ARCHIVES, CATALOG_PREFIX, permission_rules
from rhip.archives.store import (
    BUNDLE_FORMAT,
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
    Transfer,
)
from rhip.kit import audit
from rhip.kit.authn import Principal, current_principal
from rhip.kit.authz import Authorizer, subject_blocked
from rhip.kit.crosscell import require_peer_cell
from rhip.kit.db import Database
from rhip.kit.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    NotFound,
    PermissionDenied,
    Violations,
    invalid,
)
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page
from rhip.kit.tenancy import catalog, is_within, region_path, tenant_scope

log = logging.getLogger(__name__)

TRANSFER_METHOD = ARCHIVES + "RequestRecordTransfer"


@dataclass(frozen=True)
class RecordedFollowUp:
    follow_up: StoredFollowUp
    assessment: Assessment


def sync_role_catalog(authz: Authorizer) -> None:
    """Make the ``p`` rows of ``rhip.api.archives.`` match roles.py; other rows stay."""
    store = authz.store
    wanted = set(permission_rules())
    _, current = store.load("p")
    have = {r for r in current if r.values[1].startswith(CATALOG_PREFIX)}
    with store.db.transaction() as tx:
        store.remove(tx, have - wanted)
        store.add(tx, wanted - have)
    authz.refresh()


def _etag_version(etag: str) -> int | None:
    text = etag.removeprefix("W/").strip('"')
    return int(text) if text.isdigit() else None


class ArchivesUseCases:
    def __init__(
        self,
        cell: str,
        db: Database,
        authorizer: Authorizer,
        identity: IdentityClient,
        policy: FollowUpPolicy | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        cells: OtherCells | None = None,
        issuer: str = "",
        escalate_after_days: int = domain.ESCALATE_AFTER_DAYS,
    ) -> None:
        self.escalate_after_days = escalate_after_days
        self.cells = cells
        self.issuer = issuer or f"rhip-identity/{cell}"
        self.db = db
        self.authz = authorizer
        self.identity = identity
        self.policy = policy or FollowUpPolicy()
        self.clock = clock
        self.cell_path = region_path(cell)

    # -- access --------------------------------------------------------------------------------
    @contextmanager
    def _unit(self, *, durable: bool = True) -> Iterator[ArchivesRepository]:
        with self.db.transaction(durable=durable) as tx:
            yield ArchivesRepository(tx)

    def _require(self, principal: Principal, scope: str, method: str) -> None:
        self.authz.require(principal, scope, ARCHIVES + method)

    def _scopes(self, principal: Principal, method: str) -> list[str]:
        scopes = self.authz.scopes(principal.subject, ARCHIVES + method)
        if not scopes:
            if self.authz.is_blocked(principal.subject):
                raise subject_blocked()
            raise PermissionDenied(f"not allowed to call {method} here")
        return scopes

    def _load(
        self,
        repo: ArchivesRepository,
        name: str,
        method: str,
        *,
        field: str = "name",
        lock: bool = False,
    ) -> HealthRecord:
        """Permission before existence: a record outside the caller's reach and a missing one
        look alike (PERMISSION_DENIED), except to callers who reach the whole cell."""
        principal = current_principal()
        record_id = domain.parse_name(name, "healthRecords", field)
        record = repo.get(record_id, for_update=lock)
        if record is None:
            if self.authz.enforce(principal.subject, self.cell_path, ARCHIVES + method):
                raise NotFound(f"healthRecords/{record_id} does not exist")
            raise PermissionDenied(f"not allowed to call {method} here")
        self._require(principal, record.scope_path, method)
        return record

    def _own_tenant(self, principal: Principal, method: str) -> tuple[TenantFacts, str]:
        """The caller's institution (practitioners, service accounts) and its scope, after
        checking the caller may do ``method`` there."""
        if not principal.tenant_id:
            raise PermissionDenied(
                "only practitioners of an institution do this", reason="TENANT_REQUIRED"
            )
        scope = tenant_scope(principal.region_code, principal.tenant_id)
        self._require(principal, scope, method)
        tenant = self.identity.tenant(principal.tenant_id)
        domain.require_grassroots(tenant.type)
        return tenant, tenant_scope(tenant.region_code, tenant.tenant_id)

    def _audit(
        self,
        repo: ArchivesRepository,
        action: str,
        target: str,
        scope: str,
        outcome: str = "OK",
        **detail: object,
    ) -> None:
        audit.append(repo.s, audit.AuditEvent(action, target, scope, outcome, detail=detail))

    def _record_exists(self, existing: HealthRecord) -> AlreadyExists:
        return AlreadyExists(
            "the resident already has a record managed by another institution: request a "
            "transfer instead",
            reason="RECORD_EXISTS",
            metadata={
                "managing_tenant": f"tenants/{existing.managing_tenant_id}",
                "transfer_method": TRANSFER_METHOD,
            },
        )

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
        request_id = checks.check(domain.validate_request_id, request_id) or ""
        checks.raise_if_any()
        tenant, scope = self._own_tenant(principal, "CreateHealthRecord")
        if request_id:
            with self.db.read() as conn:
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
        request_id = domain.validate_request_id(request_id)
        now = self.clock()
        with self._unit() as repo:
            record = self._load(repo, parent, "CreateCheckUp", field="parent", lock=True)
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
        request_id = problems.check(domain.validate_request_id, request_id) or ""
        if visit is not None:
            problems.check(domain.check_visit, visit, today)
        problems.raise_if_any()
        assert visit is not None
        now = self.clock()
        with self._unit() as repo:
            record = self._load(repo, parent, "RecordFollowUp", field="parent", lock=True)
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
        tenant = self.identity.tenant(tenant_id)
        scope = tenant_scope(tenant.region_code, tenant.tenant_id)
        self._require(principal, scope, "ListOverdueFollowUpPlans")
        after = None
        if page.after:
            due_text, _, key = page.after.partition("|")
            after = (date.fromisoformat(due_text), key)
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
        request_id = checks.check(domain.validate_request_id, request_id) or ""
        checks.raise_if_any()
        scope, _, _ = self._indicator_scope(parent, "CreateSpotCheck")
        now = self.clock()
        with self._unit() as repo:
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
            finding = Finding(
                new_id(), check.spot_check_id, record_id, item, description, "open", "", now, None
            )
            repo.add_finding(finding)
            record = repo.get(record_id)
            assert record is not None
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
            region = catalog().require(code, "parent")
            self._require(principal, region.path, method)
            return region.path, "", code
        tenant_id = domain.parse_name(parent, "tenants", "parent")
        tenant = self.identity.tenant(tenant_id)
        scope = tenant_scope(tenant.region_code, tenant_id)
        self._require(principal, scope, method)
        return scope, tenant_id, ""

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
        request_id = checks.check(domain.validate_request_id, request_id) or ""
        checks.raise_if_any()
        if tenant_id != principal.tenant_id:
            raise PermissionDenied("teams are created in the caller's own institution")
        tenant, scope = self._own_tenant(principal, "CreateCareTeam")
        now = self.clock()
        with self._unit() as repo:
            if request_id and (earlier := repo.team_by_request(request_id)):
                return earlier
            team = CareTeam(new_id(), tenant.tenant_id, name, now)
            repo.add_team(team, request_id)
            self._audit(repo, "team.create", f"{parent}/teams/{team.team_id}", scope)
            return team

    def teams(self, parent: str) -> list[CareTeam]:
        principal = current_principal()
        tenant_id = domain.parse_name(parent, "tenants", "parent")
        tenant = self.identity.tenant(tenant_id)
        self._require(principal, tenant_scope(tenant.region_code, tenant_id), "ListCareTeams")
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
        request_id = checks.check(domain.validate_request_id, request_id) or ""
        checks.raise_if_any()
        start_day = start_day or today
        end_day = end_day or domain.add_months(start_day, 12) - timedelta(days=1)
        domain.check_contract_dates(start_day, end_day)
        now = self.clock()
        with self._unit() as repo:
            record = self._load(repo, parent, "SignContract", field="parent", lock=True)
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

    # -- transfers between institutions of the cell --------------------------------------------
    def request_transfer(
        self,
        resident_name: str,
        consent: tuple[str, str, str],
        reason: str,
        request_id: str,
        source_region: str = "",
        document: resident_pb2.IdentityDocument | None = None,
    ) -> Transfer:
        principal = current_principal()
        today = self.clock().date()
        checks = Violations()
        checks.check(domain.parse_name, resident_name, "residents", "resident")
        consent_doc = checks.check(domain.check_consent, *consent, today)
        reason = checks.check(domain.validate_reason, reason) or ""
        request_id = checks.check(domain.validate_request_id, request_id) or ""
        if source_region:
            checks.check(self._other_cell_region, source_region, "source_region")
            if document is None or not document.number:
                checks.add("document", "name the resident's document", "DOCUMENT_REQUIRED")
        checks.raise_if_any()
        if source_region:
            assert document is not None and consent_doc is not None
            return self._request_across(
                resident_name, consent_doc, reason, request_id, source_region, document
            )
        tenant, scope = self._own_tenant(principal, "RequestRecordTransfer")
        if request_id:
            with self.db.read() as conn:
                earlier = ArchivesRepository(conn).transfer_by_request(request_id)
            if earlier is not None:
                return earlier
        resident = self.identity.resident(resident_name)  # the caller must see the resident
        now = self.clock()
        with self._unit() as repo:
            record = repo.open_record_of(resident.resident_id, for_update=True)
            if record is None:
                raise NotFound(
                    "the resident has no open record: create one", reason="RECORD_NOT_FOUND"
                )
            if record.managing_tenant_id == tenant.tenant_id:
                raise FailedPrecondition(
                    "your institution manages this record", reason="ALREADY_MANAGED"
                )
            record.require_state(RecordState.ACTIVE, action="transfer")
            transfer = Transfer(
                transfer_id=new_id(),
                record_id=record.record_id,
                record_number=record.record_number,
                resident_id=record.resident_id,
                source_tenant_id=record.managing_tenant_id,
                source_scope=record.scope_path,
                destination_tenant_id=tenant.tenant_id,
                destination_region=tenant.region_code,
                destination_scope=scope,
                state=TransferState.PENDING,
                consent=consent_doc or {},
                reason=reason,
                decline_reason="",
                moved_plans=0,
                create_time=now,
                decide_time=None,
            )
            repo.add_transfer(transfer, request_id)
            repo.save(record.changed(now, state=RecordState.TRANSFER_PENDING), record.version)
            repo.record(
                record.record_id, "TRANSFER_REQUESTED", principal.subject, now,
                transfer=transfer.transfer_id, destination=tenant.tenant_id,
                consent_method=transfer.consent.get("method", ""),
            )  # fmt: skip
            self._audit(
                repo, "record.transfer_request", f"recordTransfers/{transfer.transfer_id}", scope,
                record=record.record_id, resident=record.resident_id, source=record.managing_tenant_id,
            )  # fmt: skip
            return transfer

    # -- transfers across cells (through the gateway) ------------------------------------------
    def _other_cell_region(self, code: str, field: str) -> str:
        region = catalog().require(code, field)
        if is_within(region.path, self.cell_path):
            raise invalid(field, "is in this cell: leave it empty", "SOURCE_REGION_LOCAL")
        return code

    def _other_cells(self) -> OtherCells:
        if self.cells is None or not self.cells.configured:
            raise FailedPrecondition(
                "this cell is not set up for cross-cell transfers", reason="CROSS_CELL_DISABLED"
            )
        return self.cells

    def _request_across(
        self,
        resident_name: str,
        consent: dict[str, str],
        reason: str,
        request_id: str,
        source_region: str,
        document: resident_pb2.IdentityDocument,
    ) -> Transfer:
        """Destination side: the practitioner has the resident (registered here) in front of
        them; the source cell finds its own resident by the document and opens the transfer
        there under the transfer id chosen here. A retry re-sends the idempotent open."""
        principal = current_principal()
        cells = self._other_cells()
        tenant, scope = self._own_tenant(principal, "RequestRecordTransfer")
        transfer = None
        if request_id:
            with self.db.read() as conn:
                transfer = ArchivesRepository(conn).transfer_by_request(request_id)
            if transfer is not None and transfer.record_id:
                return transfer
        if transfer is None:
            resident = self.identity.resident(resident_name)
            if self.identity.lookup(document) != resident.resident_id:
                raise invalid("document", "is not a document of this resident", "DOCUMENT_MISMATCH")
            now = self.clock()
            with self._unit() as repo:
                existing = repo.open_record_of(resident.resident_id)
                if existing is not None:
                    raise self._record_exists(existing)
                transfer = Transfer(
                    transfer_id=new_id(), record_id="", record_number="",
                    resident_id=resident.resident_id, source_tenant_id="",
                    source_scope=region_path(source_region), destination_tenant_id=tenant.tenant_id,
                    destination_region=tenant.region_code, destination_scope=scope,
                    state=TransferState.PENDING, consent=consent, reason=reason, decline_reason="",
                    moved_plans=0, create_time=now, decide_time=None, peer_region=source_region,
                )  # fmt: skip
                repo.add_transfer(transfer, request_id)
                self._audit(
                    repo, "record.transfer_request", f"recordTransfers/{transfer.transfer_id}",
                    scope, resident=resident.resident_id, source_region=source_region,
                )  # fmt: skip
        opened = cells.open_transfer(source_region, transfer, document)
        answered = replace(
            transfer,
            record_id=opened.record.removeprefix("healthRecords/"),
            record_number=opened.record_number,
            source_tenant_id=opened.source_tenant.removeprefix("tenants/"),
        )
        with self._unit() as repo:
            repo.open_transfer_source(answered)
        return answered

    def open_transfer(
        self,
        transfer_id: str,
        document: resident_pb2.IdentityDocument,
        destination_tenant: str,
        destination_region: str,
        consent: tuple[str, str, str],
        reason: str,
    ) -> Transfer:
        """Source side, called by the destination cell: the resident's active record here
        becomes TRANSFER_PENDING under the destination's transfer id (idempotent)."""
        caller, original = require_peer_cell(self.issuer)
        checks = Violations()
        transfer_id = checks.check(domain.validate_request_id, transfer_id, "transfer_id") or ""
        if not transfer_id:
            checks.add("transfer_id", "is required", "TRANSFER_ID_REQUIRED")
        tenant_id = checks.check(
            domain.parse_name, destination_tenant, "tenants", "destination_tenant"
        )
        region = checks.check(self._other_cell_region, destination_region, "destination_region")
        consent_doc = checks.check(domain.check_consent, *consent, self.clock().date())
        reason = checks.check(domain.validate_reason, reason) or ""
        if not document.number:
            checks.add("document", "name the resident's document", "DOCUMENT_REQUIRED")
        checks.raise_if_any()
        assert region is not None and tenant_id is not None
        if not is_within(region_path(region), region_path(caller.region_code)):
            raise PermissionDenied(
                "the destination lies outside the calling cell", reason="CROSS_CELL_CALLER"
            )
        with self.db.read() as conn:
            earlier = ArchivesRepository(conn).transfer(transfer_id)
        if earlier is not None:
            if earlier.peer_region != region:
                raise AlreadyExists("the transfer id is taken", reason="TRANSFER_ID_TAKEN")
            return earlier
        try:
            resident_id = self.identity.lookup(document, token=self._other_cells().own_token())
        except NotFound:
            resident_id = ""
        now = self.clock()
        with self._unit() as repo:
            record = repo.open_record_of(resident_id, for_update=True) if resident_id else None
            if record is None:
                raise NotFound("the resident has no open record here", reason="RECORD_NOT_FOUND")
            record.require_state(RecordState.ACTIVE, action="transfer")
            transfer = Transfer(
                transfer_id=transfer_id, record_id=record.record_id,
                record_number=record.record_number, resident_id=record.resident_id,
                source_tenant_id=record.managing_tenant_id, source_scope=record.scope_path,
                destination_tenant_id=tenant_id, destination_region=region,
                destination_scope=tenant_scope(region, tenant_id), state=TransferState.PENDING,
                consent=consent_doc or {}, reason=reason, decline_reason="", moved_plans=0,
                create_time=now, decide_time=None, peer_region=region,
            )  # fmt: skip
            repo.add_transfer(transfer, "")
            repo.save(record.changed(now, state=RecordState.TRANSFER_PENDING), record.version)
            repo.record(
                record.record_id, "TRANSFER_REQUESTED", original.subject, now,
                transfer=transfer_id, destination=tenant_id, destination_region=region,
                via=caller.subject, consent_method=transfer.consent.get("method", ""),
            )  # fmt: skip
            self._audit(
                repo, "record.transfer_open", f"recordTransfers/{transfer_id}", record.scope_path,
                record=record.record_id, resident=record.resident_id, on_behalf_of=original.subject,
                destination_region=region,
            )  # fmt: skip
            return transfer

    def _inbound(self, repo: ArchivesRepository, caller: Principal, transfer_id: str) -> Transfer:
        """Destination side: the transfer ``transfer_id`` whose source lies in the caller's cell."""
        transfer = repo.transfer(transfer_id, for_update=True)
        if (
            transfer is None
            or not transfer.peer_region
            or not is_within(region_path(transfer.peer_region), region_path(caller.region_code))
            or not is_within(transfer.destination_scope, self.cell_path)
        ):
            raise NotFound(
                f"recordTransfers/{transfer_id} does not exist", reason="TRANSFER_NOT_FOUND"
            )
        return transfer

    def import_record(self, transfer_id: str, bundle_bytes: bytes) -> Transfer:
        """Destination side, called by the source cell on confirm: the record arrives once
        (one transaction; a second import returns the first result)."""
        caller, original = require_peer_cell(self.issuer)
        transfer_id = domain.validate_request_id(transfer_id, "transfer_id")
        try:
            bundle = json.loads(bundle_bytes)
            valid = isinstance(bundle, dict) and bundle.get("format") == BUNDLE_FORMAT
        except ValueError:
            valid = False
        if not valid:
            raise invalid("bundle", f"must be a {BUNDLE_FORMAT} document", "BUNDLE_INVALID")
        now = self.clock()
        with self._unit() as repo:
            transfer = self._inbound(repo, caller, transfer_id)
            if transfer.state is TransferState.COMPLETED:
                return transfer  # a retry: the record arrived once
            if original.subject == caller.subject and transfer.state is not TransferState.ESCALATED:
                # A cell acting for itself only finishes a transfer both sides approved.
                raise PermissionDenied(
                    "only another cell, on behalf of one of its users, calls this",
                    reason="CROSS_CELL_CALLER",
                )
            domain.require_transfer_move(transfer.state, TransferState.COMPLETED)
            if transfer.state is TransferState.ESCALATED and not domain.approved_by_both(
                transfer.escalation.get("approvals", {})
            ):
                raise FailedPrecondition(
                    "the escalated transfer awaits the administrators of both sides",
                    reason="ESCALATION_NOT_APPROVED",
                )
            number = bundle["record"]["record_number"]
            if transfer.record_number and number != transfer.record_number:
                raise FailedPrecondition(
                    "the bundle is not the record of this transfer", reason="BUNDLE_MISMATCH"
                )
            existing = repo.open_record_of(transfer.resident_id)
            if existing is not None:
                raise self._record_exists(existing)
            record = repo.import_record(
                bundle, transfer.resident_id, transfer.destination_tenant_id,
                transfer.destination_region, transfer.destination_scope, now,
            )  # fmt: skip
            plans = repo.import_bundle(bundle, record)
            done = replace(
                transfer, state=TransferState.COMPLETED, moved_plans=plans, decide_time=now,
                record_id=record.record_id, record_number=record.record_number,
            )  # fmt: skip
            repo.open_transfer_source(done)
            repo.decide_transfer(done, "")
            repo.record(
                record.record_id, "TRANSFERRED_IN", original.subject, now,
                transfer=transfer_id, source_region=transfer.peer_region, via=caller.subject,
                plans=plans,
            )  # fmt: skip
            self._audit(
                repo, "record.transfer_import", f"recordTransfers/{transfer_id}",
                record.scope_path, record=record.record_id, resident=record.resident_id,
                on_behalf_of=original.subject,
            )  # fmt: skip
            return done

    def close_transfer(self, transfer_id: str, reason: str) -> Transfer:
        """Destination side, called by the source cell on decline."""
        caller, original = require_peer_cell(self.issuer)
        transfer_id = domain.validate_request_id(transfer_id, "transfer_id")
        reason = domain.validate_reason(reason)
        now = self.clock()
        with self._unit() as repo:
            transfer = self._inbound(repo, caller, transfer_id)
            if transfer.state is TransferState.DECLINED:
                return transfer
            domain.require_transfer_move(transfer.state, TransferState.DECLINED)
            done = replace(
                transfer, state=TransferState.DECLINED, decline_reason=reason, decide_time=now
            )
            repo.decide_transfer(done, "")
            self._audit(
                repo, "record.transfer_closed", f"recordTransfers/{transfer_id}",
                transfer.destination_scope, on_behalf_of=original.subject,
            )  # fmt: skip
            return done

    def _hand_over(
        self, transfer: Transfer, bundle: dict[str, Any], request_id: str, *, as_cell: bool = False
    ) -> Transfer:
        """Source side, after HANDING_OVER is committed: the idempotent import at the
        destination, then (only once it answered) the record here becomes a TRANSFERRED trace.
        A crash anywhere leaves HANDING_OVER, and a retry of the confirm ends here again."""
        principal = current_principal()
        imported = self._other_cells().import_record(
            transfer.peer_region, transfer.transfer_id, bundle, as_cell=as_cell
        )
        now = self.clock()
        with self._unit() as repo:
            current = repo.transfer(transfer.transfer_id, for_update=True)
            assert current is not None
            if current.state is TransferState.COMPLETED:
                return current
            record = repo.get(transfer.record_id, for_update=True)
            assert record is not None
            repo.save(record.changed(now, state=RecordState.TRANSFERRED), record.version)
            repo.set_plans_state(record.record_id, "closed")
            contract = repo.active_contract(record.record_id)
            if contract is not None:
                repo.save_contract(
                    replace(contract, state="ended", end_reason="transferred to another cell")
                )
            done = replace(
                current, state=TransferState.COMPLETED, moved_plans=imported.moved_plans,
                decide_time=now,
            )  # fmt: skip
            repo.decide_transfer(done, request_id)
            repo.record(
                record.record_id, "TRANSFERRED", principal.subject, now,
                transfer=transfer.transfer_id, destination=transfer.destination_tenant_id,
                destination_region=transfer.peer_region, plans=done.moved_plans,
            )  # fmt: skip
            self._audit(
                repo, "record.transfer_confirm", f"recordTransfers/{transfer.transfer_id}",
                transfer.source_scope, record=record.record_id, resident=record.resident_id,
                destination_region=transfer.peer_region,
            )  # fmt: skip
            return done

    def _load_transfer(
        self, repo: ArchivesRepository, name: str, method: str, *, lock: bool = False
    ) -> Transfer:
        principal = current_principal()
        transfer_id = domain.parse_name(name, "recordTransfers")
        transfer = repo.transfer(transfer_id, for_update=lock)
        if transfer is None:
            if self.authz.enforce(principal.subject, self.cell_path, ARCHIVES + method):
                raise NotFound(f"recordTransfers/{transfer_id} does not exist")
            raise PermissionDenied(f"not allowed to call {method} here")
        return transfer

    def confirm_transfer(self, name: str, request_id: str) -> Transfer:
        principal = current_principal()
        request_id = domain.validate_request_id(request_id)
        now = self.clock()
        with self._unit() as repo:
            transfer = self._load_transfer(repo, name, "ConfirmRecordTransfer", lock=True)
            self._require(principal, transfer.source_scope, "ConfirmRecordTransfer")
            if transfer.state is TransferState.COMPLETED:
                return transfer  # a retry: the record moved once
            if transfer.state is TransferState.ESCALATED:
                raise FailedPrecondition(
                    "an escalated transfer is decided by the administrators of both sides",
                    reason="TRANSFER_ESCALATED",
                )
            if transfer.peer_region:
                transfer, bundle = self._start_hand_over(repo, transfer, principal, now)
                across = True
            else:
                across = False
        if across:
            return self._hand_over(transfer, bundle, request_id)
        with self._unit() as repo:
            transfer = self._load_transfer(repo, name, "ConfirmRecordTransfer", lock=True)
            if transfer.state is TransferState.COMPLETED:
                return transfer
            if transfer.state is TransferState.ESCALATED:
                raise FailedPrecondition("the transfer was escalated", reason="TRANSFER_ESCALATED")
            return self._move_within(repo, transfer, request_id, principal, now)

    def _start_hand_over(
        self, repo: ArchivesRepository, transfer: Transfer, principal: Principal, now: datetime
    ) -> tuple[Transfer, dict[str, Any]]:
        """Cross-cell, source side: HANDING_OVER (once) and the bundle to send."""
        if transfer.state is not TransferState.HANDING_OVER:
            domain.require_transfer_move(transfer.state, TransferState.HANDING_OVER)
            transfer = replace(transfer, state=TransferState.HANDING_OVER, decide_time=now)
            repo.decide_transfer(transfer, "")
            repo.record(
                transfer.record_id, "HANDOVER_STARTED", principal.subject, now,
                transfer=transfer.transfer_id,
            )  # fmt: skip
        return transfer, repo.export_bundle(transfer.record_id)

    def _move_within(
        self,
        repo: ArchivesRepository,
        transfer: Transfer,
        request_id: str,
        principal: Principal,
        now: datetime,
    ) -> Transfer:
        """Within the cell: the record, its open plans and scope move to the destination."""
        domain.require_transfer_move(transfer.state, TransferState.COMPLETED)
        record = repo.get(transfer.record_id, for_update=True)
        assert record is not None
        record.require_state(RecordState.TRANSFER_PENDING, action="hand over")
        moved = record.changed(
            now,
            state=RecordState.ACTIVE,
            managing_tenant_id=transfer.destination_tenant_id,
            managing_region=transfer.destination_region,
            scope_path=transfer.destination_scope,
            team_id="",  # the new institution's contract decides the team
        )
        repo.save(moved, record.version)
        contract = repo.active_contract(record.record_id)
        if contract is not None:  # the old institution's team no longer manages it
            repo.save_contract(
                replace(contract, state="ended", end_reason="transferred to another institution")
            )
        plans = repo.move_scope(moved)
        done = replace(transfer, state=TransferState.COMPLETED, moved_plans=plans, decide_time=now)
        repo.decide_transfer(done, request_id)
        repo.record(
            record.record_id, "TRANSFERRED", principal.subject, now, transfer=transfer.transfer_id,
            source=transfer.source_tenant_id, destination=transfer.destination_tenant_id, plans=plans,
        )  # fmt: skip
        self._audit(
            repo, "record.transfer_confirm", f"recordTransfers/{transfer.transfer_id}",
            transfer.source_scope, record=record.record_id, resident=record.resident_id,
            destination=transfer.destination_tenant_id,
        )  # fmt: skip
        return done

    def decline_transfer(self, name: str, reason: str) -> Transfer:
        principal = current_principal()
        reason = domain.validate_reason(reason)
        now = self.clock()
        with self._unit() as repo:
            transfer = self._load_transfer(repo, name, "DeclineRecordTransfer", lock=True)
            self._require(principal, transfer.source_scope, "DeclineRecordTransfer")
            if transfer.state is TransferState.DECLINED and transfer.decline_reason == reason:
                if transfer.peer_region:
                    self._other_cells().close_transfer(
                        transfer.peer_region, transfer.transfer_id, reason
                    )
                return transfer
            domain.require_transfer_move(transfer.state, TransferState.DECLINED)
            record = repo.get(transfer.record_id, for_update=True)
            assert record is not None
            if record.state is RecordState.TRANSFER_PENDING:
                repo.save(record.changed(now, state=RecordState.ACTIVE), record.version)
            done = replace(
                transfer, state=TransferState.DECLINED, decline_reason=reason, decide_time=now
            )
            repo.decide_transfer(done, "")
            repo.record(
                record.record_id,
                "TRANSFER_DECLINED",
                principal.subject,
                now,
                transfer=transfer.transfer_id,
            )
            self._audit(
                repo, "record.transfer_decline", f"recordTransfers/{transfer.transfer_id}",
                transfer.source_scope, record=record.record_id, resident=record.resident_id,
            )  # fmt: skip
        if done.peer_region:  # a failure here: retry the decline, it re-sends the notice
            self._other_cells().close_transfer(done.peer_region, done.transfer_id, reason)
        return done

    # -- escalation to the county/district administrators of both sides ---------------------
    def _local_sides(self, transfer: Transfer) -> list[Side]:
        """The sides of ``transfer`` kept in this cell: both within the cell, else one."""
        if not transfer.peer_region:
            return [Side.SOURCE, Side.DESTINATION]
        return [Side.SOURCE] if self._source_here(transfer) else [Side.DESTINATION]

    def _source_here(self, transfer: Transfer) -> bool:
        return is_within(transfer.source_scope, self.cell_path)

    @staticmethod
    def _county_path(transfer: Transfer, side: Side) -> str:
        """The region path whose administrators decide for ``side``: the institution's
        county (a city or province administrator above it reaches it too)."""
        if side is Side.DESTINATION:
            return region_path(transfer.destination_region)
        head, _, last = transfer.source_scope.rpartition("/")
        return head if last.startswith("t-") else transfer.source_scope

    @staticmethod
    def _institution_scope(transfer: Transfer, side: Side) -> str:
        return transfer.source_scope if side is Side.SOURCE else transfer.destination_scope

    def _institution_side(self, principal: Principal, transfer: Transfer) -> Side:
        for side in self._local_sides(transfer):
            scope = self._institution_scope(transfer, side)
            if self.authz.enforce(principal.subject, scope, ARCHIVES + "EscalateRecordTransfer"):
                return side
        raise PermissionDenied(
            "only the institutions of the transfer escalate it", reason="NOT_TRANSFER_PARTY"
        )

    def _admin_sides(self, principal: Principal, transfer: Transfer, method: str) -> list[Side]:
        sides = [
            side
            for side in self._local_sides(transfer)
            if self.authz.enforce(
                principal.subject, self._county_path(transfer, side), ARCHIVES + method
            )
        ]
        if not sides:
            raise PermissionDenied(
                "only the county/district administrators of either side decide",
                reason="NOT_SIDE_ADMIN",
            )
        return sides

    def _escalate(
        self,
        repo: ArchivesRepository,
        transfer: Transfer,
        side: Side,
        reason: str,
        subject: str,
        now: datetime,
    ) -> Transfer:
        """ESCALATED (the move was checked); at the source the record is held for it again."""
        if self._source_here(transfer):
            record = repo.get(transfer.record_id, for_update=True)
            assert record is not None
            if record.state is not RecordState.TRANSFER_PENDING:
                record.require_state(RecordState.ACTIVE, action="escalate a transfer of")
                repo.save(record.changed(now, state=RecordState.TRANSFER_PENDING), record.version)
            repo.record(
                record.record_id, "TRANSFER_ESCALATED", subject, now,
                transfer=transfer.transfer_id, side=side.value,
            )  # fmt: skip
        escalation: dict[str, Any] = {
            "by": side.value, "reason": reason, "time": now.isoformat(), "approvals": {},
            "close_reason": "", "closed_by": "",
        }  # fmt: skip
        done = replace(transfer, state=TransferState.ESCALATED, escalation=escalation)
        repo.decide_transfer(done, "")
        self._audit(
            repo, "record.transfer_escalate", f"recordTransfers/{transfer.transfer_id}",
            self._institution_scope(transfer, side), side=side.value, by=subject,
        )  # fmt: skip
        return done

    def _approve(
        self, repo: ArchivesRepository, transfer: Transfer, sides: list[Side], subject: str
    ) -> Transfer:
        approvals = dict(transfer.escalation.get("approvals", {}))
        new = [side for side in sides if not approvals.get(side.value)]
        if not new:
            return transfer  # approved before: idempotent
        for side in new:
            approvals[side.value] = subject
        done = replace(transfer, escalation={**transfer.escalation, "approvals": approvals})
        repo.decide_transfer(done, "")
        for side in new:
            self._audit(
                repo, "record.transfer_approve", f"recordTransfers/{transfer.transfer_id}",
                self._county_path(transfer, side), side=side.value, by=subject,
            )  # fmt: skip
        return done

    def _reject(
        self,
        repo: ArchivesRepository,
        transfer: Transfer,
        side: Side,
        reason: str,
        subject: str,
        now: datetime,
    ) -> Transfer:
        """CLOSED for good; at the source the record is ACTIVE again."""
        domain.require_transfer_move(transfer.state, TransferState.CLOSED)
        if self._source_here(transfer):
            record = repo.get(transfer.record_id, for_update=True)
            assert record is not None
            if record.state is RecordState.TRANSFER_PENDING:
                repo.save(record.changed(now, state=RecordState.ACTIVE), record.version)
            repo.record(
                record.record_id, "TRANSFER_CLOSED", subject, now,
                transfer=transfer.transfer_id, side=side.value,
            )  # fmt: skip
        escalation = {**transfer.escalation, "close_reason": reason, "closed_by": side.value}
        done = replace(transfer, state=TransferState.CLOSED, escalation=escalation, decide_time=now)
        repo.decide_transfer(done, "")
        self._audit(
            repo, "record.transfer_reject", f"recordTransfers/{transfer.transfer_id}",
            self._county_path(transfer, side), side=side.value, by=subject,
        )  # fmt: skip
        return done

    def _relay(self, transfer: Transfer, decision: str, side: Side, reason: str = "") -> Any:
        return self._other_cells().relay_decision(
            transfer.peer_region, transfer.transfer_id, decision, side.value, reason
        )

    def _proceed(self, transfer_id: str, *, as_cell: bool = False) -> Transfer:
        """After the last approval: the transfer proceeds like a confirm (the same
        idempotent hand-over across cells, the same move within one)."""
        principal = current_principal()
        now = self.clock()
        with self._unit() as repo:
            transfer = repo.transfer(transfer_id, for_update=True)
            assert transfer is not None
            if transfer.state is TransferState.COMPLETED:
                return transfer
            if transfer.state is TransferState.ESCALATED and not domain.approved_by_both(
                transfer.escalation.get("approvals", {})
            ):
                return transfer  # still awaits the other side
            if not transfer.peer_region:
                return self._move_within(repo, transfer, "", principal, now)
            transfer, bundle = self._start_hand_over(repo, transfer, principal, now)
        return self._hand_over(transfer, bundle, "", as_cell=as_cell)

    def escalate_transfer(self, name: str, reason: str) -> Transfer:
        """Either institution: after a decline, or a request unanswered for the configured
        days, the transfer goes to the county/district administrators of both sides."""
        principal = current_principal()
        reason = domain.validate_reason(reason)
        now = self.clock()
        with self._unit() as repo:
            transfer = self._load_transfer(repo, name, "EscalateRecordTransfer", lock=True)
            side = self._institution_side(principal, transfer)
            if transfer.state is not TransferState.ESCALATED:
                domain.require_escalation(
                    transfer.state, transfer.create_time, now, self.escalate_after_days
                )
                if not transfer.peer_region or self._source_here(transfer):
                    # The side keeping the record decides first (its record must be ACTIVE).
                    transfer = self._escalate(repo, transfer, side, reason, principal.subject, now)
        if not transfer.peer_region:
            return transfer
        self._relay(transfer, "escalate", side, reason)  # a retry re-sends it
        if transfer.state is TransferState.ESCALATED:
            return transfer
        with self._unit() as repo:  # destination side: after the source accepted it
            current = repo.transfer(transfer.transfer_id, for_update=True)
            assert current is not None
            if current.state is TransferState.ESCALATED:
                return current
            domain.require_transfer_move(current.state, TransferState.ESCALATED)
            return self._escalate(repo, current, side, reason, principal.subject, now)

    def approve_transfer(self, name: str) -> Transfer:
        """A county/district administrator of a side (or one above) approves; with both
        sides approved the transfer proceeds. Approving again changes nothing."""
        principal = current_principal()
        with self._unit() as repo:
            transfer = self._load_transfer(repo, name, "ApproveRecordTransfer", lock=True)
            sides = self._admin_sides(principal, transfer, "ApproveRecordTransfer")
            if transfer.state not in (
                TransferState.ESCALATED, TransferState.HANDING_OVER, TransferState.COMPLETED
            ):  # fmt: skip
                raise FailedPrecondition(
                    "only an escalated transfer is approved",
                    reason="TRANSFER_STATE",
                    metadata={"state": transfer.state.name},
                )
            if transfer.state is TransferState.ESCALATED:
                transfer = self._approve(repo, transfer, sides, principal.subject)
        if transfer.peer_region and transfer.state is TransferState.ESCALATED:
            for side in sides:  # the other cell learns it (and, at the source, proceeds)
                self._relay(transfer, "approve", side)
        if not transfer.peer_region or self._source_here(transfer):
            return self._proceed(transfer.transfer_id)
        with self.db.read() as conn:
            current = ArchivesRepository(conn).transfer(transfer.transfer_id)
        assert current is not None
        return current

    def reject_transfer(self, name: str, reason: str) -> Transfer:
        """A county/district administrator of either side rejects: CLOSED for good."""
        principal = current_principal()
        reason = domain.validate_reason(reason)
        now = self.clock()
        with self._unit() as repo:
            transfer = self._load_transfer(repo, name, "RejectRecordTransfer", lock=True)
            side = self._admin_sides(principal, transfer, "RejectRecordTransfer")[0]
            if transfer.state is not TransferState.CLOSED:
                domain.require_transfer_move(transfer.state, TransferState.CLOSED)
                if not transfer.peer_region or self._source_here(transfer):
                    transfer = self._reject(repo, transfer, side, reason, principal.subject, now)
        if not transfer.peer_region:
            return transfer
        self._relay(transfer, "reject", side, reason)  # a retry re-sends it
        if transfer.state is TransferState.CLOSED:
            return transfer
        with self._unit() as repo:  # destination side: after the source released the record
            current = repo.transfer(transfer.transfer_id, for_update=True)
            assert current is not None
            if current.state is TransferState.CLOSED:
                return current
            return self._reject(repo, current, side, reason, principal.subject, now)

    def relay_decision(
        self, transfer_id: str, decision: str, side_name: str, reason: str
    ) -> Transfer:
        """Cross-cell: the other side's cell escalated, approved or rejected the transfer."""
        caller, original = require_peer_cell(self.issuer)
        checks = Violations()
        transfer_id = checks.check(domain.validate_request_id, transfer_id, "transfer_id") or ""
        if not transfer_id:
            checks.add("transfer_id", "is required", "TRANSFER_ID_REQUIRED")
        if decision not in ("escalate", "approve", "reject"):
            checks.add("decision", "must be ESCALATE, APPROVE or REJECT", "DECISION_REQUIRED")
        if side_name not in ("source", "destination"):
            checks.add("side", "must be SOURCE or DESTINATION", "SIDE_REQUIRED")
        if decision in ("escalate", "reject"):
            reason = checks.check(domain.validate_reason, reason) or ""
        checks.raise_if_any()
        side = Side(side_name)
        now = self.clock()
        with self._unit() as repo:
            transfer = repo.transfer(transfer_id, for_update=True)
            if (
                transfer is None
                or not transfer.peer_region
                or not is_within(region_path(transfer.peer_region), region_path(caller.region_code))
            ):
                raise NotFound(
                    f"recordTransfers/{transfer_id} does not exist", reason="TRANSFER_NOT_FOUND"
                )
            if side in self._local_sides(transfer):
                raise PermissionDenied(
                    "a cell relays only its own side's decisions", reason="CROSS_CELL_CALLER"
                )
            if decision == "escalate":
                if transfer.state is not TransferState.ESCALATED:
                    domain.require_transfer_move(transfer.state, TransferState.ESCALATED)
                    transfer = self._escalate(repo, transfer, side, reason, original.subject, now)
                return transfer
            if decision == "reject":
                if transfer.state is not TransferState.CLOSED:
                    transfer = self._reject(repo, transfer, side, reason, original.subject, now)
                return transfer
            if transfer.state is TransferState.ESCALATED:
                transfer = self._approve(repo, transfer, [side], original.subject)
            elif transfer.state not in (TransferState.HANDING_OVER, TransferState.COMPLETED):
                raise FailedPrecondition(
                    "only an escalated transfer is approved",
                    reason="TRANSFER_STATE",
                    metadata={"state": transfer.state.name},
                )
        if self._source_here(transfer):
            # The other cell's administrator approved last: this cell hands over for itself.
            return self._proceed(transfer_id, as_cell=True)
        return transfer

    def get_transfer(self, name: str) -> Transfer:
        principal = current_principal()
        with self._unit(durable=False) as repo:
            transfer = self._load_transfer(repo, name, "GetRecordTransfer")
            if not any(
                self.authz.enforce(principal.subject, scope, ARCHIVES + "GetRecordTransfer")
                for scope in (transfer.source_scope, transfer.destination_scope)
            ):
                raise PermissionDenied("not allowed to see this transfer")
            self._audit(
                repo, "record.transfer_read", name, transfer.source_scope, record=transfer.record_id
            )
            return transfer

    def transfers(self, parent: str, page: Page) -> tuple[list[Transfer], str]:
        principal = current_principal()
        tenant_id = domain.parse_name(parent, "tenants", "parent")
        scopes = self._scopes(principal, "ListRecordTransfers")
        with self._unit(durable=False) as repo:
            rows = repo.transfers(tenant_id, scopes, page.after, page.size + 1)
            chunk = rows[: page.size]
            self._audit(repo, "record.transfers", parent, self.cell_path, hits=len(chunk))
        return chunk, page.next_token(
            chunk[-1].transfer_id if chunk else None, len(rows) > page.size
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
