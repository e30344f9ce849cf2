"""A durable outbox: events written in the business transaction, delivered later in order.

A use case that must tell another system about a change (mch: every birth medical certificate
issued, replaced, reissued or voided goes to the national birth-certificate system, DOMAIN.md
§4.6) calls ``enqueue`` on the connection of its own transaction. The event commits with the
business write or not at all, so nothing is announced that did not happen and nothing that
happened is forgotten, whatever fails after. ``rhip.kit.outbox_delivery`` sends the events
(at least once, in order per ``(stream, key)``); this module is the table's API: enqueue, and
the administrator's view (dead letters, replay, overdue events, the backlog for the metrics).

- ``stream`` names a destination and a kind of traffic (``bmc.national``); ``key`` the thing
  whose events must arrive in order (a certificate number). Events of one key are numbered
  ``position`` 1, 2, 3… in commit order (kit_0005 says how); events of different keys are
  independent.
- ``event_id`` is the idempotency key: enqueue is a no-op for an id already queued, and the
  receiver sees the same id on every resend.
- ``due_at``: by when the event should have reached the receiver (a regulatory deadline);
  ``overdue`` lists what is still undelivered after it.
- States: ``pending`` (waiting or retrying), ``delivered`` (the receiver answered 2xx),
  ``dead`` (gave up after the configured attempts, or a permanent refusal). A dead event holds
  the later events of its key until an administrator replays it.

Payloads are not logged and not listed by the CLI: they carry personal data. Keys and event
ids are listed: make them resource ids, never a national ID number or a name.

Wiring, in a service (mch as the example)::

    # the use case, in its transaction
    outbox.enqueue(tx, stream="bmc.national", key=certificate_id, event_id=new_id(),
                   kind="bmc.issued", payload={...}, due_at=issued_at + timedelta(hours=24))
    # server.py: the worker, run and watched by the cell
    settings = load_outbox_settings(env, "RHIP_MCH_BMC_OUTBOX", development=...)
    delivery = http_delivery(db, settings, streams=["bmc.national"], name="bmc-outbox")
    Built(..., workers=[delivery], outboxes={"mch": delivery})

The administrator: ``rhip outbox status | dead-letters | replay | overdue`` (services/rhip/
outbox_cli.py), or ``dead_letters``/``held_behind``/``replay``/``overdue`` here behind an RPC.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy
from rhip.kit.db import utc
from rhip.kit.schema import outbox_event, outbox_key
from sqlalchemy import Row, and_, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

MAX_STREAM = 64
MAX_KEY = 200
MAX_EVENT_ID = 64
MAX_KIND = 64


class EventState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


# Spelled as a list, not "!= delivered", so the (state, …) indexes serve the query: delivered
# events are nearly all of the table.
UNDELIVERED = (EventState.PENDING.value, EventState.DEAD.value)


@dataclass(frozen=True)
class OutboxEvent:
    """One queued event as stored (times in UTC)."""

    seq: int
    event_id: str
    stream: str
    key: str
    position: int  # 1, 2, 3… within (stream, key), in commit order
    kind: str
    payload: dict[str, Any]
    state: EventState
    enqueued_at: datetime
    due_at: datetime
    attempts: int  # failed or unanswered sends since it was enqueued or last replayed
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_error: str  # status line or error type of the last failed send; never payload data
    delivered_at: datetime | None
    replays: int


@dataclass(frozen=True)
class StreamBacklog:
    """Undelivered events of one stream at a moment (for metrics and health)."""

    stream: str
    pending: int
    dead: int
    overdue: int  # pending or dead, past their due time
    oldest_overdue_due_at: datetime | None


def now_utc() -> datetime:
    return datetime.now(UTC)


def _as_utc(value: datetime, name: str) -> datetime:
    # SQLite stores times without their offset: everything stored is UTC, so compare as such.
    if value.tzinfo is None:
        raise ValueError(f"{name} must carry a time zone")
    return value.astimezone(UTC)


@functools.cache
def _enqueue_statements(dialect: str) -> tuple[Any, Any, Any]:
    """``enqueue``'s three statements, built once per dialect with bound parameters: built
    per call, their construction and cache keys cost more CPU than the database's work (every
    birth certificate enqueues two events)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    seen = select(outbox_event.c.seq).where(outbox_event.c.event_id == bindparam("p_event_id"))
    bump = (
        insert(outbox_key)
        .values(stream=bindparam("p_stream"), key=bindparam("p_key"), last_position=1)
        .on_conflict_do_update(
            index_elements=[outbox_key.c.stream, outbox_key.c.key],
            set_={"last_position": outbox_key.c.last_position + 1},
        )
        .returning(outbox_key.c.last_position)
    )
    add = (
        insert(outbox_event)
        .values(
            event_id=bindparam("p_event_id"),
            stream=bindparam("p_stream"),
            key=bindparam("p_key"),
            position=bindparam("p_position"),
            kind=bindparam("p_kind"),
            payload=bindparam("p_payload"),
            state=EventState.PENDING.value,
            enqueued_at=bindparam("p_enqueued_at", type_=outbox_event.c.enqueued_at.type),
            due_at=bindparam("p_due_at", type_=outbox_event.c.due_at.type),
            attempts=0,
            next_attempt_at=bindparam("p_enqueued_at", type_=outbox_event.c.enqueued_at.type),
            last_error="",
            lease_owner="",
            replays=0,
        )
        .on_conflict_do_nothing(index_elements=[outbox_event.c.event_id])
        .returning(outbox_event.c.seq)
    )
    return seen, bump, add


