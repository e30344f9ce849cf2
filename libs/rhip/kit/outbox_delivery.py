"""The outbox's delivery worker: sends queued events (rhip.kit.outbox) at least once, in order
per ``(stream, key)``, with retries, backoff and dead letters.

One pass, on a ``PeriodicWorker``: claim the events that may go now, send each through the
sender, record the outcome; again until nothing is left to claim.

- **Order.** An event may be claimed only when every earlier event of its key (lower
  ``position``) is delivered. It is marked delivered only after the sender returned, i.e. the
  receiver answered 2xx; so the first arrival of each event at the receiver follows the key's
  order whatever crashes, retries or concurrent workers do. A **dead** event is not delivered:
  the later events of its key wait behind it until an administrator replays it
  (``rhip.kit.outbox.replay``, ``rhip outbox replay``); events of other keys flow on.
- **Several workers.** A claim sets a lease (owner and expiry) in a short transaction; on
  PostgreSQL it selects with ``FOR UPDATE SKIP LOCKED``, so replicas claim disjoint events
  without waiting on each other; on SQLite ``BEGIN IMMEDIATE`` serialises claims (run one
  worker there). A worker that dies mid-send holds its events until the lease expires; then
  another sends them again: the receiver sees the same ``event_id`` and ignores the repeat.
  The lease must outlast a send (``OutboxSettings`` keeps it above the HTTP timeout).
- **Retries.** ``attempts`` counts sends started (at claim, so a worker that keeps dying on one
  event still reaches the limit). A failed send is retried after an exponential backoff with
  jitter (``RetryPolicy``), its ``last_error`` and ``next_attempt_at`` recorded. After
  ``max_attempts`` failed attempts, or a refusal the sender calls permanent, the event is dead.

Times come from ``clock`` (tests move it) and are compared in Python-supplied values, never the
database's ``now()``: leases across replicas assume clocks within a few seconds of each other.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rhip.kit.db import Database
from rhip.kit.outbox import (
    EventState,
    OutboxEvent,
    StreamBacklog,
    backlog,
    now_utc,
    purge_delivered,
    to_event,
)
from rhip.kit.schema import outbox_event
from rhip.kit.workers import PeriodicWorker, WorkerHealth
from sqlalchemy import and_, exists, or_, select, update

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """What a sender delivers: one event and which attempt this is."""

    event_id: str
    stream: str
    key: str
    position: int
    kind: str
    payload: dict[str, Any]
    enqueued_at: datetime
    due_at: datetime
    attempt: int  # 1 for the first send

    def body(self) -> bytes:
        """The JSON envelope HTTP senders POST (the receiver dedupes by ``event_id``)."""
        return json.dumps(
            {
                "event_id": self.event_id,
                "stream": self.stream,
                "key": self.key,
                "position": self.position,
                "kind": self.kind,
                "enqueued_at": self.enqueued_at.isoformat(),
                "due_at": self.due_at.isoformat(),
                "payload": self.payload,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()


class DeliveryFailed(Exception):
    """A send that did not reach or was not accepted by the receiver. ``detail`` is recorded
    as the event's ``last_error``: a status line or an error type, never payload data.
    ``permanent``: retrying cannot help (the receiver refused the event itself): dead now."""

    def __init__(self, detail: str, *, permanent: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent


# Returns once the receiver accepted the message (2xx); raises otherwise (DeliveryFailed, or
# anything: an unexpected error counts as a failed attempt too).
Sender = Callable[[Message], None]
# Sends several messages at once (a receiver that takes a batch in one call): per message, in
# order, None when the receiver has it, or the DeliveryFailed for it; raising fails them all.
# The messages are of distinct keys (only the head of each key is claimed), so sending them
# together keeps every key's order.
BatchSender = Callable[[Sequence[Message]], Sequence[DeliveryFailed | None]]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 10  # failed attempts before the event is dead (≥ 1)
    base_seconds: float = 2.0  # the first retry's delay, doubled per attempt
    max_seconds: float = 900.0  # the longest delay between attempts

    def delay(self, attempts: int, rng: random.Random) -> float:
        """Seconds before the next attempt after ``attempts`` failed ones: "equal jitter",
        half the exponential delay plus a random part, so a receiver coming back is not hit
        by every event at the same instant."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** min(attempts - 1, 40))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass
