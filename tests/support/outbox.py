"""Helpers for the outbox tests: a kit-only database, a clock the test moves, and events."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rhip.kit import outbox
from rhip.kit.db import Database, migrate

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
STREAM = "bmc.national"


def kit_database(database_url: str, tmp_path: Path) -> Database:
    """A database with the kit's tables only (the outbox among them), as every service has."""
    db = Database.connect(database_url)
    empty = tmp_path / "no-service-migrations"
    empty.mkdir(exist_ok=True)
    migrate(db.engine, empty)
    return db


class Clock:
    """Now, as the test says; thread-safe, for workers on other threads."""

    def __init__(self, start: datetime = T0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)


def put(
    db: Database,
    key: str,
    event_id: str,
    *,
    kind: str = "bmc.issued",
    due_in: float = 3600,
    now: datetime = T0,
    stream: str = STREAM,
) -> bool:
    """Enqueue one event in a transaction of its own (as a use case would, with its write)."""
    with db.transaction() as tx:
        return outbox.enqueue(
            tx,
            stream=stream,
            key=key,
            event_id=event_id,
            kind=kind,
            payload={"certificate": key, "event": event_id},
            due_at=now + timedelta(seconds=due_in),
            now=now,
        )


def states(db: Database) -> dict[str, str]:
    with db.read() as conn:
        return {e.event_id: e.state.value for e in outbox.events(conn, limit=10_000)}
