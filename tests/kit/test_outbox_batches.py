"""The outbox delivery with a batch sender (rhip.kit.outbox_delivery ``batch_sender``): each
claimed round goes in one call, every key's order still holds, the delivered ones are recorded
together, and a message the receiver refused is retried (or dead) on its own."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from rhip.kit.db import Database
from rhip.kit.outbox_delivery import DeliveryFailed, Message, OutboxDelivery, RetryPolicy

from tests.support.outbox import Clock, kit_database, put, states


class BatchSender:
    """Records each call's messages; refuses the keys in ``failing`` (permanently if asked),
    or raises for the whole call when ``down``."""

    def __init__(self) -> None:
        self.calls: list[list[Message]] = []
        self.failing: set[str] = set()
        self.permanent = False
        self.down = False

    def __call__(self, messages: Sequence[Message]) -> list[DeliveryFailed | None]:
        self.calls.append(list(messages))
        if self.down:
            raise ConnectionError("receiver away")
        return [
            DeliveryFailed("refused", permanent=self.permanent) if m.key in self.failing else None
            for m in messages
        ]

    def order(self, key: str) -> list[int]:
        return [m.position for call in self.calls for m in call if m.key == key]


@pytest.fixture
def db(database_url: str, tmp_path: Path) -> Iterator[Database]:
    database = kit_database(database_url, tmp_path)
    yield database
    database.dispose()


def _delivery(db: Database, sender: BatchSender, clock: Clock, **kw) -> OutboxDelivery:  # type: ignore[no-untyped-def]
    return OutboxDelivery(
        db, None, clock=clock, rng=random.Random(7), batch_sender=sender,
        policy=RetryPolicy(max_attempts=3, base_seconds=1.0), **kw,
    )  # fmt: skip


def test_each_round_goes_in_one_call_and_every_keys_order_holds(db: Database) -> None:
    for i in range(3):
        for key in ("a", "b", "c", "d"):
            put(db, key, f"{key}{i}")
    sender, clock = BatchSender(), Clock()
    result = _delivery(db, sender, clock, batch=10).run_once()
    assert result.delivered == 12
    # Only the head of each key is claimed: one message per key in a call, three calls.
    assert [sorted(m.key for m in call) for call in sender.calls] == [["a", "b", "c", "d"]] * 3
    for key in ("a", "b", "c", "d"):
        assert sender.order(key) == [1, 2, 3]
    assert set(states(db).values()) == {"delivered"}


def test_a_refused_message_is_retried_alone_and_dead_after_its_attempts(db: Database) -> None:
    for key in ("a", "b"):
        put(db, key, f"{key}0")
        put(db, key, f"{key}1")
    sender, clock = BatchSender(), Clock()
    sender.failing = {"b"}
    delivery = _delivery(db, sender, clock)
    result = delivery.run_once()
    assert (result.delivered, result.failed) == (2, 1)  # a0, a1; b0 refused, b1 behind it
    assert states(db) == {"a0": "delivered", "a1": "delivered", "b0": "pending", "b1": "pending"}
    for _ in range(2):
        clock.advance(3600)
        delivery.run_once()
    assert states(db)["b0"] == "dead" and states(db)["b1"] == "pending"
    assert sender.order("b") == [1, 1, 1]  # b1 never overtook it


def test_a_call_that_raises_fails_the_whole_round_and_nothing_is_lost(db: Database) -> None:
    for key in ("a", "b"):
        put(db, key, f"{key}0")
    sender, clock = BatchSender(), Clock()
    sender.down = True
    delivery = _delivery(db, sender, clock)
    assert delivery.run_once().failed == 2
    assert set(states(db).values()) == {"pending"}
    sender.down = False
    clock.advance(3600)
    assert delivery.run_once().delivered == 2
    assert set(states(db).values()) == {"delivered"}