def _check(value: str, name: str, most: int) -> None:
    if not value or len(value) > most:
        raise ValueError(f"outbox {name} must be 1–{most} characters")


def enqueue(
    conn: sqlalchemy.Connection,
    *,
    stream: str,
    key: str,
    event_id: str,
    kind: str,
    payload: dict,
    due_at: datetime,
    now: datetime | None = None,
) -> bool:
    """Write one event in the caller's transaction (same commit as the business write).
    Idempotent by event_id: returns False (and writes nothing) if that id is already queued.

    The event is sent after every earlier event of the same ``(stream, key)``; ``due_at`` is
    when it should have been delivered (``overdue``). ``payload`` must be JSON-serialisable.
    Concurrent enqueues for one key wait for each other's commit (the key's row lock), so
    keep the business transaction short, as it should be anyway.
    """
    _check(stream, "stream", MAX_STREAM)
    _check(key, "key", MAX_KEY)
    _check(event_id, "event_id", MAX_EVENT_ID)
    _check(kind, "kind", MAX_KIND)
    due = _as_utc(due_at, "due_at")
    at = _as_utc(now or now_utc(), "now")
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    seen, bump, add = _enqueue_statements(conn.dialect.name)
    if conn.execute(seen, {"p_event_id": event_id}).first() is not None:
        return False  # the common retry: no key lock taken
    # The next position of the key, under its row lock until the caller commits.
    position = conn.execute(bump, {"p_stream": stream, "p_key": key}).scalar_one()
    # DO NOTHING, not a unique violation: an error would abort the caller's transaction on
    # PostgreSQL. A racing enqueue of the same id waits here for the other's commit.
    added = conn.execute(
        add,
        {
            "p_event_id": event_id, "p_stream": stream, "p_key": key, "p_position": position,
            "p_kind": kind, "p_payload": body, "p_enqueued_at": at, "p_due_at": due,
        },
    ).first()  # fmt: skip
    if added is None:  # queued by a transaction that committed meanwhile: give the slot back
        conn.execute(
            update(outbox_key)
            .where(outbox_key.c.stream == stream, outbox_key.c.key == key)
            .values(last_position=outbox_key.c.last_position - 1)
        )
        return False
    return True


def to_event(row: Row[Any]) -> OutboxEvent:
    m = row._mapping
    return OutboxEvent(
        seq=m["seq"],
        event_id=m["event_id"],
        stream=m["stream"],
        key=m["key"],
        position=m["position"],
        kind=m["kind"],
        payload=json.loads(m["payload"]),
        state=EventState(m["state"]),
        enqueued_at=utc(m["enqueued_at"]),  # type: ignore[arg-type]
        due_at=utc(m["due_at"]),  # type: ignore[arg-type]
        attempts=m["attempts"],
        next_attempt_at=utc(m["next_attempt_at"]),  # type: ignore[arg-type]
        last_attempt_at=utc(m["last_attempt_at"]),
        last_error=m["last_error"],
        delivered_at=utc(m["delivered_at"]),
        replays=m["replays"],
    )


def get(conn: sqlalchemy.Connection, event_id: str) -> OutboxEvent | None:
    row = conn.execute(select(outbox_event).where(outbox_event.c.event_id == event_id)).first()
    return None if row is None else to_event(row)


def events(
    conn: sqlalchemy.Connection,
    *,
    stream: str | None = None,
    key: str | None = None,
    states: Sequence[EventState] = (),
    limit: int = 100,
) -> list[OutboxEvent]:
    """Events in enqueue order, optionally of one stream, key, or states."""
    query = select(outbox_event).order_by(outbox_event.c.seq).limit(limit)
    if stream is not None:
        query = query.where(outbox_event.c.stream == stream)
    if key is not None:
        query = query.where(outbox_event.c.key == key)
    if states:
        query = query.where(outbox_event.c.state.in_([s.value for s in states]))
    return [to_event(row) for row in conn.execute(query)]


