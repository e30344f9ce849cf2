"""Residents linked across cells: announce this cell's residents to the platform's locator,
link them to the same person's residents in other cells (both sides), and apply the linked
cells' deaths and merges here.

Linking never blocks a registration: the registration queues its resident (store.py,
``announce_later``) in its own transaction and the link worker (worker.py) announces it, so a
locator that is down only delays the link. The other cell is told by ``LinkResident`` and checks
the link with the locator itself (it announces its own resident and must find ours among the
answer). A link the locator no longer confirms when the resident is announced again (the
document it was found by left the resident: a merge undone) is removed on both sides the same
way: the other cell is told by ``UnlinkResident`` and checks with the locator that its resident
no longer finds ours. Each linked cell's change feed is read after a durable cursor; a change
and the cursor move in one transaction, and each change is idempotent, so a replay changes
nothing.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from rhip.identity.directory.domain import parse_resource_name
from rhip.identity.links.client import LinkGateway, RemoteResident
from rhip.identity.links.domain import Link, RemotePresence
from rhip.identity.links.store import LinkRepository
from rhip.identity.residents.access import ResidentAccess
from rhip.identity.residents.change_store import publish
from rhip.identity.residents.domain import ChangeKind, Resident, ResidentChange, ResidentState
from rhip.identity.residents.store import ResidentRepository
from rhip.kit import audit
from rhip.kit.authn import current_principal
from rhip.kit.crosscell import require_peer_cell
from rhip.kit.errors import (
    FailedPrecondition,
    NotFound,
    PermissionDenied,
    RhipError,
    Unavailable,
    Violations,
)
from rhip.kit.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

log = logging.getLogger(__name__)

ISSUER_PREFIX = "rhip-identity/"
ANNOUNCE_BATCH = 50
FEED_PAGE = 200
MAX_ATTEMPTS = 50  # refusals (not outages) of one resident before it leaves the queue
MERGE_CHAIN = 8  # a linked resident merged again and again: follow at most this far


class ResidentLinks:
    def __init__(self, residents: ResidentAccess, gateway: LinkGateway) -> None:
        self.residents = residents
        self.gateway = gateway

    # -- reads -------------------------------------------------------------------------------
    def links_of(self, repo: ResidentRepository, resident: Resident) -> tuple[Link, ...]:
        return tuple(LinkRepository(repo.s).links_of(resident.resident_id))

    # -- this cell announces (the worker) ----------------------------------------------------
    def announce_pending(self, limit: int = ANNOUNCE_BATCH) -> int:
        """Announces the queued residents; returns the links made. The locator or the gateway
        unreachable ends the pass (the worker backs off); the queue keeps the rest."""
        if not self.gateway.configured:
            return 0
        with self.residents.db.read() as conn:
            pending = LinkRepository(conn).pending(limit)
        made = 0
        for resident_id in pending:
            try:
                made += self.announce(resident_id)
            except Unavailable:
                raise
            except RhipError as error:  # this resident only (e.g. the other cell refused)
                with self.residents.db.transaction() as tx:
                    dropped = LinkRepository(tx).failed(resident_id, MAX_ATTEMPTS)
                log.warning(
                    "announcing resident %s failed: %s%s", resident_id, error.reason,
                    " (left the queue: the locator backfill announces it again)" if dropped else "",
                )  # fmt: skip
        return made

    def announce(self, resident_id: str) -> int:
        """Announces one resident with every document it holds now, links it to the other
        cells' residents of the person (both sides) and removes its links the locator no
        longer confirms (both sides); returns the links made here. Idempotent (the backfill
        calls it too)."""
        with self.residents.reading() as repo:
            generation = LinkRepository(repo.s).generation(resident_id)  # before the resident
            resident = repo.get(resident_id)
            linked = bool(resident and LinkRepository(repo.s).links_of(resident_id))
        if (
            resident is None or resident.state is ResidentState.MERGED
            or not (resident.documents or linked)
        ):  # fmt: skip
            with self.residents.db.transaction() as tx:  # an alias: its survivor is announced
                LinkRepository(tx).announced(resident_id, generation)
            return 0
        # No documents left (a merge undone took them all): the announcement withdraws the
        # resident's presence at the locator and finds nobody, so its links go below.
        others = self.gateway.announce(resident_id, resident.documents)
        made = 0
        confirmed = set()
        for other in others:
            # The other cell first: it checks the link with the locator and answers its
            # resident (the survivor when it was merged) and whether that one died.
            remote = self.gateway.link(other.cell, other.resident_id, resident_id)
            made += self._link_here(resident_id, other.cell, remote, generation)
            confirmed |= {(other.cell, other.resident_id), (other.cell, remote.resident_id)}
        self._unlink_unconfirmed(resident_id, confirmed)
        with self.residents.db.transaction() as tx:
            LinkRepository(tx).announced(resident_id, generation)
        return made

    def _link_here(
        self, resident_id: str, cell: str, remote: RemoteResident, generation: int | None
    ) -> int:
        """The link, unless the resident was queued again since this pass read it (a merge or
        its undo committed meanwhile: the documents announced may no longer be its own, and
        the undo has just moved this very link back to the merged resident); the next pass
        announces what it holds then. Checked under the resident's row lock."""
        now = self.residents.clock()
        with self.residents.unit() as repo:
            resident = repo.get(resident_id, for_update=True)
            if resident is None or LinkRepository(repo.s).generation(resident_id) != generation:
                return 0
            made = self._add(repo, resident, cell, remote.resident_id, now)
            if remote.state == "DECEASED" and remote.death_date is not None:
                self._died(repo, resident, remote.death_date, cell, remote.resident_id, now)
            return int(made)

    def _add(
        self, repo: ResidentRepository, resident: Resident, cell: str, remote: str, now: datetime
    ) -> bool:
        if not LinkRepository(repo.s).add(resident.resident_id, cell, remote, now):
            return False
        actor = current_principal().subject
        repo.record(resident.resident_id, "LINKED", actor, now, cell=cell, linked=remote)
        self.residents.audit_change(repo, "resident.link", resident, cell=cell, linked=remote)
        return True

    def _unlink_unconfirmed(self, resident_id: str, confirmed: set[tuple[str, str]]) -> None:
        """The resident's links to residents the locator no longer holds for any of its
        documents (the one the link was found by left it): the other cell first, which checks
        with the locator itself; then here. A refusal there (``LINK_STILL_CONFIRMED``: the
        locator there still holds both, e.g. a document announced since) keeps the link."""
        with self.residents.db.read() as conn:
            links = LinkRepository(conn).links_of(resident_id)
        for link in links:
            if (link.cell, link.remote_resident_id) in confirmed:
                continue
            try:
                self.gateway.unlink(link.cell, link.remote_resident_id, resident_id)
            except FailedPrecondition as error:
                if error.reason != "LINK_STILL_CONFIRMED":
                    raise
                log.info("cell %s still confirms the link of resident %s: kept",
                         link.cell, resident_id)  # fmt: skip
                continue
            self._unlink_here(resident_id, link.cell, link.remote_resident_id)

    def _unlink_here(self, resident_id: str, cell: str, remote: str) -> bool:
        """Removes the link (idempotent); history and audit say so. True when it was there."""
        now = self.residents.clock()
        with self.residents.unit() as repo:
            resident = repo.get(resident_id, for_update=True)
            if resident is None:
                return False
            removed = LinkRepository(repo.s).remove(resident_id, cell, remote)
            if removed is None:
                return False
            repo.record(resident_id, "UNLINKED", current_principal().subject, now,
                        cell=cell, linked=remote, linked_since=removed.create_time.isoformat())  # fmt: skip
            self.residents.audit_change(repo, "resident.unlink", resident, cell=cell, linked=remote)
            return True

    def _peer_pair(self, resident_name: str, linked_name: str) -> tuple[str, Resident, str]:
        """The calling cell, our resident (followed to its survivor) and the calling cell's
        resident id, of a LinkResident or UnlinkResident request."""
        cell = self._calling_cell()
        checks = Violations()
        resident_id = checks.check(parse_resource_name, resident_name, "residents", "resident")
        linked_id = checks.check(parse_resource_name, linked_name, "residents", "linked_resident")
        checks.raise_if_any()
        with self.residents.reading() as repo:
            resident = _survivor(repo, resident_id or "")
        if resident is None:
            raise NotFound(f"residents/{resident_id} does not exist")
        return cell, resident, linked_id or ""

    # -- another cell links to us (IdentityPeerService.LinkResident) -------------------------
    def link_from_peer(self, resident_name: str, linked_name: str) -> Resident:
        cell, resident, linked_id = self._peer_pair(resident_name, linked_name)
        # The locator is the judge: our resident's documents must be held by theirs there.
        if RemotePresence(cell, linked_id) not in self.gateway.announce(
            resident.resident_id, resident.documents
        ):
            raise PermissionDenied(
                "the locator does not hold both residents for one document",
                reason="LINK_NOT_CONFIRMED",
            )
        now = self.residents.clock()
        with self.residents.unit() as repo:
            locked = repo.get(resident.resident_id, for_update=True)
            assert locked is not None
            self._add(repo, locked, cell, linked_id, now)
            return locked

    # -- another cell unlinks (IdentityPeerService.UnlinkResident) -------------------------
    def unlink_from_peer(self, resident_name: str, linked_name: str) -> tuple[Resident, bool]:
        """The calling cell's resident no longer shares a document with ours: our link to it
        goes, once the locator agrees (the caller's word alone unlinks nothing). Returns our
        resident (the survivor) and whether a link was removed."""
        cell, resident, linked_id = self._peer_pair(resident_name, linked_name)
        # The locator is the judge: announced with what it holds now, our resident must no
        # longer find theirs (this also withdraws our presence for documents it lost).
        if RemotePresence(cell, linked_id) in self.gateway.announce(
            resident.resident_id, resident.documents
        ):
            raise FailedPrecondition(
                "the locator still holds both residents for one document",
                reason="LINK_STILL_CONFIRMED",
            )
        return resident, self._unlink_here(resident.resident_id, cell, linked_id)

    # -- our feed, for a linked cell (IdentityPeerService.ListLinkedResidentChanges) ---------
    def changes_for_peer(self, after: int, page_size: int) -> tuple[list[ResidentChange], int]:
        cell = self._calling_cell()
        checks = Violations()
        if after < 0:
            checks.add("after_sequence", "must not be negative", "SEQUENCE_NEGATIVE")
        if page_size < 0:
            checks.add("page_size", "must not be negative", "PAGE_SIZE_NEGATIVE")
        checks.raise_if_any()
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        with self.residents.reading() as repo:
            changes, read = LinkRepository(repo.s).changes_for(cell, after, size)
            named = list(
                dict.fromkeys(r for c in changes for r in (c.resident_id, c.survivor_id) if r)
            )
            homes = repo.home_paths(named) if named else {}
        # As the cell's own feed: a poll that found nothing read nothing personal (not audited);
        # what it did read is audited per resident, so "who viewed me" finds it.
        self.residents.read_audit.submit_all(
            [
                audit.AuditEvent(
                    "resident.changes.linked", f"residents/{r}",
                    homes.get(r) or self.residents.cell_path,
                    detail={"cell": cell, "after": after, "hits": len(changes)},
                )
                for r in named
            ]
        )  # fmt: skip
        return changes, read

    def _calling_cell(self) -> str:
        principal, _ = require_peer_cell(self.residents.settings.issuer)
        return principal.issuer.removeprefix(ISSUER_PREFIX)

    # -- the linked cells' feeds, applied here (the worker) ----------------------------------
    def pull_all(self) -> int:
        """Reads every linked cell's feed after its cursor; returns the changes applied. A
        cell that cannot be reached is skipped this time (the others go on)."""
        if not self.gateway.configured:
            return 0
        with self.residents.db.read() as conn:
            cells = LinkRepository(conn).linked_cells()
        applied, failed = 0, None
        for cell in cells:
            try:
                applied += self.pull(cell)
            except RhipError as error:
                log.warning("reading the change feed of cell %s failed: %s", cell, error.reason)
                failed = error
        if failed is not None and not applied:
            raise failed  # nothing worked: the worker backs off
        return applied

    def pull(self, cell: str) -> int:
        with self.residents.db.read() as conn:
            after = LinkRepository(conn).cursor(cell)
        applied = 0
        while True:
            changes, read = self.gateway.changes(cell, after, FEED_PAGE)
            for change in changes:
                self.apply(cell, change)
                applied += 1
            if read > after:
                with self.residents.db.transaction() as tx:
                    LinkRepository(tx).set_cursor(cell, read, self.residents.clock())
                after = read
            if len(changes) < FEED_PAGE:
                return applied

    def apply(self, cell: str, change: ResidentChange) -> None:
        """One change of ``cell``'s feed, with the cursor, in one transaction. Idempotent."""
        now = self.residents.clock()
        with self.residents.unit() as repo:
            links = LinkRepository(repo.s)
            if change.seq <= links.lock_cursor(cell, now):
                return  # applied already (another replica's worker, or a retried page)
            if change.kind is ChangeKind.DECEASED and change.death_date is not None:
                for local in links.linked_to(cell, change.resident_id):
                    resident = repo.get(local, for_update=True)
                    if resident is not None:
                        self._died(repo, resident, change.death_date, cell, change.resident_id, now)
            elif change.kind is ChangeKind.MERGED:
                for local in links.relink(
                    cell, change.resident_id, change.survivor_id, change.merge_id, now
                ):
                    self._moved(repo, local, cell, change.resident_id, change.survivor_id,
                                change.merge_id, now, "LINK_MOVED")  # fmt: skip
            elif change.kind is ChangeKind.MERGE_UNDONE:
                for local, was, back in links.unrelink(cell, change.merge_id):
                    self._moved(repo, local, cell, was, back, change.merge_id, now,
                                "LINK_MOVED_BACK")  # fmt: skip
            links.set_cursor(cell, change.seq, now)

    def _died(
        self, repo: ResidentRepository, resident: Resident, died: date, cell: str, source: str,
        now: datetime,
    ) -> None:  # fmt: skip
        """The linked resident died (recorded in ``cell``): this one is marked DECEASED with
        the same date, its card revoked and the death published to this cell's own feed
        (archives terminates the record). Already deceased: nothing (a replay, or the death
        recorded here too)."""
        if resident.state in (ResidentState.DECEASED, ResidentState.MERGED):
            return
        if died < resident.birth_date:
            log.warning("linked death of resident %s is before the birth: not applied",
                        resident.resident_id)  # fmt: skip
            return
        deceased = resident.deceased(died, now)
        repo.save(deceased, resident.version)
        self.residents.on_death(repo, deceased, now)
        actor = current_principal().subject
        repo.record(
            resident.resident_id, "DECEASED", actor, now, source_cell=cell, source_resident=source
        )
        publish(repo.s, ChangeKind.DECEASED, resident.resident_id, actor, now, death_date=died)
        self.residents.audit_change(
            repo, "resident.deceased", deceased, source_cell=cell, source_resident=source
        )

    def _moved(
        self, repo: ResidentRepository, local: str, cell: str, was: str, now_linked: str,
        merge_id: str, now: datetime, kind: str,
    ) -> None:  # fmt: skip
        resident = repo.get(local)
        repo.record(local, kind, current_principal().subject, now,
                    cell=cell, was=was, linked=now_linked, merge=merge_id)  # fmt: skip
        self.residents.audit_change(
            repo, "resident.link_move", resident, cell=cell, linked=now_linked, merge=merge_id
        )


def _survivor(repo: ResidentRepository, resident_id: str) -> Resident | None:
    """The resident, or the survivor it was merged into (the same person)."""
    resident = repo.get(resident_id)
    for _ in range(MERGE_CHAIN):
        if resident is None or resident.state is not ResidentState.MERGED:
            return resident
        resident = repo.get(resident.merged_into)
    return resident
