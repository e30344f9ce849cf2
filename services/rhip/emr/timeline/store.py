"""The timeline index: one row per event of a resident's life, ordered by time (SQL)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from rhip.emr.documents.domain import DocumentKind
from rhip.emr.documents.store import readable
from rhip.emr.store import StoreBase, at, timeline
from sqlalchemy import insert, select


@dataclass(frozen=True)
class TimelineEntry:
    entry_id: str
    resident_id: str
    occur_time: datetime
    source: str  # the service: emr (archives, mch, referral: from their feeds)
    kind: str
    target: str
    tenant_id: str
    scope_path: str


def _key(when: datetime, entry_id: str) -> str:
    return f"{at(when).strftime('%Y%m%d%H%M%S%f')}|{entry_id}"


class TimelineStore(StoreBase):
    def add_entry(self, e: TimelineEntry) -> None:
        self.s.execute(
            insert(timeline).values(
                id=e.entry_id, resident_id=e.resident_id, occur_time=e.occur_time,
                source=e.source, kind=e.kind, target=e.target, tenant_id=e.tenant_id,
                scope_path=e.scope_path, sort_key=_key(e.occur_time, e.entry_id),
            )
        )  # fmt: skip

    def entries(
        self,
        resident_id: str,
        scopes: Sequence[str],
        open_kinds: Collection[DocumentKind] | None,
        after: str | None,
        limit: int,
    ) -> tuple[list[TimelineEntry], str | None]:
        """Newest first: entries ``scopes`` own and entries of ``open_kinds`` (the caller's
        basis; None: all). Returns the entries and the last sort key."""
        t = timeline.c
        query = select(timeline).where(t.resident_id == resident_id)
        if open_kinds is not None:
            query = query.where(readable(t.scope_path, t.kind, scopes, open_kinds))
        if after:
            query = query.where(t.sort_key < after)
        rows = list(self.s.execute(query.order_by(t.sort_key.desc()).limit(limit)))
        found = [
            TimelineEntry(
                r.id,
                r.resident_id,
                at(r.occur_time),
                r.source,
                r.kind,
                r.target,
                r.tenant_id,
                r.scope_path,
            )
            for r in rows
        ]
        return found, (rows[-1].sort_key if rows else None)
