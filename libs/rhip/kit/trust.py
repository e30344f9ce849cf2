"""Which cell's signing keys vouch for whom (docs/architecture.md §4, trust between cells).

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

    ``remote(name)`` gives the KeySource of the cell so named (its identity's JWKS); it is
    asked once per cell. ``own``: this cell's region code (RHIP_CELL) and its own key source
    (the gateway has none). The table may list this cell (the entry listing its code) or only
    its peers, as the Helm chart renders it: then this cell joins it as owning its code's
    subtree. ``reload``: re-read the table (at most once a second) for processes with no
    watcher thread of their own; the gateway's watcher reloads its table itself.
    """

    def __init__(
        self,
        routes: RoutingTable,
        remote: Callable[[str], KeySource],
        *,
        own: tuple[str, KeySource] | None = None,
        reload: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._routes = routes
        self._remote = remote
        self._own = own
        self._sources: dict[str, KeySource] = {}
        self._lock = threading.Lock()
        self._reload = reload
        self._clock = clock
        self._checked_at = float("-inf")
        self._view: tuple[int, RoutingTable, str] = self._make_view()

    @property
    def version(self) -> int:
        """Changes whenever which cell owns what may have changed (a routing reload): a
        decision cached under another version is made again."""
        if self._reload and self._clock() - self._checked_at >= RELOAD_EVERY_SECONDS:
            self._checked_at = self._clock()
            self._routes.reload_if_changed()
        return self._routes.version

    def _make_view(self) -> tuple[int, RoutingTable, str]:
        """The table as of its current version, with this cell in it, and this cell's name."""
        version, table = self._routes.version, self._routes
        if self._own is None:
            return version, table, ""
        code = self._own[0]
        entry = next((c for c in table.cells if code in c.regions), None)
        if entry is None:
            # No address: nothing routes to this entry, it only says what the cell owns.
            entry = CellRoute(f"cell-{code}", "", (code,))
            table = RoutingTable((entry, *table.cells))
        return version, table, entry.name

    def _table(self) -> RoutingTable:
        if self._view[0] != self._routes.version:
            self._view = self._make_view()
        return self._view[1]

    def _source(self, cell: str) -> KeySource:
        if self._own is not None and cell == self._view[2]:
            return self._own[1]
        source = self._sources.get(cell)
        if source is None:
            with self._lock:
                source = self._sources.setdefault(cell, self._remote(cell))
        return source

    def _issuing_cell(self, table: RoutingTable, issuer: object) -> tuple[str, CellRoute]:
        code = issuer_code(issuer)
        cell = table.owner(code) if code is not None else None
        # A cell issues as the region code it is listed under, never as one below it: one
        # spelling per cell, so comparing issuers (rhip.kit.crosscell) compares cells.
        if code is None or cell is None or code not in cell.regions:
            raise Unauthenticated(
                "the token names no issuer of this platform", reason="TOKEN_ISSUER"
            )
        return code, cell

    def signing_key(self, issuer: object, kid: str) -> SigningKey:
        """The key ``kid`` of the cell that ``issuer`` names; UNAUTHENTICATED when that cell
        holds no such key (TOKEN_ISSUER when another cell does)."""
        table = self._table()
        code, cell = self._issuing_cell(table, issuer)
        public = self._source(cell.name)(kid)
        if public is not None:
            return SigningKey(public, cell.name, code)
        # Only on the way to a refusal: say whether the key is another cell's.
        if any(self._source(c.name)(kid) is not None for c in table.cells if c != cell):
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
        owner = self._table().owner(region) if is_region_code(region) else None
        if owner is None or owner.name != key.cell:
            raise Unauthenticated(
                "the token's key does not vouch for principals of its region",
                reason="TOKEN_KEY_NOT_TRUSTED_FOR_REGION",
            )


def single_cell(code: str, keys: KeySource) -> CellKeys:
    """One cell owning ``code`` (and its subtree) with ``keys``: a cell without a routing
    table, where no other cell's token is expected, and tests."""
    return CellKeys(RoutingTable(()), lambda _name: _no_keys, own=(code, keys))


def _no_keys(kid: str) -> None:
    return None
