"""Residents linked across cells (docs/architecture.md, "Residents linked across cells"): the
same person registered in two cells, found by the platform's resident locator through keyed
digests of a shared identity document. A link names the other cell and its resident id only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Link:
    resident_id: str  # this cell's resident
    cell: str  # the other cell (its region code)
    remote_resident_id: str  # the resident there
    create_time: datetime


@dataclass(frozen=True)
class RemotePresence:
    """A resident another cell holds for the same document, as the locator answers."""

    cell: str
    resident_id: str
