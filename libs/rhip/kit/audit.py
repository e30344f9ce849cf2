"""Append-only, hash-chained audit log (GB/T 22239 level 3: who, when, what, outcome).

Each row's hash covers its fields and the previous row's hash; a one-row head table holds the
last sequence number and hash, so changing, deleting or truncating rows is detected by
``verify``. Rows are appended in the same transaction as the change they record. Never put a
national ID number, a name or a phone number into ``detail``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rhip.kit.authn import optional_principal
from rhip.kit.schema import audit_event, audit_head
from rhip.kit.telemetry import current_request_id, current_trace_id
from sqlalchemy import Connection, insert, select, update

if TYPE_CHECKING:
    from rhip.kit.db import Database

log = logging.getLogger(__name__)

GENESIS = "0" * 64
_HASHED_FIELDS = (
    "seq",
    "event_time",
    "actor",
    "actor_tenant",
    "action",
    "target",
    "scope_path",
    "outcome",
    "trace_id",
    "request_id",
    "detail",
    "prev_hash",
)


@dataclass(frozen=True)
class AuditEvent:
    """What happened: ``action`` (``tenant.create``), ``target`` (a resource name) and the
    authorization path of the data touched. The actor defaults to the current principal."""

    action: str
    target: str
    scope_path: str
    outcome: str = "OK"
    detail: Mapping[str, object] = field(default_factory=dict)
    actor: str | None = None
    actor_tenant: str | None = None
    # Taken from the call's context when None; fixed by ``captured`` for deferred appends.
    event_time: str | None = None
    trace_id: str | None = None
    request_id: str | None = None

    def captured(self) -> AuditEvent:
        """The event with who, when and which call filled in now, from this thread's context,
        so another thread can append it later unchanged."""
        principal = optional_principal()
        return replace(
            self,
            actor=self.actor or (principal.subject if principal else "anonymous"),
            actor_tenant=self.actor_tenant
            if self.actor_tenant is not None
            else (principal.tenant_id if principal else ""),
            event_time=self.event_time or _now(),
            trace_id=self.trace_id if self.trace_id is not None else current_trace_id(),
            request_id=self.request_id if self.request_id is not None else current_request_id(),
        )


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    rows_checked: int
    first_broken_seq: int = 0
    problem: str = ""


def row_hash(row: Mapping[str, object]) -> str:
    canonical = json.dumps(
        [row[k] for k in _HASHED_FIELDS], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def append(tx: Connection, event: AuditEvent) -> int:
    """Append ``event`` in the caller's transaction; returns its sequence number."""
    return append_many(tx, [event])


def append_many(tx: Connection, events: Sequence[AuditEvent]) -> int:
    """Append ``events`` in order under one lock of the head; returns the last sequence."""
    head = tx.execute(
        select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1).with_for_update()
    ).one()
    seq, prev = head.seq, head.hash
    rows: list[dict[str, object]] = []
    for event in events:
        event = event.captured()
        seq += 1
        row: dict[str, object] = {
            "seq": seq,
            "event_time": event.event_time,
            "actor": event.actor,
            "actor_tenant": event.actor_tenant,
            "action": event.action,
            "target": event.target,
            "scope_path": event.scope_path,
            "outcome": event.outcome,
            "trace_id": event.trace_id,
            "request_id": event.request_id,
            "detail": json.dumps(dict(event.detail), ensure_ascii=False, sort_keys=True),
            "prev_hash": prev,
        }
        row["hash"] = prev = row_hash(row)
        rows.append(row)
    if rows:
        tx.execute(insert(audit_event), rows)
        tx.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=seq, hash=prev))
    return seq


class AuditWriter:
    """Appends audit events of reads off the request path, in batches (group commit).

    A read has nothing to commit but its audit row, and appending it in the request would
    serialise every read on the chain's head and wait for the disk. The event is captured
    (who, when, trace and request id) when the read happens and appended here within
    ``interval`` seconds, in one transaction per batch. The queue is bounded: when it is
    full, readers wait (back-pressure), so events are never dropped. ``stop`` flushes; a
    process killed outright can lose at most the events of the last interval.
    """

    def __init__(
        self, db: Database, *, interval: float = 0.05, batch: int = 500, capacity: int = 10_000
    ) -> None:
        self._db = db
        self._interval = interval
        self._batch = batch
        self._queue: queue.Queue[AuditEvent] = queue.Queue(capacity)
        self._idle = threading.Condition()
        self._pending = 0
        self._stopping = threading.Event()
        self._flushing = False
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def submit(self, event: AuditEvent) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put(event.captured())

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every submitted event is appended; False on timeout."""
        self._flushing = True  # no gathering wait while someone waits for the events
        try:
            with self._idle:
                return self._idle.wait_for(lambda: self._pending == 0, timeout)
        finally:
            self._flushing = False

    def stop(self) -> None:
        self.flush()
        self._stopping.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not (self._stopping.is_set() and self._queue.empty()):
            try:
                events = [self._queue.get(timeout=self._interval)]
            except queue.Empty:
                continue
            # Gather what arrives within one interval of the first event: one transaction
            # per batch instead of per read (the writer's CPU competes with the readers').
            deadline = time.monotonic() + self._interval
            while len(events) < self._batch:
                remaining = deadline - time.monotonic()
                try:
                    if remaining > 0 and not self._stopping.is_set() and not self._flushing:
                        events.append(self._queue.get(timeout=remaining))
                    else:
                        events.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._write(events)
            with self._idle:
                self._pending -= len(events)
                self._idle.notify_all()

    def _write(self, events: list[AuditEvent]) -> None:
        delay = 0.05
        while True:
            try:
                with self._db.transaction(durable=False) as tx:
                    append_many(tx, events)
                return
            except Exception:  # the database is away: keep the events and retry
                log.exception("audit writer: %d events not yet written; retrying", len(events))
                if self._stopping.wait(delay) and delay > 5:
                    log.error("audit writer stopping with %d events unwritten", len(events))
                    return
                delay = min(delay * 2, 10)


def verify(conn: Connection, batch: int = 5000) -> ChainReport:
    """Walk the chain from the first row and check every hash, link and the head.

    The head is read first and rows after it are ignored: they were appended while this ran
    (a row and the head move in one transaction), so no snapshot is needed.
    """
    head = conn.execute(
        select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
    ).one()
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    last_seq = 0
    while last_seq < head.seq:
        rows = (
            conn.execute(
                select(audit_event)
                .where(audit_event.c.seq > last_seq, audit_event.c.seq <= head.seq)
                .order_by(audit_event.c.seq)
                .limit(batch)
            )
            .mappings()
            .all()
        )
        if not rows:
            break
        for row in rows:
            checked += 1
            if row["seq"] != expected_seq:
                return ChainReport(False, checked, expected_seq, "ROW_MISSING")
            if row["prev_hash"] != expected_prev or row_hash(dict(row)) != row["hash"]:
                return ChainReport(False, checked, row["seq"], "ROW_CHANGED")
            expected_prev, expected_seq = row["hash"], expected_seq + 1
            last_seq = row["seq"]
    if head.seq != last_seq or head.hash != expected_prev:
        return ChainReport(False, checked, last_seq + 1, "HEAD_MISMATCH")
    return ChainReport(True, checked)
