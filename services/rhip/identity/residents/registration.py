"""Registering residents: by an identity document (joining the resident who holds it, exactly
once under concurrent registrations) and newborns, provisional until a document comes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from rhip.identity.links.store import announce_later
from rhip.identity.residents.access import ResidentAccess
from rhip.identity.residents.documents import (
    Document,
    DocumentType,
    Sex,
    lookup_key,
    parse_document,
)
from rhip.identity.residents.domain import (
    Demographics,
    Resident,
    ResidentState,
    check_demographics,
    normalise_name,
    validate_address,
    validate_name,
)
from rhip.identity.residents.store import DocumentTaken, ResidentRepository
from rhip.kit.authn import Principal, current_principal
from rhip.kit.errors import Aborted, AlreadyExists, FailedPrecondition, Violations, invalid
from rhip.kit.idempotency import claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.timestamps import clinical_day


class _RegistrationRace(Exception):
    """Another transaction registered the same document first: retry to find it."""


@dataclass(frozen=True)
class Registration:
    resident: Resident
    created: bool


class ResidentRegistration(ResidentAccess):
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
        today = clinical_day(self.clock())
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
                registered = self._register_once(
                    principal, stated, document, (name, sex, born), sex_override_reason.strip(),
                    home, (tenant_id, scope), roots, request_id,
                )  # fmt: skip
            except _RegistrationRace:
                continue
            if registered.created:
                self.links_queued()  # committed: the link worker announces it now
            return registered
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
            # Linked across cells later, by the link worker (links/): the locator being down
            # never blocks a registration.
            announce_later(repo.s, resident.resident_id, now)
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
        today = clinical_day(self.clock())
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
        self, repo: ResidentRepository, resident: Resident, certificate: Document, now: datetime,
        *, replaces: str = "",
    ) -> None:  # fmt: skip
        """``replaces``: the linked number a replacement or reissue supersedes (kept)."""
        linked = any(d.doc_type is DocumentType.BIRTH_CERTIFICATE for d in resident.documents)
        if linked and not replaces:
            raise FailedPrecondition(
                "a birth certificate is already linked", reason="BIRTH_CERTIFICATE_LINKED"
            )
        key = self.vault.lookup_hash(lookup_key(certificate.doc_type, certificate.number))
        try:
            repo.add_document(
                resident.resident_id, certificate.doc_type, certificate.number, key,
                primary=False, origin=f"replaces:{replaces}" if replaces else "newborn_link",
                now=now,
            )  # fmt: skip
        except DocumentTaken:
            raise AlreadyExists(
                "this birth certificate is linked to another resident",
                reason="BIRTH_CERTIFICATE_TAKEN",
            ) from None
