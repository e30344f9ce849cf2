"""Ingest from hospital systems (issue 16): one document or a stream of them from the
caller's institution, idempotent by (source system, document id, version), a higher version
superseding and the earlier ones kept as history; the patient matched through identity's
resident index by identity document only (unknown or ambiguous: parked in the institution's
review queue); lab items mapped to LOINC through the institution's versioned terminology
table when a mapping exists. In a stream, a bad document is rejected with its reason and the
others are stored."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rhip.emr.access import UseCaseBase
from rhip.emr.documents import domain
from rhip.emr.documents.domain import (
    Document,
    DocumentKind,
    Identifier,
    ParkedDocument,
    StoredDocument,
)
from rhip.emr.documents.store import sort_key
from rhip.emr.repository import EmrRepository
from rhip.emr.roles import EMR
from rhip.emr.timeline.store import TimelineEntry
from rhip.kit.audit import access_basis
from rhip.kit.authn import Principal, current_principal
from rhip.kit.errors import AlreadyExists, InvalidArgument, RhipError, Violations, invalid
from rhip.kit.idempotency import claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page, foreign_page_token
from rhip.kit.requests import check_count, parse_resource_name

CHUNK = 200  # documents of a stream per transaction (each in a savepoint of its own)


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
        with self._unit() as repo:
            if claim(repo.s, key) and (earlier := repo.document_by_request(key)):
                return Outcome(
                    "UNCHANGED", 0, earlier.source_system, earlier.source_document_id,
                    earlier.version, f"documents/{earlier.doc_id}",
                )  # fmt: skip
            outcome = self._store(repo, principal, scope, document, residents, 0, key)
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
        for item in forms:
            items.append(item)
            if len(items) > limit:
                check_count(items, limit, "documents")
        outcomes: dict[int, Outcome] = {}
        ready: list[tuple[int, Document, set[str]]] = []
        cache: dict[Identifier, str | None] = {}
        for index, item in enumerate(items):
            if isinstance(item, RhipError):
                outcomes[index] = _rejected(index, {}, item)
                continue
            try:
                document = domain.validate_document(item)
                ready.append((index, document, self._match(document, cache)))
            except InvalidArgument as error:
                outcomes[index] = _rejected(index, item, error)
        for start in range(0, len(ready), CHUNK):
            with self._unit() as repo:
                for index, document, residents in ready[start : start + CHUNK]:
                    with repo.s.begin_nested():
                        outcomes[index] = self._store(
                            repo, principal, scope, document, residents, index, ""
                        )
        return [outcomes[i] for i in range(len(items))]

    # -- matching, storing ------------------------------------------------------------------
    def _match(self, document: Document, cache: dict[Identifier, str | None]) -> set[str]:
        """The residents the document's identity documents name in the index, as the caller
        sees it: never a name, never a guess."""
        found = set()
        for i, identifier in enumerate(document.identifiers):
            if identifier not in cache:
                try:
                    cache[identifier] = self.identity.lookup(identifier)
                except InvalidArgument as error:
                    detail = error.violations[0].description if error.violations else error.message
                    raise invalid(
                        f"document.patient_identifiers[{i}].document.number", detail, error.reason
                    ) from None
            if cache[identifier]:
                found.add(cache[identifier])
        return found  # type: ignore[return-value]

    def _store(
        self,
        repo: EmrRepository,
        principal: Principal,
        scope: str,
        document: Document,
        residents: set[str],
        index: int,
        key: str,
    ) -> Outcome:
        tenant = principal.tenant_id
        system, source_id, version = document.key
        said: dict[str, Any] = {
            "index": index,
            "source_system": system,
            "document_id": source_id,
            "version": version,
        }
        versions = repo.versions_of(tenant, system, source_id)
        same = next((v for v in versions if v.version == version), None)
        if same is not None:
            if same.content_hash != document.content_hash:
                return Outcome(
                    "REJECTED", **said, name=f"documents/{same.doc_id}", reason="VERSION_CONFLICT",
                    field="document.version",
                    description="this version was received before with other content: send a higher version",
                )  # fmt: skip
            return Outcome("UNCHANGED", **said, name=f"documents/{same.doc_id}")
        parked_id = repo.parked_as(tenant, system, source_id, version)
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
            self._audit(
                repo, "document.park", f"parkedDocuments/{item.parked_id}", scope, reason=reason
            )
            return Outcome(
                "PARKED", **said, name=f"parkedDocuments/{item.parked_id}", reason=reason
            )
        (resident_id,) = residents
        body = self._mapped(repo, tenant, document)
        newest = versions[0] if versions else None
        current = newest is None or version > newest.version
        stored = StoredDocument(
            new_id(), newest.doc_id if newest else new_id(), tenant, scope, system, source_id,
            version, document.kind, resident_id, document.effective_time, current,
            document.content_hash, body, now,
        )  # fmt: skip
        repo.add_document(stored, key)
        name = f"documents/{stored.doc_id}"
        if newest is None:
            repo.add_entry(
                TimelineEntry(
                    new_id(),
                    resident_id,
                    document.effective_time,
                    "emr",
                    document.kind.value,
                    name,
                    tenant,
                    scope,
                )
            )
        outcome = "STORED" if newest is None else "SUPERSEDED" if current else "STORED_AS_HISTORY"
        self._audit(
            repo, "document.submit", f"{name}/versions/{version}", scope,
            resident=resident_id, outcome_kind=outcome,
        )  # fmt: skip
        return Outcome(outcome, **said, name=name)

    def _mapped(self, repo: EmrRepository, tenant: str, document: Document) -> dict[str, Any]:
        """The body with each lab item's LOINC code and the terminology version it came from,
        where the institution's table maps the local code (§6.3); unmapped items keep only
        their local code."""
        mappings = repo.lab_mappings(tenant, document.lab_codes)
        if not mappings:
            return document.body
        results = []
        for item in document.body["results"]:
            loinc, version = mappings.get(item["local_code"], ("", 0))
            results.append({**item, "loinc_code": loinc, "terminology_version": version})
        return {**document.body, "results": results}


class Refused(Exception):
    """A read refused for want of a basis: audited once the read's transaction is over."""

    def __init__(self, doc: StoredDocument, error: RhipError) -> None:
        super().__init__(error.message)
        self.doc = doc
        self.error = error