def dead_letters(
    conn: sqlalchemy.Connection, *, stream: str | None = None, limit: int = 100
) -> list[OutboxEvent]:
    """Events given up on, oldest first: each holds the later events of its key."""
    return events(conn, stream=stream, states=(EventState.DEAD,), limit=limit)


def held_behind(conn: sqlalchemy.Connection, event: OutboxEvent) -> int:
    """How many later events of ``event``'s key are waiting for it."""
    query = select(func.count()).where(
        outbox_event.c.stream == event.stream,
        outbox_event.c.key == event.key,
        outbox_event.c.position > event.position,
        outbox_event.c.state != EventState.DELIVERED.value,
    )
    return int(conn.execute(query).scalar_one())


def replay(
    conn: sqlalchemy.Connection,
    *,
    event_ids: Sequence[str] = (),
    stream: str | None = None,
    key: str | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Put dead letters back in the queue, due for a send at once with a fresh count of
    attempts: the ids given, or every dead letter of ``stream`` (and ``key``). Events that
    are not dead are left alone. Returns the ids replayed; the later events of their keys
    follow them in order once they are delivered."""
    if not event_ids and stream is None:
        raise ValueError("name the events to replay, or a stream")
    at = _as_utc(now or now_utc(), "now")
    where = [outbox_event.c.state == EventState.DEAD.value]
    if event_ids:
        where.append(outbox_event.c.event_id.in_(list(event_ids)))
    if stream is not None:
        where.append(outbox_event.c.stream == stream)
    if key is not None:
        where.append(outbox_event.c.key == key)
    chosen = [
        r.event_id
        for r in conn.execute(
            select(outbox_event.c.event_id).where(and_(*where)).order_by(outbox_event.c.seq)
        )
    ]
    if chosen:
        conn.execute(
            update(outbox_event)
            .where(and_(*where), outbox_event.c.event_id.in_(chosen))
            .values(
                state=EventState.PENDING.value,
                attempts=0,
                next_attempt_at=at,
                lease_owner="",
                lease_until=None,
                replays=outbox_event.c.replays + 1,
            )
        )
    return chosen


def purge_delivered(
    conn: sqlalchemy.Connection, *, before: datetime, streams: Sequence[str] = ()
) -> int:
    """Delete events delivered before ``before`` (of ``streams``, or all); how many. Later
    events of their keys still follow: a missing earlier event counts as delivered."""
    query = sqlalchemy.delete(outbox_event).where(
        outbox_event.c.state == EventState.DELIVERED.value,
        outbox_event.c.delivered_at < _as_utc(before, "before"),
    )
    if streams:
        query = query.where(outbox_event.c.stream.in_(list(streams)))
    return int(conn.execute(query).rowcount)


def overdue(
    conn: sqlalchemy.Connection,
    *,
    now: datetime | None = None,
    stream: str | None = None,
    limit: int = 100,
) -> list[OutboxEvent]:
    """Undelivered events (pending or dead) whose due time has passed, most overdue first."""
    at = _as_utc(now or now_utc(), "now")
    query = (
        select(outbox_event)
        .where(outbox_event.c.state.in_(UNDELIVERED), outbox_event.c.due_at < at)
        .order_by(outbox_event.c.due_at, outbox_event.c.seq)
        .limit(limit)
    )
    if stream is not None:
        query = query.where(outbox_event.c.stream == stream)
    return [to_event(row) for row in conn.execute(query)]


def backlog(conn: sqlalchemy.Connection, *, now: datetime | None = None) -> list[StreamBacklog]:
    """Undelivered events per stream: pending, dead, overdue (one aggregate query)."""
    at = _as_utc(now or now_utc(), "now")
    late = outbox_event.c.due_at < at
    query = (
        select(
            outbox_event.c.stream,
            func.sum(
                sqlalchemy.case((outbox_event.c.state == EventState.PENDING.value, 1), else_=0)
            ),
            func.sum(sqlalchemy.case((outbox_event.c.state == EventState.DEAD.value, 1), else_=0)),
            func.sum(sqlalchemy.case((late, 1), else_=0)),
            func.min(sqlalchemy.case((late, outbox_event.c.due_at), else_=None)),
        )
        .where(outbox_event.c.state.in_(UNDELIVERED))
        .group_by(outbox_event.c.stream)
        .order_by(outbox_event.c.stream)
    )
    return [
        StreamBacklog(
            stream, int(pending or 0), int(dead or 0), int(late_count or 0), _time(oldest)
        )
        for stream, pending, dead, late_count, oldest in conn.execute(query)
    ]


def _time(value: Any) -> datetime | None:
    # MIN over a CASE loses the column type on SQLite: the stored text comes back as is.
    if value is None or isinstance(value, datetime):
        return utc(value)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)
