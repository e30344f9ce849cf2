"""Resident presence: a cell announces the resident it holds for some identity documents and
learns which residents other cells hold for them (the cells then link the two; identity's
links/ does that). An announcement lists every document the cell holds for the resident now:
its rows for any other document are withdrawn (a merge undone took the document away; the
cells then remove the link it had found). Same keyed digests and key rotation as the claims: stored under the current
key, matched under every key; an announcement under a new key drops the cell's rows of the same
documents under older keys, so the backfill re-keys presence as it re-keys claims."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from rhip.kit import audit
from rhip.kit.db import Database
from rhip.kit.errors import Violations
from rhip.locator.claims.domain import Keyring
from rhip.locator.presence.store import Presence, PresenceStore

SCOPE = "86"  # the platform's own audit scope
MAX_DOCUMENTS = 10


class PresenceUseCases:
    def __init__(
        self,
        db: Database,
        keys: Keyring,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.keys = keys
        self.clock = clock

    def announce(
        self, cell: str, resident_id: str, documents: Sequence[tuple[str, str, str]]
    ) -> list[Presence]:
        """``documents``: (type, number, issuing country) each, every one the cell holds for
        the resident (none: it holds the resident for no document any more). Returns the
        residents other cells hold for any of them. Idempotent."""
        checks = Violations()
        if not resident_id or len(resident_id) > 36:
            checks.add("resident_id", "required, at most 36 characters", "INVALID_ARGUMENT")
        if len(documents) > MAX_DOCUMENTS:
            checks.add("documents", f"at most {MAX_DOCUMENTS} documents", "INVALID_ARGUMENT")
        for kind, number, _ in documents:
            if not kind or not number or len(number) > 64:
                checks.add("documents", "a document type and number are required",
                           "INVALID_ARGUMENT")  # fmt: skip
                break
        checks.raise_if_any()
        every = [self.keys.digests(kind, number, country) for kind, number, country in documents]
        now = self.clock()
        with self.db.transaction() as tx:
            store = PresenceStore(tx)
            announced = {pair for digests in every for pair in digests}
            # Documents the resident held here before and holds no more: withdrawn, under the
            # person's lock too (a cell announcing the same document waits, then misses it).
            stale = [p for p in store.held_by(cell, resident_id) if p not in announced]
            store.lock_people([digests[0][1] for digests in every] + [d for _, d in stale])
            changed = 0
            for digests in every:
                key_id, digest = digests[0]
                changed += store.put(key_id, digest, cell, resident_id, now)
                store.drop_other_keys(digests, key_id, cell)
            withdrawn = store.withdraw(cell, resident_id, stale)
            found = store.holders(announced) if announced else []
            others = [p for p in found if p.cell != cell]
            if changed or withdrawn:  # a first announcement, a takeover, a withdrawal: audited
                audit.append(
                    tx,
                    audit.AuditEvent(
                        "locator.announce", f"residentPresence/{cell}/{resident_id}", SCOPE,
                        "OK", detail={"cell": cell, "documents": len(documents),
                                      "withdrawn": withdrawn,
                                      "other_cells": sorted({p.cell for p in others})},
                    ),
                )  # fmt: skip
            return others
