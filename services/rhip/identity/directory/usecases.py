"""Directory use cases: regions, tenants and users, one method per use case. Each opens the
transaction, checks scope with the authorizer against the owning region of the data itself,
calls the domain, writes, and appends the audit event in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from rhip.identity.directory.domain import (
    Role,
    RoleGrant,
    Tenant,
    TenantLevel,
    TenantState,
    TenantType,
    User,
    parse_resource_name,
    role_for_kind,
    validate_credit_code,
    validate_display_name,
    validate_reason,
    validate_username,
)
from rhip.identity.directory.store import DirectoryRepository
from rhip.identity.roles import IDENTITY
from rhip.identity.shared import IdentityCore
from rhip.kit import audit
from rhip.kit.authn import Principal, PrincipalKind, acting_as, current_principal
from rhip.kit.authz import Rule, block_rule, grant_rule, membership_rule
from rhip.kit.errors import Aborted, FailedPrecondition, NotFound, Violations, invalid
from rhip.kit.idempotency import claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page
from rhip.kit.requests import check_update_mask
from rhip.kit.tenancy import Region, catalog, tenant_scope

TENANT_FIELDS = ("display_name", "type", "level", "credit_code")


@dataclass(frozen=True)
class TenantDraft:
    display_name: str
    type: TenantType | None
    level: TenantLevel
    region_code: str
    credit_code: str


@dataclass(frozen=True)
class UserDraft:
    username: str
    display_name: str
    kind: PrincipalKind | None
    tenant_id: str
    region_code: str


class DirectoryUseCases(IdentityCore):
    """Regions, tenants and users."""

    # -- regions -----------------------------------------------------------------------------
    def get_region(self, code: str) -> Region:
        current_principal()
        region = catalog().get(code)
        if region is None:
            catalog().require(code, "name")  # malformed → INVALID_ARGUMENT
            raise NotFound(f"regions/{code} does not exist")
        return region

    def list_regions(self, parent_code: str, page: Page) -> tuple[list[Region], str]:
        current_principal()
        if parent_code:
            catalog().require(parent_code, "parent")
        children = [
            r for r in catalog().children(parent_code) if page.after is None or r.code > page.after
        ]
        chunk = children[: page.size]
        return chunk, page.next_token(chunk[-1].code if chunk else None, len(children) > page.size)

    # -- tenants -----------------------------------------------------------------------------
    def create_tenant(self, draft: TenantDraft, request_id: str) -> Tenant:
        principal = current_principal()
        region = catalog().require(draft.region_code, "tenant.region_code")
        self._require(principal, region.path, "CreateTenant")
        checks = Violations()
        name = checks.check(validate_display_name, draft.display_name, "tenant.display_name")
        if draft.type is None:
            checks.add("tenant.type", "must be set", "TENANT_TYPE_REQUIRED")
        credit = ""
        if draft.credit_code:
            credit = checks.check(validate_credit_code, draft.credit_code, "tenant.credit_code")
        request_id = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        self._in_cell(region.path, "tenant.region_code")
        now = self.clock()
        with self.db.transaction() as tx:
            repo = DirectoryRepository(tx)
            claim(tx, request_id)
            if request_id and (existing := repo.tenant_by_request(request_id)):
                self._require(principal, existing.scope_path, "GetTenant")
                return existing
            tenant_id = new_id()
            tenant = Tenant(
                tenant_id=tenant_id,
                display_name=name,
                type=draft.type,  # type: ignore[arg-type]
                level=draft.level,
                region_code=region.code,
                scope_path=tenant_scope(region.code, tenant_id),
                credit_code=credit,
                state=TenantState.ACTIVE,
                suspend_reason="",
                create_time=now,
                update_time=now,
                version=1,
            )
            repo.add_tenant(tenant, request_id)
            audit.append(
                tx,
                audit.AuditEvent(
                    "tenant.create",
                    f"tenants/{tenant_id}",
                    tenant.scope_path,
                    detail={"type": tenant.type.value, "region": region.code},
                ),
            )
        return tenant

    def _load_tenant(self, repo: DirectoryRepository, tenant_id: str, method: str) -> Tenant:
        principal = current_principal()
        tenant = repo.get_tenant(tenant_id)
        self._require_found(principal, tenant.scope_path if tenant else None, method)
        return tenant  # type: ignore[return-value]

    def get_tenant(self, name: str) -> Tenant:
        tenant_id = parse_resource_name(name, "tenants")
        with self.db.read() as tx:
            return self._load_tenant(DirectoryRepository(tx), tenant_id, "GetTenant")

    def list_tenants(
        self, parent: str, type_: TenantType | None, page: Page
    ) -> tuple[list[Tenant], str]:
        principal = current_principal()
        code = parse_resource_name(parent, "regions", "parent")
        region = self.parents.region(principal, code, IDENTITY + "ListTenants")
        scopes = self.authz.scopes(principal.subject, IDENTITY + "ListTenants")
        with self.db.read() as tx:
            rows = DirectoryRepository(tx).list_tenants(
                region.path, scopes, type_, page.after, page.size + 1
            )
        chunk = rows[: page.size]
        token = page.next_token(chunk[-1].tenant_id if chunk else None, len(rows) > page.size)
        return chunk, token

    def update_tenant(
        self, name: str, changes: TenantDraft, mask: Sequence[str], etag: str
    ) -> Tenant:
        tenant_id = parse_resource_name(name, "tenants", "tenant.name")
        checks = Violations()
        check_update_mask(checks, mask, TENANT_FIELDS)
        updates: dict[str, Any] = {}
        if "display_name" in mask:
            updates["display_name"] = checks.check(
                validate_display_name, changes.display_name, "tenant.display_name"
            )
        if "type" in mask:
            if changes.type is None:
                checks.add("tenant.type", "must be set", "TENANT_TYPE_REQUIRED")
            updates["type"] = changes.type
        if "level" in mask:
            updates["level"] = changes.level
        if "credit_code" in mask:
            updates["credit_code"] = (
                checks.check(validate_credit_code, changes.credit_code, "tenant.credit_code")
                if changes.credit_code
                else ""
            )
        with self.db.transaction() as tx:
            repo = DirectoryRepository(tx)
            tenant = self._load_tenant(repo, tenant_id, "UpdateTenant")
            checks.raise_if_any()
            if etag and etag != tenant.etag:
                raise Aborted(
                    "the tenant was changed by someone else; re-read it", reason="ETAG_MISMATCH"
                )
            new_type = updates.get("type") or tenant.type
            if new_type.health_institution != tenant.type.health_institution:
                # Its accounts' roles (verifier or service, practitioners) follow the type it
                # was created with: a police organ does not become a clinic, nor back.
                raise FailedPrecondition(
                    "a tenant cannot change between public security and health institution",
                    reason="TENANT_TYPE_CHANGE",
                )
            updated = replace(
                tenant, **updates, update_time=self.clock(), version=tenant.version + 1
            )
            if not repo.save_tenant(updated, tenant.version):
                raise Aborted(
                    "the tenant was changed by someone else; re-read it", reason="ETAG_MISMATCH"
                )
            audit.append(
                tx,
                audit.AuditEvent(
                    "tenant.update",
                    f"tenants/{tenant_id}",
                    tenant.scope_path,
                    detail={"fields": sorted(mask)},
                ),
            )
        return updated

    def set_tenant_suspended(self, name: str, suspend: bool, reason: str = "") -> Tenant:
        tenant_id = parse_resource_name(name, "tenants")
        method = "SuspendTenant" if suspend else "ReactivateTenant"
        with self.db.transaction() as tx:
            repo = DirectoryRepository(tx)
            tenant = self._load_tenant(repo, tenant_id, method)
            if suspend:
                reason = validate_reason(reason)
            wanted = TenantState.SUSPENDED if suspend else TenantState.ACTIVE
            if tenant.state is wanted:
                return tenant  # already there: a retry changes nothing
            now = self.clock()
            updated = tenant.suspended(reason, now) if suspend else tenant.reactivated(now)
            if not repo.save_tenant(updated, tenant.version):
                raise Aborted(
                    "the tenant was changed by someone else; retry", reason="ETAG_MISMATCH"
                )
            rule = block_rule(f"tenant:{tenant_id}")
            if suspend:
                self.policy.add(tx, [rule])
            else:
                self.policy.remove(tx, [rule])
            audit.append(
                tx,
                audit.AuditEvent(
                    "tenant.suspend" if suspend else "tenant.reactivate",
                    f"tenants/{tenant_id}",
                    tenant.scope_path,
                    detail={"reason": reason} if suspend else {},
                ),
            )
        self.authz.refresh()  # this replica sees its own change at once
        return updated

    # -- users -------------------------------------------------------------------------------
    def create_user(self, draft: UserDraft, password: str, request_id: str) -> User:
        principal = current_principal()
        if draft.kind is None or draft.kind is PrincipalKind.SERVICE_ACCOUNT:
            raise invalid(
                "user.kind", "must be practitioner, regional admin or auditor", "USER_KIND_REQUIRED"
            )
        password_hash = self.hash_acceptable(password)  # before the transaction: argon2 is slow
        with self.db.transaction() as tx:
            repo = DirectoryRepository(tx)
            if draft.kind is PrincipalKind.PRACTITIONER:
                if not draft.tenant_id:
                    raise invalid(
                        "user.tenant_id", "a practitioner belongs to a tenant", "TENANT_REQUIRED"
                    )
                tenant = self._load_tenant(repo, draft.tenant_id, "CreateUser")
                if not tenant.type.health_institution:
                    # A police organ's systems verify birth certificates through service
                    # accounts; no clinician works there (DOMAIN §4.2).
                    raise FailedPrecondition(
                        "a public-security tenant takes service accounts only, no practitioners",
                        reason="TENANT_NOT_HEALTH_INSTITUTION",
                    )
                scope, region_code, tenant_id = (
                    tenant.scope_path,
                    tenant.region_code,
                    tenant.tenant_id,
                )
            else:
                region = catalog().require(draft.region_code, "user.region_code")
                scope, region_code, tenant_id = region.path, region.code, ""
            self._require(principal, scope, "CreateUser")
            self._in_cell(scope, "user.region_code")
            checks = Violations()
            username = checks.check(validate_username, draft.username, "user.username")
            display = checks.check(validate_display_name, draft.display_name, "user.display_name")
            checks.check(self.password_policy.validate, password, "password")
            request_id = checks.check(request_key, request_id) or ""
            checks.raise_if_any()
            claim(tx, request_id)
            if request_id and (existing := repo.user_by_request(request_id)):
                return existing
            user = User(
                user_id=new_id(),
                username=username,
                display_name=display,
                kind=draft.kind,
                tenant_id=tenant_id,
                region_code=region_code,
                scope_path=scope,
                failed_logins=0,
                locked_until=None,
                create_time=self.clock(),
            )
            repo.add_user(user, password_hash, request_id)
            role = role_for_kind(draft.kind)
            rules: list[Rule] = [grant_rule(user.subject, role.value, scope)]
            if tenant_id:
                rules.append(membership_rule(user.subject, tenant_id))
            repo.add_grant(
                RoleGrant(
                    new_id(), user.subject, role, region_code, tenant_id, scope, user.create_time
                ),
                "",
            )
            self.policy.add(tx, rules)
            audit.append(
                tx,
                audit.AuditEvent(
                    "user.create",
                    f"users/{user.user_id}",
                    scope,
                    detail={"kind": user.kind.value, "role": role.value},
                ),
            )
        self.authz.refresh()  # this replica sees its own change at once
        return user

    def get_user(self, name: str) -> User:
        principal = current_principal()
        user_id = parse_resource_name(name, "users")
        with self.db.read() as tx:
            user = DirectoryRepository(tx).get_user(user_id)
        if user is not None and user.subject == principal.subject:
            return user  # everybody may read their own account
        self._require_found(principal, user.scope_path if user else None, "GetUser")
        return user  # type: ignore[return-value]

    def list_users(self, parent: str, page: Page) -> tuple[list[User], str]:
        principal = current_principal()
        with self.db.read() as tx:
            repo = DirectoryRepository(tx)
            if parent.startswith("tenants/"):
                tenant_id = parse_resource_name(parent, "tenants", "parent")
                under = self.parents.tenant(
                    principal, tenant_id, IDENTITY + "ListUsers", repo.tenant_scope
                )
            else:
                code = parse_resource_name(parent, "regions", "parent")
                under = self.parents.region(principal, code, IDENTITY + "ListUsers").path
            scopes = self.authz.scopes(principal.subject, IDENTITY + "ListUsers")
            rows = repo.list_users(under, scopes, page.after, page.size + 1)
        chunk = rows[: page.size]
        return chunk, page.next_token(chunk[-1].user_id if chunk else None, len(rows) > page.size)


def bootstrap_admin(
    usecases: DirectoryUseCases, username: str, display_name: str, password: str
) -> User:
    """Create the cell's first administrator (for the whole cell region) without a caller:
    only the ``rhip admin`` command and the demo seed run this, never an RPC. Idempotent by
    username."""
    system = Principal("system:bootstrap", PrincipalKind.REGIONAL_ADMIN, "", usecases.settings.cell)
    with usecases.db.transaction() as tx:
        found = DirectoryRepository(tx).user_for_login(validate_username(username, "username"))
    if found is not None:
        return found[0]
    rule = grant_rule(system.subject, Role.REGIONAL_ADMIN.value, usecases.cell_path)
    with usecases.db.transaction() as tx:
        usecases.policy.add(tx, [rule])
    usecases.authz.refresh()
    try:
        with acting_as(system):
            draft = UserDraft(
                username, display_name, PrincipalKind.REGIONAL_ADMIN, "", usecases.settings.cell
            )
            return usecases.create_user(draft, password, "")
    finally:
        with usecases.db.transaction() as tx:
            usecases.policy.remove(tx, [rule])
        usecases.authz.refresh()
