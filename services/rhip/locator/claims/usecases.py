"""The locator's use cases, each in one transaction with its audit event: claim a person's
open record for a cell, release it, move it to the cell a transfer took it to, and the
reconciliation of persons with open records in two cells. The caller is always a cell (the
servicer has checked that); audit details carry cells and ids only, never a digest input."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from rhip.kit import audit
from rhip.kit.db import Database
from rhip.kit.errors import Violations
from rhip.kit.tenancy import is_region_code
from rhip.locator.claims import domain
from rhip.locator.claims.domain import Claim, Keyring
from rhip.locator.claims.store import ClaimStore
from rhip.locator.presence.store import PresenceStore

SCOPE = "86"  # the platform's own audit scope


@dataclass(frozen=True)
class Claimed:
    claim: Claim
    double_open: bool  # another cell holds an open record too (recorded by a backfill)


def _bad(checks: Violations, field: str, description: str) -> None:
    checks.add(field, description, "INVALID_ARGUMENT")


def _require(checks: Violations, value: str, field: str, limit: int = 36) -> None:
    if not value or len(value) > limit:
        _bad(checks, field, f"required, at most {limit} characters")


class LocatorUseCases:
    def __init__(
        self,
        db: Database,
        keys: Keyring,
        cell_of: Callable[[str], str] = lambda region: "",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.keys = keys
        self.cell_of = cell_of  # region code → the cell owning it ("" when none)
        self.clock = clock

    def claim(
        self,
        cell: str,
        document_type: str,
        number: str,
        claim: Claim,
        *,
        country: str = "",
        backfill: bool = False,
    ) -> Claimed:
        checks = Violations()
        if not document_type or not number or len(number) > 64:
            _bad(checks, "document", "a document type and number are required")
        _require(checks, claim.resident_id, "resident_id")
        _require(checks, claim.record_id, "record_id")
        _require(checks, claim.institution, "institution_display_name", 200)
        if not is_region_code(claim.region_code):
            _bad(checks, "region_code", "must be a 6-digit GB/T 2260 code")
        checks.raise_if_any()
        digests = self.keys.digests(document_type, number, country)
        key_id, digest = digests[0]
        now = self.clock()
        with self.db.transaction() as tx:
            store = ClaimStore(tx)
            held = store.of_person_locked(digest, digests)
            others = domain.other_cells(held, cell)
            mine = next(
                (c for c in held if c.cell == cell and c.record_id == claim.record_id), None
            )
            if mine is not None:  # a retry, or a backfill run again
                fresh = replace(claim, key_id=key_id, digest=digest, cell=cell)
                if fresh != mine:  # key rotation, or details a transfer's move left out
                    store.refresh(fresh, now)
                return Claimed(fresh, bool(others))
            if others and not backfill:
                raise domain.record_elsewhere(others[0])
            made = replace(claim, key_id=key_id, digest=digest, cell=cell)
            store.add(made, now)
            audit.append(
                tx,
                audit.AuditEvent(
                    "locator.claim", f"locatorClaims/{cell}/{claim.record_id}", SCOPE,
                    "OK", detail={"cell": cell, "resident": claim.resident_id,
                                  "backfill": backfill, "double_open": bool(others)},
                ),
            )  # fmt: skip
            return Claimed(made, bool(others))

    def release(self, cell: str, record_id: str) -> bool:
        checks = Violations()
        _require(checks, record_id, "record_id")
        checks.raise_if_any()
        with self.db.transaction() as tx:
            released = ClaimStore(tx).remove(cell, record_id)
            if released:
                audit.append(
                    tx,
                    audit.AuditEvent(
                        "locator.release", f"locatorClaims/{cell}/{record_id}", SCOPE, "OK",
                        detail={"cell": cell},
                    ),
                )  # fmt: skip
            return released

    def move(self, cell: str, record_id: str, region: str, destination: Claim) -> Claim | None:
        """The claim of ``record_id`` (the calling cell's) now names the destination record,
        in the cell owning ``region``; a retry returns the moved claim; None when the locator
        never knew the record (created before the locator: the backfill locates it)."""
        checks = Violations()
        _require(checks, record_id, "record_id")
        if not is_region_code(region):
            _bad(checks, "destination_region", "must be a 6-digit GB/T 2260 code")
        _require(checks, destination.record_id, "destination_record_id")
        checks.raise_if_any()
        target = self.cell_of(region)
        if not target:
            checks.add("destination_region", "no cell serves this region", "REGION_UNROUTED")
            checks.raise_if_any()
        destination = replace(destination, cell=target, region_code=region)
        now = self.clock()
        with self.db.transaction() as tx:
            store = ClaimStore(tx)
            moved = store.get(destination.cell, destination.record_id)
            source = store.get(cell, record_id)
            if source is None:
                return moved
            if moved is not None:  # the destination claimed it already: one claim is enough
                store.remove(cell, record_id)
                return moved
            store.move(source, destination, now)
            audit.append(
                tx,
                audit.AuditEvent(
                    "locator.move", f"locatorClaims/{destination.cell}/{destination.record_id}",
                    SCOPE, "OK", detail={"from_cell": cell, "from_record": record_id},
                ),
            )  # fmt: skip
            return replace(destination, key_id=source.key_id, digest=source.digest)

    def doubles(self) -> list[list[Claim]]:
        """Persons with open records in more than one cell, for an administrator to resolve."""
        with self.db.read() as conn:
            return ClaimStore(conn).doubles()

    def purge_key(self, key_id: str) -> int:
        """After a rotation (every cell backfilled under the new key): drop what is left
        under ``key_id``. Refused for the current key."""
        if key_id == self.keys.current:
            checks = Violations()
            _bad(checks, "key_id", "the current key cannot be purged")
            checks.raise_if_any()
        with self.db.transaction() as tx:
            # Presence rows under the key go too (presence/store.py, the same rotation).
            return ClaimStore(tx).purge_key(key_id) + PresenceStore(tx).purge_key(key_id)
