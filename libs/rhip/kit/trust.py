"""Which cell's signing keys vouch for whom (ARCHITECTURE §4, trust between cells).

Each cell's identity signs its tokens with keys of its own and names itself as issuer
(``rhip-identity/{cell}``, the cell's region code). Every key the verifier knows is tied to
the cell that published it: its entry in the routing table. A token verifies only when

- its issuer is a cell of the table, and the key that signed it is one of that cell's, and
- that cell owns the principal's region (the most specific owner wins, as for routing a
  call), or the principal is that cell's own account (``sa:cell-{cell}``).

So one cell's key, leaked or misused, forges no principal of another cell, whichever issuer
the token names: not at the gateway, not in the other cell, and not in the key's own cell
either (a cell never accepts another cell's key for its own principals, nor its own key for
another cell's).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from rhip.kit.authn import KeySource, Principal, SigningKey
from rhip.kit.errors import Unauthenticated
from rhip.kit.routing import CellRoute, RoutingTable
from rhip.kit.tenancy import is_region_code

ISSUER_PREFIX = "rhip-identity/"  # Settings.issuer: f"rhip-identity/{cell}"
RELOAD_EVERY_SECONDS = 1.0


def issuer_code(issuer: object) -> str | None:
    """The cell region code an issuer names (``rhip-identity/320000`` → ``320000``)."""
    if not isinstance(issuer, str) or not issuer.startswith(ISSUER_PREFIX):
        return None
    code = issuer[len(ISSUER_PREFIX) :]
    return code if is_region_code(code) else None


class CellKeys:
    """The signing keys of every cell of a routing table, each tied to its cell.

    ``keys_of(name)`` gives the KeySource of the cell so named (this cell's own key ring, or
    a peer's JWKS); it is asked once per cell. ``reload``: re-read the table (at most once a
    second) for processes with no watcher thread of their own; the gateway's watcher reloads
    its table itself.
    """

    def __init__(
        self,
        routes: RoutingTable,
        keys_of: Callable[[str], KeySource],
        *,
        reload: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._routes = routes
        self._keys_of = keys_of
        self._sources: dict[str, KeySource] = {}
        self._lock = threading.Lock()
        self._reload = reload
        self._clock = clock
        self._checked_at = float("-inf")

    @property
    def version(self) -> int:
        """Changes whenever which cell owns what may have changed (a routing reload): a
        decision cached under another version is made again."""
        if self._reload and self._clock() - self._checked_at >= RELOAD_EVERY_SECONDS:
            self._checked_at = self._clock()
            self._routes.reload_if_changed()
        return self._routes.version

    def _source(self, cell: str) -> KeySource:
        source = self._sources.get(cell)
        if source is None:
            with self._lock:
                source = self._sources.setdefault(cell, self._keys_of(cell))
        return source

    def _issuing_cell(self, issuer: object) -> tuple[str, CellRoute]:
        code = issuer_code(issuer)
        cell = self._routes.owner(code) if code is not None else None
        if code is None or cell is None:
            raise Unauthenticated(
                "the token names no issuer of this platform", reason="TOKEN_ISSUER"
            )
        return code, cell

    def signing_key(self, issuer: object, kid: str) -> SigningKey:
        """The key ``kid`` of the cell that ``issuer`` names; UNAUTHENTICATED when that cell
        holds no such key (TOKEN_ISSUER when another cell does)."""
        code, cell = self._issuing_cell(issuer)
        public = self._source(cell.name)(kid)
        if public is not None:
            return SigningKey(public, cell.name, code)
        # Only on the way to a refusal: say whether the key is another cell's.
        if any(self._source(c.name)(kid) is not None for c in self._routes.cells if c != cell):
            raise Unauthenticated(
                "the token was signed by another cell than its issuer", reason="TOKEN_ISSUER"
            )
        raise Unauthenticated("the token was signed by an unknown key", reason="TOKEN_KEY_UNKNOWN")

    def check_vouches(self, key: SigningKey, principal: Principal) -> None:
        """The key's cell must own the principal's region, or the principal be that cell's
        own account (``sa:cell-{cell}`` in the cell's own region: the cell speaking for
        itself, never for a region it does not own)."""
        code = key.issuer_code
        if principal.is_cell_account and (principal.subject, principal.region_code) == (
            f"sa:cell-{code}",
            code,
        ):
            return
        region = principal.region_code
        owner = self._routes.owner(region) if is_region_code(region) else None
        if owner is None or owner.name != key.cell:
            raise Unauthenticated(
                "the token's key does not vouch for principals of its region",
                reason="TOKEN_KEY_NOT_TRUSTED_FOR_REGION",
            )


def single_cell(code: str, keys: KeySource) -> CellKeys:
    """One cell owning ``code`` (and its subtree) with ``keys``: a cell without a routing
    table, where no other cell's token is expected, and tests."""
    # No address: nothing routes to this entry, it only says what the cell owns.
    routes = RoutingTable((CellRoute(f"cell-{code}", "", (code,)),))
    return CellKeys(routes, lambda _name: keys)
