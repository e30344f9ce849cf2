"""Qualification use cases: regional administrators grant and revoke an institution's
qualifications within their region subtree (the tenant's own scope is checked); institutions
and the services acting for them list them. A grant the institution does not meet the
conditions of (risk grading: secondary or higher and midwifery; child eye care: county level;
``rhip.kit.qualification_rules``) is refused. Every change is audited with ids and codes
only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from rhip.identity.directory.domain import Tenant
from rhip.identity.directory.store import DirectoryRepository
from rhip.identity.qualifications.domain import (
    Qualification,
    QualificationKind,
    QualificationState,
    validate_licence,
)
from rhip.identity.qualifications.store import QualificationStore, QualificationTaken
from rhip.kit import audit
from rhip.kit.authn import current_principal
from rhip.kit.authz import Authorizer
from rhip.kit.db import Database
from rhip.kit.errors import AlreadyExists, FailedPrecondition, Violations
from rhip.kit.idempotency import claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page
from rhip.kit.qualification_rules import shortfall
from rhip.kit.requests import parse_resource_name, validate_reason
from sqlalchemy import Connection

QUALIFICATIONS = "rhip.api.identity.v1.QualificationService/"


class QualificationUseCases:
    def __init__(
        self,
        db: Database,
        authorizer: Authorizer,
        cell_path: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.authz = authorizer
        self.cell_path = cell_path
        self.clock = clock

    def _tenant(self, tx: Connection, tenant_id: str, method: str) -> Tenant:
        """The tenant once the caller may ``method`` there (permission first)."""
        tenant = DirectoryRepository(tx).get_tenant(tenant_id)
        self.authz.require_found(
            current_principal(), tenant.scope_path if tenant else None, QUALIFICATIONS + method,
            self.cell_path, f"tenants/{tenant_id} does not exist",
        )  # fmt: skip
        assert tenant is not None
        return tenant

    def _tenant_scope(self, tx: Connection, tenant_id: str, method: str) -> str:
        return self._tenant(tx, tenant_id, method).scope_path

    def grant(
        self, tenant_name: str, kind: QualificationKind | None, licence: str, request_id: str
    ) -> Qualification:
        principal = current_principal()
        checks = Violations()
        tenant_id = checks.check(parse_resource_name, tenant_name, "tenants", "tenant") or ""
        if kind is None:
            checks.add("kind", "must name a qualification", "QUALIFICATION_KIND_REQUIRED")
        licence = checks.check(validate_licence, licence) or ""
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        assert kind is not None
        with self.db.transaction() as tx:
            tenant = self._tenant(tx, tenant_id, "GrantQualification")
            scope = tenant.scope_path
            store = QualificationStore(tx)
            if claim(tx, key) and (earlier := store.by_request(key)) is not None:
                return earlier
            self._require_conditions(store, tenant, kind)
            qualification = Qualification(
                new_id(), tenant_id, scope, kind, QualificationState.ACTIVE, licence,
                principal.subject, self.clock(),
            )  # fmt: skip
            try:
                store.add(qualification, key)
            except QualificationTaken:
                existing = store.active(tenant_id, kind)
                raise AlreadyExists(
                    "the institution already holds this qualification",
                    reason="QUALIFICATION_EXISTS",
                    metadata={"qualification": f"qualifications/{existing.qualification_id}"}
                    if existing
                    else {},
                ) from None
            audit.append(
                tx,
                audit.AuditEvent(
                    "qualification.grant",
                    f"qualifications/{qualification.qualification_id}",
                    scope,
                    detail={"tenant": tenant_id, "kind": kind.value},
                ),
            )
            return qualification

    def _require_conditions(
        self, store: QualificationStore, tenant: Tenant, kind: QualificationKind
    ) -> None:
        """FAILED_PRECONDITION unless the institution meets what ``kind`` needs of it. No lock
        on the midwifery grant: revoking it afterwards is allowed all the same (it does not
        take risk grading with it), and mch checks the conditions again on every use."""
        if not tenant.type.health_institution:
            # A police organ practises no medicine: no practice licence, midwifery or other
            # health qualification is granted to it (DOMAIN §4.2).
            raise FailedPrecondition(
                "a public-security tenant holds no health qualifications",
                reason="TENANT_NOT_HEALTH_INSTITUTION",
            )
        held = {q.kind.value for q in store.of_tenant(tenant.tenant_id, False, None, 100)}
        short = shortfall(kind.value, tenant.type.name, tenant.level.name, held)
        if short is not None:
            raise FailedPrecondition(short.message, reason=short.reason, metadata=short.metadata)

    def revoke(self, name: str, reason: str) -> Qualification:
        principal = current_principal()
        checks = Violations()
        qualification_id = checks.check(parse_resource_name, name, "qualifications") or ""
        reason = checks.check(validate_reason, reason) or ""
        checks.raise_if_any()
        with self.db.transaction() as tx:
            store = QualificationStore(tx)
            found = store.get(qualification_id, lock=True)
            self.authz.require_found(
                principal, found.scope_path if found else None,
                QUALIFICATIONS + "RevokeQualification", self.cell_path,
                f"qualifications/{qualification_id} does not exist",
            )  # fmt: skip
            assert found is not None
            revoked = found.revoked(principal.subject, self.clock(), reason.strip())
            store.save(revoked)
            audit.append(
                tx,
                audit.AuditEvent(
                    "qualification.revoke",
                    f"qualifications/{qualification_id}",
                    found.scope_path,
                    detail={"tenant": found.tenant_id, "kind": found.kind.value},
                ),
            )
            return revoked

    def list_qualifications(
        self, parent: str, show_revoked: bool, page: Page
    ) -> tuple[list[Qualification], str]:
        tenant_id = parse_resource_name(parent, "tenants", "parent")
        with self.db.read() as tx:
            self._tenant_scope(tx, tenant_id, "ListQualifications")
            rows = QualificationStore(tx).of_tenant(
                tenant_id, show_revoked, page.after, page.size + 1
            )
        chunk = rows[: page.size]
        token = page.next_token(
            chunk[-1].qualification_id if chunk else None, len(rows) > page.size
        )
        return chunk, token
