"""Resident master index use cases: register (registration.py), find, read, update, verify,
link a birth certificate, record death. Who may see what: access.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from rhip.identity.links.store import LinkRepository, announce_later
from rhip.identity.residents.certificate_links import BirthCertificateLinks
from rhip.identity.residents.change_store import publish
from rhip.identity.residents.documents import DocumentType, Sex, lookup_key, parse_document
from rhip.identity.residents.domain import (
    ETHNICITY_CODES,
    Candidate,
    ChangeKind,
    Demographics,
    Holder,
    Resident,
    ResidentState,
    check_demographics,
    normalise_name,
    rank,
    score_candidate,
    surname_prefix,
    validate_address,
    validate_name,
    validate_phone,
)
from rhip.identity.residents.store import DocumentTaken
from rhip.kit.authn import current_principal
from rhip.kit.errors import (
    Aborted,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    Violations,
    invalid,
)
from rhip.kit.history import ResourceEvent
from rhip.kit.pagination import Page
from rhip.kit.requests import check_count, check_update_mask
from rhip.kit.timestamps import clinical_day, parse_iso_date

UPDATABLE_FIELDS = (
    "display_name", "phone", "region_code", "address", "ethnicity", "residence_type",
)  # fmt: skip

SEARCH_CANDIDATE_LIMIT = 200
MAX_LOOKUPS = 1000  # documents of one LookupResidents call


def _itemised(error: InvalidArgument, prefix: str) -> InvalidArgument:
    """A document's INVALID_ARGUMENT with its fields under ``prefix`` (``documents[3]``)."""
    first = error.violations[0] if error.violations else None
    field = f"{prefix}.{first.field}" if first else prefix
    return invalid(field, first.description if first else error.message, error.reason)


def parse_date(text: str, field: str) -> date | None:
    if not text:
        return None
    return parse_iso_date(text, field)  # strict YYYY-MM-DD in a sane range


