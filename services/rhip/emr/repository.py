"""The emr repository a use case works with: every feature's store over the one connection
of its transaction (the use case owns it; nothing here commits)."""

from __future__ import annotations

from rhip.emr.documents.store import DocumentsStore
from rhip.emr.reading.store import AccessStore
from rhip.emr.timeline.merge_store import MergesStore
from rhip.emr.timeline.store import TimelineStore


class EmrRepository(DocumentsStore, AccessStore, TimelineStore, MergesStore):
    """One object for a unit of work."""
