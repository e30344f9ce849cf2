"""A background check that each service's database answers, so that readiness says what is
really unready and a stall is never silent.

Measured from outside (issue 12): a 5 s PostgreSQL pause left no WARNING in any log and no
metric moved, and health checks failed only because they waited behind the stalled calls.
Here one thread per database runs ``SELECT 1`` every ``interval`` seconds; when an answer takes
longer than ``timeout`` (or fails) the database is down: a WARNING, the service's health
NOT_SERVING (through ``on_change``) and the ``rhip.db.available`` gauge at 0; when it answers
again, a WARNING saying for how long it did not, and back to SERVING. The probe never waits
on the database itself: it reads the status this watch set.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from opentelemetry.metrics import CallbackOptions, Meter, Observation
from rhip.kit.db import Database

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 1.0  # seconds between checks
DEFAULT_TIMEOUT = 1.0  # an answer slower than this counts as "not answering"


class WatchMetrics:
    """``rhip.db.available`` (1 while answering, else 0) and ``rhip.db.stalls`` per service,
    made once per meter for every watch of the process."""

    def __init__(self, meter: Meter) -> None:
        self.watches: list[DatabaseWatch] = []
        meter.create_observable_gauge(
            "rhip.db.available",
            callbacks=[self._observe],
            description="1 while the service's database answers within the timeout, else 0",
        )
        self.stalls = meter.create_counter(
            "rhip.db.stalls", description="times a service's database stopped answering"
        )

    def _observe(self, _options: CallbackOptions) -> list[Observation]:
        return [
            Observation(1 if w.available else 0, {"rhip.service": w.service}) for w in self.watches
        ]


class DatabaseWatch:
    """Watches one service's database; ``on_change(available)`` on every change."""

    def __init__(
        self,
        service: str,
        database: Database,
        on_change: Callable[[bool], None],
        metrics: WatchMetrics | None = None,
        *,
        interval: float = DEFAULT_INTERVAL,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.service = service
        self._database = database
        self._on_change = on_change
        self._interval = interval
        self._timeout = timeout
        self.available = True
        self._down_since = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # The ping runs on a thread of its own: a stalled server blocks it, not the watch.
        self._pinger = ThreadPoolExecutor(1, thread_name_prefix=f"dbping-{service}")
        self._pending: Future[None] | None = None
        self._metrics = metrics
        if metrics is not None:
            metrics.watches.append(self)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"dbwatch-{self.service}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._timeout + 1)
        self._pinger.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.check()
            self._stop.wait(max(0.0, self._interval - (time.monotonic() - started)))

    def check(self) -> bool:
        """One check: wait up to ``timeout`` for the database's answer; report changes."""
        if self._pending is None or self._pending.done():
            # A ping still waiting on a stalled server is waited on again, not stacked.
            self._pending = self._pinger.submit(self._ping)
        try:
            self._pending.result(timeout=self._timeout)
            answered, why = True, ""
        except FutureTimeout:
            answered, why = False, f"no answer within {self._timeout:.1f} s"
        except Exception as error:  # any failure means "not answering"
            answered, why = False, type(getattr(error, "orig", None) or error).__name__
        self._report(answered, why)
        return answered

    def _ping(self) -> None:
        self._database.ping()

    def _report(self, answered: bool, why: str) -> None:
        if answered == self.available:
            return
        self.available = answered
        if not answered:
            self._down_since = time.monotonic()
            log.warning("database of %s is not answering (%s): NOT_SERVING", self.service, why)
            if self._metrics is not None:
                self._metrics.stalls.add(1, {"rhip.service": self.service})
        else:
            log.warning(
                "database of %s answers again after %.1f s: SERVING",
                self.service,
                time.monotonic() - self._down_since,
            )
        self._on_change(answered)
