"""Who may call the locator: the cells' own service accounts only, each speaking for the cell
whose identity issued its token (the gateway verifies every token with that cell's own keys,
so the issuer cannot be claimed by another cell). Everyone else: PERMISSION_DENIED."""

from __future__ import annotations

from rhip.kit.authn import current_principal
from rhip.kit.errors import PermissionDenied
from rhip.kit.tenancy import is_region_code

ISSUER_PREFIX = "rhip-identity/"


def calling_cell() -> str:
    """The cell the caller speaks for; PERMISSION_DENIED `CELL_ACCOUNT_REQUIRED` otherwise."""
    principal = current_principal()
    cell = principal.issuer.removeprefix(ISSUER_PREFIX)
    if (
        not principal.is_cell_account
        or not principal.issuer.startswith(ISSUER_PREFIX)
        or not is_region_code(cell)
    ):
        raise PermissionDenied(
            "only a cell's own service account calls the locator", reason="CELL_ACCOUNT_REQUIRED"
        )
    return cell
