"""The outbox's table API and delivery rules on SQLite and PostgreSQL, with an in-memory sender
and a clock the test moves: enqueue is idempotent and part of the caller's transaction;
delivery follows each key's order; failures back off, then go dead and hold their key while
other keys flow; replay delivers them in order; overdue lists by due time."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from rhip.kit import outbox
from rhip.kit.db import Database
from rhip.kit.outbox_delivery import DeliveryFailed, Message, OutboxDelivery, RetryPolicy

from tests.support.outbox import STREAM, T0, Clock, kit_database, put, states


class Sender:
    """Records what it sends; fails for the keys in ``failing`` (permanently if asked)."""

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.failing: set[str] = set()
        self.permanent = False

    def __call__(self, message: Message) -> None:
        self.sent.append(message)
        if message.key in self.failing:
            raise DeliveryFailed("HTTP 503 Service Unavailable", permanent=self.permanent)

    def order(self, key: str) -> list[int]:
        return [m.position for m in self.sent if m.key == key]


@pytest.fixture
def db(database_url: str, tmp_path: Path) -> Iterator[Database]:
    database = kit_database(database_url, tmp_path)
    yield database
    database.dispose()


def _delivery(db: Database, sender: Sender, clock: Clock, **kw) -> OutboxDelivery:
    return OutboxDelivery(db, sender, clock=clock, rng=random.Random(7), **kw)


def test_enqueue_is_idempotent_by_event_id(db: Database) -> None:
    assert put(db, "c1", "e1") is True
    assert put(db, "c1", "e1") is False
    assert put(db, "other-key", "e1") is False  # the id decides, whatever else differs
    assert put(db, "c1", "e2") is True
    with db.read() as conn:
        queued = outbox.events(conn)
    assert [(e.event_id, e.position) for e in queued] == [("e1", 1), ("e2", 2)]
    assert queued[0].payload == {"certificate": "c1", "event": "e1"}
    assert queued[0].due_at == T0 + timedelta(hours=1)


def test_enqueue_rolled_back_with_the_business_transaction_writes_nothing(db: Database) -> None:
    class BusinessRuleBroken(Exception):
        pass

    with pytest.raises(BusinessRuleBroken), db.transaction() as tx:
        assert outbox.enqueue(
            tx, stream=STREAM, key="c1", event_id="e1", kind="bmc.issued",
            payload={}, due_at=T0, now=T0,
        )  # fmt: skip
        raise BusinessRuleBroken
    assert states(db) == {}
    assert put(db, "c1", "e1") is True  # the id was never taken, and positions have no gap
    with db.read() as conn:
        assert outbox.get(conn, "e1").position == 1  # type: ignore[union-attr]


def test_enqueue_refuses_naive_times_and_oversized_names(db: Database) -> None:
    with db.transaction() as tx:
        with pytest.raises(ValueError, match="time zone"):
            outbox.enqueue(tx, stream=STREAM, key="k", event_id="e", kind="k", payload={},
                           due_at=T0.replace(tzinfo=None))  # fmt: skip
        with pytest.raises(ValueError, match="event_id"):
            outbox.enqueue(tx, stream=STREAM, key="k", event_id="x" * 65, kind="k", payload={},
                           due_at=T0)  # fmt: skip


def test_delivery_follows_each_keys_order_across_interleaved_keys(db: Database) -> None:
    for i in range(4):
        for key in ("a", "b", "c"):
            put(db, key, f"{key}{i}")
    sender, clock = Sender(), Clock()
    result = _delivery(db, sender, clock, batch=2).run_once()
    assert result.delivered == 12
    for key in ("a", "b", "c"):
        assert sender.order(key) == [1, 2, 3, 4]
    assert all(m.attempt == 1 for m in sender.sent)
    assert set(states(db).values()) == {"delivered"}


def test_failures_back_off_with_jitter_then_dead_letter_holds_its_key_and_replay_resumes(
    db: Database,
) -> None:
    for i in range(3):
        put(db, "stuck", f"s{i}")
        put(db, "fine", f"f{i}")
    sender, clock = Sender(), Clock()
    sender.failing = {"stuck"}
    policy = RetryPolicy(max_attempts=3, base_seconds=10, max_seconds=100)
    delivery = _delivery(db, sender, clock, policy=policy)

    first = delivery.run_once()
    assert (first.delivered, first.failed, first.dead) == (3, 1, 0)  # "fine" flows
    assert sender.order("stuck") == [1]
    with db.read() as conn:
        head = outbox.get(conn, "s0")
    assert head is not None and head.attempts == 1 and head.last_error.startswith("HTTP 503")
    delay = (head.next_attempt_at - T0).total_seconds()
    assert 5 <= delay <= 10  # half the first delay, plus up to half again

    assert delivery.run_once().failed == 0  # not due yet: nothing sent
    assert sender.order("stuck") == [1]
    for _ in range(2):
        clock.advance(policy.max_seconds)
        delivery.run_once()
    assert sender.order("stuck") == [1, 1, 1]  # the head only, never a later event
    assert states(db) == {
        "s0": "dead", "s1": "pending", "s2": "pending",
        "f0": "delivered", "f1": "delivered", "f2": "delivered",
    }  # fmt: skip
    clock.advance(10 * policy.max_seconds)
    assert delivery.run_once().delivered == 0  # held behind the dead letter, however long

    with db.read() as conn:
        dead = outbox.dead_letters(conn)
        assert [(e.event_id, e.attempts) for e in dead] == [("s0", 3)]
        assert outbox.held_behind(conn, dead[0]) == 2
    sender.failing = set()
    with db.transaction() as tx:
        assert outbox.replay(tx, event_ids=["s0"], now=clock()) == ["s0"]
        assert outbox.replay(tx, event_ids=["s0", "f0"], now=clock()) == []  # none dead now
    assert delivery.run_once().delivered == 3
    assert sender.order("stuck") == [1, 1, 1, 1, 2, 3]
    with db.read() as conn:
        replayed = outbox.get(conn, "s0")
    assert replayed is not None and replayed.replays == 1 and replayed.state == "delivered"


def test_a_permanent_refusal_is_dead_at_once(db: Database) -> None:
    put(db, "k", "e1")
    put(db, "k", "e2")
    sender, clock = Sender(), Clock()
    sender.failing, sender.permanent = {"k"}, True
    assert _delivery(db, sender, clock).run_once().dead == 1
    assert states(db) == {"e1": "dead", "e2": "pending"}
    with db.transaction() as tx:
        assert outbox.replay(tx, stream=STREAM, key="k", now=clock()) == ["e1"]


def test_a_crash_between_send_and_record_loses_nothing_and_resends_the_same_id(
    db: Database,
) -> None:
    class ProcessDied(BaseException):  # not an Exception: nothing in the worker catches it
        pass

    put(db, "k", "e1")
    put(db, "k", "e2")
    clock = Clock()
    got: list[str] = []

    def sends_then_dies(message: Message) -> None:
        got.append(message.event_id)
        raise ProcessDied

    dying = _delivery(db, sends_then_dies, clock, lease_seconds=30)  # type: ignore[arg-type]
    with pytest.raises(ProcessDied):
        dying.run_once()
    assert states(db) == {"e1": "pending", "e2": "pending"}

    sender = Sender()
    restarted = _delivery(db, sender, clock, lease_seconds=30)  # a new process, a new owner
    assert restarted.run_once().delivered == 0  # the dead worker's lease still holds e1
    clock.advance(31)
    assert restarted.run_once().delivered == 2
    assert got == ["e1"] and [m.event_id for m in sender.sent] == ["e1", "e2"]
    assert [m.attempt for m in sender.sent] == [2, 1]


def test_a_worker_that_keeps_dying_on_one_event_dead_letters_it(db: Database) -> None:
    put(db, "k", "e1")
    clock = Clock()

    class ProcessDied(BaseException):
        pass

    def dies(message: Message) -> None:
        raise ProcessDied

    for _ in range(2):
        with pytest.raises(ProcessDied):
            _delivery(db, dies, clock, policy=RetryPolicy(max_attempts=2)).run_once()  # type: ignore[arg-type]
        clock.advance(61)
    sender = Sender()
    _delivery(db, sender, clock, policy=RetryPolicy(max_attempts=2)).run_once()
    assert sender.sent == [] and states(db) == {"e1": "dead"}
    with db.read() as conn:
        assert "no outcome" in outbox.dead_letters(conn)[0].last_error


def test_overdue_lists_undelivered_events_past_due_most_overdue_first(db: Database) -> None:
    put(db, "a", "late", due_in=60)
    put(db, "b", "later", due_in=600)
    put(db, "c", "soonest", due_in=30)
    put(db, "d", "done", due_in=10)
    sender, clock = Sender(), Clock()
    sender.failing = {"a", "b", "c"}
    delivery = _delivery(db, sender, clock)
    delivery.run_once()  # "done" delivered; the others fail
    with db.read() as conn:
        assert outbox.overdue(conn, now=T0 + timedelta(seconds=45)) != []
        ids = [e.event_id for e in outbox.overdue(conn, now=T0 + timedelta(seconds=120))]
        assert ids == ["soonest", "late"]  # not "done" (delivered), not "later" (not due)
        assert outbox.overdue(conn, now=T0) == []
    clock.advance(120)
    delivery.run_once()
    (stream,) = delivery.health().streams
    assert (stream.stream, stream.pending, stream.overdue) == (STREAM, 3, 2)
    assert stream.oldest_overdue_due_at == T0 + timedelta(seconds=30)


def test_a_delivery_serves_only_its_streams(db: Database) -> None:
    put(db, "k", "e1", stream="bmc.national")
    put(db, "k", "e2", stream="other.system")
    sender = Sender()
    _delivery(db, sender, Clock(), streams=("other.system",)).run_once()
    assert [m.event_id for m in sender.sent] == ["e2"]


def test_the_backlog_gauges_read_the_last_pass(db: Database) -> None:
    from prometheus_client import generate_latest
    from rhip.kit.metrics import Metrics

    put(db, "k", "e1", due_in=-60, now=outbox.now_utc())  # due a minute ago
    put(db, "k", "e2", due_in=3600, now=outbox.now_utc())
    sender = Sender()
    sender.failing = {"k"}
    delivery = OutboxDelivery(db, sender, name="bmc-outbox")
    metrics = Metrics()
    metrics.outbox("mch", delivery.backlog)
    delivery.run_once()
    text = generate_latest(metrics.registry).decode()
    labels = '{service="mch",stream="bmc.national"}'
    assert f"rhip_outbox_pending{labels} 2.0" in text
    assert f"rhip_outbox_overdue{labels} 1.0" in text
    assert f"rhip_outbox_dead{labels} 0.0" in text
    late = next(
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("rhip_outbox_oldest_overdue_seconds{")
    )
    assert late >= 60
    health = delivery.health()
    assert health.overdue == 1 and health.dead == 0


def test_a_database_from_before_the_outbox_gains_it_and_can_go_back(
    database_url: str, tmp_path: Path
) -> None:
    from alembic import command
    from rhip.kit.db import alembic_config, migrate
    from sqlalchemy import inspect

    db = Database.connect(database_url)
    try:
        empty = tmp_path / "none"
        empty.mkdir()
        cfg = alembic_config(empty)
        with db.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "kit_0004")
        assert "outbox_event" not in inspect(db.engine).get_table_names()
        migrate(db.engine, empty)  # what every service does on start
        assert {"outbox_event", "outbox_key"} <= set(inspect(db.engine).get_table_names())
        assert put(db, "k", "e1") is True
        with db.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "kit_0004")
        assert "outbox_event" not in inspect(db.engine).get_table_names()
    finally:
        db.dispose()


@pytest.mark.parametrize("first_commits", [True, False])
def test_concurrent_enqueues_of_one_key_take_positions_in_commit_order_without_gaps(
    db: Database, first_commits: bool
) -> None:
    import threading

    first = db.engine.connect()
    tx = first.begin()
    outbox.enqueue(first, stream=STREAM, key="k", event_id="first", kind="k", payload={},
                   due_at=T0, now=T0)  # fmt: skip
    second_done = threading.Event()

    def second() -> None:
        put(db, "k", "second")  # waits for the first transaction's lock on the key
        second_done.set()

    thread = threading.Thread(target=second)
    thread.start()
    assert not second_done.wait(0.3)  # held while the first is open
    if first_commits:
        tx.commit()
    else:
        tx.rollback()
    first.close()
    thread.join(30)
    with db.read() as conn:
        positions = {e.event_id: e.position for e in outbox.events(conn)}
    assert positions == ({"first": 1, "second": 2} if first_commits else {"second": 1})


def test_delivered_events_past_the_retention_are_purged_and_the_key_goes_on(
    db: Database,
) -> None:
    put(db, "k", "e1")
    sender, clock = Sender(), Clock()
    delivery = _delivery(db, sender, clock, retention_days=30)
    delivery.run_once()
    clock.advance(31 * 86_400)
    put(db, "k", "e2", now=clock())
    assert delivery.run_once().delivered == 1  # e1 purged in this pass; e2 follows
    assert states(db) == {"e2": "delivered"}
    assert [m.position for m in sender.sent] == [1, 2]
    assert put(db, "k", "e1", now=clock()) is True  # idempotency lasts as long as the retention


def test_a_delivery_without_an_endpoint_sends_nothing_but_keeps_its_gauges(db: Database) -> None:
    from rhip.kit.outbox_http import http_delivery, load_outbox_settings

    put(db, "k", "e1", due_in=-1, now=outbox.now_utc())
    delivery = http_delivery(db, load_outbox_settings({}, "RHIP_X"), streams=[STREAM], name="x")
    assert delivery.run_once().delivered == 0
    assert states(db) == {"e1": "pending"} and delivery.health().overdue == 1


def test_claimed_events_not_sent_within_half_the_lease_are_given_back(db: Database) -> None:
    from rhip.kit.db import utc
    from rhip.kit.schema import outbox_event
    from sqlalchemy import select

    for key in ("a", "b", "c"):
        put(db, key, f"{key}1")
    clock = Clock()
    lease_left: dict[str, float] = {}

    def slow(message: Message) -> None:  # each send takes 20 s of the 60 s lease
        with db.read() as conn:
            until = conn.execute(
                select(outbox_event.c.lease_until).where(
                    outbox_event.c.event_id == message.event_id
                )
            ).scalar_one()
        lease_left[message.event_id] = (utc(until) - clock()).total_seconds()  # type: ignore[operator]
        clock.advance(20)

    _delivery(db, slow, clock, lease_seconds=60).run_once()  # type: ignore[arg-type]
    # c1 was not sent with 20 s of its lease left: given back at 40 s and claimed afresh.
    assert lease_left == {"a1": 60, "b1": 40, "c1": 60}
    with db.read() as conn:
        assert [e.attempts for e in outbox.events(conn)] == [1, 1, 1]