class ReadUseCases(DocumentUseCases):
    """Reads: the custodian's own, an auditor's of its region, or another institution's with
    a basis (rhip.emr.reading); every read audited with its basis."""

    def _readable(
        self, repo: EmrRepository, principal: Principal, doc: StoredDocument, method: str
    ) -> str:
        """The basis on which the caller reads ``doc``; PERMISSION_DENIED without one."""
        if self.authz.enforce(principal.subject, doc.scope_path, EMR + method):
            return (
                "custodian"
                if principal.tenant_id == doc.custodian_tenant_id
                else access_basis(principal)
            )
        basis = self.basis_for(repo, principal, doc.resident_id, method)  # type: ignore[attr-defined]
        if basis is None or doc.kind not in basis.kinds:
            raise Refused(doc, self.authz.denial(principal, EMR + method))
        if basis.break_glass_id:
            repo.count_use(basis.break_glass_id)
        return basis.label

    def _load(self, repo: EmrRepository, principal: Principal, name: str, method: str, field: str):
        parts = name.split("/")
        version = None
        if len(parts) == 4 and parts[2] == "versions" and parts[3].isdigit() and len(parts[3]) <= 7:
            version = int(parts[3])
        elif len(parts) != 2:
            raise invalid(field, "must look like documents/{id}[/versions/{n}]", "RESOURCE_NAME")
        doc_id = parse_resource_name("/".join(parts[:2]), "documents", field)
        doc = repo.get_document(doc_id, version)
        if doc is None:
            self.authz.require_found(
                principal, None, EMR + method, self.cell_path, f"{name} does not exist"
            )
        assert doc is not None
        return doc, self._readable(repo, principal, doc, method)

    @contextmanager
    def _refusals_audited(self) -> Iterator[None]:
        """A refused read of a document is audited too (``DENIED``), in a transaction of its
        own after the read's, which rolled back."""
        try:
            yield
        except Refused as refused:
            doc = refused.doc
            with self._unit(durable=False) as repo:
                self._audit(
                    repo, "document.read", f"documents/{doc.doc_id}", doc.scope_path, "DENIED",
                    resident=doc.resident_id, basis="none",
                )  # fmt: skip
            raise refused.error from None

    def get_document(self, name: str) -> StoredDocument:
        principal = current_principal()
        with self._refusals_audited(), self._unit(durable=False) as repo:
            doc, basis = self._load(repo, principal, name, "GetDocument", "name")
            self._audit(
                repo, "document.read", name, doc.scope_path, resident=doc.resident_id, basis=basis
            )
            return doc

    def versions(self, parent: str, page: Page) -> tuple[list[StoredDocument], str]:
        principal = current_principal()
        below = None
        if page.after is not None:
            if not page.after.isdigit() or len(page.after) > 7:
                raise foreign_page_token()
            below = int(page.after)
        with self._refusals_audited(), self._unit(durable=False) as repo:
            doc, basis = self._load(repo, principal, parent, "ListDocumentVersions", "parent")
            found = repo.document_versions(doc.doc_id, below, page.size + 1)
            self._audit(
                repo, "document.versions", parent, doc.scope_path, resident=doc.resident_id,
                basis=basis,
            )  # fmt: skip
        chunk = found[: page.size]
        last = str(chunk[-1].version) if chunk else None
        return chunk, page.next_token(last, len(found) > page.size)

    def open_kinds(
        self, repo: EmrRepository, principal: Principal, resident_id: str, method: str
    ) -> tuple[frozenset[DocumentKind] | None, str]:
        """What a list shows beyond the caller's own scopes: the kinds its basis opens (None:
        every document, the caller reads the whole cell), and the basis for the audit."""
        if self.authz.enforce(principal.subject, self.cell_path, EMR + method):
            return None, access_basis(principal)
        basis = self.basis_for(repo, principal, resident_id, method)  # type: ignore[attr-defined]
        if basis is None:
            return frozenset(), "own"
        if basis.break_glass_id:
            repo.count_use(basis.break_glass_id)
        return basis.kinds, basis.label

    def list_documents(
        self, parent: str, kind: DocumentKind | None, page: Page
    ) -> tuple[list[StoredDocument], str]:
        principal = current_principal()
        resident_id = self._visible_resident(principal, parent, "ListDocuments")
        scopes = self._scopes(principal, "ListDocuments")
        with self._unit(durable=False) as repo:
            kinds, basis = self.open_kinds(repo, principal, resident_id, "ListDocuments")
            found = repo.resident_documents(
                resident_id, scopes, kinds, kind, page.after, page.size + 1
            )
            chunk = found[: page.size]
            self._audit(
                repo, "document.list", parent, scopes[0], resident=resident_id, basis=basis,
                hits=len(chunk),
            )  # fmt: skip
        last = sort_key(chunk[-1].effective_time, chunk[-1].row_id) if chunk else None
        return chunk, page.next_token(last, len(found) > page.size)

    def parked(self, parent: str, page: Page) -> tuple[list[ParkedDocument], str]:
        principal = current_principal()
        scope = self._own_tenant_parent(principal, parent, "ListParkedDocuments")
        with self._unit(durable=False) as repo:
            found = repo.parked_documents(scope, page.after, page.size + 1)
            self._audit(repo, "document.parked_list", parent, scope, hits=len(found[: page.size]))
        chunk = found[: page.size]
        return chunk, page.next_token(
            chunk[-1].parked_id if chunk else None, len(found) > page.size
        )

    def set_lab_mapping(
        self, parent: str, local_code: str, loinc: str, request_id: str
    ) -> tuple[str, str, str, int]:
        principal = current_principal()
        checks = Violations()
        key = checks.check(request_key, request_id) or ""
        if not domain.LOCAL_CODE.match(local_code):
            checks.add("mapping.local_code", "must be 1–40 of A-Z a-z 0-9 . _ : -", "LOCAL_CODE")
        if not domain.LOINC_CODE.match(loinc):
            checks.add("mapping.loinc_code", "must be a LOINC code like 2345-7", "LOINC_CODE")
        checks.check(parse_resource_name, parent, "tenants", "parent")
        checks.raise_if_any()
        scope = self._own_tenant_parent(principal, parent, "SetLabCodeMapping")
        with self._unit() as repo:
            if claim(repo.s, key) and (earlier := repo.lab_mapping_by_request(key)):
                return (parent, *earlier)
            version = repo.add_lab_mapping(
                principal.tenant_id, local_code, loinc, self.clock(), key
            )
            self._audit(
                repo, "terminology.map", f"{parent}/labCodeMappings/{local_code}", scope,
                version=version,
            )  # fmt: skip
            return parent, local_code, loinc, version