class ResidentUseCases(BirthCertificateLinks):
    # -- reads -------------------------------------------------------------------------------
    def get(self, name: str) -> Resident:
        with self.reading() as repo:
            resident = self.load(repo, name, "GetResident")
            resident = replace(
                resident, links=tuple(LinkRepository(repo.s).links_of(resident.resident_id))
            )
        self.audit_read("resident.read", resident)
        return resident

    def lookup(
        self, doc_type: DocumentType | None, number: str, issuing_country: str, name: str = ""
    ) -> Resident:
        """Exact lookup by keyed hash. Unknown and invisible look alike (NOT_FOUND): the
        answer must not tell whether another region holds the document. With ``name`` the
        holder must also carry that name, compared as registration compares it
        (``_join_existing``): another name looks like an unknown document too, so the caller
        cannot tell a wrong name from a missing resident."""
        principal = current_principal()
        roots = self.roots(principal, "LookupResident")
        if name:
            name = validate_name(name, "display_name")
        document = parse_document(
            doc_type, number, today=clinical_day(self.clock()), issuing_country=issuing_country
        )
        key = self.vault.lookup_hash(
            lookup_key(document.doc_type, document.number, document.issuing_country)
        )
        with self.reading() as repo:
            found, seen = repo.get_visible(roots, lookup_hash=key)
        resident = found if seen else None
        if resident is not None and name and resident.name_key != normalise_name(name):
            resident = None
        self.audit_read("resident.lookup", resident, "residents", "OK" if resident else "NOT_FOUND")
        if resident is None:
            raise NotFound("no resident you may see holds this document")
        return resident

    def lookup_many(
        self, documents: Sequence[tuple[DocumentType | None, str, str]]
    ) -> list[Holder | InvalidArgument | None]:
        """``lookup`` of each (type, number, issuing country) in one call: the resident the
        caller may see, None (unknown or invisible alike), or the document's own
        INVALID_ARGUMENT. Each is audited as ``lookup`` audits it, all in one audit commit,
        which is what a hospital system's bulk send waited for one by one; the holders of
        the whole batch are read in one query (``holders_visible``)."""
        principal = current_principal()
        roots = self.roots(principal, "LookupResidents")
        check_count(documents, MAX_LOOKUPS, "documents")
        today = clinical_day(self.clock())
        keys: list[str | InvalidArgument] = []
        for i, (doc_type, number, country) in enumerate(documents):
            try:
                document = parse_document(doc_type, number, today=today, issuing_country=country)
            except InvalidArgument as error:
                keys.append(_itemised(error, f"documents[{i}]"))
                continue
            keys.append(
                self.vault.lookup_hash(
                    lookup_key(document.doc_type, document.number, document.issuing_country)
                )
            )
        with self.reading() as repo:
            holders = repo.holders_visible(roots, [k for k in keys if isinstance(k, str)])
        found = [k if isinstance(k, InvalidArgument) else holders.get(k) for k in keys]
        self.audit_each_read(
            [
                ("resident.lookup", r, "residents", "OK" if r else "NOT_FOUND")
                for r in found
                if not isinstance(r, InvalidArgument)
            ]
        )
        return found

    def search(
        self, name: str, birth_date_text: str, sex: Sex | None, limit: int
    ) -> list[Candidate]:
        principal = current_principal()
        roots = self.roots(principal, "SearchResidents")
        checks = Violations()
        name = checks.check(validate_name, name, "display_name") or ""
        born = checks.check(parse_date, birth_date_text, "birth_date")
        if limit < 0:
            checks.add("page_size", "must not be negative", "PAGE_SIZE_NEGATIVE")
        checks.raise_if_any()
        key = normalise_name(name)
        with self.reading() as repo:
            rows = repo.candidates(key, surname_prefix(key), born, roots, SEARCH_CANDIDATE_LIMIT)
        ranked = rank([score_candidate(r, key, born, sex) for r in rows], min(limit or 10, 50))
        self.audit_reads("resident.search", [c.resident for c in ranked])
        return ranked

    def history(self, name: str, page: Page) -> tuple[list[ResourceEvent], str]:
        with self.reading() as repo:
            resident = self.load(repo, name, "ListResidentEvents", field="parent")
            events, token = repo.history(resident.resident_id, page)
        self.audit_read("resident.history", resident)
        return events, token

    # -- changes -----------------------------------------------------------------------------
    def update(self, name: str, stated: Demographics, mask: Sequence[str], etag: str) -> Resident:
        """Contact and residence details change; the document-derived facts (sex, birth date)
        do not. The etag guards against lost updates."""
        principal = current_principal()
        checks = Violations()
        check_update_mask(checks, mask, UPDATABLE_FIELDS)
        updates: dict[str, Any] = {}
        if "display_name" in mask:
            updates["name"] = checks.check(validate_name, stated.name, "resident.display_name")
        if "phone" in mask:
            updates["phone"] = checks.check(validate_phone, stated.phone, "resident.phone")
        if "address" in mask:
            updates["address"] = checks.check(validate_address, stated.address, "resident.address")
        if "ethnicity" in mask:
            if stated.ethnicity and stated.ethnicity not in ETHNICITY_CODES:
                checks.add("resident.ethnicity", "must be a GB 3304 code", "ETHNICITY")
            updates["ethnicity"] = stated.ethnicity
        if "residence_type" in mask:
            updates["residence_type"] = stated.residence_type
        checks.raise_if_any()
        now = self.clock()
        with self.unit() as repo:
            roots = self.roots(principal, "UpdateResident")
            resident = self.load(repo, name, "UpdateResident", field="resident.name", lock=True)
            resident.require_living("update the resident")
            if etag and etag != resident.etag:
                raise Aborted(
                    "the resident was changed by someone else; re-read it", reason="ETAG_MISMATCH"
                )
            if "region_code" in mask:
                updates["region_code"] = stated.region_code
                # Like a registration: a tenant's staff may record a move anywhere in the cell
                # (their tenant keeps its enrolment); an administrator only within reach.
                _, scope = self._enrolling_tenant(principal, "")
                updates["home_path"] = self._home(
                    stated.region_code, "resident.region_code", roots, scope
                )
            updated = replace(resident, **updates, update_time=now, version=resident.version + 1)
            repo.save(updated, resident.version)
            repo.record(
                resident.resident_id, "UPDATED", principal.subject, now, fields=sorted(mask)
            )
            self.audit_change(repo, "resident.update", updated, fields=sorted(mask))
            return updated

    def verify_identity(
        self,
        name: str,
        doc_type: DocumentType | None,
        number: str,
        issuing_country: str,
        sex_override_reason: str,
    ) -> Resident:
        """A provisional resident (a newborn) gets the ID issued later: verified in place."""
        principal = current_principal()
        today = clinical_day(self.clock())
        now = self.clock()
        with self.unit() as repo:
            resident = self.load(repo, name, "VerifyResidentIdentity", lock=True)
            if resident.state is not ResidentState.PROVISIONAL:
                raise FailedPrecondition(
                    "only a provisional resident is verified", reason="RESIDENT_NOT_PROVISIONAL"
                )
            checks = Violations()
            document = checks.check(
                parse_document, doc_type, number, today=today, issuing_country=issuing_country
            )
            if document is not None and not document.verifies_identity:
                checks.add("document.type", "must be an identity document", "DOCUMENT_TYPE")
            stated = Demographics(resident.name, resident.sex, resident.birth_date)
            _, sex, _ = check_demographics(stated, document, sex_override_reason, today, checks)
            checks.raise_if_any()
            assert document is not None
            key = self.vault.lookup_hash(
                lookup_key(document.doc_type, document.number, document.issuing_country)
            )
            try:
                repo.add_document(
                    resident.resident_id, document.doc_type, document.number, key,
                    issuing_country=document.issuing_country, primary=True,
                    origin="registered", now=now,
                )  # fmt: skip
            except DocumentTaken:
                raise FailedPrecondition(
                    "another resident holds this document: merge the two instead",
                    reason="DOCUMENT_HELD_BY_OTHER",
                ) from None
            verified = replace(
                resident,
                state=ResidentState.VERIFIED,
                sex=sex,
                sex_override_reason=sex_override_reason.strip() if sex is not document.sex else "",
                update_time=now,
                version=resident.version + 1,
            )
            repo.save(verified, resident.version)
            repo.record(
                resident.resident_id, "VERIFIED", principal.subject, now,
                doc_type=document.doc_type.value,
            )  # fmt: skip
            announce_later(repo.s, resident.resident_id, now)  # links across cells (links/)
            self.audit_change(repo, "resident.verify", verified, doc_type=document.doc_type.value)
            verified = replace(verified, documents=tuple(repo.documents(resident.resident_id)))
        self.links_queued()
        return verified

    def mark_deceased(self, name: str, death_date_text: str) -> Resident:
        principal = current_principal()
        now = self.clock()
        with self.unit() as repo:
            resident = self.load(repo, name, "MarkResidentDeceased", lock=True)
            died = parse_date(death_date_text, "death_date")
            if died is None:
                raise invalid("death_date", "must be set", "DEATH_DATE_REQUIRED")
            if died > clinical_day(now):
                raise invalid("death_date", "must not be in the future", "DEATH_DATE_FUTURE")
            if died < resident.birth_date:
                raise invalid("death_date", "is before the birth date", "DEATH_DATE_ORDER")
            if resident.state is ResidentState.DECEASED and resident.death_date == died:
                return resident  # a retry
            resident.require_living("record a death")
            deceased = resident.deceased(died, now)
            repo.save(deceased, resident.version)
            self.on_death(repo, deceased, now)
            repo.record(resident.resident_id, "DECEASED", principal.subject, now)
            publish(  # the cell's change feed: archives terminates the record (docs/domain §2.7)
                repo.s, ChangeKind.DECEASED, resident.resident_id, principal.subject, now,
                death_date=died,
            )  # fmt: skip
            self.audit_change(repo, "resident.deceased", deceased)
            return deceased
