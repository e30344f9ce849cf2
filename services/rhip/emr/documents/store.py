"""Documents, their versions, parked documents and the lab terminology table (SQL)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rhip.emr.documents.domain import DocumentKind, ParkedDocument, StoredDocument
from rhip.emr.store import StoreBase, at, document, lab_mapping, parked
from rhip.kit.audit_pipeline import driver_insert
from rhip.kit.keyed_reads import rows_by_keys
from rhip.kit.pagination import foreign_page_token
from rhip.kit.scopes import within_scopes
from sqlalchemy import (
    Connection,
    Table,
    and_,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    update,
)


def _document(row: Any) -> StoredDocument:
    return StoredDocument(
        row.id, row.doc_id, row.custodian_tenant_id, row.scope_path, row.source_system,
        row.source_document_id, row.version, DocumentKind(row.kind), row.resident_id,
        at(row.effective_time), bool(row.is_current), row.content_hash, json.loads(row.body),
        at(row.create_time),
    )  # fmt: skip


@dataclass(frozen=True)
class Known:
    """A stored version as ingest needs it: is a resend the same, what supersedes what."""

    version: int
    doc_id: str
    content_hash: str


def sort_key(when: datetime, row_id: str) -> str:
    return f"{at(when).strftime('%Y%m%d%H%M%S%f')}|{row_id}"


def readable(
    scope_column: Any, kind_column: Any, scopes: Sequence[str], kinds: Collection[DocumentKind]
) -> Any:
    """The SQL filter of what a caller reads: owned by its scopes, or of a kind its basis
    for the resident opens."""
    parts = []
    if scopes:
        parts.append(within_scopes(scope_column, scopes))
    if kinds:
        parts.append(kind_column.in_(sorted(k.value for k in kinds)))
    return or_(*parts) if parts else false()


def _by_system(keys: Collection[tuple[str, str]]) -> dict[str, list[str]]:
    by_system: dict[str, list[str]] = {}
    for system, source_id in sorted(keys):
        by_system.setdefault(system, []).append(source_id)
    return by_system


def _of_sources(s: Connection, table: Table, columns: Sequence[str], tenant_id: str,
                keys: Collection[tuple[str, str]]) -> list[Any]:  # fmt: skip
    """``columns`` of ``table``'s rows of the custodian's (source system, document id) in
    ``keys``, in one statement per source system (a stream comes from one or a few), each id
    one lookup on the source key's unique index (rhip.kit.keyed_reads)."""
    found: list[Any] = []
    c = table.c
    for system, ids in _by_system(keys).items():
        rows = rows_by_keys(
            s, table, c.source_document_id, ids,
            c.custodian_tenant_id == tenant_id, c.source_system == system,
        )  # fmt: skip
        found.extend(s.execute(select(*(rows.c[n] for n in columns))))
    return found


# json.dumps(body, ensure_ascii=False, sort_keys=True), from one encoder made once.
_body_text = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def _document_row(d: StoredDocument, request_key: str) -> dict[str, Any]:
    return dict(
        id=d.row_id, doc_id=d.doc_id, custodian_tenant_id=d.custodian_tenant_id,
        scope_path=d.scope_path, source_system=d.source_system,
        source_document_id=d.source_document_id, version=d.version, kind=d.kind.value,
        resident_id=d.resident_id, effective_time=d.effective_time, is_current=int(d.is_current),
        content_hash=d.content_hash, body=_body_text(d.body),
        create_time=d.create_time, request_key=request_key or None,
    )  # fmt: skip


def document_rows(stored: Sequence[tuple[StoredDocument, str]]) -> list[dict[str, Any]]:
    """The ``emr_document`` rows of versions (each with its request key, or "")."""
    return [_document_row(d, key) for d, key in stored]


# The same insert as ``add_documents``, as driver SQL for a psycopg pipeline (a stream's chunk
# is written with its audit events and COMMIT in one round trip: rhip.kit.audit.append_and_commit).
INSERT_DOCUMENT = driver_insert(document)