class PassResult:
    delivered: int = 0
    failed: int = 0
    dead: int = 0

    def line(self) -> str | None:
        if not (self.delivered or self.failed or self.dead):
            return None  # a quiet pass leaves nothing in the log
        return f"{self.delivered} delivered, {self.failed} failed, {self.dead} dead-lettered"


@dataclass(frozen=True)
class OutboxHealth:
    worker: WorkerHealth
    streams: tuple[StreamBacklog, ...]  # as of the last pass

    @property
    def overdue(self) -> int:
        return sum(s.overdue for s in self.streams)

    @property
    def dead(self) -> int:
        return sum(s.dead for s in self.streams)


@dataclass
class OutboxDelivery:
    """Delivers the events of ``streams`` (all streams when empty) from ``db`` through
    ``sender``; ``start``/``stop`` run it in the background (a cell's ``Built.workers``)."""

    db: Database
    sender: Sender | None  # None: nothing is sent (no endpoint configured), gauges still kept
    streams: Sequence[str] = ()
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    interval: float = 1.0
    lease_seconds: float = 60.0
    batch: int = 50  # events claimed per round (at most one per key: only heads qualify)
    max_per_pass: int = 1000  # then the pass ends, so stop and health come round
    # Delivered events older than this are deleted (hourly); 0 keeps them. An event id can be
    # enqueued again once its event is deleted: idempotency holds for this long.
    retention_days: float = 90.0
    name: str = "outbox"
    clock: Callable[[], datetime] = now_utc
    rng: random.Random = field(default_factory=random.Random)
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)  # this worker, in leases
    # Instead of ``sender``: each claimed round sent in one call, the delivered ones recorded
    # in one UPDATE (a receiver whose per-call cost dwarfs a message's).
    batch_sender: BatchSender | None = None
    _backlog: tuple[StreamBacklog, ...] = field(default=(), init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _purged_at: datetime | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.policy.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.worker = PeriodicWorker(
            self.name,
            self.run_once,
            self.interval,
            first_delay=0.0,
            max_backoff=max(self.interval, 60.0),
            report=lambda result: result.line() if isinstance(result, PassResult) else None,
        )

    # -- the loop -------------------------------------------------------------------------------
    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        self.worker.stop()

    def health(self) -> OutboxHealth:
        """From memory (the last pass's counts): safe for probes and metric scrapes."""
        return OutboxHealth(self.worker.health(), self.backlog())

    def backlog(self) -> tuple[StreamBacklog, ...]:
        with self._lock:
            return self._backlog

    def run_once(self) -> PassResult:
        """One pass: claim, send and record until nothing may go now (or ``max_per_pass``)."""
        result = PassResult()
        handled = 0
        sends = self.sender is not None or self.batch_sender is not None
        while sends and handled < self.max_per_pass and not self.stopping:
            claimed_at = self.clock()
            claimed = self._claim(claimed_at)
            if not claimed:
                break
            if self.batch_sender is not None:  # sent right after the claim: well in the lease
                self._deliver_batch(self.batch_sender, claimed, result)
                handled += len(claimed)
                continue
            assert self.sender is not None
            # A send started in the lease's first half ends (timeout) well before it expires;
            # later ones are given back and claimed afresh, so no other replica takes them
            # over mid-send when the receiver is slow.
            fresh_until = claimed_at + timedelta(seconds=self.lease_seconds / 2)
            for index, event in enumerate(claimed):
                if self.stopping or self.clock() >= fresh_until:
                    self._release(claimed[index:])  # to the next claim, ours or another's
                    break
                self._deliver(self.sender, event, result)
                handled += 1
        self._purge_delivered()
        self._refresh_backlog()
        return result

    @property
    def stopping(self) -> bool:
        return self.worker.stopping

    # -- one event ------------------------------------------------------------------------------
    @staticmethod
    def _message(event: OutboxEvent) -> Message:
        return Message(
            event.event_id, event.stream, event.key, event.position, event.kind,
            event.payload, event.enqueued_at, event.due_at, event.attempts,
        )  # fmt: skip

    def _deliver_batch(
        self, send: BatchSender, events: Sequence[OutboxEvent], result: PassResult
    ) -> None:
        outcomes: list[DeliveryFailed | None]
        try:
            outcomes = list(send([self._message(event) for event in events]))
            if len(outcomes) != len(events):
                raise RuntimeError(f"{len(outcomes)} outcomes for {len(events)} messages")
        except Exception as error:  # as _deliver: by type only, never the payload
            log.warning("%s: batch sender raised %s", self.name, type(error).__name__)
            outcomes = [DeliveryFailed(type(error).__name__)] * len(events)
        delivered = [e.seq for e, outcome in zip(events, outcomes, strict=True) if outcome is None]
        if delivered:
            now = self.clock()
            with self.db.transaction() as tx:
                tx.execute(
                    update(outbox_event)
                    .where(
                        outbox_event.c.seq.in_(delivered),
                        outbox_event.c.state != EventState.DELIVERED.value,
                    )
                    .values(
                        state=EventState.DELIVERED.value,
                        delivered_at=now,
                        last_attempt_at=now,
                        lease_owner="",
                        lease_until=None,
                    )
                )
            result.delivered += len(delivered)
        for event, outcome in zip(events, outcomes, strict=True):
            if outcome is not None:
                self._failed(event, outcome.detail, outcome.permanent, result)

    def _deliver(self, sender: Sender, event: OutboxEvent, result: PassResult) -> None:
        message = self._message(event)
        try:
            sender(message)
        except DeliveryFailed as error:
            self._failed(event, error.detail, error.permanent, result)
            return
        except Exception as error:  # a sender bug or a transport error it did not wrap
            # By type only: its message or traceback locals may quote the payload.
            log.warning("%s: sender raised %s", self.name, type(error).__name__)
            self._failed(event, type(error).__name__, False, result)
            return
        now = self.clock()
        with self.db.transaction() as tx:
            # Delivered even if our lease ran out meanwhile: the receiver has it (2xx).
            tx.execute(
                update(outbox_event)
                .where(
                    outbox_event.c.seq == event.seq,
                    outbox_event.c.state != EventState.DELIVERED.value,
                )
                .values(
                    state=EventState.DELIVERED.value,
                    delivered_at=now,
                    last_attempt_at=now,
                    lease_owner="",
                    lease_until=None,
                )
            )
        result.delivered += 1

    def _failed(self, event: OutboxEvent, detail: str, permanent: bool, result: PassResult) -> None:
        now = self.clock()
        dead = permanent or event.attempts >= self.policy.max_attempts
        retry_at = now + timedelta(seconds=self.policy.delay(event.attempts, self.rng))
        with self.db.transaction() as tx:
            changed = tx.execute(
                update(outbox_event)
                .where(
                    outbox_event.c.seq == event.seq,
                    outbox_event.c.state == EventState.PENDING.value,
                    outbox_event.c.lease_owner == self.owner,  # not if another took over
                )
                .values(
                    state=(EventState.DEAD if dead else EventState.PENDING).value,
                    last_error=detail[:300],
                    last_attempt_at=now,
                    next_attempt_at=retry_at,
                    lease_owner="",
                    lease_until=None,
                )
            ).rowcount
        if not changed:
            return
        if dead:
            result.dead += 1
            log.warning(
                "%s: event %s of stream %s dead after %d attempt(s) (%s); the later events of "
                "its key wait until it is replayed (rhip outbox replay)",
                self.name, event.event_id, event.stream, event.attempts, detail[:300],
            )  # fmt: skip
        else:
            result.failed += 1

    # -- claims ---------------------------------------------------------------------------------
    def _claim(self, now: datetime) -> list[OutboxEvent]:
        """Lease the heads of keys that may go now; attempts counted here (see the module)."""
        e = outbox_event
        earlier = outbox_event.alias("earlier")
        waiting_behind = exists().where(
            earlier.c.stream == e.c.stream,
            earlier.c.key == e.c.key,
            earlier.c.position < e.c.position,
            earlier.c.state != EventState.DELIVERED.value,
        )
        query = (
            select(e.c.seq)
            .where(
                e.c.state == EventState.PENDING.value,
                e.c.next_attempt_at <= now,
                or_(e.c.lease_until.is_(None), e.c.lease_until <= now),
                ~waiting_behind,
            )
            .order_by(e.c.seq)
            .limit(self.batch)
        )
        if self.streams:
            query = query.where(e.c.stream.in_(list(self.streams)))
        with self.db.transaction() as tx:
            if tx.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True, of=e)
            seqs = list(tx.execute(query).scalars())
            if not seqs:
                return []
            tx.execute(
                update(e)
                .where(e.c.seq.in_(seqs))
                .values(
                    attempts=e.c.attempts + 1,
                    lease_owner=self.owner,
                    lease_until=now + timedelta(seconds=self.lease_seconds),
                    last_attempt_at=now,
                )
            )
            rows = tx.execute(select(e).where(e.c.seq.in_(seqs)).order_by(e.c.seq)).all()
            claimed = [to_event(row) for row in rows]
            # Attempts beyond the limit mean earlier sends never reported back (the worker
            # died mid-send, each time): give up on those instead of looping for ever.
            stuck = [ev for ev in claimed if ev.attempts > self.policy.max_attempts]
            if stuck:
                tx.execute(
                    update(e)
                    .where(e.c.seq.in_([ev.seq for ev in stuck]))
                    .values(
                        state=EventState.DEAD.value,
                        last_error="no outcome recorded for earlier attempts (worker stopped)",
                        lease_owner="",
                        lease_until=None,
                    )
                )
        for ev in stuck:
            log.warning("%s: event %s of stream %s dead: no outcome after %d attempts",
                        self.name, ev.event_id, ev.stream, ev.attempts - 1)  # fmt: skip
        return [ev for ev in claimed if ev.attempts <= self.policy.max_attempts]

    def _release(self, events: Sequence[OutboxEvent]) -> None:
        """Give back claimed events not sent (stopping): the attempt did not happen."""
        with self.db.transaction() as tx:
            tx.execute(
                update(outbox_event)
                .where(
                    and_(
                        outbox_event.c.seq.in_([ev.seq for ev in events]),
                        outbox_event.c.lease_owner == self.owner,
                    )
                )
                .values(attempts=outbox_event.c.attempts - 1, lease_owner="", lease_until=None)
            )

    def _purge_delivered(self) -> int:
        """Delete delivered events past the retention, at most once an hour."""
        now = self.clock()
        if not self.retention_days or (
            self._purged_at is not None and now - self._purged_at < timedelta(hours=1)
        ):
            return 0
        self._purged_at = now
        with self.db.transaction() as tx:
            return purge_delivered(
                tx, before=now - timedelta(days=self.retention_days), streams=self.streams
            )

    def _refresh_backlog(self) -> None:
        with self.db.read() as conn:
            streams = backlog(conn, now=self.clock())
        if self.streams:
            streams = [s for s in streams if s.stream in self.streams]
        before = {s.stream: s for s in self.backlog()}
        for s in streams:
            seen = before.get(s.stream)
            if s.overdue and (seen is None or s.overdue > seen.overdue):
                log.warning("%s: %d event(s) of stream %s undelivered past their due time "
                            "(rhip outbox overdue)", self.name, s.overdue, s.stream)  # fmt: skip
        with self._lock:
            self._backlog = tuple(streams)
