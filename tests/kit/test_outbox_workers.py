"""Two delivery workers on one database at once, against the stand-in receiver: two threads
with a connection pool each (watched at the sender: no key ever in flight twice, no position
before its predecessor, both did part of the work), and two replica processes. Every event is
delivered once per id, in order per key. PostgreSQL claims with SKIP LOCKED; SQLite serialises
claims (a single worker is the deployment there, but two must still be safe)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from rhip.kit.db import Database
from rhip.kit.outbox import now_utc
from rhip.kit.outbox_delivery import Message, OutboxDelivery, RetryPolicy
from rhip.kit.outbox_http import HttpSender
from rhip.kit.outbox_receiver import StandInReceiver

from tests.support.outbox import kit_database, put, states

KEYS = [f"3203{i:02d}-{i}" for i in range(12)]
PER_KEY = 6


@pytest.fixture
def db(database_url: str, tmp_path: Path) -> Iterator[Database]:
    database = kit_database(database_url, tmp_path)
    yield database
    database.dispose()


class Watch:
    """Wraps the HTTP sender of both workers: fails the test's check if one key is ever in
    flight twice at once, or a key's position is sent before the one before it."""

    def __init__(self, url: str) -> None:
        self.http = HttpSender(url, timeout=5)
        self.lock = threading.Lock()
        self.in_flight: set[str] = set()
        self.delivered: dict[str, int] = {}
        self.problems: list[str] = []
        self.by_worker: dict[str, int] = {}

    def sender(self, worker: str):
        def send(message: Message) -> None:
            with self.lock:
                if message.key in self.in_flight:
                    self.problems.append(f"{message.key} sent by two workers at once")
                if message.position != self.delivered.get(message.key, 0) + 1:
                    self.problems.append(f"{message.event_id} before its predecessor")
                self.in_flight.add(message.key)
            try:
                self.http(message)
            finally:
                with self.lock:
                    self.in_flight.discard(message.key)
            with self.lock:
                done = self.delivered.get(message.key, 0)
                self.delivered[message.key] = max(done, message.position)
                self.by_worker[worker] = self.by_worker.get(worker, 0) + 1

        return send


def test_two_workers_never_send_one_keys_events_concurrently_or_out_of_order(
    db: Database, database_url: str
) -> None:
    at = now_utc()
    ids = []
    for position in range(PER_KEY):
        for key in KEYS:
            ids.append(f"{key}/{position}")
            put(db, key, ids[-1], now=at)
    with StandInReceiver() as receiver:
        receiver.slow(0.002)  # long enough for the two workers' sends to overlap
        watch = Watch(receiver.url)
        replicas = [Database.connect(database_url, pool_size=2) for _ in range(2)]
        workers = [
            OutboxDelivery(
                replica,
                watch.sender(f"w{n}"),
                batch=3,
                name=f"outbox-w{n}",
                policy=RetryPolicy(max_attempts=50, base_seconds=0.01, max_seconds=0.05),
            )
            for n, replica in enumerate(replicas)
        ]
        errors: list[BaseException] = []

        def drain(worker: OutboxDelivery) -> None:
            try:
                while receiver.wait_for(len(ids), timeout=0) is False:
                    worker.run_once()
            except BaseException as error:  # reported below; a thread's error is lost otherwise
                errors.append(error)

        threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        for replica in replicas:
            replica.dispose()
        assert errors == [] and not any(t.is_alive() for t in threads)
        assert sorted(receiver.ids()) == sorted(ids)
        assert receiver.out_of_order == [] and receiver.duplicates == 0
        for key in KEYS:
            assert receiver.positions(key) == list(range(1, PER_KEY + 1))
    assert watch.problems == []
    assert set(watch.by_worker) == {"w0", "w1"}  # both replicas delivered
    assert set(states(db).values()) == {"delivered"}


_REPLICA = """
import sys
from rhip.kit import outbox
from rhip.kit.db import Database
from rhip.kit.outbox_delivery import OutboxDelivery, RetryPolicy
from rhip.kit.outbox_http import HttpSender

db = Database.connect(sys.argv[1], pool_size=2)
delivery = OutboxDelivery(db, HttpSender(sys.argv[2], timeout=5), batch=3,
                          policy=RetryPolicy(max_attempts=50, base_seconds=0.01, max_seconds=0.05))
while True:
    delivery.run_once()
    with db.read() as conn:
        if not outbox.backlog(conn):
            break
db.dispose()
"""


def test_two_replica_processes_deliver_every_event_once_in_order(
    db: Database, database_url: str
) -> None:
    """As two replicas of a cell would: separate processes, one database."""
    import subprocess
    import sys

    at = now_utc()
    ids = []
    for position in range(PER_KEY):
        for key in KEYS:
            ids.append(f"{key}/{position}")
            put(db, key, ids[-1], now=at)
    with StandInReceiver() as receiver:
        receiver.slow(0.002)
        replicas = [
            subprocess.Popen([sys.executable, "-c", _REPLICA, database_url, receiver.url])
            for _ in range(2)
        ]
        for replica in replicas:
            assert replica.wait(60) == 0
        assert sorted(receiver.ids()) == sorted(ids)
        assert receiver.out_of_order == [] and receiver.duplicates == 0
        for key in KEYS:
            assert receiver.positions(key) == list(range(1, PER_KEY + 1))
    assert set(states(db).values()) == {"delivered"}
