"""The destination cell's sweep of cross-cell transfer requests the source cell never
acknowledged: a background thread that, every ``interval`` seconds, has the use cases withdraw
them at the source and abandon them here (``expire_unacknowledged``), acting as the cell."""

from __future__ import annotations

import logging
import threading

from rhip.archives.transfers import TransferUseCases
from rhip.kit.authn import Principal, PrincipalKind, acting_as

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0


class TransferSweeper:
    def __init__(self, usecases: TransferUseCases, cell: str, interval: float = SWEEP_SECONDS):
        self._usecases = usecases
        self._interval = interval
        # Audit events of the sweep name the cell's archives service as the actor.
        self._principal = Principal(
            f"system:archives/{cell}", PrincipalKind.SERVICE_ACCOUNT, "", cell
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="transfer-sweep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def sweep(self) -> int:
        with acting_as(self._principal):
            return self._usecases.expire_unacknowledged()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                settled = self.sweep()
            except Exception:  # the next run tries again; never let the thread die
                log.exception("transfer sweep failed")
                continue
            if settled:
                log.info("transfer sweep: %d unacknowledged requests settled", settled)
