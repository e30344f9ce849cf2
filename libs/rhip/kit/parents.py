"""The parent of a List or Search: may the caller list under it (AIP-211)?

A list aimed at a parent the caller may not see answers PERMISSION_DENIED, as a read of that
parent would, never OK with nothing in it (the SQL scope filter alone would give that). And
permission comes before existence: a parent that does not exist answers the same
PERMISSION_DENIED, except to callers who may list across the whole cell, who learn NOT_FOUND.
Every service checks its list parents here, so the rule is written once.
"""

from __future__ import annotations

from collections.abc import Callable

from rhip.kit.authn import Principal
from rhip.kit.authz import Authorizer
from rhip.kit.errors import NotFound
from rhip.kit.tenancy import Region, catalog, is_region_code, region_path

TENANT_SEGMENT = "t-"


def _is_tenant_scope(scope: str) -> bool:
    return scope.rsplit("/", 1)[-1].startswith(TENANT_SEGMENT)


class ListParents:
    """``action`` is the full method name (``rhip.api.archives.v1.ArchivesService/List…``)."""

    def __init__(self, authz: Authorizer, cell_path: str) -> None:
        self.authz = authz
        self.cell_path = cell_path

    def region(self, principal: Principal, code: str, action: str, field: str = "parent") -> Region:
        """The region ``regions/{code}`` names, once the caller may ``action`` there.

        A malformed code is bad input (INVALID_ARGUMENT, whoever asks). A well-formed code has
        a path whether or not the catalogue knows it, so permission is asked first: an unknown
        region is UNKNOWN_REGION only to callers whose reach covers where it would be."""
        if not is_region_code(code):
            catalog().require(code, field)  # raises REGION_CODE_FORMAT
        self.authz.require(principal, region_path(code), action)
        return catalog().require_known(code, field)

    def tenant(
        self,
        principal: Principal,
        tenant_id: str,
        action: str,
        scope_of: Callable[[str], str | None],
    ) -> str:
        """The scope path of tenant ``tenant_id``, once the caller may ``action`` there.

        ``scope_of`` finds the tenant's scope (None when there is no such tenant); it is asked
        only when the caller's grants cannot answer alone: a caller granted at the tenant
        itself knows its path from the grant, and a caller granted at tenants only (a
        practitioner, a tenant's service account) reaches no other tenant, existing or not."""
        scopes = self.authz.scopes(principal.subject, action)
        if not scopes:
            raise self.authz.denial(principal, action)
        own = [s for s in scopes if s.rsplit("/", 1)[-1] == TENANT_SEGMENT + tenant_id]
        if own:
            return own[0]
        if all(_is_tenant_scope(s) for s in scopes):
            raise self.authz.denial(principal, action)
        scope = scope_of(tenant_id)
        if scope is None:
            if self.authz.enforce(principal.subject, self.cell_path, action):
                raise NotFound(f"tenants/{tenant_id} does not exist")
            raise self.authz.denial(principal, action)
        self.authz.require(principal, scope, action)
        return scope
