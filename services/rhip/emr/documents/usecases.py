"""Reading documents (issue 16): the custodian's own, an auditor's of its region, or another
institution's with a basis; the institution's parked queue and its lab terminology table.
Ingest is rhip.emr.documents.ingest."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rhip.emr.access import ALL_KINDS, Basis
from rhip.emr.documents import domain
from rhip.emr.documents.domain import DocumentKind, ParkedDocument, StoredDocument
from rhip.emr.documents.ingest import DocumentUseCases, Outcome
from rhip.emr.documents.store import sort_key
from rhip.emr.repository import EmrRepository
from rhip.emr.roles import EMR
from rhip.kit.audit import access_basis
from rhip.kit.authn import Principal, current_principal
from rhip.kit.errors import RhipError, Violations, invalid
from rhip.kit.idempotency import claim, request_key
from rhip.kit.pagination import Page, foreign_page_token
from rhip.kit.requests import parse_resource_name

__all__ = ["DocumentUseCases", "Outcome", "ReadUseCases", "Refused"]

OWN = Basis("own", frozenset())  # a read of the caller's own documents only


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
    ) -> Basis:
        """The basis on which the caller reads ``doc`` (the survivor's too, while the doc's
        resident is merged into another: rhip.emr.reading); PERMISSION_DENIED without one."""
        if self.authz.enforce(principal.subject, doc.scope_path, EMR + method):
            own = principal.tenant_id == doc.custodian_tenant_id
            return Basis("custodian" if own else access_basis(principal), ALL_KINDS)
        basis = self.basis_for(repo, principal, doc.resident_id, method, doc.kind)  # type: ignore[attr-defined]
        if basis is None or doc.kind not in basis.kinds:
            raise Refused(doc, self.authz.denial(principal, EMR + method))
        if basis.break_glass_id:
            repo.count_use(basis.break_glass_id)
        return basis

    def _load(
        self, repo: EmrRepository, principal: Principal, name: str, method: str, field: str
    ) -> tuple[StoredDocument, Basis]:
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
                repo, "document.read", name, doc.scope_path, resident=doc.resident_id,
                **basis.audited(doc.resident_id),
            )  # fmt: skip
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
                **basis.audited(doc.resident_id),
            )  # fmt: skip
        chunk = found[: page.size]
        last = str(chunk[-1].version) if chunk else None
        return chunk, page.next_token(last, len(found) > page.size)

    def open_kinds(
        self,
        repo: EmrRepository,
        principal: Principal,
        resident_id: str,
        method: str,
        asked: dict[str, str] | None = None,
    ) -> tuple[frozenset[DocumentKind] | None, Basis]:
        """What a list shows beyond the caller's own scopes: the kinds its basis opens (None:
        every document, the caller reads the whole cell), and the basis for the audit.
        ``asked``: as for ``basis_for``."""
        if self.authz.enforce(principal.subject, self.cell_path, EMR + method):
            return None, Basis(access_basis(principal), ALL_KINDS)
        if not repo.documents_elsewhere(resident_id, self._scopes(principal, method)):
            # Nothing of another institution to open: the basis (consents, break-glass, and the
            # care relationships asked over gRPC of archives, identity and referral — most of
            # a timeline page's time) is not asked, and the read is audited as the caller's own.
            return frozenset(), OWN
        basis = self.basis_for(repo, principal, resident_id, method, asked=asked)  # type: ignore[attr-defined]
        if basis is None:
            return frozenset(), OWN
        if basis.break_glass_id:
            repo.count_use(basis.break_glass_id)
        return basis.kinds, basis

    def open_kinds_shown(
        self, repo: EmrRepository, principal: Principal, resident_id: str, method: str,
        action: str, target: str, scope: str, **nothing: object,
    ) -> tuple[dict[str, frozenset[DocumentKind] | None], dict[str, object]] | None:  # fmt: skip
        """``open_kinds`` for the resident and each resident merged into it while the merges
        stand (rhip.emr.timeline.merge_store.Shown), asking a care relationship once per
        resident, and the audit detail of a read of them all: the basis of the resident's own
        documents, and for each merged resident the basis its documents were read on
        (``merged_residents``) and whose basis that was where it was not the merged resident's
        own (``basis_residents``: the survivor's, usually). None when the resident is itself
        merged into another: its documents are the survivor's, read there; the read is then
        audited here as ``action`` of nothing (``merged_into``, and ``nothing``'s counts)."""
        shown = repo.shown_residents(resident_id)
        if not shown.residents:
            self._audit(
                repo, action, target, scope, "OK", resident=resident_id,
                merged_into=shown.merged_into, **nothing,
            )  # fmt: skip
            return None
        residents = shown.residents
        kinds: dict[str, frozenset[DocumentKind] | None] = {}
        bases: dict[str, Basis] = {}
        asked: dict[str, str] = {}
        for rid in residents:
            kinds[rid], bases[rid] = self.open_kinds(repo, principal, rid, method, asked)
        first, others = residents[0], residents[1:]
        detail: dict[str, object] = {**bases[first].audited(first)}
        if others:
            detail["merged_residents"] = {r: bases[r].label for r in others}
            borrowed = {r: bases[r].audited(r).get("basis_resident") for r in others}
            if any(borrowed.values()):
                detail["basis_residents"] = {r: w for r, w in borrowed.items() if w}
        return kinds, detail

    def list_documents(
        self, parent: str, kind: DocumentKind | None, page: Page
    ) -> tuple[list[StoredDocument], str]:
        """A resident's current documents the caller reads. A survivor of identity's merges
        lists those of every resident merged into it too, while the merges stand, each by the
        caller's basis for its own resident (rhip.emr.reading); a resident merged into another
        lists none, as its timeline shows none: its documents are the survivor's (each still
        read by its name, GetDocument). After an undo each list is its resident's own again."""
        principal = current_principal()
        resident_id = self._visible_resident(principal, parent, "ListDocuments")
        scopes = self._scopes(principal, "ListDocuments")
        with self._unit(durable=False) as repo:
            opened = self.open_kinds_shown(
                repo, principal, resident_id, "ListDocuments", "document.list", parent,
                scopes[0], hits=0,
            )  # fmt: skip
            if opened is None:
                return [], ""
            kinds, detail = opened
            found = repo.resident_documents(kinds, scopes, kind, page.after, page.size + 1)
            chunk = found[: page.size]
            self._audit(
                repo, "document.list", parent, scopes[0], "OK", resident=resident_id,
                hits=len(chunk), **detail,
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
