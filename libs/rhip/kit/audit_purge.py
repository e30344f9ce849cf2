"""Audit retention: deleting events older than the retention, behind a signed checkpoint.

Events are kept at least ``RHIP_AUDIT_RETENTION_DAYS`` (default and minimum 180: the
Cybersecurity Law's six months online, DOMAIN.md §8.1). A purge takes the oldest events, a
contiguous run from the first one left up to the last one before the cutoff (an event newer
than the cutoff ends the run, so nothing younger is deleted even when timestamps interleave),
and

1. reads them without locks (they are immutable), checking that they chain from the previous
   anchor (a broken chain is never sealed: the purge stops and says so) and hashing them into
   a digest;
2. in one short transaction writes a signed checkpoint (``rhip.kit.audit_checkpoint``) and an
   ``audit.purge`` event (counts and ranges, no personal data), unless another replica wrote a
   checkpoint meanwhile (then it starts over from that one);
3. deletes the sealed events and their ``audit_resident`` rows, a batch per transaction. The
   database refuses to delete any event above the newest checkpoint's anchor (kit_0004), so a
   crash between 2 and 3 leaves only sealed events behind, which the next run deletes.

Concurrency: appends lock ``audit_head`` only and touch the newest sequences; a purge never
takes that lock except for the one append of its own event, so reads are not held up. On
PostgreSQL every purge transaction first takes a transaction-level advisory lock, so two
replicas purging at once take turns: the second finds the first's checkpoint and has nothing
left to seal. (SQLite writers are serialised by ``BEGIN IMMEDIATE``.)
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from rhip.kit import audit
from rhip.kit.audit_checkpoint import (
    GENESIS,
    AuditSeal,
    Checkpoint,
    insert,
    latest,
    verified_anchor,
)
from rhip.kit.config import Settings
from rhip.kit.schema import audit_event, audit_resident
from rhip.kit.tenancy import region_path
from sqlalchemy import Connection, delete, func, select, text

if TYPE_CHECKING:
    from rhip.kit.db import Database


ACTOR = "system:audit-purge"
LOCK_ID = zlib.crc32(b"rhip.kit.audit_purge") & 0x7FFFFFFF
READ_BATCH = 5000
DELETE_BATCH = 2000
MAX_PER_CHECKPOINT = 100_000  # bounds one checkpoint's reading; a backlog takes several


@dataclass(frozen=True)
class PurgeResult:
    """What one run did (or, dry, would do): events sealed and deleted, checkpoints written."""

    cutoff: str
    events: int = 0
    deleted: int = 0
    checkpoints: int = 0
    first_seq: int = 0
    last_seq: int = 0
    first_time: str = ""
    last_time: str = ""
    # Nothing was purged because CHAIN_BROKEN: the events to seal do not chain, or
    # CHECKPOINT_*: the checkpoints so far do not verify (audit_checkpoint.verified_anchor).
    problem: str = ""


@dataclass(frozen=True)
class _Run:
    """The events a checkpoint will seal, read and checked."""

    first_seq: int
    last_seq: int
    anchor_hash: str
    count: int
    first_time: str
    last_time: str
    digest: str


def cutoff_for(now: datetime, retention_days: int) -> str:
    return (now.astimezone(UTC) - timedelta(days=retention_days)).isoformat(timespec="microseconds")


class AuditPurge:
    """Purges one service's audit log (``seal.log``). ``progress`` hears a line per step."""

    def __init__(
        self,
        db: Database,
        seal: AuditSeal,
        retention_days: int,
        *,
        scope_path: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        via: str = "worker",
        per_checkpoint: int = MAX_PER_CHECKPOINT,
    ) -> None:
        self.db = db
        self.per_checkpoint = per_checkpoint
        self.seal = seal
        self.retention_days = retention_days
        self.scope_path = scope_path
        self.clock = clock
        self.via = via

    def run(
        self, *, dry_run: bool = False, progress: Callable[[str], None] = lambda _line: None
    ) -> PurgeResult:
        cutoff = cutoff_for(self.clock(), self.retention_days)
        total = PurgeResult(cutoff)
        virtual: Checkpoint | None = None  # a dry run's last checkpoint, had it written it
        while True:
            with self.db.read() as conn:
                # Never build on (or delete behind) a checkpoint that does not verify.
                checked = verified_anchor(conn, self.seal) if virtual is None else None
                if checked is not None and checked.problem:
                    return replace(total, problem=checked.problem)
                base = virtual or latest(conn)
                run = _read_run(conn, base, cutoff, self.per_checkpoint)
            if isinstance(run, str):
                return replace(total, problem=run)
            if run is None:
                break
            total = _add(total, run)
            if dry_run:
                progress(_describe("would seal", run))
                if run.count < self.per_checkpoint:
                    break
                # Later runs would start from this one's anchor: keep counting from there.
                virtual = _virtual(base, run, cutoff)
                continue
            checkpoint = self._seal(base, run, cutoff)
            if checkpoint is None:
                progress("another purge wrote a checkpoint meanwhile; starting from it")
                total = _subtract(total, run)
                continue
            total = replace(total, checkpoints=total.checkpoints + 1)
            progress(_describe(f"checkpoint {checkpoint.number} sealed", run))
            if run.count < self.per_checkpoint:
                break
        if dry_run:
            return total
        return replace(total, deleted=self._delete_sealed(progress))

    # -- sealing ------------------------------------------------------------------------------
    def _seal(self, base: Checkpoint | None, run: _Run, cutoff: str) -> Checkpoint | None:
        """Write the checkpoint and the purge's own event; None when another replica's
        checkpoint came first (the run was read after a checkpoint that is no longer last)."""
        with self.db.transaction() as tx:
            _lock(tx)
            now = latest(tx)
            if (now.number if now else 0) != (base.number if base else 0):
                return None
            checkpoint = Checkpoint(
                number=(base.number if base else 0) + 1,
                first_seq=run.first_seq,
                last_seq=run.last_seq,
                anchor_hash=run.anchor_hash,
                event_count=run.count,
                first_time=run.first_time,
                last_time=run.last_time,
                cutoff=cutoff,
                digest=run.digest,
                prev_digest=base.chain_digest() if base else GENESIS,
                create_time=self.clock().astimezone(UTC).isoformat(timespec="microseconds"),
                key_id=self.seal.key_id,
            )
            checkpoint = replace(checkpoint, signature=self.seal.sign(checkpoint))
            insert(tx, checkpoint)
            detail = {
                "events": run.count,
                "first_seq": run.first_seq,
                "last_seq": run.last_seq,
                "first_time": run.first_time,
                "last_time": run.last_time,
                "retention_days": self.retention_days,
                "log": self.seal.log,
                "via": self.via,
                "basis": "system",
            }
            audit.append(
                tx,
                audit.AuditEvent(
                    "audit.purge",
                    f"auditCheckpoints/{checkpoint.number}",
                    self.scope_path,
                    detail=detail,
                    actor=ACTOR,
                    actor_tenant="",
                ),
            )
        return checkpoint

    # -- deleting -----------------------------------------------------------------------------
    def _delete_sealed(self, progress: Callable[[str], None]) -> int:
        """Delete every event at or below the newest anchor, a batch per transaction."""
        deleted = 0
        while True:
            with self.db.transaction() as tx:
                _lock(tx)
                anchor = latest(tx)
                low = tx.execute(select(func.min(audit_event.c.seq))).scalar()
                if anchor is None or low is None or low > anchor.last_seq:
                    break
                high = min(low + DELETE_BATCH - 1, anchor.last_seq)
                tx.execute(delete(audit_resident).where(audit_resident.c.seq.between(low, high)))
                gone = tx.execute(
                    delete(audit_event).where(audit_event.c.seq.between(low, high))
                ).rowcount
            deleted += gone
            progress(f"deleted events {low}–{high} ({deleted} so far)")
        return deleted


