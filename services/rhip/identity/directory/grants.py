"""Role grant and service account use cases: who may do what where, and the accounts that
programs log in with (the cell's own among them)."""

from __future__ import annotations

import secrets

from rhip.identity.directory.domain import (
    Role,
    RoleGrant,
    ServiceAccount,
    TenantType,
    parse_resource_name,
    parse_subject,
    validate_display_name,
)
from rhip.identity.directory.store import DirectoryRepository
from rhip.identity.directory.usecases import DirectoryUseCases
from rhip.identity.roles import IDENTITY
from rhip.identity.shared import hash_secret
from rhip.kit import audit
from rhip.kit.authn import current_principal
from rhip.kit.authz import grant_rule, membership_rule
from rhip.kit.config import ConfigError
from rhip.kit.errors import FailedPrecondition, Violations, invalid
from rhip.kit.idempotency import claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page
from rhip.kit.tenancy import catalog


def service_role(tenant_type: TenantType) -> Role:
    """A service account's role follows its tenant: a hospital's HIS feeds data (service), a
    police system only checks birth certificates (verifier; DOMAIN §4.2, §4.6)."""
    return Role.SERVICE if tenant_type.health_institution else Role.VERIFIER


class GrantUseCases(DirectoryUseCases):
    """Role grants and service accounts (they load tenants as the directory does)."""

    # -- role grants ---------------------------------------------------------------------------
    def _subject_scope(self, repo: DirectoryRepository, subject: str) -> tuple[str, str]:
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
            repo = DirectoryRepository(tx)
            if tenant_id:
                tenant = self._load_tenant(repo, tenant_id, "GrantRole")
                scope, region_code = tenant.scope_path, tenant.region_code
                police = not tenant.type.health_institution
            else:
                region = catalog().require(region_code, "grant.region_code")
                scope, police = region.path, False
            # The grant's reach and the grantee must both lie in the granter's subtree.
            self._require(principal, scope, "GrantRole")
            self._in_cell(scope, "grant.region_code")
            subject_scope, _ = self._subject_scope(repo, subject)
            self._require(principal, subject_scope, "GrantRole")
            if police != (role is Role.VERIFIER):
                # The verifier role exists for police systems only, and they get nothing else:
                # granting a clinic's roles there, or verification elsewhere, widens least
                # privilege either way (DOMAIN §4.6).
                raise FailedPrecondition(
                    "a public-security tenant takes the verifier role only, and only it",
                    reason="ROLE_NOT_FOR_TENANT",
                )
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
            repo = DirectoryRepository(tx)
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
            rows = DirectoryRepository(tx).list_grants(
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
            repo = DirectoryRepository(tx)
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
            repo.add_service_account(account, hash_secret(secret), request_id)
            role = service_role(tenant.type)
            repo.add_grant(
                RoleGrant(
                    new_id(),
                    account.subject,
                    role,
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
                    grant_rule(account.subject, role.value, tenant.scope_path),
                    membership_rule(account.subject, tenant.tenant_id),
                ],
            )
            audit.append(
                tx,
                audit.AuditEvent(
                    "service_account.create",
                    f"serviceAccounts/{account.service_account_id}",
                    tenant.scope_path,
                    detail={"role": role.value},
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
