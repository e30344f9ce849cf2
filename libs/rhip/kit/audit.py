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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import psycopg
from rhip.kit.audit_checkpoint import AuditSeal, latest_number, verified_anchor
from rhip.kit.audit_pipeline import (
    append_pipelined,
    commit_chained,
    pipeline_supported,
    write_chained,
)
from rhip.kit.authn import Principal, PrincipalKind, optional_principal
from rhip.kit.db import COMMITTED_BY_CALLER
from rhip.kit.deadlines import not_committed, too_close_to_answer
from rhip.kit.errors import AlreadyExists, Unavailable
from rhip.kit.schema import audit_event, audit_head, audit_resident
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
        so another thread can append it later unchanged (an event captured already is
        returned as it is: nothing of it is taken from the context again)."""
        if (
            self.event_time
            and self.actor
            and self.actor_tenant is not None
            and self.trace_id is not None
            and self.request_id is not None
            and "basis" in self.detail
        ):
            return self
        principal = optional_principal()
        detail = self.detail
        if "basis" not in detail:
            detail = {**detail, "basis": access_basis(principal)}
        return AuditEvent(  # not dataclasses.replace: the same event, made at half the cost
            action=self.action,
            target=self.target,
            scope_path=self.scope_path,
            outcome=self.outcome,
            detail=detail,
            actor=self.actor or (principal.subject if principal else "anonymous"),
            actor_tenant=self.actor_tenant
            if self.actor_tenant is not None
            else (principal.tenant_id if principal else ""),
            event_time=self.event_time or _now(),
            trace_id=self.trace_id if self.trace_id is not None else current_trace_id(),
            request_id=self.request_id if self.request_id is not None else current_request_id(),
        )


def access_basis(principal: Principal | None) -> str:
    """Under which basis the actor touched the data, as "who viewed me" answers it: a
    clinician's treatment relationship, a health commission's administration, an auditor's
    audit, another system acting for a tenant, a cell acting for itself, or the platform."""
    if principal is None:
        return "system"
    if principal.is_cell_account:
        return "cell"
    return _BASIS[principal.kind]


_BASIS = {
    PrincipalKind.PRACTITIONER: "treatment",
    PrincipalKind.REGIONAL_ADMIN: "administration",
    PrincipalKind.AUDITOR: "audit",
    PrincipalKind.SERVICE_ACCOUNT: "service",
}


def residents_named(target: str, detail: Mapping[str, object]) -> set[str]:
    """The residents an event is about: its target (``residents/{id}[/…]``) and its detail's
    ``resident``; indexed in ``audit_resident`` for searches by resident."""
    found = set()
    parts = target.split("/")
    if len(parts) >= 2 and parts[0] == "residents" and parts[1]:
        found.add(parts[1])
    named = detail.get("resident")
    if isinstance(named, str) and named:
        found.add(named)
    return found


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    rows_checked: int
    first_broken_seq: int = 0
    # CHECKPOINT_{UNVERIFIED,MISSING,FORGED,CHAIN} (first_broken_seq: the checkpoint's
    # number), ROW_MISSING, ROW_CHANGED, HEAD_MISMATCH
    problem: str = ""
    checkpoints: int = 0  # signed checkpoints of purged events, all verified
    anchor_seq: int = 0  # the last purged event: the chain was walked from the one after


# json.dumps(value, **options) is JSONEncoder(**options).encode(value): the same text from
# one encoder made once (a new encoder per call was a fifth of the hashing of a row).
_canonical = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_detail_text = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def row_hash(row: Mapping[str, object]) -> str:
    canonical = _canonical([row[k] for k in _HASHED_FIELDS])
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
    rows, about = chained_rows(head.seq, head.hash, events)
    if not rows:
        return int(head.seq)
    last = rows[-1]
    if pipeline_supported(tx):
        # The head is locked until the caller commits: one round trip, not three.
        write_chained(tx, rows, about)
        return int(last["seq"])  # type: ignore[call-overload]
    tx.execute(insert(audit_event), rows)
    if about:
        tx.execute(insert(audit_resident), about)
    tx.execute(
        update(audit_head).where(audit_head.c.id == 1).values(seq=last["seq"], hash=last["hash"])
    )
    return int(last["seq"])  # type: ignore[call-overload]


def append_and_commit(
    tx: Connection,
    events: Sequence[AuditEvent],
    before: Sequence[tuple[str, Sequence[dict[str, object]]]] = (),
) -> bool:
    """On PostgreSQL (psycopg): run ``before`` (raw SQL and parameter rows), append ``events``
    and COMMIT the caller's transaction, in two round trips (``audit_pipeline.commit_chained``);
    True once committed (the caller's ``Database.transaction`` then has nothing left to do).
    Elsewhere: False, and nothing done (the caller runs its statements and appends as usual).
    The caller's deadline is checked first, as ``Database.transaction`` checks it before its
    commit; a unique key taken meanwhile becomes ALREADY_EXISTS and an error of the database
    UNAVAILABLE, as there."""
    if not pipeline_supported(tx):
        return False
    if too_close_to_answer():
        raise not_committed()
    try:
        commit_chained(tx, before, events, chained_rows)
    except psycopg.IntegrityError as exc:  # as Database.transaction translates SQLAlchemy's
        log.info("integrity error: %s", type(exc).__name__)
        raise AlreadyExists("the resource already exists") from exc
    except psycopg.OperationalError as exc:
        log.warning("database unavailable: %s", type(exc).__name__)
        raise Unavailable("the database is not available, retry later") from exc
    tx.info[COMMITTED_BY_CALLER] = True  # Database.transaction: no deadline check after it
    return True


def chained_rows(
    seq: int, prev: str, events: Sequence[AuditEvent]
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The ``audit_event`` rows that append ``events`` after the head (``seq``, ``prev``),
    each hashed over its fields and the previous row's hash, and the ``audit_resident`` rows
    indexing the residents each is about."""
    rows: list[dict[str, object]] = []
    captured = [event.captured() for event in events]
    for event in captured:
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
            "detail": _detail_text(dict(event.detail)),
            "prev_hash": prev,
        }
        row["hash"] = prev = row_hash(row)
        rows.append(row)
    about: list[dict[str, object]] = [
        {"resident_id": resident, "seq": row["seq"]}
        for event, row in zip(captured, rows, strict=True)
        for resident in sorted(residents_named(event.target, event.detail))
    ]
    return rows, about