def _lock(tx: Connection) -> None:
    """One purge transaction at a time across replicas (PostgreSQL; SQLite's write lock
    does it there). Appends do not take it."""
    if tx.dialect.name == "postgresql":
        tx.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})


def _read_run(
    conn: Connection, base: Checkpoint | None, cutoff: str, most: int
) -> _Run | str | None:
    """The events after ``base`` older than ``cutoff`` (at most ``most``), checked
    to chain from its anchor; None when there are none, ``CHAIN_BROKEN`` when they do not
    chain (never seal what was tampered with)."""
    after = base.last_seq if base else 0
    prev = base.anchor_hash if base else GENESIS
    head = conn.execute(select(func.max(audit_event.c.seq))).scalar() or 0
    digest = hashlib.sha256()
    first: dict | None = None
    last: dict | None = None
    count = 0
    size = 64  # usually the first event is young (nothing to purge): read few until not
    while count < most:
        rows = (
            conn.execute(
                select(audit_event)
                .where(audit_event.c.seq > after, audit_event.c.seq <= head)
                .order_by(audit_event.c.seq)
                .limit(min(size, most - count))
            )
            .mappings()
            .all()
        )
        if not rows:
            break
        for row in rows:
            if row["event_time"] >= cutoff:
                return _run(first, last, count, digest)
            if row["seq"] != after + 1 or row["prev_hash"] != prev:
                return "CHAIN_BROKEN"
            if audit.row_hash(dict(row)) != row["hash"]:
                return "CHAIN_BROKEN"
            digest.update(row["hash"].encode() + b"\n")
            first = first or dict(row)
            last, after, prev, count = dict(row), row["seq"], row["hash"], count + 1
        size = min(size * 4, READ_BATCH)
    return _run(first, last, count, digest)


