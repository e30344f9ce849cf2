"""Resident master index use cases: register, find, verify, merge, record death.

Who may see a resident: every region at or above where the resident lives (``home_path``)
and every tenant where the resident presented themselves (an enrollment). A practitioner's
reach over the index is their institution's region (a county), not only the institution:
residents move between the clinics of a county. List and search filter in SQL by these roots;
single reads check the resident's own paths. Every read and write is audited without the
document number, the name or the phone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from rhip.identity.directory.domain import parse_resource_name
from rhip.identity.residents.change_store import ChangeKind, publish
from rhip.identity.residents.documents import (
    Document,
    DocumentType,
    Sex,
    lookup_key,
    parse_document,
)
from rhip.identity.residents.domain import (
    ETHNICITY_CODES,
    Candidate,
    Demographics,
    Resident,
    ResidentEvent,
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
from rhip.identity.residents.store import DocumentTaken, ResidentRepository
from rhip.identity.roles import READ_UNMASKED, RESIDENTS
from rhip.identity.settings import IdentitySettings, load_identity_settings
from rhip.kit import audit
from rhip.kit.authn import Principal, current_principal
from rhip.kit.authz import Authorizer, subject_blocked
from rhip.kit.config import Settings
from rhip.kit.db import Database
from rhip.kit.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    NotFound,
    PermissionDenied,
    Violations,
    invalid,
)
from rhip.kit.idempotency import claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page
from rhip.kit.pii import PiiVault
from rhip.kit.requests import check_update_mask
from rhip.kit.tenancy import catalog, is_within, region_path, tenant_scope
from rhip.kit.timestamps import parse_iso_date

log = logging.getLogger(__name__)

UPDATABLE_FIELDS = (
    "display_name", "phone", "region_code", "address", "ethnicity", "residence_type",
)  # fmt: skip

SEARCH_CANDIDATE_LIMIT = 200


class _RegistrationRace(Exception):
    """Another transaction registered the same document first: retry to find it."""


@dataclass(frozen=True)
class Registration:
    resident: Resident
    created: bool


def parse_date(text: str, field: str) -> date | None:
    if not text:
        return None
    return parse_iso_date(text, field)  # strict YYYY-MM-DD in a sane range


def widen_to_region(scope: str) -> str:
    """A tenant scope ``…/320311/t-{id}`` reaches the tenant's region ``…/320311``."""
    head, _, last = scope.rpartition("/")
    return head if last.startswith("t-") else scope


