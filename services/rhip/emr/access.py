"""What every emr use case starts from: the cell, the database, the authorizer, the clients,
and the checks they share: permission on the owning scope of the data itself, the caller's
own institution, the resident as the caller sees it in the index, and the reading basis for
another institution's documents (rhip.emr.access.usecases), each read audited with it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

from rhip.emr.care import CareRelationships
from rhip.emr.clients import IdentityClient
from rhip.emr.documents.domain import DocumentKind
from rhip.emr.repository import EmrRepository
from rhip.emr.roles import EMR
from rhip.emr.settings import EmrSettings
from rhip.kit import audit
from rhip.kit.authn import Principal
from rhip.kit.authz import Authorizer, subject_blocked
from rhip.kit.db import Database
from rhip.kit.errors import PermissionDenied
from rhip.kit.institution_names import InstitutionNames
from rhip.kit.parents import ListParents
from rhip.kit.pii import PiiVault
from rhip.kit.requests import parse_resource_name
from rhip.kit.tenancy import region_path, tenant_scope

ALL_KINDS = frozenset(DocumentKind)


@dataclass(frozen=True)
class Basis:
    """Why the caller may read a resident's documents of other institutions: ``label`` as the
    audit records it (``consent:{id}``, ``break_glass:{id}``, ``care_relationship:…`` of
    rhip.emr.care) and the kinds it opens. ``resident_id``: whose basis it is when that is
    known, the documents' resident or a survivor it is merged into (rhip.emr.reading)."""

    label: str
    kinds: frozenset[DocumentKind]
    break_glass_id: str = ""
    resident_id: str = ""

    def audited(self, resident_id: str) -> dict[str, str]:
        """The audit detail of a read of ``resident_id``'s documents on this basis: its label,
        and the resident it is the basis for when that is another (the survivor of a merge),
        so the audit says exactly what the read rested on."""
        detail = {"basis": self.label}
        if self.resident_id and self.resident_id != resident_id:
            detail["basis_resident"] = self.resident_id
        return detail


class UseCaseBase:
    def __init__(
        self,
        cell: str,
        db: Database,
        authorizer: Authorizer,
        identity: IdentityClient,
        care: CareRelationships | None,
        vault: PiiVault,
        options: EmrSettings | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.authz = authorizer
        self.identity = identity
        self.care = care
        self.vault = vault
        self.options = options or EmrSettings()
        self.clock = clock
        # The custodian's name on its documents' timeline entries, asked once a while (as the
        # caller: the custodian is always the caller's own institution).
        self.names = InstitutionNames(identity.tenant_name)
        self.cell_path = region_path(cell)
        # Who issues this cell's own tokens (as Settings.issuer): the cell account's calls.
        self.issuer = f"rhip-identity/{cell}"
        self.parents = ListParents(authorizer, self.cell_path)

    @contextmanager
    def _unit(self, *, durable: bool = True) -> Iterator[EmrRepository]:
        with self.db.transaction(durable=durable) as tx:
            yield EmrRepository(tx)

    def _require(self, principal: Principal, scope: str, method: str) -> None:
        self.authz.require(principal, scope, EMR + method)

    def _scopes(self, principal: Principal, method: str) -> list[str]:
        scopes = self.authz.scopes(principal.subject, EMR + method)
        if not scopes:
            if self.authz.is_blocked(principal.subject):
                raise subject_blocked()
            raise PermissionDenied(f"not allowed to call {method} here")
        return scopes

    def _own_scope(self, principal: Principal, method: str) -> str:
        """The caller's institution's scope, once the caller may ``method`` there."""
        if not principal.tenant_id:
            raise PermissionDenied(
                "only practitioners and systems of an institution do this", reason="TENANT_REQUIRED"
            )
        scope = tenant_scope(principal.region_code, principal.tenant_id)
        self._require(principal, scope, method)
        return scope

    def _own_tenant_parent(self, principal: Principal, parent: str, method: str) -> str:
        """``tenants/{id}`` naming the caller's own institution → its scope; any other
        institution is PERMISSION_DENIED (known or not)."""
        tenant_id = parse_resource_name(parent, "tenants", "parent")
        if tenant_id != principal.tenant_id:
            raise self.authz.denial(principal, EMR + method)
        return self._own_scope(principal, method)

    def _visible_resident(
        self, principal: Principal, parent: str, method: str, field: str = "parent"
    ) -> str:
        """``residents/{id}`` the caller may see in the resident index (asked with its own
        token); one it may not see and a missing one are the same PERMISSION_DENIED."""
        return self._visible_birth_date(principal, parent, method, field)[0]

    def _visible_birth_date(
        self, principal: Principal, parent: str, method: str, field: str = "parent"
    ) -> tuple[str, date | None]:
        """As ``_visible_resident``, with her birth date (None when the index has none)."""
        resident_id = parse_resource_name(parent, "residents", field)
        self._scopes(principal, method)  # may do this somewhere at all
        found = self.identity.visible_resident(resident_id)
        if found is None:
            raise self.authz.denial(principal, EMR + method)
        try:
            return resident_id, date.fromisoformat(found.birth_date)
        except ValueError:
            return resident_id, None

    def _audit(
        self,
        repo: EmrRepository,
        action: str,
        target: str,
        scope: str,
        outcome: str = "OK",
        **detail: object,
    ) -> None:
        audit.append(repo.s, audit.AuditEvent(action, target, scope, outcome, detail=detail))
