"""Identity use cases: one method per use case. Each opens the transaction, checks scope with
the authorizer against the owning region of the data itself, calls the domain, writes, and
appends the audit event in the same transaction."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from rhip.identity.domain import (
    Role,
    RoleGrant,
    ServiceAccount,
    Tenant,
    TenantLevel,
    TenantState,
    TenantType,
    User,
    UserState,
    after_failed_login,
    parse_resource_name,
    parse_subject,
    role_for_kind,
    validate_credit_code,
    validate_display_name,
    validate_reason,
    validate_username,
)
from rhip.identity.passwords import PasswordPolicy
from rhip.identity.roles import IDENTITY, permission_rules
from rhip.identity.settings import IdentitySettings, load_identity_settings
from rhip.identity.store import IdentityRepository
from rhip.identity.tokens import IssuedToken, KeyRing, TokenIssuer
from rhip.kit import audit
from rhip.kit.audit_checkpoint import AuditSeal
from rhip.kit.audit_query import AuditFilter, AuditRecord, search_region
from rhip.kit.authn import Principal, PrincipalKind, acting_as, current_principal
from rhip.kit.authz import (
    Authorizer,
    PolicyStore,
    Rule,
    block_rule,
    grant_rule,
    membership_rule,
    subject_blocked,
)
from rhip.kit.config import ConfigError, Settings
from rhip.kit.db import Database, utc
from rhip.kit.errors import (
    Aborted,
    FailedPrecondition,
    NotFound,
    RhipError,
    Unauthenticated,
    Violations,
    invalid,
)
from rhip.kit.idempotency import claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page
from rhip.kit.parents import ListParents
from rhip.kit.requests import check_update_mask
from rhip.kit.tenancy import Region, catalog, is_region_code, is_within, region_path, tenant_scope

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class IssuedTokens:
    """Tokens handed out by a login or refresh."""

    access: IssuedToken
    refresh_token: str
    refresh_expire_time: datetime | None
    principal: Principal
    display_name: str
    # The password was reset: the token allows only ChangePassword (and no refresh token).
    password_change_required: bool = False


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class IdentityUseCases:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        authorizer: Authorizer,
        keys: KeyRing,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        options: IdentitySettings | None = None,
    ) -> None:
        self.settings = settings
        # Identity's own settings (tokens, lockout, passwords); read from the environment the
        # shared settings carry unless given.
        self.options = options or load_identity_settings(settings.env)
        options = self.options
        self.db = db
        self.authz = authorizer
        self.policy: PolicyStore = authorizer.store
        self.keys = keys
        self.clock = clock
        self.tokens = TokenIssuer(
            keys, settings.issuer, timedelta(seconds=options.access_token_ttl_seconds)
        )
        self.hasher = PasswordHasher(
            time_cost=options.argon2_time_cost,
            memory_cost=options.argon2_memory_kib,
            parallelism=1,
        )
        # Checked against when the username is unknown, so both paths cost the same.
        self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        self.password_policy = PasswordPolicy.from_settings(options)
        self.cell_path = region_path(settings.cell)
        self.parents = ListParents(authorizer, self.cell_path)
        # Checks the signed checkpoints of purged audit events (server.py sets it).
        self.audit_seal: AuditSeal | None = None

    # -- setup -------------------------------------------------------------------------------
    def sync_role_catalog(self) -> None:
        """Make the ``p`` rows of identity's methods match ``roles.py`` (run on start); rows of
        other services' catalogues (archives syncs its own) are left alone."""
        self.authz.sync_catalog("rhip.api.identity.", permission_rules())

    # -- helpers -----------------------------------------------------------------------------
    def _require(self, principal: Principal, scope: str, method: str) -> None:
        self.authz.require(principal, scope, IDENTITY + method)

    def _require_found(self, principal: Principal, scope: str | None, method: str) -> None:
        """Permission before existence: a missing resource is NOT_FOUND only to callers who
        could see any resource of the cell; everybody else gets PERMISSION_DENIED."""
        self.authz.require_found(
            principal, scope, IDENTITY + method, self.cell_path, "no such resource"
        )

    def _in_cell(self, scope: str, field: str) -> None:
        """Checked after authorization (permission before existence)."""
        if not is_within(scope, self.cell_path):
            raise FailedPrecondition(
                "the region belongs to another cell",
                reason="WRONG_CELL",
                metadata={"field": field},
            )

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
            repo = IdentityRepository(tx)
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

    def _load_tenant(self, repo: IdentityRepository, tenant_id: str, method: str) -> Tenant:
        principal = current_principal()
        tenant = repo.get_tenant(tenant_id)
        self._require_found(principal, tenant.scope_path if tenant else None, method)
        return tenant  # type: ignore[return-value]

    def get_tenant(self, name: str) -> Tenant:
        tenant_id = parse_resource_name(name, "tenants")
        with self.db.read() as tx:
            return self._load_tenant(IdentityRepository(tx), tenant_id, "GetTenant")

    def list_tenants(
        self, parent: str, type_: TenantType | None, page: Page
    ) -> tuple[list[Tenant], str]:
        principal = current_principal()
        code = parse_resource_name(parent, "regions", "parent")
        region = self.parents.region(principal, code, IDENTITY + "ListTenants")
        scopes = self.authz.scopes(principal.subject, IDENTITY + "ListTenants")
        with self.db.read() as tx:
            rows = IdentityRepository(tx).list_tenants(
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
            repo = IdentityRepository(tx)
            tenant = self._load_tenant(repo, tenant_id, "UpdateTenant")
            checks.raise_if_any()
            if etag and etag != tenant.etag:
                raise Aborted(
                    "the tenant was changed by someone else; re-read it", reason="ETAG_MISMATCH"
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
            repo = IdentityRepository(tx)
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
        with self.db.transaction() as tx:
            repo = IdentityRepository(tx)
            if draft.kind is PrincipalKind.PRACTITIONER:
                if not draft.tenant_id:
                    raise invalid(
                        "user.tenant_id", "a practitioner belongs to a tenant", "TENANT_REQUIRED"
                    )
                tenant = self._load_tenant(repo, draft.tenant_id, "CreateUser")
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
            repo.add_user(user, self.hasher.hash(password), request_id)
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
            user = IdentityRepository(tx).get_user(user_id)
        if user is not None and user.subject == principal.subject:
            return user  # everybody may read their own account
        self._require_found(principal, user.scope_path if user else None, "GetUser")
        return user  # type: ignore[return-value]

    def list_users(self, parent: str, page: Page) -> tuple[list[User], str]:
        principal = current_principal()
        with self.db.read() as tx:
            repo = IdentityRepository(tx)
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

    # -- role grants ---------------------------------------------------------------------------
    def _subject_scope(self, repo: IdentityRepository, subject: str) -> tuple[str, str]:
        """(scope path, display kind) of a user or service account of this cell."""
        kind, value = parse_subject(subject, "grant.subject")
        if kind == "user":
            user = repo.get_user(value)
            if user is not None:
                return user.scope_path, kind
        else:
            account = repo.get_service_account(value)
            if account is not None:
                return account.scope_path, kind
        raise invalid(
            "grant.subject", "no such user or service account in this cell", "SUBJECT_UNKNOWN"
        )

    def grant_role(
        self, subject: str, role_name: str, region_code: str, tenant_id: str, request_id: str
    ) -> RoleGrant:
        principal = current_principal()
        grantable = [r for r in Role if r is not Role.CELL]
        try:
            role = Role(role_name)
        except ValueError:
            role = None
        if role not in grantable:
            raise invalid(
                "grant.role",
                f"must be one of {', '.join(r.value for r in grantable)}",
                "ROLE_UNKNOWN",
            )
        if bool(region_code) == bool(tenant_id):
            raise invalid("grant.region_code", "name either a region or a tenant", "GRANT_TARGET")
        request_id = request_key(request_id)
        with self.db.transaction() as tx:
            repo = IdentityRepository(tx)
            if tenant_id:
                tenant = self._load_tenant(repo, tenant_id, "GrantRole")
                scope, region_code = tenant.scope_path, tenant.region_code
            else:
                region = catalog().require(region_code, "grant.region_code")
                scope = region.path
            # The grant's reach and the grantee must both lie in the granter's subtree.
            self._require(principal, scope, "GrantRole")
            self._in_cell(scope, "grant.region_code")
            subject_scope, _ = self._subject_scope(repo, subject)
            self._require(principal, subject_scope, "GrantRole")
            retry = claim(tx, request_id)
            if request_id and (existing := repo.grant_by_request(request_id)):
                return existing
            if existing := repo.find_grant(subject, role, scope):
                return existing
            if retry:
                # Carried out before, and its grant revoked since (RevokeRole deletes it): a
                # late retry must not bring revoked access back (issue 12).
                raise FailedPrecondition(
                    "this request_id's grant was revoked; a new grant needs a new request_id",
                    reason="GRANT_REVOKED",
                )
            grant = RoleGrant(new_id(), subject, role, region_code, tenant_id, scope, self.clock())
            repo.add_grant(grant, request_id)
            self.policy.add(tx, [grant_rule(subject, role.value, scope)])
            audit.append(
                tx,
                audit.AuditEvent(
                    "role.grant",
                    f"roleGrants/{grant.grant_id}",
                    scope,
                    detail={"subject": subject, "role": role.value},
                ),
            )
        self.authz.refresh()  # this replica sees its own change at once
        return grant

    def revoke_role(self, name: str) -> RoleGrant:
        principal = current_principal()
        grant_id = parse_resource_name(name, "roleGrants")
        with self.db.transaction() as tx:
            repo = IdentityRepository(tx)
            grant = repo.get_grant(grant_id)
            self._require_found(principal, grant.scope_path if grant else None, "RevokeRole")
            assert grant is not None
            repo.delete_grant(grant_id)
            self.policy.remove(tx, [grant_rule(grant.subject, grant.role.value, grant.scope_path)])
            audit.append(
                tx,
                audit.AuditEvent(
                    "role.revoke",
                    f"roleGrants/{grant_id}",
                    grant.scope_path,
                    detail={"subject": grant.subject, "role": grant.role.value},
                ),
            )
        self.authz.refresh()  # this replica sees its own change at once
        return grant

    def list_role_grants(
        self, parent: str, subject: str, page: Page
    ) -> tuple[list[RoleGrant], str]:
        principal = current_principal()
        code = parse_resource_name(parent, "regions", "parent")
        if subject:
            parse_subject(subject, "subject")
        region = self.parents.region(principal, code, IDENTITY + "ListRoleGrants")
        scopes = self.authz.scopes(principal.subject, IDENTITY + "ListRoleGrants")
        with self.db.read() as tx:
            rows = IdentityRepository(tx).list_grants(
                region.path, scopes, subject, page.after, page.size + 1
            )
        chunk = rows[: page.size]
        return chunk, page.next_token(chunk[-1].grant_id if chunk else None, len(rows) > page.size)

    # -- service accounts ----------------------------------------------------------------------
    def create_service_account(
        self, display_name: str, tenant_id: str, request_id: str
    ) -> tuple[ServiceAccount, str]:
        """The new account and its secret (shown once; only a hash is stored)."""
        current_principal()
        if not tenant_id:
            raise invalid("service_account.tenant_id", "must name a tenant", "TENANT_REQUIRED")
        checks = Violations()
        display = checks.check(validate_display_name, display_name, "service_account.display_name")
        request_id = checks.check(request_key, request_id) or ""
        with self.db.transaction() as tx:
            repo = IdentityRepository(tx)
            tenant = self._load_tenant(repo, tenant_id, "CreateServiceAccount")
            checks.raise_if_any()
            claim(tx, request_id)
            if request_id and (existing := repo.service_account_by_request(request_id)):
                return existing, ""
            secret = secrets.token_urlsafe(32)
            account = ServiceAccount(
                service_account_id=new_id(),
                display_name=display,
                tenant_id=tenant.tenant_id,
                client_id="sa-" + secrets.token_hex(12),
                scope_path=tenant.scope_path,
                region_code=tenant.region_code,
                create_time=self.clock(),
            )
            repo.add_service_account(account, _hash_secret(secret), request_id)
            repo.add_grant(
                RoleGrant(
                    new_id(),
                    account.subject,
                    Role.SERVICE,
                    tenant.region_code,
                    tenant.tenant_id,
                    tenant.scope_path,
                    account.create_time,
                ),
                "",
            )
            self.policy.add(
                tx,
                [
                    grant_rule(account.subject, Role.SERVICE.value, tenant.scope_path),
                    membership_rule(account.subject, tenant.tenant_id),
                ],
            )
            audit.append(
                tx,
                audit.AuditEvent(
                    "service_account.create",
                    f"serviceAccounts/{account.service_account_id}",
                    tenant.scope_path,
                ),
            )
        self.authz.refresh()  # this replica sees its own change at once
        return account, secret

    def ensure_cell_account(self) -> str:
        """The cell's own service account, ``sa:cell-{cell}``, with its client id and secret
        from settings (``RHIP_CELL_CLIENT_ID``/``RHIP_CELL_CLIENT_SECRET``; no row, no tenant).
        It speaks for the cell on cross-cell calls (the gateway lets it call ``cross_cell``
        methods anywhere) and, in its own cell, looks residents up by document for those calls
        (the cell role at the cell's root, granted here on start; the broader service role an
        earlier version granted is taken back)."""
        settings = self.settings
        if len(settings.cell_client_id) < 8 or len(settings.cell_client_secret) < 16:
            raise ConfigError(
                "RHIP_CELL_CLIENT_ID (8+ chars) and RHIP_CELL_CLIENT_SECRET (16+) are required"
            )
        subject = self.cell_subject
        wanted = grant_rule(subject, Role.CELL.value, self.cell_path)
        broader = grant_rule(subject, Role.SERVICE.value, self.cell_path)
        _, grants = self.policy.load("g")
        if wanted not in grants or broader in grants:
            with self.db.transaction() as tx:
                self.policy.remove(tx, [broader])
                self.policy.add(tx, [wanted] if wanted not in grants else [])
                audit.append(
                    tx, audit.AuditEvent("service_account.cell_grant", subject, self.cell_path)
                )
            self.authz.refresh()
        return subject

    @property
    def cell_subject(self) -> str:
        return f"sa:cell-{self.settings.cell}"

    # -- login and tokens ----------------------------------------------------------------------
    def login_password(self, username: str, password: str, region: str = "") -> IssuedTokens:
        """``region``: where the caller meant to log in (``x-rhip-region``, which routed the
        call here). A user of another region learns the right one only once the password
        verified; an unknown username or a wrong password get the same generic answer
        wherever they were aimed (a user of another cell is unknown here: that cell alone
        could check the password, so nothing more can be said without telling which
        usernames exist)."""
        if not username or not password:
            raise invalid(
                "password.username", "username and password are required", "CREDENTIALS_REQUIRED"
            )
        if region and not is_region_code(region):
            raise invalid("x-rhip-region", "must be a 6-digit region code", "REGION_CODE_FORMAT")
        now = self.clock()
        failure: RhipError | None = None
        with self.db.transaction() as tx:
            repo = IdentityRepository(tx)
            found = repo.user_for_login(username.strip().lower())
            if found is None:
                self._verify_password(self._dummy_hash, password)
                failure = Unauthenticated(
                    "wrong username or password", reason="INVALID_CREDENTIALS"
                )
                audit.append(
                    tx,
                    audit.AuditEvent(
                        "login",
                        "users/-",
                        self.cell_path,
                        "DENIED",
                        actor="anonymous",
                        actor_tenant="",
                    ),
                )
            else:
                user, stored_hash = found
                if user.is_locked(now):
                    failure = Unauthenticated(
                        "the account is locked after repeated failures; try again later",
                        reason="ACCOUNT_LOCKED",
                    )
                    outcome = "LOCKED"
                elif not self._verify_password(stored_hash, password):
                    attempt = after_failed_login(
                        user,
                        now,
                        self.options.login_max_failures,
                        timedelta(seconds=self.options.lockout_seconds),
                    )
                    repo.record_login(
                        user.user_id, attempt.failed_logins, attempt.locked_until, None
                    )
                    locked_now = attempt.locked_until is not None and attempt.locked_until > now
                    failure = Unauthenticated(
                        "the account is locked after repeated failures; try again later"
                        if locked_now
                        else "wrong username or password",
                        reason="ACCOUNT_LOCKED" if locked_now else "INVALID_CREDENTIALS",
                    )
                    outcome = "LOCKED" if locked_now else "DENIED"
                else:
                    rehash = (
                        self.hasher.hash(password)
                        if self.hasher.check_needs_rehash(stored_hash)
                        else None
                    )
                    repo.record_login(user.user_id, 0, None, rehash)
                    # The password verified: only now may the answer say more than "wrong".
                    if user.state is UserState.DISABLED or self.authz.is_blocked(user.subject):
                        failure, outcome = subject_blocked(), "BLOCKED"
                    elif region and not _on_one_chain(user.region_code, region):
                        failure, outcome = _wrong_region(user.region_code), "WRONG_REGION"
                    else:
                        outcome = "OK"
                audit.append(
                    tx,
                    audit.AuditEvent(
                        "login",
                        f"users/{user.user_id}",
                        user.scope_path,
                        outcome,
                        actor=user.subject,
                        actor_tenant=user.tenant_id,
                    ),
                )
                if failure is None:
                    return self._user_session(repo, user, now)
        # Raised after the commit, so failure counts and audit rows are kept.
        assert failure is not None
        log.warning("login refused: %s", failure.reason)
        raise failure

    def _verify_password(self, stored_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def login_client(self, client_id: str, client_secret: str) -> IssuedTokens:
        if not client_id or not client_secret:
            raise invalid(
                "client.client_id", "client id and secret are required", "CREDENTIALS_REQUIRED"
            )
        now = self.clock()
        cell_id = self.settings.cell_client_id
        with self.db.transaction() as tx:
            repo = IdentityRepository(tx)
            if cell_id and hmac.compare_digest(client_id.encode(), cell_id.encode()):
                secret = self.settings.cell_client_secret.encode()
                if not hmac.compare_digest(client_secret.encode(), secret):
                    raise Unauthenticated("wrong client id or secret", reason="INVALID_CREDENTIALS")
                return self._new_session(
                    repo, self.cell_subject, PrincipalKind.SERVICE_ACCOUNT, "",
                    self.settings.cell, f"cell {self.settings.cell}", now, refresh=False,
                )  # fmt: skip
            found = repo.service_account_for_login(client_id)
            secret_hash = found[1] if found else _hash_secret(secrets.token_urlsafe(16))
            if found is None or not hmac.compare_digest(secret_hash, _hash_secret(client_secret)):
                raise Unauthenticated("wrong client id or secret", reason="INVALID_CREDENTIALS")
            account = found[0]
            if self.authz.is_blocked(account.subject):
                raise subject_blocked()
            return self._new_session(
                repo,
                account.subject,
                PrincipalKind.SERVICE_ACCOUNT,
                account.tenant_id,
                account.region_code,
                account.display_name,
                now,
                refresh=False,
            )

    def _new_session(
        self,
        repo: IdentityRepository,
        subject: str,
        kind: PrincipalKind,
        tenant_id: str,
        region_code: str,
        display_name: str,
        now: datetime,
        *,
        refresh: bool,
        family_id: str | None = None,
        password_change_required: bool = False,
    ) -> IssuedTokens:
        access = self.tokens.issue(subject, kind, tenant_id, region_code, now)
        refresh_token, refresh_expire = "", None
        if refresh:
            refresh_token = secrets.token_urlsafe(32)
            refresh_expire = now + timedelta(seconds=self.options.refresh_token_ttl_seconds)
            repo.add_refresh_token(
                _hash_secret(refresh_token), family_id or new_id(), subject, refresh_expire
            )
        principal = Principal(
            subject, kind, tenant_id, region_code, expires_at=access.expire_time.timestamp()
        )
        return IssuedTokens(
            access, refresh_token, refresh_expire, principal, display_name, password_change_required
        )

    def _user_session(
        self, repo: IdentityRepository, user: User, now: datetime, family_id: str | None = None
    ) -> IssuedTokens:
        # A reset password: the token is good for ChangePassword only (the policy's
        # password_change row, rhip.identity.accounts), and there is no session to refresh.
        must_change = user.password_change_required
        return self._new_session(
            repo,
            user.subject,
            user.kind,
            user.tenant_id,
            user.region_code,
            user.display_name,
            now,
            refresh=not must_change,
            family_id=family_id,
            password_change_required=must_change,
        )

    def refresh(self, refresh_token: str) -> IssuedTokens:
        if not refresh_token:
            raise invalid("refresh_token", "must not be empty", "REFRESH_TOKEN_REQUIRED")
        now = self.clock()
        reused = False
        with self.db.transaction() as tx:
            repo = IdentityRepository(tx)
            token_hash = _hash_secret(refresh_token)
            row = repo.take_refresh_token(token_hash)
            if row is None or row.revoked or utc(row.expire_time) <= now:  # type: ignore[operator]
                raise Unauthenticated(
                    "the refresh token is not valid", reason="REFRESH_TOKEN_INVALID"
                )
            if row.used:
                # A used token presented again means it leaked: end the whole family.
                repo.revoke_refresh_family(row.family_id)
                reused = True
            else:
                _, user_id = parse_subject(row.subject, "refresh_token")
                user = repo.get_user(user_id)
                if (
                    user is None
                    or user.state is UserState.DISABLED
                    or self.authz.is_blocked(user.subject)
                    or user.password_change_required
                ):
                    raise Unauthenticated(
                        "the refresh token is not valid", reason="REFRESH_TOKEN_INVALID"
                    )
                repo.mark_refresh_used(token_hash)
                return self._user_session(repo, user, now, family_id=row.family_id)
        assert reused
        raise Unauthenticated("the refresh token was already used", reason="REFRESH_TOKEN_REUSED")

    def jwks(self) -> list[dict[str, str]]:
        return self.keys.jwks()

    def rotate_signing_key(self) -> tuple[str, datetime]:
        principal = current_principal()
        self._require(principal, self.cell_path, "RotateSigningKey")
        kid, created = self.keys.rotate()
        with self.db.transaction() as tx:
            audit.append(
                tx,
                audit.AuditEvent("signing_key.rotate", f"signingKeys/{kid}", self.cell_path),
            )
        return kid, created

    def search_audit(
        self, parent: str, where: AuditFilter, page: Page
    ) -> tuple[list[AuditRecord], str]:
        return search_region(
            self.db, self.authz, IDENTITY + "SearchAuditEvents", parent, where, page
        )

    def verify_audit_chain(self) -> audit.ChainReport:
        principal = current_principal()
        self._require(principal, self.cell_path, "VerifyAuditChain")
        with self.db.read() as tx:
            return audit.verify(tx, seal=self.audit_seal)


def _on_one_chain(home: str, named: str) -> bool:
    """Whether a login aimed at region ``named`` reached the account of region ``home``:
    the same region, one above it (the province of a city's user) or one below it."""
    home_path, named_path = region_path(home), region_path(named)
    return is_within(home_path, named_path) or is_within(named_path, home_path)


def _wrong_region(home: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"this account belongs to region {home}: log in there (x-rhip-region: {home})",
        reason="WRONG_REGION",
        metadata={"region": home},
    )


def bootstrap_admin(
    usecases: IdentityUseCases, username: str, display_name: str, password: str
) -> User:
    """Create the cell's first administrator (for the whole cell region) without a caller:
    only the ``rhip admin`` command and the demo seed run this, never an RPC. Idempotent by
    username."""
    system = Principal("system:bootstrap", PrincipalKind.REGIONAL_ADMIN, "", usecases.settings.cell)
    with usecases.db.transaction() as tx:
        found = IdentityRepository(tx).user_for_login(validate_username(username, "username"))
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
