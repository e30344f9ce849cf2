"""Archives use cases: one method per use case. Each validates the input (every bad field at
once, before anything changes), checks the caller's permission on the record's own scope (the
managing institution's ``tenant_scope``), opens one transaction, applies the domain rules,
writes, records the history and appends an audit event. Lists filter in SQL by the caller's
scopes. Audit details carry ids and codes only: never an ID number, a name or a phone.
"""

from __future__ import annotations

from typing import Any

from rhip.archives import common
from rhip.archives.access import UseCaseBase
from rhip.archives.clients import ResidentFacts, TenantFacts
from rhip.archives.locator_client import OpenRecord, PendingClaim
from rhip.archives.records import domain
from rhip.archives.records.domain import (
    HealthRecord,
    RecordState,
    RecordTaken,
    TerminationReason,
)
from rhip.archives.repository import ArchivesRepository
from rhip.kit.authn import current_principal
from rhip.kit.errors import Aborted, AlreadyExists, FailedPrecondition, Violations
from rhip.kit.history import ResourceEvent
from rhip.kit.idempotency import check_reuse, claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page
from rhip.kit.timestamps import clinical_day


def _etag_version(etag: str) -> int | None:
    text = etag.removeprefix("W/").strip('"')
    return int(text) if text.isdigit() else None


class RecordUseCases(UseCaseBase):
    """Health records: create, read, list, update the basic form, activate, terminate,
    reactivate, their history and completeness."""

    # -- records -------------------------------------------------------------------------------
    def create(
        self, resident_name: str, township: str, village: str, form: dict[str, Any], request_id: str
    ) -> HealthRecord:
        principal = current_principal()
        today = clinical_day(self.clock())
        checks = Violations()
        checks.check(common.parse_name, resident_name, "residents", "resident")
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
        record_id = new_id()
        # One open record per person across the platform: the claim goes to the locator now
        # and is answered while this cell does its own work (docs/architecture.md §3.1a).
        pending = self._send_claim(resident, record_id, tenant)
        try:
            if pending is not None and self.db.locks_on_begin:
                # SQLite's transaction holds the whole database from its start: it waits for
                # the answer, so only the cell's own check runs beside the claim there.
                self._refuse_second_record(resident.resident_id)
                pending.wait()
            return self._commit_new(
                record_id, resident, tenant, scope, township, village, basic, request_id, pending
            )
        except BaseException:
            if pending is not None:  # nothing was committed here: the claim goes too
                pending.abandon()
            raise

    def _send_claim(
        self, resident: ResidentFacts, record_id: str, tenant: TenantFacts
    ) -> PendingClaim | None:
        """Sends the claim of the person's one open record to the locator, without waiting
        for its answer (RECORD_EXISTS when another cell holds one; UNAVAILABLE when the
        locator cannot be reached, both once awaited). None when the cell has no gateway (a
        cell on its own)."""
        if self.locator is None or not self.locator.enabled:
            return None
        if resident.document is None:
            self._refuse_second_record(resident.resident_id)  # the cell's own rule first
            raise FailedPrecondition(
                "the resident's verified document is needed to check other cells",
                reason="DOCUMENT_UNREADABLE",
            )
        return self.locator.send_claim(
            resident.document,
            OpenRecord(resident.resident_id, record_id, tenant.display_name, tenant.region_code),
        )

    def _refuse_second_record(self, resident_id: str) -> None:
        with self.db.read() as conn:
            existing = ArchivesRepository(conn).open_record_of(resident_id)
        if existing is not None:
            raise self._record_exists(existing)

    def _commit_new(
        self,
        record_id: str,
        resident: ResidentFacts,
        tenant: TenantFacts,
        scope: str,
        township: str,
        village: str,
        basic: dict[str, Any],
        request_id: str,
        pending: PendingClaim | None,
    ) -> HealthRecord:
        """Writes the record while the locator's claim (``pending``) is outstanding and
        commits it only once the claim is made: a refusal or an unreachable locator raises
        before the commit and nothing is kept. The locks other calls of the cell wait for
        come after the answer: the audit chain's head (every audited call takes it) and, on
        SQLite, the database itself (the caller waited already). The creating institution's
        serial is taken before, so that numbering and writing the record run beside the
        claim; only creations of the same institution wait for it, and for no longer than
        the claim outlasts that work (tests/perf/RESULTS-locator.md)."""
        principal = current_principal()
        now = self.clock()
        with self._unit() as repo:
            claim(repo.s, request_id)
            existing = repo.open_record_of(resident.resident_id)
            if existing is not None:
                raise self._record_exists(existing)
            prefix = f"{tenant.region_code}{township}{village}"
            serial = repo.next_serial(tenant.tenant_id, prefix)
            record = HealthRecord(
                record_id=record_id,
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
            if pending is not None:
                pending.wait()  # another cell's open record, or no locator: all rolled back
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
        tenant_id = checks.check(common.parse_name, parent, "tenants", "parent") if parent else ""
        if record_number:
            checks.check(domain.validate_record_number, record_number)
        resident_id = (
            checks.check(common.parse_name, resident, "residents", "resident") if resident else ""
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
        basic = checks.check(domain.check_basic_info, form, clinical_day(self.clock())) or {}
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
                reason, day, destination, handover, clinical_day(now), record.birth_date
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
        if self.locator is not None and self.locator.enabled:
            # No longer open: another cell may now create the person's record. Best effort:
            # the termination stands when the locator is down (the backfill's prune clears it).
            self.locator.release_quietly(record.record_id)
        return ended

    def reactivate(self, name: str, reason: str) -> HealthRecord:
        principal = current_principal()
        reason = common.validate_reason(reason)
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
                    repo.set_plan_due(record.record_id, plan_program, clinical_day(now))
            repo.record(record.record_id, "REACTIVATED", principal.subject, now, reason=reason)
            self._audit(
                repo, "record.reactivate", f"healthRecords/{record.record_id}", record.scope_path,
                resident=record.resident_id, lost_since=record.termination.day.isoformat(),
            )  # fmt: skip
            return active

    def history(self, name: str, page: Page) -> tuple[list[ResourceEvent], str]:
        with self._unit(durable=False) as repo:
            record = self._load(repo, name, "ListRecordEvents", field="parent")
            events, token = repo.history(record.record_id, page)
            self._audit(
                repo,
                "record.history",
                f"healthRecords/{record.record_id}",
                record.scope_path,
                resident=record.resident_id,
            )
        return events, token

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
