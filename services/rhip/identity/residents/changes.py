"""Reading the cell's resident change feed (``ListResidentChanges``).

The feed is for the services of this cell, not for people: the caller needs the permission
(granted to the cell role at the cell's root, roles.py) over the whole cell, and must be this
cell's own service account (a token this cell's identity issued to ``sa:cell-{cell}``). A
clinician (whose role matches ``ResidentService/*`` at their tenant), an auditor or another
cell's account is refused whatever the policy says. Reads are audited like any other read.
"""

from __future__ import annotations

from rhip.identity.residents.access import ResidentAccess
from rhip.identity.residents.change_store import changes_after, head_sequence
from rhip.identity.residents.domain import ResidentChange
from rhip.kit import audit
from rhip.kit.authn import Principal, current_principal
from rhip.kit.errors import PermissionDenied, Violations
from rhip.kit.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from rhip.kit.tenancy import is_within

METHOD = "ListResidentChanges"


class ResidentChangeFeed:
    def __init__(self, residents: ResidentAccess) -> None:
        self.residents = residents

    def _require_cell_service(self, principal: Principal) -> None:
        uc = self.residents
        roots = uc.roots(principal, METHOD)
        own_account = (
            principal.is_cell_account
            and principal.subject == f"sa:cell-{uc.settings.cell}"
            and principal.issuer == uc.settings.issuer
        )
        if not own_account or not any(is_within(uc.cell_path, root) for root in roots):
            raise PermissionDenied(
                "only this cell's own service account reads the change feed",
                reason="CHANGE_FEED_CALLER",
            )

    def list(self, after_sequence: int, page_size: int) -> tuple[list[ResidentChange], int]:
        """Changes after ``after_sequence`` (oldest first, at most a page) and the feed's head."""
        self._require_cell_service(current_principal())
        checks = Violations()
        if after_sequence < 0:
            checks.add("after_sequence", "must not be negative", "SEQUENCE_NEGATIVE")
        if page_size < 0:
            checks.add("page_size", "must not be negative", "PAGE_SIZE_NEGATIVE")
        checks.raise_if_any()
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        with self.residents.reading() as repo:
            changes = changes_after(repo.s, after_sequence, size)
            head = head_sequence(repo.s)
            homes = repo.home_paths(_residents_of(changes)) if changes else {}
        # The consumer polls every few seconds: a poll that read nothing new read no personal
        # data and is not audited (it would bury the log in polls). What it did read is
        # audited per resident, so "who viewed me" finds it.
        self.residents.read_audit.submit_all(
            [
                audit.AuditEvent(
                    "resident.changes",
                    f"residents/{resident}",
                    homes.get(resident) or self.residents.cell_path,
                    detail={"after": after_sequence, "hits": len(changes)},
                )
                for resident in _residents_of(changes)
            ]
        )
        return changes, max(head, changes[-1].seq if changes else 0)


def _residents_of(changes: list[ResidentChange]) -> list[str]:
    """The residents a page of changes is about (the merged and the surviving), in order."""
    named = (r for c in changes for r in (c.resident_id, c.survivor_id) if r)
    return list(dict.fromkeys(named))
