"""Who may reach a resident, and the units of work and audit every resident use case shares.

Who may see a resident: every region at or above where the resident lives (``home_path``)
and every tenant where the resident presented themselves (an enrollment). A practitioner's
reach over the index is their institution's region (a county), not only the institution:
residents move between the clinics of a county. List and search filter in SQL by these roots;
single reads check the resident's own paths. Every read and write is audited without the
document number, the name or the phone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from rhip.identity.directory.domain import parse_resource_name
from rhip.identity.residents.domain import Holder, Resident
from rhip.identity.residents.store import ResidentRepository
from rhip.identity.roles import READ_UNMASKED, RESIDENTS
from rhip.identity.settings import IdentitySettings, load_identity_settings
from rhip.kit import audit
from rhip.kit.authn import Principal, current_principal
from rhip.kit.authz import Authorizer, subject_blocked
from rhip.kit.config import Settings
from rhip.kit.db import Database
from rhip.kit.errors import FailedPrecondition, NotFound, PermissionDenied, invalid
from rhip.kit.pii import PiiVault
from rhip.kit.tenancy import catalog, is_within, region_path, tenant_scope


def widen_to_region(scope: str) -> str:
    """A tenant scope ``…/320311/t-{id}`` reaches the tenant's region ``…/320311``."""
    head, _, last = scope.rpartition("/")
    return head if last.startswith("t-") else scope


class ResidentAccess:
    """The base of the resident use cases (ResidentUseCases) and of those that stand on them
    (merges, the change feed, health cards): settings, scope checks, units of work, audit."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        authorizer: Authorizer,
        vault: PiiVault,
        read_audit: audit.AuditWriter,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_death: Callable[[ResidentRepository, Resident, datetime], None] = lambda *_: None,
        options: IdentitySettings | None = None,
    ) -> None:
        self.settings = settings
        self.options = options or load_identity_settings(settings.env)
        self.db = db
        self.authz = authorizer
        self.vault = vault
        self.read_audit = read_audit
        # What else a death changes in the same transaction (the card is revoked: server.py).
        self.on_death = on_death
        self.clock = clock
        self.cell_path = region_path(settings.cell)
        # Called after a commit that queued a resident for the locator (the link worker's
        # wake-up, server.py); nothing in a cell without one.
        self.links_queued: Callable[[], None] = lambda: None

    # -- access ------------------------------------------------------------------------------
    def roots(self, principal: Principal, method: str) -> list[str]:
        """The region paths whose residents ``principal`` may reach with ``method``;
        PERMISSION_DENIED when there are none."""
        scopes = self.authz.scopes(principal.subject, RESIDENTS + method)
        if not scopes:
            if self.authz.is_blocked(principal.subject):
                raise subject_blocked()
            raise PermissionDenied(f"not allowed to call {method} here")
        return sorted({widen_to_region(s) for s in scopes})

    def may_unmask(self, principal: Principal) -> bool:
        return bool(self.authz.scopes(principal.subject, READ_UNMASKED))

    @contextmanager
    def unit(self) -> Iterator[ResidentRepository]:
        """One transaction: the changes and their audit rows commit together."""
        with self.db.transaction() as tx:
            yield ResidentRepository(tx, self.vault)

    @contextmanager
    def reading(self) -> Iterator[ResidentRepository]:
        """Plain reads; their audit events go through ``read_audit`` (see ``_audit_read``)."""
        with self.db.read() as conn:
            yield ResidentRepository(conn, self.vault)

    def visible_resident(
        self, repo: ResidentRepository, resident_id: str, roots: list[str], *, lock: bool = False
    ) -> Resident:
        """Permission before existence: a resident outside the caller's roots and a missing one
        look the same (PERMISSION_DENIED), except to callers who reach the whole cell."""
        resident, seen = repo.get_visible(roots, resident_id=resident_id, lock=lock)
        if resident is not None and seen:
            return resident
        if resident is None and any(is_within(self.cell_path, r) for r in roots):
            raise NotFound(f"residents/{resident_id} does not exist")
        raise PermissionDenied("not allowed to see this resident")

    def load(self, repo: ResidentRepository, name: str, method: str, **kw: Any) -> Resident:
        principal = current_principal()
        resident_id = parse_resource_name(name, "residents", kw.pop("field", "name"))
        return self.visible_resident(repo, resident_id, self.roots(principal, method), **kw)

    def _enrolling_tenant(self, principal: Principal, tenant_name: str) -> tuple[str, str]:
        """(tenant id, tenant scope) where the resident presents: the caller's own tenant for
        practitioners and service accounts; administrators may name none."""
        if principal.tenant_id:
            if tenant_name and tenant_name != f"tenants/{principal.tenant_id}":
                raise PermissionDenied("residents are registered at the caller's own tenant")
            return principal.tenant_id, tenant_scope(principal.region_code, principal.tenant_id)
        if tenant_name:
            raise invalid(
                "tenant", "only practitioners and service accounts enrol at a tenant", "TENANT"
            )
        return "", ""

    def _home(self, code: str, field: str, roots: list[str], tenant_scope_: str) -> str:
        region = catalog().require(code, field)
        if not is_within(region.path, self.cell_path):
            raise FailedPrecondition(
                "the region belongs to another cell", reason="WRONG_CELL", metadata={"field": field}
            )
        if not tenant_scope_ and not any(is_within(region.path, r) for r in roots):
            raise PermissionDenied("the residence lies outside the caller's region")
        return region.path

    def _event(
        self,
        action: str,
        resident: Resident | Holder | None,
        target: str,
        outcome: str,
        detail: dict,
    ) -> audit.AuditEvent:
        if resident is not None:
            target, scope = target or f"residents/{resident.resident_id}", resident.home_path
        else:
            scope = self.cell_path
        return audit.AuditEvent(action, target, scope, outcome, detail=detail)

    def audit_change(
        self,
        repo: ResidentRepository,
        action: str,
        resident: Resident | None,
        target: str = "",
        outcome: str = "OK",
        **detail: object,
    ) -> None:
        """Audit a change in its own transaction."""
        audit.append(repo.s, self._event(action, resident, target, outcome, detail))

    def audit_read(
        self,
        action: str,
        resident: Resident | None,
        target: str = "",
        outcome: str = "OK",
        **detail: object,
    ) -> None:
        """Audit a read: captured now, appended by the writer with other reads' events; the
        answer waits until it is written."""
        self.read_audit.submit(self._event(action, resident, target, outcome, detail))

    def audit_each_read(
        self, reads: Sequence[tuple[str, Resident | Holder | None, str, str]]
    ) -> None:
        """Audit several reads of one call (action, resident, target, outcome), each as
        ``audit_read`` would, appended together: the answer waits for one commit."""
        if reads:
            self.read_audit.submit_all([self._event(*read, {}) for read in reads])

    def audit_reads(self, action: str, residents: list[Resident], **detail: object) -> None:
        """Audit a read that returned several residents: one event per resident (so "who
        viewed this resident" finds a search too), or one for the call when none."""
        if not residents:
            self.read_audit.submit(
                self._event(action, None, "residents", "OK", {"hits": 0, **detail})
            )
            return
        self.read_audit.submit_all(
            [
                self._event(action, r, "", "OK", {"hits": len(residents), **detail})
                for r in residents
            ]
        )
