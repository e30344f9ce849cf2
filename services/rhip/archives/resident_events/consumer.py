"""The background thread that keeps archives in step with identity's resident change feed.

Every ``RHIP_ARCHIVES_RESIDENT_EVENTS_INTERVAL_MS`` it reads the feed after its stored cursor,
page by page until caught up (a consumer that fell behind catches up in pages, not in one
unbounded read), and applies each change (resident_events.py). A failed pass (identity down,
a database error) is logged without personal data and retried with exponential backoff, up to
``MAX_BACKOFF_SECONDS``; the cursor only moves with applied changes, so nothing is lost.
Started and stopped with the archives server (cell.py).
"""

from __future__ import annotations

import logging

from rhip.archives.resident_events.feed import ResidentFeed
from rhip.archives.resident_events.usecases import ResidentEvents
from rhip.kit.workers import PeriodicWorker

log = logging.getLogger(__name__)

PAGE_SIZE = 200
MAX_BACKOFF_SECONDS = 60.0


class ResidentEventsConsumer:
    def __init__(
        self,
        events: ResidentEvents,
        feed: ResidentFeed,
        interval_seconds: float,
        *,
        page_size: int = PAGE_SIZE,
        max_backoff_seconds: float = MAX_BACKOFF_SECONDS,
    ) -> None:
        self.events = events
        self.feed = feed
        self.page_size = page_size
        # First pass at once: catch up with what happened while this cell was down.
        self.worker = PeriodicWorker(
            "resident-events",
            self.run_once,
            interval_seconds,
            first_delay=0.0,
            max_backoff=max_backoff_seconds,
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
        cursor = self.events.cursor()
        read, head = 0, cursor
        while not self.worker.stopping:
            changes, head = self.feed.read(cursor, self.page_size)
            for change in changes:
                outcome = self.events.apply(change)
                log.info(
                    "resident change %d (%s) applied: %s", change.sequence, change.kind, outcome
                )
                cursor = change.sequence
            read += len(changes)
            if len(changes) < self.page_size:
                break
            log.info("resident changes: catching up, cursor %d of %d", cursor, head)
        if read:
            log.info("resident changes: %d read, cursor %d, feed head %d", read, cursor, head)
        return read
