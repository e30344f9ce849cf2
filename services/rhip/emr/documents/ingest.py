"""Ingest from hospital systems (issue 16): one document or a stream of them from the
caller's institution, idempotent by (source system, document id, version), a higher version
superseding and the earlier ones kept as history; the patient matched through identity's
resident index by identity document only (unknown or ambiguous: parked in the institution's
review queue); lab items mapped to LOINC through the institution's versioned terminology
table when a mapping exists. In a stream, a bad document is rejected with its reason and the
others are stored.

A stream is written a chunk at a time, each chunk in one transaction with a constant number
of statements whatever its size (measured: tests/perf/bench_emr_ingest.py): the identifiers of
the whole stream looked up in identity with overlapping calls, then per chunk the versions and
parked keys already stored read in one query each, the documents, their timeline entries and
their audit events written together (on PostgreSQL with the COMMIT, in two round trips). Each
document is validated as it arrives. Each document is decided in stream order against what is
stored plus what the chunk has decided before it, so a stream answers exactly as the same
documents sent one by one."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rhip.emr.access import UseCaseBase
from rhip.emr.documents import domain
from rhip.emr.documents.domain import Document, Identifier, ParkedDocument, StoredDocument
from rhip.emr.documents.store import INSERT_DOCUMENT, Known, document_rows
from rhip.emr.repository import EmrRepository
from rhip.emr.timeline.store import INSERT_ENTRY, TimelineEntry, entry_rows
from rhip.kit import audit
from rhip.kit.authn import Principal, current_principal
from rhip.kit.errors import AlreadyExists, InvalidArgument, RhipError, Violations, invalid
from rhip.kit.idempotency import claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.requests import check_count

CHUNK = 200  # documents of a stream per transaction

# What identity answered for an identifier: the resident, None (nobody the caller may see)
# or the error of the lookup.
Lookups = dict[Identifier, str | RhipError | None]


@dataclass(frozen=True)
class Outcome:
    """What happened to one document (the answer of SubmitDocument, one per stream item)."""

    outcome: str  # STORED, SUPERSEDED, UNCHANGED, STORED_AS_HISTORY, PARKED, REJECTED
    index: int
    source_system: str = ""
    document_id: str = ""
    version: int = 0
    name: str = ""
    reason: str = ""
    field: str = ""
    description: str = ""


def _rejected(index: int, form: Mapping[str, Any], error: RhipError) -> Outcome:
    first = error.violations[0] if error.violations else None
    version = form.get("version")
    return Outcome(
        "REJECTED", index, str(form.get("source_system") or "")[:64],
        str(form.get("document_id") or "")[:64],
        version if isinstance(version, int) and 0 < version <= domain.MAX_VERSION else 0,
        reason=error.reason, field=first.field if first else "",
        description=(first.description if first else error.message)[:200],
    )  # fmt: skip


@dataclass
class _Chunk:
    """One transaction's view of the source keys: what was stored before it (read once) plus
    what it decided so far, and the rows and audit events it has yet to write."""

    known: dict[tuple[str, str], list[Known]]
    parked: dict[tuple[str, str, int], str]
    mappings: dict[str, tuple[str, int]]
    tenant_name: str  # the custodian's name, for the timeline entries
    documents: list[tuple[StoredDocument, str]] = field(default_factory=list)
    entries: list[TimelineEntry] = field(default_factory=list)
    events: list[audit.AuditEvent] = field(default_factory=list)

    def write_rows(self, repo: EmrRepository) -> None:
        repo.add_documents(self.documents)
        repo.add_entries(self.entries)
        self.documents.clear()
        self.entries.clear()

    def write_and_commit(self, repo: EmrRepository) -> None:
        """The rows yet to write and the audit events, then COMMIT: on PostgreSQL in two round
        trips (rhip.kit.audit.append_and_commit: the rows as driver SQL in a pipeline, the
        audit head locked and read, the events, the COMMIT), elsewhere statement by statement
        and committed by the caller's transaction. The same rows either way; a key taken
        meanwhile by another stream fails the chunk as ALREADY_EXISTS either way (the kit
        translates the driver's error as Database.transaction does)."""
        rows = [
            (sql, params)
            for sql, params in (
                (INSERT_DOCUMENT, document_rows(self.documents)),
                (INSERT_ENTRY, entry_rows(self.entries)),
            )
            if params
        ]
        if not audit.append_and_commit(repo.s, self.events, rows):
            self.write_rows(repo)
            audit.append_many(repo.s, self.events)
        self.documents.clear()
        self.entries.clear()


class DocumentUseCases(UseCaseBase):
    def submit(self, form: Mapping[str, Any], request_id: str) -> Outcome:
        """One document: bad input is INVALID_ARGUMENT (nothing stored)."""
        principal = current_principal()
        checks = Violations()
        key = checks.check(request_key, request_id) or ""
        document = checks.check(domain.validate_document, form)
        checks.raise_if_any()
        assert document is not None
        scope = self._own_scope(principal, "SubmitDocument")
        residents = self._match(document, {})
        name = self.names(principal.tenant_id)  # before the transaction; kept a while
        with self._unit() as repo:
            if claim(repo.s, key) and (earlier := repo.document_by_request(key)):
                return Outcome(
                    "UNCHANGED", 0, earlier.source_system, earlier.source_document_id,
                    earlier.version, f"documents/{earlier.doc_id}",
                )  # fmt: skip
            outcome = self._store(repo, principal, scope, name, document, residents, key)
            if outcome.outcome == "REJECTED":  # rolls the request id back too
                raise AlreadyExists(outcome.description, reason=outcome.reason)
            return outcome

    def submit_many(self, forms: Iterable[Mapping[str, Any] | RhipError]) -> list[Outcome]:
        """A stream: at most ``max_stream_documents`` (more: INVALID_ARGUMENT, nothing
        stored); every document answered, the bad ones rejected with their reason."""
        principal = current_principal()
        scope = self._own_scope(principal, "SubmitDocuments")
        limit = self.options.max_stream_documents
        items: list[Mapping[str, Any] | RhipError] = []
        outcomes: dict[int, Outcome] = {}
        valid: list[tuple[int, Document]] = []
        # Each document validated as it arrives (validation only reads it: nothing is stored
        # before the whole stream is in), while the next ones are on their way.
        for index, item in enumerate(forms):
            items.append(item)
            if len(items) > limit:
                check_count(items, limit, "documents")
            if isinstance(item, RhipError):
                outcomes[index] = _rejected(index, {}, item)
                continue
            try:
                valid.append((index, domain.validate_document(item)))
            except InvalidArgument as error:
                outcomes[index] = _rejected(index, item, error)
        # Every distinct identifier of the stream at once, before anything is stored (as
        # before: a lookup failing otherwise than on the identifier fails the stream).
        lookups = self.identity.lookup_many(i for _, d in valid for i in d.identifiers)
        ready: list[tuple[int, Document, set[str]]] = []
        for index, document in valid:
            try:
                ready.append((index, document, self._match(document, lookups)))
            except InvalidArgument as error:
                outcomes[index] = _rejected(index, items[index], error)  # type: ignore[arg-type]
        name = self.names(principal.tenant_id) if ready else ""  # once for the stream
        for start in range(0, len(ready), CHUNK):
            with self._unit() as repo:
                chunk = ready[start : start + CHUNK]
                stored = self._store_chunk(repo, principal, scope, name, chunk, "", commit=True)
                for (index, *_), outcome in zip(chunk, stored, strict=True):
                    outcomes[index] = outcome
        return [outcomes[i] for i in range(len(items))]

    # -- matching, storing ------------------------------------------------------------------
    def _match(self, document: Document, lookups: Lookups) -> set[str]:
        """The residents the document's identity documents name in the index, as the caller
        sees it: never a name, never a guess. ``lookups`` holds identity's answers known
        already; the others are asked now (and kept)."""
        found = set()
        for i, identifier in enumerate(document.identifiers):
            if identifier not in lookups:
                lookups.update(self.identity.lookup_many([identifier]))
            answer = lookups[identifier]
            if isinstance(answer, InvalidArgument):
                detail = answer.violations[0].description if answer.violations else answer.message
                raise invalid(
                    f"document.patient_identifiers[{i}].document.number", detail, answer.reason
                ) from None
            if isinstance(answer, RhipError):
                raise answer
            if answer:
                found.add(answer)
        return found

    def _store(
        self,
        repo: EmrRepository,
        principal: Principal,
        scope: str,
        tenant_name: str,
        document: Document,
        residents: set[str],
        key: str,
    ) -> Outcome:
        """One document in the caller's transaction (its audit event written with it)."""
        (outcome,) = self._store_chunk(
            repo, principal, scope, tenant_name, [(0, document, residents)], key
        )
        return outcome

    def _store_chunk(
        self,
        repo: EmrRepository,
        principal: Principal,
        scope: str,
        tenant_name: str,
        entries: list[tuple[int, Document, set[str]]],
        key: str,
        *,
        commit: bool = False,
    ) -> list[Outcome]:
        """Decide and write ``entries`` in stream order, in the caller's transaction; with
        ``commit``, committing it (nothing may follow in it)."""
        tenant = principal.tenant_id
        sources = {(d.source_system, d.document_id) for _, d, _ in entries}
        chunk = _Chunk(
            repo.known_versions(tenant, sources),
            repo.parked_keys(tenant, sources),
            repo.lab_mappings(tenant, sorted({c for _, d, _ in entries for c in d.lab_codes})),
            tenant_name,
        )
        outcomes = [
            self._decide(repo, chunk, tenant, scope, document, residents, index, key)
            for index, document, residents in entries
        ]
        if commit:
            chunk.write_and_commit(repo)
        else:
            chunk.write_rows(repo)
            audit.append_many(repo.s, chunk.events)
        return outcomes

    def _decide(
        self,
        repo: EmrRepository,
        chunk: _Chunk,
        tenant: str,
        scope: str,
        document: Document,
        residents: set[str],
        index: int,
        key: str,
    ) -> Outcome:
        system, source_id, version = document.key
        said: dict[str, Any] = {
            "index": index,
            "source_system": system,
            "document_id": source_id,
            "version": version,
        }
        versions = chunk.known.setdefault((system, source_id), [])
        same = next((v for v in versions if v.version == version), None)
        if same is not None:
            if same.content_hash != document.content_hash:
                return Outcome(
                    "REJECTED", **said, name=f"documents/{same.doc_id}", reason="VERSION_CONFLICT",
                    field="document.version",
                    description="this version was received before with other content: send a higher version",
                )  # fmt: skip
            return Outcome("UNCHANGED", **said, name=f"documents/{same.doc_id}")
        parked_id = chunk.parked.get(document.key)
        if parked_id is not None:
            return Outcome(
                "PARKED", **said, name=f"parkedDocuments/{parked_id}", reason="PARKED_BEFORE"
            )
        now = self.clock()
        if len(residents) != 1:
            reason = "PATIENT_UNKNOWN" if not residents else "PATIENT_AMBIGUOUS"
            item = ParkedDocument(
                new_id(), tenant, scope, system, source_id, version, document.kind, reason, now
            )
            sealed = self.vault.seal(
                json.dumps(
                    [[i.doc_type, i.number, i.issuing_country] for i in document.identifiers]
                ),
                f"emr.parked/{item.parked_id}",
            )
            effective = {"effective_time": document.effective_time.isoformat()}
            repo.park(item, {**document.body, **effective}, sealed)
            chunk.parked[document.key] = item.parked_id
            name = f"parkedDocuments/{item.parked_id}"
            chunk.events.append(
                audit.AuditEvent("document.park", name, scope, detail={"reason": reason})
            )
            return Outcome("PARKED", **said, name=name, reason=reason)
        (resident_id,) = residents
        newest = versions[0] if versions else None
        current = newest is None or version > newest.version
        stored = StoredDocument(
            new_id(), newest.doc_id if newest else new_id(), tenant, scope, system, source_id,
            version, document.kind, resident_id, document.effective_time, current,
            document.content_hash, _mapped(document, chunk.mappings), now,
        )  # fmt: skip
        if newest is not None and current:  # the one current version of the document
            chunk.write_rows(repo)  # the version it supersedes may be waiting to be written
            repo.retire_current(stored.doc_id)
        chunk.documents.append((stored, key))
        versions.append(Known(version, stored.doc_id, document.content_hash))
        versions.sort(key=lambda v: v.version, reverse=True)
        name = f"documents/{stored.doc_id}"
        if newest is None:
            chunk.entries.append(
                TimelineEntry(
                    new_id(), resident_id, document.effective_time, "emr",
                    document.kind.value, name, tenant, scope,
                    tenant_name=chunk.tenant_name, clinical_date=document.clinical_date,
                )
            )  # fmt: skip
        outcome = "STORED" if newest is None else "SUPERSEDED" if current else "STORED_AS_HISTORY"
        chunk.events.append(
            audit.AuditEvent(
                "document.submit", f"{name}/versions/{version}", scope,
                detail={"resident": resident_id, "outcome_kind": outcome},
            )
        )  # fmt: skip
        return Outcome(outcome, **said, name=name)


def _mapped(document: Document, mappings: Mapping[str, tuple[str, int]]) -> dict[str, Any]:
    """The body with each lab item's LOINC code and the terminology version it came from,
    where the institution's table maps the local code (§6.3); unmapped items keep only their
    local code. ``mappings`` may hold other documents' codes too."""
    if not any(code in mappings for code in document.lab_codes):
        return document.body
    results = []
    for item in document.body["results"]:
        loinc, version = mappings.get(item["local_code"], ("", 0))
        results.append({**item, "loinc_code": loinc, "terminology_version": version})
    return {**document.body, "results": results}
