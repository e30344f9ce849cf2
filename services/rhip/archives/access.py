"""What every archives use case starts from: the cell, the database, the authorizer and the
identity client, and the access checks (permission before existence, the caller's own
institution, scoped loads) and the audit append they share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from rhip.archives import common
from rhip.archives.clients import IdentityClient, OtherCells, TenantFacts
from rhip.archives.follow_ups.domain import FollowUpPolicy
from rhip.archives.locator_client import LocatorClient
from rhip.archives.records.domain import HealthRecord
from rhip.archives.repository import ArchivesRepository
from rhip.archives.roles import ARCHIVES
from rhip.archives.settings import ArchivesSettings
from rhip.kit import audit
from rhip.kit.audit_query import AuditFilter, AuditRecord, search_region
from rhip.kit.authn import Principal, current_principal
from rhip.kit.authz import Authorizer, subject_blocked
from rhip.kit.db import Database
from rhip.kit.errors import AlreadyExists, NotFound, PermissionDenied
from rhip.kit.institution_names import InstitutionNames
from rhip.kit.pagination import Page
from rhip.kit.parents import ListParents
from rhip.kit.tenancy import Region, region_path, tenant_scope

TRANSFER_METHOD = ARCHIVES + "RequestRecordTransfer"


class UseCaseBase:
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
        escalate_after_days: int = ArchivesSettings.transfer_escalation_days,
        timeline: bool = False,
        names: InstitutionNames | None = None,
    ) -> None:
        # The record history also feeds emr's timeline index (the cell runs emr), its entries
        # naming the record's keeper (``names``: asked as the cell, kept a while).
        self.timeline = timeline
        self.names = names
        self.escalate_after_days = escalate_after_days
        self.cells = cells
        # The platform's resident locator, when the cell has a gateway and a cell account.
        self.locator = LocatorClient(cells, cell) if cells is not None else None
        self.issuer = issuer or f"rhip-identity/{cell}"
        self.db = db
        self.authz = authorizer
        self.identity = identity
        self.policy = policy or FollowUpPolicy()
        self.clock = clock
        self.cell_path = region_path(cell)
        self.parents = ListParents(authorizer, self.cell_path)

    # -- access --------------------------------------------------------------------------------
    @contextmanager
    def _unit(self, *, durable: bool = True) -> Iterator[ArchivesRepository]:
        with self.db.transaction(durable=durable) as tx:
            yield ArchivesRepository(tx, timeline=self.timeline, names=self.names)

    def search_audit(
        self, parent: str, where: AuditFilter, page: Page
    ) -> tuple[list[AuditRecord], str]:
        """Who read or changed what in this cell's archives (``SearchAuditEvents``)."""
        return search_region(
            self.db, self.authz, ARCHIVES + "SearchAuditEvents", parent, where, page
        )

    def _require(
        self, principal: Principal, scope: str, method: str, *, service: str = ARCHIVES
    ) -> None:
        self.authz.require(principal, scope, service + method)

    def _scopes(self, principal: Principal, method: str) -> list[str]:
        scopes = self.authz.scopes(principal.subject, ARCHIVES + method)
        if not scopes:
            if self.authz.is_blocked(principal.subject):
                raise subject_blocked()
            raise PermissionDenied(f"not allowed to call {method} here")
        return scopes

    def _tenant_parent(self, principal: Principal, tenant_id: str, method: str) -> str:
        """The scope of the list parent ``tenants/{tenant_id}``, once the caller may ``method``
        there (PERMISSION_DENIED alike for a tenant out of reach and a missing one)."""
        action = ARCHIVES + method

        def scope_of(tenant_id: str) -> str | None:
            # Identity answers with the caller's own token: it refuses a tenant the caller may
            # not see, and tells only those who reach the whole cell that it does not exist.
            try:
                tenant = self.identity.tenant(tenant_id)
            except NotFound:
                return None
            except PermissionDenied:
                raise self.authz.denial(principal, action) from None
            return tenant_scope(tenant.region_code, tenant.tenant_id)

        return self.parents.tenant(principal, tenant_id, action, scope_of)

    def _region_parent(self, principal: Principal, code: str, method: str) -> Region:
        return self.parents.region(principal, code, ARCHIVES + method)

    def _load(
        self,
        repo: ArchivesRepository,
        name: str,
        method: str,
        *,
        field: str = "name",
        lock: bool = False,
        service: str = ARCHIVES,
    ) -> HealthRecord:
        """Permission before existence: a record outside the caller's reach and a missing one
        look alike (PERMISSION_DENIED), except to callers who reach the whole cell."""
        principal = current_principal()
        record_id = common.parse_name(name, "healthRecords", field)
        record = repo.get(record_id, for_update=lock)
        self.authz.require_found(
            principal,
            record.scope_path if record else None,
            service + method,
            self.cell_path,
            f"healthRecords/{record_id} does not exist",
        )
        assert record is not None  # require_found raised otherwise
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
        if self.names is not None:  # the timeline's entries of this write need not ask again
            self.names.remember(tenant.tenant_id, tenant.display_name)
        common.require_grassroots(tenant.type)
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
