"""The role catalogue: which gRPC methods each role may call. Loaded into the policy table
as ``p`` rows on start; the domain (where) comes from each grant."""

from __future__ import annotations

from rhip.identity.domain import Role
from rhip.kit.authz import Rule, permission_rule

IDENTITY = "rhip.api.identity.v1.IdentityService/"

ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    # Administers tenants, users and grants of its region subtree.
    Role.REGIONAL_ADMIN: (IDENTITY + "*",),
    # Reads its own tenant and colleagues.
    Role.PRACTITIONER: (IDENTITY + "GetTenant", IDENTITY + "GetUser", IDENTITY + "ListUsers"),
    # Reads everything of its region and checks the audit chain; changes nothing.
    Role.AUDITOR: (IDENTITY + "Get*", IDENTITY + "List*", IDENTITY + "VerifyAuditChain"),
    # Another system acting for a tenant.
    Role.SERVICE: (IDENTITY + "GetTenant",),
}


def permission_rules() -> list[Rule]:
    return [
        permission_rule(role.value, action)
        for role, actions in ROLE_PERMISSIONS.items()
        for action in actions
    ]