class DocumentsStore(StoreBase):
    # -- documents --------------------------------------------------------------------------
    def versions_of(self, tenant_id: str, system: str, source_id: str) -> list[StoredDocument]:
        d = document.c
        rows = self.s.execute(
            select(document)
            .where(
                d.custodian_tenant_id == tenant_id,
                d.source_system == system,
                d.source_document_id == source_id,
            )
            .order_by(d.version.desc())
        )
        return [_document(r) for r in rows]

    def known_versions(
        self, tenant_id: str, keys: Collection[tuple[str, str]]
    ) -> dict[tuple[str, str], list[Known]]:
        """The versions already stored of each (source system, document id) of ``keys``,
        newest first: one query for a whole chunk of a stream."""
        if not keys:
            return {}
        rows = _of_sources(
            self.s, document,
            ("source_system", "source_document_id", "version", "doc_id", "content_hash"),
            tenant_id, keys,
        )  # fmt: skip
        found: dict[tuple[str, str], list[Known]] = {}
        for r in sorted(rows, key=lambda r: r.version, reverse=True):
            found.setdefault((r.source_system, r.source_document_id), []).append(
                Known(r.version, r.doc_id, r.content_hash)
            )
        return found

    def retire_current(self, doc_id: str) -> None:
        """The document's stored versions are no longer current (a newer one is coming)."""
        self.s.execute(update(document).where(document.c.doc_id == doc_id).values(is_current=0))

    def add_documents(self, stored: Sequence[tuple[StoredDocument, str]]) -> None:
        """Insert versions (with their request key, or ""), in one statement per batch; an
        older current version is retired first with ``retire_current``."""
        if not stored:
            return
        self.s.execute(insert(document), document_rows(stored))

    def add_document(self, stored: StoredDocument, request_key: str = "") -> None:
        if stored.is_current:  # the one current version of the document
            self.retire_current(stored.doc_id)
        self.add_documents([(stored, request_key)])

    def document_by_request(self, key: str) -> StoredDocument | None:
        row = self.s.execute(select(document).where(document.c.request_key == key)).first()
        return _document(row) if row else None

    def get_document(self, doc_id: str, version: int | None = None) -> StoredDocument | None:
        d = document.c
        query = select(document).where(d.doc_id == doc_id)
        query = query.where(d.version == version) if version else query.where(d.is_current == 1)
        row = self.s.execute(query).first()
        return _document(row) if row else None

    def resident_documents(
        self,
        residents: Mapping[str, Collection[DocumentKind] | None],
        scopes: Sequence[str],
        kind: DocumentKind | None,
        after: str | None,
        limit: int,
    ) -> list[StoredDocument]:
        """Current documents of ``residents`` (one, or a survivor and those merged into it:
        rhip.emr.timeline.merge_store), newest first, in one query: those ``scopes`` own, and
        of each resident those of the kinds the caller's basis for that resident opens (None:
        every kind)."""
        d = document.c
        if len(residents) == 1:
            [(resident_id, kinds)] = residents.items()
            query = select(document).where(d.resident_id == resident_id, d.is_current == 1)
            if kinds is not None:
                query = query.where(readable(d.scope_path, d.kind, scopes, kinds))
        else:  # each resident's documents by the caller's basis for that resident
            shown = [
                d.resident_id == r
                if k is None
                else and_(d.resident_id == r, readable(d.scope_path, d.kind, scopes, k))
                for r, k in sorted(residents.items())
            ]
            query = select(document).where(
                d.resident_id.in_(sorted(residents)), d.is_current == 1, or_(*shown)
            )
        if kind is not None:
            query = query.where(d.kind == kind.value)
        if after:
            when, _, row_id = after.partition("|")
            try:
                stamp = datetime.strptime(when, "%Y%m%d%H%M%S%f").replace(tzinfo=UTC)
            except ValueError:
                raise foreign_page_token() from None
            query = query.where(
                or_(d.effective_time < stamp, and_(d.effective_time == stamp, d.id < row_id))
            )
        query = query.order_by(d.effective_time.desc(), d.id.desc()).limit(limit)
        return [_document(r) for r in self.s.execute(query)]

    def documents_elsewhere(self, resident_id: str, scopes: Sequence[str]) -> bool:
        """Whether the resident has a current document outside ``scopes`` (another
        institution's): only then can a basis open anything."""
        d = document.c
        query = select(d.id).where(
            d.resident_id == resident_id, d.is_current == 1, ~within_scopes(d.scope_path, scopes)
        )
        return self.s.execute(query.limit(1)).first() is not None

    def document_versions(self, doc_id: str, below: int | None, limit: int) -> list[StoredDocument]:
        d = document.c
        query = select(document).where(d.doc_id == doc_id)
        if below is not None:
            query = query.where(d.version < below)
        rows = self.s.execute(query.order_by(d.version.desc()).limit(limit))
        return [_document(r) for r in rows]

    # -- parked documents -------------------------------------------------------------------
    def parked_as(self, tenant_id: str, system: str, source_id: str, version: int) -> str | None:
        p = parked.c
        return self.s.execute(
            select(p.id).where(
                p.custodian_tenant_id == tenant_id, p.source_system == system,
                p.source_document_id == source_id, p.version == version,
            )
        ).scalar()  # fmt: skip

    def parked_keys(
        self, tenant_id: str, keys: Collection[tuple[str, str]]
    ) -> dict[tuple[str, str, int], str]:
        """(source system, document id, version) → parked id, for the versions of ``keys``
        parked already: one query for a whole chunk of a stream."""
        if not keys:
            return {}
        rows = _of_sources(
            self.s, parked, ("source_system", "source_document_id", "version", "id"), tenant_id,
            keys,
        )  # fmt: skip
        return {(r.source_system, r.source_document_id, r.version): r.id for r in rows}

    def park(self, item: ParkedDocument, body: dict[str, Any], identifiers: bytes) -> None:
        self.s.execute(
            insert(parked).values(
                id=item.parked_id, custodian_tenant_id=item.custodian_tenant_id,
                scope_path=item.scope_path, source_system=item.source_system,
                source_document_id=item.source_document_id, version=item.version,
                kind=item.kind.value, reason=item.reason,
                body=json.dumps(body, ensure_ascii=False), identifiers=identifiers,
                create_time=item.create_time,
            )
        )  # fmt: skip

    def parked_documents(self, scope: str, after: str | None, limit: int) -> list[ParkedDocument]:
        p = parked.c
        query = select(parked).where(within_scopes(p.scope_path, [scope]))
        if after:
            query = query.where(p.id > after)
        rows = self.s.execute(query.order_by(p.id).limit(limit))
        return [
            ParkedDocument(
                r.id,
                r.custodian_tenant_id,
                r.scope_path,
                r.source_system,
                r.source_document_id,
                r.version,
                DocumentKind(r.kind),
                r.reason,
                at(r.create_time),
            )
            for r in rows
        ]

    def parked_body(self, parked_id: str) -> tuple[ParkedDocument, dict[str, Any]] | None:
        p = parked.c
        r = self.s.execute(select(parked).where(p.id == parked_id)).first()
        if r is None:
            return None
        item = ParkedDocument(
            r.id, r.custodian_tenant_id, r.scope_path, r.source_system, r.source_document_id,
            r.version, DocumentKind(r.kind), r.reason, at(r.create_time),
        )  # fmt: skip
        return item, json.loads(r.body)

    def unpark(self, parked_id: str) -> None:
        self.s.execute(delete(parked).where(parked.c.id == parked_id))

    # -- lab terminology (§6.3) -------------------------------------------------------------
    def lab_mappings(self, tenant_id: str, codes: Iterable[str]) -> dict[str, tuple[str, int]]:
        """local code → (LOINC, version) of the newest mapping of each code that has one."""
        wanted = list(codes)
        if not wanted:
            return {}
        m = lab_mapping.c
        newest = (
            select(m.local_code, func.max(m.version).label("version"))
            .where(m.tenant_id == tenant_id, m.local_code.in_(wanted))
            .group_by(m.local_code)
            .subquery()
        )
        rows = self.s.execute(
            select(m.local_code, m.loinc_code, m.version)
            .join(
                newest,
                and_(m.local_code == newest.c.local_code, m.version == newest.c.version),
            )
            .where(m.tenant_id == tenant_id)
        )
        return {r.local_code: (r.loinc_code, r.version) for r in rows}

    def add_lab_mapping(
        self, tenant_id: str, local_code: str, loinc: str, now: datetime, key: str
    ) -> int:
        m = lab_mapping.c
        current = self.s.execute(
            select(func.max(m.version)).where(m.tenant_id == tenant_id, m.local_code == local_code)
        ).scalar()
        version = (current or 0) + 1
        self.s.execute(
            insert(lab_mapping).values(
                tenant_id=tenant_id, local_code=local_code, version=version, loinc_code=loinc,
                create_time=now, request_key=key or None,
            )
        )  # fmt: skip
        return version

    def lab_mapping_by_request(self, key: str) -> tuple[str, str, int] | None:
        m = lab_mapping.c
        row = self.s.execute(
            select(m.local_code, m.loinc_code, m.version).where(m.request_key == key)
        ).first()
        return (row.local_code, row.loinc_code, row.version) if row else None
