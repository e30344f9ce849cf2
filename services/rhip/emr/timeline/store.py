"""The timeline index: one row per event of a resident's life, ordered by time (SQL).

emr's own documents are read by emr's rules (the caller's scopes, the kinds its basis opens).
The other services' entries (archives, referral, mch: RecordTimelineEntries) carry their source's
read method and the scope paths that may read them there; a caller sees such an entry only
where the shared policy gives it that read method at one of those paths — the same answer the
source would give, decided in the same indexed read."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from rhip.emr.documents.domain import DocumentKind
from rhip.emr.documents.store import readable
from rhip.emr.store import StoreBase, at, timeline, timeline_change, timeline_scope
from rhip.kit.audit_pipeline import driver_insert
from rhip.kit.scopes import within_scopes
from sqlalchemy import and_, delete, exists, insert, literal_column, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite


@dataclass(frozen=True)
class TimelineEntry:
    entry_id: str
    resident_id: str
    occur_time: datetime
    source: str  # the service: emr, or archives/referral/mch from their outboxes
    kind: str
    target: str
    tenant_id: str
    scope_path: str  # the owner's scope at the source
    # Another service's entry: the read method that shows it there, and every scope path that
    # may read it there (scope_path among them). Empty for emr's documents.
    read_method: str = ""
    scope_paths: tuple[str, ...] = ()
    # The institution's name as the source sent it, and the day the event happened (a visit's
    # date, which may be before occur_time, when it was recorded); empty/None when not said.
    tenant_name: str = ""
    clinical_date: date | None = None


def _key(when: datetime, entry_id: str) -> str:
    return f"{at(when).strftime('%Y%m%d%H%M%S%f')}|{entry_id}"


def _insert(conn: Any, table: Any) -> Any:
    # ON CONFLICT DO NOTHING, not a unique violation: a redelivery must not abort the batch.
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def entry_rows(entries: Sequence[TimelineEntry]) -> list[dict[str, Any]]:
    """The ``emr_timeline`` rows of emr's own entries (its documents)."""
    return [
        dict(
            id=e.entry_id, resident_id=e.resident_id, occur_time=e.occur_time, source=e.source,
            kind=e.kind, target=e.target, tenant_id=e.tenant_id, scope_path=e.scope_path,
            sort_key=_key(e.occur_time, e.entry_id), read_method="", tenant_name=e.tenant_name,
            clinical_date=e.clinical_date,
        )
        for e in entries
    ]  # fmt: skip


# ``add_entries`` as driver SQL for a psycopg pipeline (rhip.emr.documents.ingest).
INSERT_ENTRY = driver_insert(timeline)