class ResidentUseCases:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        authorizer: Authorizer,
        vault: PiiVault,
        read_audit: audit.AuditWriter,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_death: Callable[[ResidentRepository, Resident, datetime], None] = lambda *_: None,
        options: IdentitySettings | None = None,
    ) -> None:
        self.settings = settings
        self.options = options or load_identity_settings(settings.env)
        self.db = db
        self.authz = authorizer
        self.vault = vault
        self.read_audit = read_audit
        # What else a death changes in the same transaction (the card is revoked: server.py).
        self.on_death = on_death
        self.clock = clock
        self.cell_path = region_path(settings.cell)

    # -- access ------------------------------------------------------------------------------
    def roots(self, principal: Principal, method: str) -> list[str]:
        """The region paths whose residents ``principal`` may reach with ``method``;
        PERMISSION_DENIED when there are none."""
        scopes = self.authz.scopes(principal.subject, RESIDENTS + method)
        if not scopes:
            if self.authz.is_blocked(principal.subject):
                raise subject_blocked()
            raise PermissionDenied(f"not allowed to call {method} here")
        return sorted({widen_to_region(s) for s in scopes})

    def may_unmask(self, principal: Principal) -> bool:
        return bool(self.authz.scopes(principal.subject, READ_UNMASKED))

    @contextmanager
    def unit(self) -> Iterator[ResidentRepository]:
        """One transaction: the changes and their audit rows commit together."""
        with self.db.transaction() as tx:
            yield ResidentRepository(tx, self.vault)

    @contextmanager
    def reading(self) -> Iterator[ResidentRepository]:
        """Plain reads; their audit events go through ``read_audit`` (see ``_audit_read``)."""
        with self.db.read() as conn:
            yield ResidentRepository(conn, self.vault)

    def visible_resident(
        self, repo: ResidentRepository, resident_id: str, roots: list[str], *, lock: bool = False
    ) -> Resident:
        """Permission before existence: a resident outside the caller's roots and a missing one
        look the same (PERMISSION_DENIED), except to callers who reach the whole cell."""
        resident, seen = repo.get_visible(roots, resident_id=resident_id, lock=lock)
        if resident is not None and seen:
            return resident
        if resident is None and any(is_within(self.cell_path, r) for r in roots):
            raise NotFound(f"residents/{resident_id} does not exist")
        raise PermissionDenied("not allowed to see this resident")

    def load(self, repo: ResidentRepository, name: str, method: str, **kw: Any) -> Resident:
        principal = current_principal()
        resident_id = parse_resource_name(name, "residents", kw.pop("field", "name"))
        return self.visible_resident(repo, resident_id, self.roots(principal, method), **kw)

    def _enrolling_tenant(self, principal: Principal, tenant_name: str) -> tuple[str, str]:
        """(tenant id, tenant scope) where the resident presents: the caller's own tenant for
        practitioners and service accounts; administrators may name none."""
        if principal.tenant_id:
            if tenant_name and tenant_name != f"tenants/{principal.tenant_id}":
                raise PermissionDenied("residents are registered at the caller's own tenant")
            return principal.tenant_id, tenant_scope(principal.region_code, principal.tenant_id)
        if tenant_name:
            raise invalid(
                "tenant", "only practitioners and service accounts enrol at a tenant", "TENANT"
            )
        return "", ""

    def _home(self, code: str, field: str, roots: list[str], tenant_scope_: str) -> str:
        region = catalog().require(code, field)
        if not is_within(region.path, self.cell_path):
            raise FailedPrecondition(
                "the region belongs to another cell", reason="WRONG_CELL", metadata={"field": field}
            )
        if not tenant_scope_ and not any(is_within(region.path, r) for r in roots):
            raise PermissionDenied("the residence lies outside the caller's region")
        return region.path

    def _event(
        self, action: str, resident: Resident | None, target: str, outcome: str, detail: dict
    ) -> audit.AuditEvent:
        if resident is not None:
            target, scope = target or f"residents/{resident.resident_id}", resident.home_path
        else:
            scope = self.cell_path
        return audit.AuditEvent(action, target, scope, outcome, detail=detail)

    def audit_change(
        self,
        repo: ResidentRepository,
        action: str,
        resident: Resident | None,
        target: str = "",
        outcome: str = "OK",
        **detail: object,
    ) -> None:
        """Audit a change in its own transaction."""
        audit.append(repo.s, self._event(action, resident, target, outcome, detail))

    def audit_read(
        self,
        action: str,
        resident: Resident | None,
        target: str = "",
        outcome: str = "OK",
        **detail: object,
    ) -> None:
        """Audit a read: captured now, appended by the writer with other reads' events; the
        answer waits until it is written."""
        self.read_audit.submit(self._event(action, resident, target, outcome, detail))

    def audit_reads(self, action: str, residents: list[Resident], **detail: object) -> None:
        """Audit a read that returned several residents: one event per resident (so "who
        viewed this resident" finds a search too), or one for the call when none."""
        if not residents:
            self.read_audit.submit(
                self._event(action, None, "residents", "OK", {"hits": 0, **detail})
            )
            return
        self.read_audit.submit_all(
            [
                self._event(action, r, "", "OK", {"hits": len(residents), **detail})
                for r in residents
            ]
        )

    # -- register ----------------------------------------------------------------------------
    def register(
        self,
        stated: Demographics,
        doc_type: DocumentType | None,
        number: str,
        issuing_country: str,
        sex_override_reason: str,
        tenant_name: str,
        request_id: str,
    ) -> Registration:
        principal = current_principal()
        roots = self.roots(principal, "RegisterResident")
        tenant_id, scope = self._enrolling_tenant(principal, tenant_name)
        today = self.clock().date()
        checks = Violations()
        document: Document | None = checks.check(
            parse_document, doc_type, number, today=today, issuing_country=issuing_country
        )
        if document is not None and not document.verifies_identity:
            checks.add("document.type", "register newborns with RegisterNewborn", "DOCUMENT_TYPE")
        name, sex, born = check_demographics(
            stated, document, sex_override_reason, today, checks, require_birth_date=bool(document)
        )
        if not stated.region_code:
            checks.add("resident.region_code", "must be set", "REGION_REQUIRED")
        request_id = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        assert document is not None and born is not None
        home = self._home(stated.region_code, "resident.region_code", roots, scope)
        for _attempt in range(3):
            try:
                return self._register_once(
                    principal, stated, document, (name, sex, born), sex_override_reason.strip(),
                    home, (tenant_id, scope), roots, request_id,
                )  # fmt: skip
            except _RegistrationRace:
                continue
        raise Aborted("the registration raced with others; retry", reason="REGISTRATION_RACE")

    def _register_once(
        self,
        principal: Principal,
        stated: Demographics,
        document: Document,
        facts: tuple[str, Sex, date],
        override: str,
        home: str,
        tenant: tuple[str, str],
        roots: list[str],
        request_id: str,
    ) -> Registration:
        name, sex, born = facts
        tenant_id, scope = tenant
        now = self.clock()
        key = self.vault.lookup_hash(
            lookup_key(document.doc_type, document.number, document.issuing_country)
        )
        with self.unit() as repo:
            claim(repo.s, request_id)
            if request_id and (earlier := repo.by_request(request_id)):
                return Registration(self.visible_resident(repo, earlier.resident_id, roots), True)
            existing_id = repo.resident_by_hash(key)
            if existing_id is not None:
                return Registration(
                    self._join_existing(repo, existing_id, name, tenant, roots, now), False
                )
            resident = Resident(
                resident_id=new_id(),
                state=ResidentState.VERIFIED,
                name=name,
                sex=sex,
                birth_date=born,
                phone=stated.phone.strip().replace(" ", ""),
                region_code=stated.region_code,
                address=stated.address.strip(),
                ethnicity=stated.ethnicity,
                residence_type=stated.residence_type,
                home_path=home,
                mother_id="",
                sex_override_reason=override if sex is not document.sex else "",
                death_date=None,
                merged_into="",
                create_time=now,
                update_time=now,
                version=1,
            )
            repo.add(resident, request_id)
            try:
                repo.add_document(
                    resident.resident_id, document.doc_type, document.number, key,
                    issuing_country=document.issuing_country, primary=True,
                    origin="registered", now=now,
                )  # fmt: skip
                if document.legacy_number:
                    legacy_key = self.vault.lookup_hash(
                        lookup_key(document.doc_type, document.legacy_number)
                    )
                    repo.add_document(
                        resident.resident_id, document.doc_type, document.legacy_number,
                        legacy_key, primary=False, origin="legacy_15", now=now,
                    )  # fmt: skip
            except DocumentTaken:
                raise _RegistrationRace from None
            if tenant_id:
                repo.enroll(resident.resident_id, tenant_id, scope, now)
            repo.record(
                resident.resident_id, "REGISTERED", principal.subject, now,
                doc_type=document.doc_type.value, tenant=tenant_id,
                sex_override=bool(resident.sex_override_reason),
            )  # fmt: skip
            self.audit_change(repo, "resident.register", resident, doc_type=document.doc_type.value)
            return Registration(
                replace(resident, documents=tuple(repo.documents(resident.resident_id))), True
            )

    def _join_existing(
        self,
        repo: ResidentRepository,
        resident_id: str,
        name: str,
        tenant: tuple[str, str],
        roots: list[str],
        now: datetime,
    ) -> Resident:
        """The document is on file: the same person presents again, maybe at another tenant.
        A caller who cannot see the resident yet proves presence with the matching name and
        is enrolled; the stored demographics are never overwritten."""
        resident = repo.get(resident_id, for_update=True)
        assert resident is not None
        tenant_id, scope = tenant
        if not repo.is_visible(resident_id, roots) and (
            not tenant_id or resident.name_key != normalise_name(name)
        ):
            raise FailedPrecondition(
                "the document is on file with other demographics",
                reason="RESIDENT_DEMOGRAPHICS_MISMATCH",
            )
        if tenant_id and repo.enroll(resident_id, tenant_id, scope, now):
            repo.record(resident_id, "ENROLLED", current_principal().subject, now, tenant=tenant_id)
        self.audit_change(repo, "resident.register", resident, existing=True)
        return resident

    def register_newborn(
        self,
        stated: Demographics,
        mother_name: str,
        certificate_number: str,
        tenant_name: str,
        request_id: str,
    ) -> Resident:
        principal = current_principal()
        roots = self.roots(principal, "RegisterNewborn")
        tenant_id, scope = self._enrolling_tenant(principal, tenant_name)
        today = self.clock().date()
        checks = Violations()
        name = checks.check(validate_name, stated.name, "resident.display_name") or ""
        checks.check(validate_address, stated.address, "resident.address")
        certificate = None
        if certificate_number:
            certificate = checks.check(
                parse_document,
                DocumentType.BIRTH_CERTIFICATE,
                certificate_number,
                today=today,
                field="birth_certificate",
            )
        if stated.birth_date is None:
            checks.add("resident.birth_date", "must be set", "BIRTH_DATE_REQUIRED")
        elif stated.birth_date > today:
            checks.add("resident.birth_date", "must not be in the future", "BIRTH_DATE_FUTURE")
        if stated.sex is Sex.UNSTATED:
            checks.add("resident.sex", "must be male, female or unknown", "SEX_REQUIRED")
        if not mother_name:
            checks.add("resident.mother", "must name the mother", "MOTHER_REQUIRED")
        request_id = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        assert stated.birth_date is not None
        now = self.clock()
        with self.unit() as repo:
            claim(repo.s, request_id)
            if request_id and (earlier := repo.by_request(request_id)):
                return self.visible_resident(repo, earlier.resident_id, roots)
            mother = self.load(repo, mother_name, "RegisterNewborn", field="resident.mother")
            mother.require_living("register a newborn to her")
            if stated.birth_date < mother.birth_date:
                raise invalid(
                    "resident.birth_date", "is before the mother's birth", "BIRTH_DATE_ORDER"
                )
            code = stated.region_code or mother.region_code
            home = self._home(code, "resident.region_code", roots, scope)
            child = Resident(
                resident_id=new_id(),
                state=ResidentState.PROVISIONAL,
                name=name,
                sex=stated.sex,
                birth_date=stated.birth_date,
                phone="",
                region_code=code,
                address=stated.address.strip() or mother.address,
                ethnicity=stated.ethnicity,
                residence_type=stated.residence_type,
                home_path=home,
                mother_id=mother.resident_id,
                sex_override_reason="",
                death_date=None,
                merged_into="",
                create_time=now,
                update_time=now,
                version=1,
            )
            repo.add(child, request_id)
            if certificate is not None:
                self._add_certificate(repo, child, certificate, now)
            if tenant_id:
                repo.enroll(child.resident_id, tenant_id, scope, now)
            repo.record(
                child.resident_id, "REGISTERED", principal.subject, now,
                newborn=True, mother=mother.resident_id, tenant=tenant_id,
            )  # fmt: skip
            self.audit_change(repo, "resident.register_newborn", child, mother=mother.resident_id)
            return replace(child, documents=tuple(repo.documents(child.resident_id)))

    def _add_certificate(
        self, repo: ResidentRepository, resident: Resident, certificate: Document, now: datetime
    ) -> None:
        if any(d.doc_type is DocumentType.BIRTH_CERTIFICATE for d in resident.documents):
            raise FailedPrecondition(
                "a birth certificate is already linked", reason="BIRTH_CERTIFICATE_LINKED"
            )
        key = self.vault.lookup_hash(lookup_key(certificate.doc_type, certificate.number))
        try:
            repo.add_document(
                resident.resident_id, certificate.doc_type, certificate.number, key,
                primary=False, origin="newborn_link", now=now,
            )  # fmt: skip
        except DocumentTaken:
            raise AlreadyExists(
                "this birth certificate is linked to another resident",
                reason="BIRTH_CERTIFICATE_TAKEN",
            ) from None

    # -- reads -------------------------------------------------------------------------------
    def get(self, name: str) -> Resident:
        with self.reading() as repo:
            resident = self.load(repo, name, "GetResident")
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
            doc_type, number, today=self.clock().date(), issuing_country=issuing_country
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

    def history(self, name: str, page: Page) -> tuple[list[ResidentEvent], str]:
        with self.reading() as repo:
            resident = self.load(repo, name, "ListResidentEvents", field="parent")
            events = repo.history(resident.resident_id, page.after, page.size + 1)
        self.audit_read("resident.history", resident)
        chunk = events[: page.size]
        return chunk, page.next_token(
            chunk[-1].event_id if chunk else None, len(events) > page.size
        )

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
        today = self.clock().date()
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
            self.audit_change(repo, "resident.verify", verified, doc_type=document.doc_type.value)
            return replace(verified, documents=tuple(repo.documents(resident.resident_id)))

    def link_birth_certificate(self, name: str, number: str) -> Resident:
        principal = current_principal()
        now = self.clock()
        with self.unit() as repo:
            resident = self.load(repo, name, "LinkBirthCertificate", lock=True)
            resident.require_living("link a birth certificate")
            certificate = parse_document(
                DocumentType.BIRTH_CERTIFICATE,
                number,
                today=now.date(),
                field="birth_certificate",
            )
            self._add_certificate(repo, resident, certificate, now)
            repo.record(resident.resident_id, "BIRTH_CERTIFICATE_LINKED", principal.subject, now)
            self.audit_change(repo, "resident.link_birth_certificate", resident)
            return replace(resident, documents=tuple(repo.documents(resident.resident_id)))

    def mark_deceased(self, name: str, death_date_text: str) -> Resident:
        principal = current_principal()
        now = self.clock()
        with self.unit() as repo:
            resident = self.load(repo, name, "MarkResidentDeceased", lock=True)
            died = parse_date(death_date_text, "death_date")
            if died is None:
                raise invalid("death_date", "must be set", "DEATH_DATE_REQUIRED")
            if died > now.date():
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