def _run(first: dict | None, last: dict | None, count: int, digest: object) -> _Run | None:
    if first is None or last is None:
        return None
    return _Run(
        first["seq"],
        last["seq"],
        last["hash"],
        count,
        first["event_time"],
        last["event_time"],
        digest.hexdigest(),  # type: ignore[attr-defined]
    )


def _virtual(base: Checkpoint | None, run: _Run, cutoff: str) -> Checkpoint:
    """A dry run's stand-in for the checkpoint it would have written."""
    return Checkpoint(
        (base.number if base else 0) + 1, run.first_seq, run.last_seq, run.anchor_hash,
        run.count, run.first_time, run.last_time, cutoff, run.digest, "", "", "",
    )  # fmt: skip


def _add(total: PurgeResult, run: _Run) -> PurgeResult:
    return replace(
        total,
        events=total.events + run.count,
        first_seq=total.first_seq or run.first_seq,
        last_seq=run.last_seq,
        first_time=total.first_time or run.first_time,
        last_time=run.last_time,
    )


def _subtract(total: PurgeResult, run: _Run) -> PurgeResult:
    events = total.events - run.count
    if events == 0:
        return PurgeResult(total.cutoff, checkpoints=total.checkpoints)
    return replace(total, events=events)


def _describe(what: str, run: _Run) -> str:
    return (
        f"{what}: {run.count} events, seq {run.first_seq}–{run.last_seq}, "
        f"{run.first_time} – {run.last_time}"
    )


def cell_purges(
    settings: Settings, secret: bytes, logs: Mapping[str, Database], *, via: str = "worker"
) -> list[AuditPurge]:
    """One purge per service log of a cell (``logs``: service name → its database)."""
    scope = region_path(settings.cell)
    return [
        AuditPurge(
            db,
            AuditSeal(secret, settings.cell, name),
            settings.audit_retention_days,
            scope_path=scope,
            via=via,
        )
        for name, db in logs.items()
    ]
