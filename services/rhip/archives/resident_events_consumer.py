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
import threading

from rhip.archives.resident_events import ResidentEvents
from rhip.archives.resident_feed import ResidentFeed
from rhip.kit.errors import RhipError

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
        self.interval = interval_seconds
        self.page_size = page_size
        self.max_backoff = max(max_backoff_seconds, interval_seconds)
        self.failures = 0  # consecutive failed passes (0 when the last pass succeeded)
        self.passes = 0  # completed passes, failed or not
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="resident-events", daemon=True)
        self._thread.start()
        log.info("resident changes: consumer started (every %.2f s)", self.interval)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread (a pass in progress ends after the change it is applying)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._stop = threading.Event()  # ready for start() or a pass run by hand

    def run_once(self) -> int:
        """One pass: apply every change after the cursor, a page at a time, until caught up;
        returns how many changes were read."""
        cursor = self.events.cursor()
        read, head = 0, cursor
        while not self._stop.is_set():
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

    def backoff(self) -> float:
        """The wait after ``failures`` consecutive failed passes."""
        return min(self.interval * 2 ** min(self.failures, 30), self.max_backoff)

    def _run(self) -> None:
        delay = 0.0  # first pass at once: catch up with what happened while we were down
        while not self._stop.wait(delay):
            try:
                self.run_once()
            except Exception as error:  # logged and retried: the thread must live on
                self.failures += 1
                delay = self.backoff()
                reason = error.reason if isinstance(error, RhipError) else ""
                log.warning(
                    "resident changes: pass failed (%s %s), %d in a row; retrying in %.1f s",
                    type(error).__name__, reason, self.failures, delay,
                    exc_info=not isinstance(error, RhipError),
                )  # fmt: skip
            else:
                if self.failures:
                    log.info(
                        "resident changes: reading again after %d failed passes", self.failures
                    )
                self.failures = 0
                delay = self.interval
            finally:
                self.passes += 1
