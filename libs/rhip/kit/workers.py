"""One background loop for every periodic job of a process (feeds, sweeps, watchers).

A ``PeriodicWorker`` runs one pass of its job on a daemon thread of its own, every
``interval`` seconds: the first pass after ``first_delay`` (0: catch up at once), and after a
failed pass an exponential backoff up to ``max_backoff``, so a dependency that is down is asked
less and less often but never given up on. A pass that raises is logged (a ``RhipError`` by its
reason, anything else with its stack) and never kills the thread. ``stop`` ends the loop
cleanly (a job that runs long checks ``stopping``); ``health`` is the signal readiness and
metrics read: consecutive failures and the age of the last good pass.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from rhip.kit.errors import RhipError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerHealth:
    name: str
    running: bool
    passes: int  # completed passes, failed or not
    failures: int  # consecutive failed passes (0 when the last pass succeeded)
    seconds_since_success: float | None  # None: no pass has succeeded yet


class PeriodicWorker:
    def __init__(
        self,
        name: str,
        job: Callable[[], object],
        interval: float,
        *,
        first_delay: float | None = None,
        max_backoff: float | None = None,
        report: Callable[[object], str | None] | None = None,
    ) -> None:
        """``job``: one pass; ``report`` turns a pass's result into a log line (None: quiet),
        so a pass that did nothing leaves nothing in the log."""
        self.name = name
        self.interval = interval
        self.first_delay = interval if first_delay is None else first_delay
        self.max_backoff = max(max_backoff or interval, interval)
        self.failures = 0
        self.passes = 0
        self._job = job
        self._report = report
        self._last_success: float | None = None
        self._stopping = threading.Event()
        self._wake = threading.Event()  # ``wake``: the next pass now, not after the delay
        self._thread: threading.Thread | None = None

    @property
    def stopping(self) -> bool:
        """True once ``stop`` was called: a long pass ends at its next safe point."""
        return self._stopping.is_set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        log.info("%s: started (every %.2f s)", self.name, self.interval)

    def request_stop(self) -> None:
        """Ask the loop to stop without waiting (before waking a pass blocked elsewhere)."""
        self._stopping.set()
        self._wake.set()

    def wake(self) -> None:
        """Run the next pass now (new work was queued) instead of after the interval or the
        backoff; a pass in progress is followed by another at once."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the loop; a pass in progress finishes (or ends early on ``stopping``)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("%s: still finishing a pass after %.1f s", self.name, timeout)
                return  # ``stopping`` stays true for the pass still running
            self._thread = None
        self._stopping = threading.Event()  # ready for start() or a pass run by hand
        self._wake = threading.Event()

    def backoff(self) -> float:
        """The wait after ``failures`` consecutive failed passes."""
        return min(self.interval * 2 ** min(self.failures, 30), self.max_backoff)

    def health(self) -> WorkerHealth:
        since = None if self._last_success is None else time.monotonic() - self._last_success
        return WorkerHealth(self.name, self._thread is not None, self.passes, self.failures, since)

    def run_pass(self) -> bool:
        """One pass now, on the caller's thread, with the loop's logging; True if it worked."""
        try:
            result = self._job()
        except Exception as error:  # logged and retried: the thread must live on
            self.failures += 1
            reason = error.reason if isinstance(error, RhipError) else ""
            log.warning(
                "%s: pass failed (%s %s), %d in a row; retrying in %.1f s",
                self.name, type(error).__name__, reason, self.failures, self.backoff(),
                exc_info=not isinstance(error, RhipError),
            )  # fmt: skip
            return False
        finally:
            self.passes += 1
        if self.failures:
            log.info("%s: working again after %d failed passes", self.name, self.failures)
        self.failures = 0
        self._last_success = time.monotonic()
        line = self._report(result) if self._report is not None else None
        if line:
            log.info("%s: %s", self.name, line)
        return True

    def _run(self) -> None:
        stopping, wake = self._stopping, self._wake
        delay = self.first_delay
        while True:
            wake.wait(delay)
            if stopping.is_set():
                return
            wake.clear()
            delay = self.interval if self.run_pass() else self.backoff()
