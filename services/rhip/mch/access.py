"""What every mch use case starts from: the cell, the database, the authorizer, the identity
client and the settings, and the checks they share (permission before existence, the caller's
own institution and its qualifications, scoped loads), the audit append and the lifetime
timeline's feed (timeline.py)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from rhip.kit import audit
from rhip.kit.authn import Principal, current_principal
from rhip.kit.authz import Authorizer, subject_blocked
from rhip.kit.db import Database
from rhip.kit.errors import FailedPrecondition, NotFound, PermissionDenied, invalid
from rhip.kit.institution_names import InstitutionNames
from rhip.kit.parents import ListParents
from rhip.kit.qualification_rules import shortfall
from rhip.kit.requests import parse_resource_name
from rhip.kit.tenancy import region_path, tenant_scope
from rhip.kit.timestamps import clinical_day
from rhip.mch.clients import IdentityClient, ResidentFacts, TenantFacts
from rhip.mch.pregnancies.domain import Pregnancy
from rhip.mch.pregnancies.store import PregnancyStore
from rhip.mch.roles import MCH
from rhip.mch.settings import MchSettings
from rhip.mch.team_filter import ArchivesClient, no_archives, parse_team
from rhip.mch.timeline import MchTimeline
from sqlalchemy import Connection


class _HasSides(Protocol):
    @property
    def source_scope(self) -> str: ...
    @property
    def target_scope(self) -> str: ...


_Sided = TypeVar("_Sided", bound=_HasSides)

SECONDARY = 2  # TenantLevel SECONDARY (identity's enum value)
# How long an institution's name is reused for the timeline before identity is asked again:
# names change seldom, and a visit should not wait on identity for each one.
NAME_TTL_SECONDS = 600.0


class MchBase:
    def __init__(
        self,
        cell: str,
        db: Database,
        authorizer: Authorizer,
        identity: IdentityClient,
        options: MchSettings | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        timeline: bool = False,
    ) -> None:
        self.db = db
        # The writes also feed emr's timeline index (the cell runs emr and has its account).
        self.timeline = timeline
        self._names = InstitutionNames(
            lambda tenant_id: self.identity.tenant(tenant_id).display_name, NAME_TTL_SECONDS
        )
        self.authz = authorizer
        self.identity = identity
        self.options = options or MchSettings()
        self.clock = clock
        self.cell_path = region_path(cell)
        self.parents = ListParents(authorizer, self.cell_path)
        # The cell's archives (family-doctor contracts), when the cell runs one (server.py).
        self.archives: ArchivesClient | None = None

    @contextmanager
    def _unit(self, *, durable: bool = True) -> Iterator[Connection]:
        with self.db.transaction(durable=durable) as tx:
            yield tx

    def _require(self, principal: Principal, scope: str, method: str) -> None:
        self.authz.require(principal, scope, MCH + method)

    def _scopes(self, principal: Principal, method: str) -> list[str]:
        scopes = self.authz.scopes(principal.subject, MCH + method)
        if not scopes:
            if self.authz.is_blocked(principal.subject):
                raise subject_blocked()
            raise PermissionDenied(f"not allowed to call {method} here")
        return scopes

    def _load_pregnancy(
        self, tx: Connection, name: str, method: str, *, field: str = "name", lock: bool = False
    ) -> Pregnancy:
        """Permission before existence: one out of reach and a missing one look alike. As it
        stands today (CLOSED from its close date on)."""
        pregnancy_id = parse_resource_name(name, "pregnancies", field)
        found = PregnancyStore(tx).get(pregnancy_id, lock=lock)
        self.authz.require_found(
            current_principal(), found.scope_path if found else None, MCH + method,
            self.cell_path, f"pregnancies/{pregnancy_id} does not exist",
        )  # fmt: skip
        assert found is not None
        return found.as_of(clinical_day(self.clock()))

    def _tenant_parent(self, principal: Principal, tenant_id: str, method: str) -> str:
        """The scope of the list parent ``tenants/{tenant_id}`` once the caller may ``method``
        there (PERMISSION_DENIED alike for a tenant out of reach and a missing one)."""
        action = MCH + method

        def scope_of(tenant_id: str) -> str | None:
            try:
                tenant = self.identity.tenant(tenant_id)
            except NotFound:
                return None
            except PermissionDenied:
                raise self.authz.denial(principal, action) from None
            return tenant_scope(tenant.region_code, tenant.tenant_id)

        return self.parents.tenant(principal, tenant_id, action, scope_of)

    def _team_residents(
        self, principal: Principal, parent_tenant: str, team: str, method: str
    ) -> list[str] | None:
        """The residents a list ``team`` filter keeps (None: no filter), once the caller may
        ``method`` in the team's institution as well as in the list's (PERMISSION_DENIED
        otherwise, alike for an institution out of reach and a missing one); archives then
        checks the team itself with the caller's own token."""
        if not team:
            return None
        team_tenant, _ = parse_team(team)
        if team_tenant != parent_tenant:
            self._tenant_parent(principal, team_tenant, method)
        if self.archives is None:
            raise no_archives()
        return self.archives.contracted_residents(team)

    def _own_tenant(self, principal: Principal, method: str) -> tuple[TenantFacts, str]:
        """The caller's institution and its scope, once the caller may ``method`` there."""
        if not principal.tenant_id:
            raise PermissionDenied(
                "only practitioners of an institution do this", reason="TENANT_REQUIRED"
            )
        scope = tenant_scope(principal.region_code, principal.tenant_id)
        self._require(principal, scope, method)
        tenant = self.identity.tenant(principal.tenant_id)
        if not tenant.active:
            raise PermissionDenied("the institution is suspended", reason="SUBJECT_BLOCKED")
        return tenant, tenant_scope(tenant.region_code, tenant.tenant_id)

    def _require_qualification(
        self, tenant: TenantFacts, kind: str, held: Collection[str] | None = None
    ) -> None:
        """PERMISSION_DENIED ``QUALIFICATION_REQUIRED`` unless identity lists an active
        ``kind`` qualification of the institution, then ``INSTITUTION_LEVEL_REQUIRED`` or
        ``QUALIFICATION_REQUIRED`` (naming the other qualification) unless the institution
        still meets what ``kind`` needs (rhip.kit.qualification_rules: risk grading at a
        secondary-or-higher institution with midwifery, child eye care at county level).
        Identity refused a grant that did not meet them, but checked only then: midwifery
        can be revoked, and the type or grade edited, after it. ``held``: the institution's
        qualifications when the caller already has them (certificates/issuers.py)."""
        if held is None:
            held = self.identity.qualifications(tenant.tenant_id)
        if kind not in held:
            raise PermissionDenied(
                f"the institution holds no {kind.lower().replace('_', ' ')} qualification",
                reason="QUALIFICATION_REQUIRED",
                metadata={"qualification": kind},
            )
        short = shortfall(
            kind, tenant.type.removeprefix("TENANT_TYPE_"),
            tenant.level_name.removeprefix("TENANT_LEVEL_"), held,
        )  # fmt: skip
        if short is not None:
            raise PermissionDenied(short.message, reason=short.reason, metadata=short.metadata)

    def _either_side(
        self, name: str, collection: str, get: Callable[[str], _Sided | None], method: str
    ) -> _Sided:
        """A transfer (of a child, of a pregnancy) that the caller may ``method`` on at its
        source or its target. Permission before existence: a caller who may ``method`` on
        neither side sees a missing transfer and one out of reach alike."""
        principal = current_principal()
        item_id = parse_resource_name(name, collection)
        found = get(item_id)
        if found is None:  # NOT_FOUND only to a caller who may do this anywhere in the cell
            self.authz.require_found(
                principal, None, MCH + method, self.cell_path,
                f"{collection}/{item_id} does not exist",
            )  # fmt: skip
        assert found is not None
        if not any(
            self.authz.enforce(principal.subject, scope, MCH + method)
            for scope in (found.source_scope, found.target_scope)
        ):
            raise self.authz.denial(principal, MCH + method)
        return found

    def _target(self, tenant_id: str, region: str, *, as_cell: bool = True) -> TenantFacts:
        """The institution of this cell that is to take a child or a woman over, looked up as
        the cell (a clinic may not read another institution's directory entry; ``as_cell``
        False: as the caller, for a cell without its account): found (in ``region`` when
        given), a health institution, active."""
        try:
            found = self.identity.tenant(tenant_id, as_cell=as_cell)
        except (NotFound, PermissionDenied):
            found = None
        if found is None or (region and found.region_code != region):
            raise NotFound("no such institution in this cell", reason="TARGET_NOT_FOUND")
        if not found.health_institution:
            raise invalid(
                "target_tenant", "is a public-security organ, not a health institution",
                "TENANT_NOT_HEALTH_INSTITUTION",
            )  # fmt: skip
        if not found.active:
            raise FailedPrecondition(
                "the target institution is suspended", reason="TARGET_INACTIVE"
            )
        return found

    def _woman(self, name: str, field: str) -> ResidentFacts:
        """The woman from identity, as the caller may see her (identity refuses otherwise)."""
        parse_resource_name(name, "residents", field)
        resident = self.identity.resident(name)
        if resident.state == "DECEASED":
            raise FailedPrecondition("the resident is deceased", reason="RESIDENT_DECEASED")
        if resident.sex != "FEMALE":
            raise FailedPrecondition("the resident is not female", reason="RESIDENT_NOT_FEMALE")
        return resident

    def _audit(
        self, tx: Connection, action: str, target: str, scope: str, **detail: object
    ) -> None:
        audit.append(tx, audit.AuditEvent(action, target, scope, detail=detail))

    def _audit_read(
        self, tx: Connection, action: str, target: str, scope: str, **detail: object
    ) -> None:
        """A read's audit row as its transaction's last statements, committing it: on
        PostgreSQL the row and the COMMIT go in the head's two round trips
        (rhip.kit.audit.append_and_commit), one fewer than ``_audit`` and then the commit;
        elsewhere as ``_audit``. Nothing may follow in the transaction."""
        event = audit.AuditEvent(action, target, scope, detail=detail)
        if not audit.append_and_commit(tx, [event]):
            audit.append(tx, event)

    # -- the lifetime timeline -----------------------------------------------------------------
    def _feed(self, tx: Connection) -> MchTimeline | None:
        """The timeline's queue on the write's own connection (one transaction with the write),
        or None when the cell feeds no timeline."""
        return MchTimeline(tx, self.clock()) if self.timeline else None

    def _institution(self, tenant_id: str, known: TenantFacts | None = None) -> str:
        """The name of the institution that acts, for the timeline: from the facts the use case
        already holds, else identity (as the caller, who may read its own institution), kept a
        while (rhip.kit.institution_names). Asked before the transaction opens; "" when the
        timeline is off or identity cannot say now — a clinical write never fails for a name the
        entry can do without."""
        if not self.timeline or not tenant_id:
            return ""
        if known is not None and known.tenant_id == tenant_id:
            self._names.remember(tenant_id, known.display_name)
            return known.display_name
        return self._names(tenant_id)