class TimelineStore(StoreBase):
    def add_entry(self, e: TimelineEntry) -> None:
        self.add_entries([e])

    def add_entries(self, entries: Sequence[TimelineEntry]) -> None:
        """emr's own entries (its documents), in one statement."""
        if not entries:
            return
        self.s.execute(insert(timeline), entry_rows(entries))

    def add_source_entry(self, e: TimelineEntry) -> bool:
        """Another service's entry, once: False (and nothing written) when its id is known."""
        added = self.s.execute(
            _insert(self.s, timeline)
            .values(
                id=e.entry_id,
                resident_id=e.resident_id,
                occur_time=e.occur_time,
                source=e.source,
                kind=e.kind,
                target=e.target,
                tenant_id=e.tenant_id,
                scope_path=e.scope_path,
                sort_key=_key(e.occur_time, e.entry_id),
                read_method=e.read_method,
                tenant_name=e.tenant_name,
                clinical_date=e.clinical_date,
            )
            .on_conflict_do_nothing(index_elements=[timeline.c.id])
            .returning(timeline.c.id)
        ).first()
        if added is None:
            return False
        for path in dict.fromkeys(e.scope_paths):
            self.s.execute(insert(timeline_scope).values(entry_id=e.entry_id, scope_path=path))
        return True

    def rescope(
        self, event_id: str, resident_id: str, source: str, read_method: str, target: str,
        paths: Sequence[str], now: datetime, new_resident_id: str = "",
    ) -> int | None:  # fmt: skip
        """Another service's change of scope: its entries of the resident shown by
        ``read_method`` on ``target`` or under it are read at ``paths`` from now on (the first
        the owner's), and are ``new_resident_id``'s when one is given (the record moved to
        that resident). How many changed; None (and nothing written) when ``event_id`` is known.
        The entries queued before the change at the source are all here already: the outbox
        delivers a resident's events in commit order."""
        added = self.s.execute(
            _insert(self.s, timeline_change)
            .values(event_id=event_id, resident_id=resident_id, target=target, apply_time=now)
            .on_conflict_do_nothing(index_elements=[timeline_change.c.event_id])
            .returning(timeline_change.c.event_id)
        ).first()
        if added is None:
            return None
        t = timeline.c
        ids = list(
            self.s.execute(
                select(t.id).where(
                    t.resident_id == resident_id,  # ix_emr_timeline_resident
                    t.source == source,
                    t.read_method == read_method,
                    or_(t.target == target, t.target.startswith(target + "/", autoescape=True)),
                )
            ).scalars()
        )
        if not ids:
            return 0
        self.s.execute(delete(timeline_scope).where(timeline_scope.c.entry_id.in_(ids)))
        self.s.execute(
            insert(timeline_scope),
            [{"entry_id": i, "scope_path": p} for i in ids for p in dict.fromkeys(paths)],
        )
        moved = {"resident_id": new_resident_id} if new_resident_id else {}
        self.s.execute(update(timeline).where(t.id.in_(ids)).values(scope_path=paths[0], **moved))
        return len(ids)

    def entries(
        self,
        residents: Mapping[str, Collection[DocumentKind] | None],
        scopes: Sequence[str],
        after: str | None,
        limit: int,
        source_scopes: Mapping[str, Sequence[str]] | None = None,
    ) -> tuple[list[TimelineEntry], str | None]:
        """Newest first, of the ``residents`` (one, or a survivor and those merged into it:
        rhip.emr.timeline.merges), each mapped to the kinds the caller's basis for it opens
        (None: all): emr's entries ``scopes`` own and those of the resident's open kinds, and
        the other services' entries whose read method the caller holds at one of their scope
        paths (``source_scopes``: read method → the caller's scopes for it; a method missing
        there shows nothing). Returns the entries and the last sort key."""
        t = timeline.c

        def own(kinds: Collection[DocumentKind] | None) -> Any:
            rule = t.read_method == ""
            return (
                rule if kinds is None else and_(rule, readable(t.scope_path, t.kind, scopes, kinds))
            )

        if len(residents) == 1:
            [(resident_id, kinds)] = residents.items()
            whose, shown = t.resident_id == resident_id, [own(kinds)]
        else:  # each resident's documents by the caller's basis for that resident
            whose = t.resident_id.in_(sorted(residents))
            shown = [and_(t.resident_id == r, own(k)) for r, k in sorted(residents.items())]
        for method, held in sorted((source_scopes or {}).items()):
            if not held:
                continue
            ts = timeline_scope.c
            shown.append(
                and_(
                    t.read_method == method,
                    exists().where(ts.entry_id == t.id, within_scopes(ts.scope_path, held)),
                )
            )
        query = select(timeline).where(whose, or_(*shown))
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
                r.read_method or "",
                tenant_name=r.tenant_name or "",
                clinical_date=r.clinical_date,
            )
            for r in rows
        ]
        return found, (rows[-1].sort_key if rows else None)

    # -- names for entries that came without one (rhip.emr.timeline.names) -------------------
    @staticmethod
    def _unnamed() -> Any:
        # Spelled as the partial index's predicate (emr_0005), literal, so the planner uses it.
        return or_(timeline.c.tenant_name.is_(None), timeline.c.tenant_name == literal_column("''"))

    def unnamed_tenants(self, limit: int, skip: Collection[str] = ()) -> list[str]:
        """Institutions with entries that carry no name, at most ``limit``, none of ``skip``."""
        query = (
            select(timeline.c.tenant_id)
            .where(self._unnamed(), timeline.c.tenant_id != literal_column("''"))
            .distinct()
            .order_by(timeline.c.tenant_id)
            .limit(limit)
        )
        if skip:
            query = query.where(timeline.c.tenant_id.not_in(sorted(skip)))
        return list(self.s.execute(query).scalars())

    def name_entries(self, tenant_id: str, name: str) -> int:
        """Give ``tenant_id``'s entries without a name this one; how many were named."""
        result = self.s.execute(
            update(timeline)
            .where(timeline.c.tenant_id == tenant_id, self._unnamed())
            .values(tenant_name=name)
        )
        return int(result.rowcount or 0)
