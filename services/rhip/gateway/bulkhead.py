"""A bulkhead per cell: at most so many forwards in flight to one cell, so that one slow cell
cannot take every gateway worker from the others.

Measured from outside (issue 12): with one cell's database paused, all 4 gateway workers
waited on that cell, and calls for every other cell (and health checks) waited behind them.
Beyond its limit a call for that cell is refused at once (UNAVAILABLE, reason CELL_BUSY,
with a retry delay) rather than waiting for a worker the slow cell would keep.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rhip.kit.errors import Unavailable

RETRY_AFTER_SECONDS = 1.0


class Bulkheads:
    """In-flight forwards per cell name, each bounded by ``limit`` while more than one cell
    is routed (with a single cell there is no other cell to protect)."""

    def __init__(self, limit: int) -> None:
        self._limit = max(1, limit)
        self._inflight: dict[str, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def enter(self, cell: str, cells_routed: int, domain: str) -> Iterator[None]:
        with self._lock:
            inflight = self._inflight.get(cell, 0)
            if cells_routed > 1 and inflight >= self._limit:
                raise Unavailable(
                    f"cell {cell} already has {inflight} calls in flight through this "
                    "gateway, its most; retry later",
                    reason="CELL_BUSY",
                    retry_after_seconds=RETRY_AFTER_SECONDS,
                    domain=domain,
                    metadata={"cell": cell},
                )
            self._inflight[cell] = inflight + 1
        try:
            yield
        finally:
            with self._lock:
                self._inflight[cell] -= 1

    @property
    def limit(self) -> int:
        return self._limit

    def snapshot(self) -> dict[str, int]:
        """In-flight forwards of every cell forwarded to so far (for rhip.kit.metrics)."""
        with self._lock:
            return dict(self._inflight)

    def inflight(self, cell: str) -> int:
        with self._lock:
            return self._inflight.get(cell, 0)
