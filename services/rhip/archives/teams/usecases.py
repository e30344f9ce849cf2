"""Family-doctor team use cases: teams of an institution, contracts with a record (sign,
renew, end, list) and moving a record to another team of its institution."""

from __future__ import annotations

from datetime import datetime, timedelta

from rhip.archives import common
from rhip.archives.access import UseCaseBase
from rhip.archives.records.domain import HealthRecord, RecordState
from rhip.archives.repository import ArchivesRepository
from rhip.archives.teams import domain
from rhip.archives.teams.domain import CareTeam, Contract
from rhip.kit.authn import current_principal
from rhip.kit.errors import (
    AlreadyExists,
    FailedPrecondition,
    NotFound,
    PermissionDenied,
    Violations,
    invalid,
)
from rhip.kit.idempotency import claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page
from rhip.kit.requests import check_no_controls
from rhip.kit.timestamps import clinical_day


class TeamUseCases(UseCaseBase):
    # -- family-doctor teams and contracts -----------------------------------------------------
    def create_team(self, parent: str, display_name: str, request_id: str) -> CareTeam:
        principal = current_principal()
        checks = Violations()
        tenant_id = checks.check(common.parse_name, parent, "tenants", "parent") or ""
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
        tenant_id = common.parse_name(parent, "tenants", "parent")
        self._tenant_parent(principal, tenant_id, "ListCareTeams")
        with self.db.read() as conn:
            return ArchivesRepository(conn).teams(tenant_id)

    def contracted_residents(self, parent: str, page: Page) -> tuple[list[str], str]:
        """The residents whose contract with the team ``parent`` is in force today. Permission
        before existence: the team's institution must be within the caller's reach (AIP-211 via
        the tenant parent), then the team must exist there (NOT_FOUND)."""
        principal = current_principal()
        parts = parent.split("/")
        if len(parts) != 4 or parts[0] != "tenants" or parts[2] != "teams" or not all(parts[1::2]):
            raise invalid("parent", "must look like tenants/{id}/teams/{team}", "RESOURCE_NAME")
        tenant_id, team_id = parts[1], parts[3]
        scope = self._tenant_parent(principal, tenant_id, "ListContractedResidents")
        scopes = self._scopes(principal, "ListContractedResidents")
        today = clinical_day(self.clock())
        with self._unit(durable=False) as repo:
            team = repo.team(team_id)
            if team is None or team.tenant_id != tenant_id:
                raise NotFound(f"{parent} does not exist", reason="TEAM_NOT_FOUND")
            found = repo.contracted_residents(team_id, scopes, today, page.after, page.size + 1)
            chunk = found[: page.size]
            self._audit(repo, "team.residents", parent, scope, hits=len(chunk))
        token = page.next_token(chunk[-1] if chunk else None, len(found) > page.size)
        return chunk, token

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
        today = clinical_day(self.clock())
        checks = Violations()
        start_day = checks.check(common.parse_date, start, "start_date")
        end_day = checks.check(common.parse_date, end, "end_date")
        request_id = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        start_day = start_day or today
        end_day = end_day or common.add_months(start_day, 12) - timedelta(days=1)
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
        end_day = common.parse_date(end, "end_date", required=True)
        assert end_day is not None
        now = self.clock()
        with self._unit() as repo:
            record, contract = self._load_contract(repo, name, "RenewContract")
            if end_day <= contract.end_date:
                raise invalid("end_date", "must be after the current end date", "CONTRACT_DATES")
            domain.check_contract_dates(clinical_day(now), end_day)
            renewed = contract.renewed(end_day)
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
        reason = common.validate_reason(reason)
        now = self.clock()
        with self._unit() as repo:
            record, contract = self._load_contract(repo, name, "EndContract")
            ended = contract.ended(reason)
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
            repo.save_contract(contract.with_team(team.team_id))
            moved = self._set_team(repo, record, team.team_id, now)
            repo.record(
                record.record_id, "TEAM_CHANGED", principal.subject, now,
                source=record.team_id, destination=team.team_id,
            )  # fmt: skip
            self._audit(
                repo, "record.team_move", name, record.scope_path, resident=record.resident_id
            )
            return moved
