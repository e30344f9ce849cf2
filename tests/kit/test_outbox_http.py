"""Outbox delivery over HTTP to the stand-in national birth-certificate system on 127.0.0.1,
on SQLite and PostgreSQL: the receiver down for a while, answers lost after it recorded,
slow answers, a sender that dies after the receiver recorded; each time every event arrives
once per id, in order per key, and resends carry the same id."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rhip.kit import outbox
from rhip.kit.config import ConfigError
from rhip.kit.db import Database
from rhip.kit.outbox import now_utc
from rhip.kit.outbox_delivery import DeliveryFailed, Message, OutboxDelivery, RetryPolicy
from rhip.kit.outbox_http import HttpSender, load_outbox_settings
from rhip.kit.outbox_receiver import StandInReceiver

from tests.support.outbox import Clock, kit_database, put, states

KEYS = ("320311-A1", "320311-B2", "370402-C3")
FAST = RetryPolicy(max_attempts=50, base_seconds=0.02, max_seconds=0.1)


@pytest.fixture
def db(database_url: str, tmp_path: Path) -> Iterator[Database]:
    database = kit_database(database_url, tmp_path)
    yield database
    database.dispose()


@pytest.fixture
def receiver() -> Iterator[StandInReceiver]:
    with StandInReceiver() as stand_in:
        yield stand_in


def _interleaved(db: Database, per_key: int) -> list[str]:
    ids = []
    for i in range(per_key):
        for key in KEYS:
            ids.append(f"{key}-{i}")
            put(db, key, ids[-1], kind="bmc.reissued" if i else "bmc.issued", now=now_utc())
    return ids


def _until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def _assert_exactly_once_in_order(receiver: StandInReceiver, ids: list[str], per_key: int) -> None:
    assert sorted(receiver.ids()) == sorted(ids)  # each id recorded once
    assert receiver.out_of_order == []
    for key in KEYS:
        assert receiver.positions(key) == list(range(1, per_key + 1))


def test_receiver_down_for_a_while_then_up_gets_every_event_once_in_order(
    db: Database, receiver: StandInReceiver
) -> None:
    ids = _interleaved(db, per_key=4)
    receiver.down()
    delivery = OutboxDelivery(db, HttpSender(receiver.url, timeout=2), policy=FAST, interval=0.01)
    delivery.start()
    try:

        def retried() -> bool:
            with db.read() as conn:
                return all(e.attempts >= 2 for e in outbox.events(conn) if e.position == 1)

        _until(retried)  # every key's head refused at least twice
        assert receiver.ids() == []
        with db.read() as conn:
            head = outbox.get(conn, ids[0])
        assert head is not None and "ConnectionRefusedError" in head.last_error
        receiver.up()
        assert receiver.wait_for(len(ids))
        _until(lambda: set(states(db).values()) == {"delivered"})
    finally:
        delivery.stop()
    _assert_exactly_once_in_order(receiver, ids, 4)
    assert all(receiver.posts[i] == 1 for i in ids)  # refused sends never reached it
    assert receiver.duplicates == 0


def test_a_receiver_answering_500_for_a_while_gets_every_event_once_in_order(
    db: Database, receiver: StandInReceiver
) -> None:
    ids = _interleaved(db, per_key=3)
    receiver.fail(500, times=6)
    delivery = OutboxDelivery(db, HttpSender(receiver.url, timeout=2), policy=FAST, interval=0.01)
    delivery.start()
    try:
        _until(lambda: set(states(db).values()) == {"delivered"})
    finally:
        delivery.stop()
    _assert_exactly_once_in_order(receiver, ids, 3)
    assert receiver.duplicates == 0  # refused posts were not accepted, so no resend is a dup
    assert sum(receiver.posts.values()) == len(ids) + 6
    with db.read() as conn:
        retried = [e for e in outbox.events(conn) if e.attempts > 1]
    assert retried and all(e.last_error == "" or "500" in e.last_error for e in retried)


def test_answers_lost_after_recording_are_resent_with_the_same_id_and_deduped(
    db: Database, receiver: StandInReceiver
) -> None:
    ids = _interleaved(db, per_key=3)
    receiver.accept_then_fail(times=4)
    delivery = OutboxDelivery(db, HttpSender(receiver.url, timeout=2), policy=FAST, interval=0.01)
    delivery.start()
    try:
        _until(lambda: set(states(db).values()) == {"delivered"})
    finally:
        delivery.stop()
    _assert_exactly_once_in_order(receiver, ids, 3)
    assert receiver.duplicates == 4  # exactly the lost answers were resent
    assert sum(receiver.posts.values()) == len(ids) + 4


def test_a_sender_dying_after_the_receiver_recorded_loses_nothing(
    db: Database, receiver: StandInReceiver
) -> None:
    ids = _interleaved(db, per_key=3)
    http = HttpSender(receiver.url, timeout=2)
    died: list[str] = []

    def dies_once_after_each_second_event(message: Message) -> None:
        http(message)  # the receiver has it now
        if message.position == 2 and message.event_id not in died:
            died.append(message.event_id)
            raise RuntimeError("worker killed between send and mark")

    delivery = OutboxDelivery(db, dies_once_after_each_second_event, policy=FAST, interval=0.01)
    delivery.start()
    try:
        _until(lambda: set(states(db).values()) == {"delivered"})
    finally:
        delivery.stop()
    _assert_exactly_once_in_order(receiver, ids, 3)
    assert sorted(died) == sorted(f"{k}-1" for k in KEYS)
    assert all(receiver.posts[i] == 2 for i in died) and receiver.duplicates == 3


def test_a_slow_receiver_times_out_and_the_resend_is_deduped(
    db: Database, receiver: StandInReceiver
) -> None:
    put(db, "k", "e1")
    clock = Clock()
    delivery = OutboxDelivery(
        db, HttpSender(receiver.url, timeout=0.2), clock=clock, rng=random.Random(1)
    )
    receiver.slow(0.6)
    assert delivery.run_once().failed == 1
    with db.read() as conn:
        assert "timeout" in outbox.get(conn, "e1").last_error.lower()  # type: ignore[union-attr]
    assert receiver.wait_for(1)  # it recorded the event after all; only the answer was late
    receiver.healthy()
    clock.advance(60)
    assert delivery.run_once().delivered == 1
    assert receiver.ids() == ["e1"] and receiver.posts["e1"] == 2 and receiver.duplicates == 1


@pytest.mark.parametrize(
    ("status", "permanent"), [(500, False), (503, False), (429, False), (422, True), (400, True)]
)
def test_http_statuses_are_retryable_or_permanent(
    receiver: StandInReceiver, status: int, permanent: bool
) -> None:
    receiver.fail(status)
    message = Message("e1", "s", "k", 1, "bmc.issued", {}, Clock()(), Clock()(), 1)
    with pytest.raises(DeliveryFailed) as failed:
        HttpSender(receiver.url, timeout=2)(message)
    assert failed.value.permanent is permanent
    assert failed.value.detail.startswith(f"HTTP {status}")


def test_the_receiver_refuses_a_post_without_its_idempotency_key(
    receiver: StandInReceiver,
) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(receiver.url, data=b'{"event_id": "e1"}', method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=2)
    assert refused.value.code == 400 and receiver.ids() == []


def test_outbox_settings_from_the_environment() -> None:
    prefix = "RHIP_MCH_BMC_OUTBOX"
    assert not load_outbox_settings({}, prefix).enabled
    settings = load_outbox_settings(
        {f"{prefix}_URL": "http://127.0.0.1:8099/events", f"{prefix}_MAX_ATTEMPTS": "4",
         f"{prefix}_TIMEOUT_SECONDS": "20", f"{prefix}_TOKEN": "s3cret"}, prefix,
    )  # fmt: skip
    assert settings.retry.max_attempts == 4 and settings.lease_seconds == 60
    # A claim outlasts three sends' time and at least one plus five seconds.
    assert load_outbox_settings({}, prefix).lease_seconds == 30
    assert load_outbox_settings({f"{prefix}_TIMEOUT_SECONDS": "1"}, prefix).lease_seconds == 6
    assert "s3cret" not in repr(settings)
    with pytest.raises(ConfigError, match=f"{prefix}_URL"):
        load_outbox_settings({f"{prefix}_URL": "ftp://x"}, prefix)
    with pytest.raises(ConfigError, match="https"):
        load_outbox_settings({f"{prefix}_URL": "http://x/e"}, prefix, development=False)
    with pytest.raises(ConfigError, match=f"{prefix}_MAX_ATTEMPTS"):
        load_outbox_settings({f"{prefix}_MAX_ATTEMPTS": "0"}, prefix)
