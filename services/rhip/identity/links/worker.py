"""The background thread of residents linked across cells: each pass announces the queued
residents to the locator (linking them on both sides) and applies the linked cells' change
feeds here. Every ``RHIP_IDENTITY_LINKS_INTERVAL_MS`` and at once when a registration queues a
resident (``wake``); a pass that fails (the locator or the gateway down) is retried with
exponential backoff up to ``MAX_BACKOFF_SECONDS``: registrations never wait for it."""

from __future__ import annotations

from rhip.identity.links.usecases import ResidentLinks
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from rhip.kit.workers import PeriodicWorker

MAX_BACKOFF_SECONDS = 60.0


class LinkWorker:
    def __init__(self, links: ResidentLinks, cell: str, interval_seconds: float) -> None:
        self.links = links
        # History entries and audit events of the worker name it as the actor.
        self._principal = Principal(
            f"system:identity-links/{cell}", PrincipalKind.SERVICE_ACCOUNT, "", cell
        )
        self.worker = PeriodicWorker(
            "resident-links",
            self.run_once,
            interval_seconds,
            first_delay=0.0,  # catch up with what was queued while the cell was down
            max_backoff=max(MAX_BACKOFF_SECONDS, interval_seconds),
            report=_report,
        )

    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        self.worker.stop(timeout=5)

    def wake(self) -> None:
        """A resident was queued: run a pass now rather than at the next interval."""
        self.worker.wake()

    def run_once(self) -> tuple[int, int]:
        with acting_as(self._principal):
            return self.links.announce_pending(), self.links.pull_all()


def _report(done: object) -> str | None:
    """A log line for a pass that did something; None for an idle pass."""
    made, applied = done if isinstance(done, tuple) else (0, 0)
    if not made and not applied:
        return None
    return f"{made} links made, {applied} linked changes applied"
