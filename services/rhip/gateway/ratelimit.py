"""Per-tenant token buckets: ``rate`` calls per second on average, bursts up to ``burst``."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from rhip.kit.errors import ResourceExhausted


class RateLimiter:
    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key → tokens, time
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """Spend one token of ``key``'s bucket, or raise RESOURCE_EXHAUSTED with the wait."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (self._burst, now))
            tokens = min(self._burst, tokens + (now - last) * self._rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self._rate
            while len(self._buckets) > self._max_keys:  # forget the longest idle
                self._buckets.popitem(last=False)
        if wait:
            raise ResourceExhausted(
                "too many calls for this tenant; retry later",
                reason="RATE_LIMITED",
                retry_after_seconds=round(wait, 3),
            )
