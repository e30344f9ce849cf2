"""The cell's background purge of its audit logs (``rhip.kit.audit_purge``), started and
stopped with the cell (cell.py) like its other background work."""

from __future__ import annotations

import logging

from rhip.kit.audit_purge import AuditPurge, PurgeResult
from rhip.kit.errors import RhipError
from rhip.kit.workers import PeriodicWorker

log = logging.getLogger(__name__)


class AuditPurgeWorker:
    """Runs the purges of a cell's logs every ``interval`` seconds in a background thread,
    the first run at once (a cell that was down catches up when it starts)."""

    def __init__(self, purges: list[AuditPurge], interval: float) -> None:
        self.purges = purges
        self.interval = interval
        # Each log's failure is logged here and the others still run, so a pass never fails.
        self.worker = PeriodicWorker("audit-purge", self.run_once, interval, first_delay=0.0)

    def start(self) -> None:
        if self.purges:
            self.worker.start()

    def stop(self) -> None:
        self.worker.stop()

    def run_once(self) -> list[PurgeResult]:
        results = []
        for purge in self.purges:
            if self.worker.stopping:
                break
            try:
                result = purge.run()
            except Exception as error:  # the next run tries again; never let the thread die
                log.warning(
                    "audit purge of the %s log failed (%s); next try in %.0f s",
                    purge.seal.log, type(error).__name__, self.interval,
                    exc_info=not isinstance(error, RhipError),  # UNAVAILABLE needs no trace
                )  # fmt: skip
                continue
            results.append(result)
            if result.problem:
                log.error(
                    "audit purge of the %s log refused: %s (nothing deleted; run rhip audit "
                    "verify)",
                    purge.seal.log,
                    result.problem,
                )
            elif result.events or result.deleted:
                log.info(
                    "audit purge of the %s log: %d events sealed in %d checkpoint(s), "
                    "%d deleted (older than %s)",
                    purge.seal.log, result.events, result.checkpoints, result.deleted,
                    result.cutoff,
                )  # fmt: skip
        return results
