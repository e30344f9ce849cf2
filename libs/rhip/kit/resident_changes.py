"""Following identity's resident change feed (deaths, merges, undone merges) from another
service of the cell: archives moves and terminates health records, emr re-keys the lifetime
timeline. Both read the feed the same way, so the reading lives here.

``ResidentFeed`` reads ``ListResidentChanges`` over gRPC (never identity's tables), as the
cell's own service account: ``RHIP_CELL_CLIENT_ID``/``RHIP_CELL_CLIENT_SECRET``, the one
principal identity lets read the feed (identity/residents/changes.py).

``ResidentChangesConsumer`` is the background thread: every interval it reads the feed after
the consumer's stored cursor, page by page until caught up (a consumer that fell behind
catches up in pages, not in one unbounded read), and hands each change to the service's
``apply``, which applies it and moves the cursor in one transaction. A failed pass (identity
down, a database error) is logged without personal data and retried with exponential backoff,
up to ``MAX_BACKOFF_SECONDS``; the cursor only moves with applied changes, so nothing is lost.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol

import grpc
from rhip.api.identity.v1 import resident_pb2, resident_service_pb2, resident_service_pb2_grpc
from rhip.kit.channels import ChannelPool
from rhip.kit.config import Settings
from rhip.kit.crosscell import ServiceCredentials
from rhip.kit.deadlines import within
from rhip.kit.errors import from_rpc_error
from rhip.kit.workers import PeriodicWorker

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0
PAGE_SIZE = 200
MAX_BACKOFF_SECONDS = 60.0


@dataclass(frozen=True)
class FeedChange:
    """One entry of the feed, as the services need it (ids without their resource prefixes)."""

    sequence: int
    kind: str  # DECEASED, MERGED, MERGE_UNDONE
    resident_id: str
    change_time: datetime
    actor: str
    death_date: date | None = None
    survivor_id: str = ""
    merge_id: str = ""


def _id(name: str, collection: str) -> str:
    return name.removeprefix(f"{collection}/")


def _change(c: resident_pb2.ResidentChange) -> FeedChange:
    return FeedChange(
        sequence=c.sequence,
        kind=resident_pb2.ResidentChangeKind.Name(c.kind).removeprefix("RESIDENT_CHANGE_KIND_"),
        resident_id=_id(c.resident, "residents"),
        change_time=c.change_time.ToDatetime(tzinfo=UTC),
        actor=c.actor,
        death_date=date.fromisoformat(c.death_date) if c.death_date else None,
        survivor_id=_id(c.survivor, "residents"),
        merge_id=_id(c.merge, "residentMerges"),
    )


class ResidentFeed:
    """``identity_address`` is read on every call (all-in-one cells learn it once bound)."""

    def __init__(
        self, settings: Settings, identity_address: Callable[[], str], pool: ChannelPool
    ) -> None:
        self._settings = settings
        self._address = identity_address
        self._pool = pool
        self._lock = threading.Lock()
        self._credentials: ServiceCredentials | None = None

    @property
    def configured(self) -> bool:
        return bool(self._settings.cell_client_id and self._settings.cell_client_secret)

    def _token(self) -> str:
        with self._lock:
            if self._credentials is None:
                s = self._settings
                self._credentials = ServiceCredentials(
                    self._pool.get(self._address()), s.cell_client_id, s.cell_client_secret, s.cell
                )
        return self._credentials.token()

    def read(self, after: int, page_size: int) -> tuple[list[FeedChange], int]:
        """Changes after ``after`` (at most ``page_size``) and the feed's head sequence. Raises
        the typed error identity answered (UNAVAILABLE while it is down)."""
        stub = resident_service_pb2_grpc.ResidentServiceStub(self._pool.get(self._address()))
        try:
            reply = stub.ListResidentChanges(
                resident_service_pb2.ListResidentChangesRequest(
                    after_sequence=after, page_size=page_size
                ),
                metadata=[("authorization", f"Bearer {self._token()}")],
                timeout=within(TIMEOUT_SECONDS),
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        return [_change(c) for c in reply.changes], int(reply.head_sequence)


class ChangeApplier(Protocol):
    """What a service does with the feed: where it stands, and one change applied (with the
    cursor, in one transaction; a change at or below the cursor changes nothing)."""

    def cursor(self) -> int: ...

    def apply(self, change: FeedChange) -> str: ...


class ResidentChangesConsumer:
    def __init__(
        self,
        name: str,
        events: ChangeApplier,
        feed: ResidentFeed,
        interval_seconds: float,
        *,
        page_size: int = PAGE_SIZE,
        max_backoff_seconds: float = MAX_BACKOFF_SECONDS,
    ) -> None:
        self.events = events
        self.feed = feed
        self.page_size = page_size
        # First pass at once: catch up with what happened while this service was down.
        self.worker = PeriodicWorker(
            name, self.run_once, interval_seconds, first_delay=0.0, max_backoff=max_backoff_seconds
        )

    @property
    def failures(self) -> int:
        """Consecutive failed passes (0 when the last pass succeeded)."""
        return self.worker.failures

    def start(self) -> None:
        self.worker.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread (a pass in progress ends after the change it is applying)."""
        self.worker.stop(timeout)

    def run_once(self) -> int:
        """One pass: apply every change after the cursor, a page at a time, until caught up;
        returns how many changes were read."""
        name = self.worker.name
        cursor = self.events.cursor()
        read, head = 0, cursor
        while not self.worker.stopping:
            changes, head = self.feed.read(cursor, self.page_size)
            for change in changes:
                outcome = self.events.apply(change)
                log.info(
                    "%s: resident change %d (%s) applied: %s",
                    name, change.sequence, change.kind, outcome,
                )  # fmt: skip
                cursor = change.sequence
            read += len(changes)
            if len(changes) < self.page_size:
                break
            log.info("%s: catching up, cursor %d of %d", name, cursor, head)
        if read:
            log.info("%s: %d read, cursor %d, feed head %d", name, read, cursor, head)
        return read
