"""The destination cell's sweep of cross-cell transfer requests the source cell never
acknowledged: a background thread that, every ``interval`` seconds, has the use cases withdraw
them at the source and abandon them here (``expire_unacknowledged``), acting as the cell."""

from __future__ import annotations

import logging

from rhip.archives.transfers.cross_cell import CrossCellTransfers
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from rhip.kit.workers import PeriodicWorker

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0


class TransferSweeper:
    def __init__(self, usecases: CrossCellTransfers, cell: str, interval: float = SWEEP_SECONDS):
        self._usecases = usecases
        self._interval = interval
        # Audit events of the sweep name the cell's archives service as the actor.
        self._principal = Principal(
            f"system:archives/{cell}", PrincipalKind.SERVICE_ACCOUNT, "", cell
        )
        self.worker = PeriodicWorker(
            "transfer-sweep",
            self.sweep,
            interval,
            max_backoff=10 * interval,
            report=lambda settled: (
                f"{settled} unacknowledged requests settled" if settled else None
            ),
        )

    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        self.worker.stop(timeout=5)

    def sweep(self) -> int:
        with acting_as(self._principal):
            return self._usecases.expire_unacknowledged()
