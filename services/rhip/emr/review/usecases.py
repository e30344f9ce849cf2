"""The institution's review queue (issue 16): a document parked for an unknown or ambiguous
patient is stored once a clinician of its institution names the resident, found in the
resident index as the caller sees it (never guessed by the platform)."""

from __future__ import annotations

from datetime import datetime

from rhip.emr.documents import domain
from rhip.emr.documents.domain import Document
from rhip.emr.documents.usecases import Outcome, ReadUseCases
from rhip.emr.roles import EMR
from rhip.kit.authn import current_principal
from rhip.kit.errors import Violations
from rhip.kit.requests import parse_resource_name


class ReviewUseCases(ReadUseCases):
    def resolve_parked(self, name: str, resident: str) -> Outcome:
        principal = current_principal()
        checks = Violations()
        parked_id = checks.check(parse_resource_name, name, "parkedDocuments") or ""
        checks.check(parse_resource_name, resident, "residents", "resident")
        checks.raise_if_any()
        method = "ResolveParkedDocument"
        with self._unit(durable=False) as repo:
            found = repo.parked_body(parked_id)
        self.authz.require_found(
            principal, found[0].scope_path if found else None, EMR + method, self.cell_path,
            f"{name} does not exist",
        )  # fmt: skip
        assert found is not None
        item, body = found
        if principal.tenant_id != item.custodian_tenant_id:
            raise self.authz.denial(principal, EMR + method)
        resident_id = self._visible_resident(principal, resident, method, field="resident")
        effective = datetime.fromisoformat(body.pop("effective_time"))
        document = Document(
            item.kind, item.source_system, item.source_document_id, item.version, effective,
            body,
            content_hash=domain.content_hash(
                item.kind, item.source_system, item.source_document_id, item.version,
                effective, body,
            ),
            lab_codes=tuple(sorted({r["local_code"] for r in body.get("results", [])})),
        )  # fmt: skip
        custodian = self.names(principal.tenant_id)  # the caller's own institution
        with self._unit() as repo:
            if repo.parked_body(parked_id) is None:  # resolved meanwhile
                raise self.authz.denial(principal, EMR + method)
            repo.unpark(parked_id)
            outcome = self._store(
                repo, principal, item.scope_path, custodian, document, {resident_id}, ""
            )
            self._audit(repo, "document.resolve", name, item.scope_path, resident=resident_id)
            return outcome