class AuditWriter:
    """Appends the audit events of reads, many reads per transaction (group commit), and lets
    each read answer only once its event is written (docs/architecture.md §3.5).

    A read has nothing to commit but its audit row; appending it in the request would
    serialise every read on the chain's head. Instead the event is captured (who, when, trace
    and request id) when the read happens and queued; one writer thread appends whatever is
    queued in one transaction, and every reader whose event was in it goes on. While one batch
    commits the next gathers, so the batches grow with the load and a read waits for about one
    commit. A process killed outright loses no answered read's event: the answer has not left
    before its row is committed. The queue is bounded: when it is full, readers wait
    (back-pressure), so events are never dropped. When the audit log cannot be written within
    ``wait_seconds``, the read fails with UNAVAILABLE ``AUDIT_UNAVAILABLE`` rather than answer
    unaudited (its event is still written once the database is back).
    """

    def __init__(
        self,
        db: Database,
        *,
        interval: float = 0.05,
        batch: int = 500,
        capacity: int = 10_000,
        wait_seconds: float = 5.0,
        wait: bool = True,
        pipelined: bool = True,
    ) -> None:
        self._db = db
        # PostgreSQL: each group commit in two round trips (rhip.kit.audit_pipeline).
        self._pipelined = pipelined and pipeline_supported(db.engine)
        # False: submit returns once the events are queued (RHIP_AUDIT_READS_WAIT, benchmarks
        # in development mode only: a process killed then loses answered reads' events).
        self._wait = wait
        self._interval = interval
        self._batch = batch
        self._wait_seconds = wait_seconds
        self._queue: queue.Queue[AuditEvent] = queue.Queue(capacity)
        self._order = threading.Lock()  # tickets in queue order
        self._idle = threading.Condition()
        self._queued = 0  # events ever queued: the ticket of the last one
        self._written = 0  # events ever written (the queue is FIFO: tickets up to here)
        self._stopping = threading.Event()
        # Told (events, seconds) after each group commit: batch sizes for rhip.kit.metrics.
        self.on_flush: Callable[[int, float], None] | None = None
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def submit(self, event: AuditEvent) -> None:
        """Append ``event``; returns once it is written."""
        self.submit_all([event])

    def submit_all(self, events: Sequence[AuditEvent]) -> None:
        """Append ``events`` (one read's, say one per resident a search returned); returns
        once all are written, UNAVAILABLE when the audit log does not answer in time."""
        captured = [event.captured() for event in events]
        if not captured:
            return
        with self._order:
            for event in captured:
                self._queue.put(event)
            self._queued += len(captured)
            ticket = self._queued
        if not self._wait:
            return
        with self._idle:
            if not self._idle.wait_for(lambda: self._written >= ticket, self._wait_seconds):
                raise Unavailable(
                    "the audit log is not answering; retry", reason="AUDIT_UNAVAILABLE"
                )

    def depth(self) -> int:
        """Events queued and not yet being written."""
        return self._queue.qsize()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every submitted event is appended; False on timeout."""
        with self._order:
            ticket = self._queued
        with self._idle:
            return self._idle.wait_for(lambda: self._written >= ticket, timeout)

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
            # No gathering wait: readers wait for this batch, and what arrives while it
            # commits forms the next one. (Measured, tests/perf/audit_ab.py: waiting 0.5 or
            # 2 ms for more events lowered calls/s, as every reader waited through it.)
            while len(events) < self._batch:
                try:
                    events.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            started = time.perf_counter()
            self._write(events)
            with self._idle:
                self._written += len(events)
                self._idle.notify_all()
            if self.on_flush is not None:
                self.on_flush(len(events), time.perf_counter() - started)

    def _write(self, events: list[AuditEvent]) -> None:
        delay = 0.05
        while True:
            try:
                # Not waiting for the WAL flush (PostgreSQL): a committed row survives this
                # process being killed; only a crash of the database server itself could
                # lose the last fraction of a second.
                if self._pipelined:
                    append_pipelined(self._db.engine, events, chained_rows)
                    return
                with self._db.transaction(durable=False) as tx:
                    append_many(tx, events)
                return
            except Exception:  # the database is away: keep the events and retry
                log.exception("audit writer: %d events not yet written; retrying", len(events))
                if self._stopping.wait(delay) and delay > 5:
                    log.error("audit writer stopping with %d events unwritten", len(events))
                    return
                delay = min(delay * 2, 10)


def verify(conn: Connection, batch: int = 5000, seal: AuditSeal | None = None) -> ChainReport:
    """Check the checkpoints of purged events (``seal``: this log's key; needed once a purge
    ran), then walk the chain from the newest checkpoint's anchor, or from the first row, and
    check every hash, link and the head.

    The head is read first and rows after it are ignored: they were appended while this ran
    (a row and the head move in one transaction), so no snapshot is needed. Rows at or below
    the anchor still present are a purge under way: the checkpoint already seals them. A purge
    that sealed and deleted rows while this ran makes them look missing: then it starts again
    from the new checkpoint.
    """
    for _attempt in range(3):
        before = latest_number(conn)
        report = _verify_once(conn, batch, seal)
        if report.intact or report.problem != "ROW_MISSING" or latest_number(conn) == before:
            return report
    return report


def _verify_once(conn: Connection, batch: int, seal: AuditSeal | None) -> ChainReport:
    head = conn.execute(
        select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
    ).one()
    anchor = verified_anchor(conn, seal)
    if anchor.problem:
        return ChainReport(False, 0, anchor.bad_checkpoint, anchor.problem)
    if anchor.seq > head.seq:
        return ChainReport(False, 0, head.seq + 1, "HEAD_MISMATCH")
    expected_prev, expected_seq, checked = anchor.hash, anchor.seq + 1, 0
    last_seq = anchor.seq
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
    return ChainReport(True, checked, checkpoints=anchor.checkpoints, anchor_seq=anchor.seq)
