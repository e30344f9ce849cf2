"""A newborn's birth medical certificate number in the master index (DOMAIN §4.3): the first
number linked alone, a replacement's or reissue's beside the number it supersedes (kept as an
alias). mch links each certificate it issues: one at a time in the issuer's request, or, when
the cell has its own account, in batches from its outbox after the certificates committed
(``link_many``: one transaction and one audit append for the batch, all or none)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from rhip.identity.residents.documents import DocumentType, parse_document
from rhip.identity.residents.domain import Resident
from rhip.identity.residents.registration import ResidentRegistration
from rhip.identity.residents.store import ResidentRepository
from rhip.kit import audit
from rhip.kit.authn import Principal, current_principal
from rhip.kit.errors import FailedPrecondition, PermissionDenied, Violations
from rhip.kit.requests import parse_resource_name
from rhip.kit.timestamps import clinical_day

MAX_LINKS = 100
ACTION = "resident.link_birth_certificate"


class BirthCertificateLinks(ResidentRegistration):
    def link_birth_certificate(self, name: str, number: str, replaces: str = "") -> Resident:
        """Links a birth certificate number; with ``replaces`` (a replacement or reissue), the
        new number joins the replaced one, which must be linked already (a retry is a no-op)."""
        principal = current_principal()
        now = self.clock()
        with self.unit() as repo:
            resident, linked = self._link(repo, principal, now, name, number, replaces, "")
            if not linked:
                return resident
            # Read before the audit append: from there to the commit the audit head is locked
            # for every other write of identity (each birth certificate issued links one).
            linked_now = replace(resident, documents=tuple(repo.documents(resident.resident_id)))
            self.audit_change(repo, ACTION, resident)
            return linked_now

    def link_many(self, links: Sequence[tuple[str, str, str]]) -> list[bool]:
        """``links``: (``residents/{id}``, number, replaced number or ""), each linked as
        ``link_birth_certificate`` does, in one transaction; per link, True when this call
        linked it, False when the resident held the number already (a resend). The first
        refusal refuses the whole batch (the caller sends its links one by one then). Only
        the cell's own account calls this (mch's outbox delivery)."""
        principal = current_principal()
        if not principal.is_cell_account:
            raise PermissionDenied("only the cell's own account links in batches")
        checks = Violations()
        if not 1 <= len(links) <= MAX_LINKS:
            checks.add("links", f"1 to {MAX_LINKS} links", "LINK_COUNT")
        seen: set[str] = set()
        for i, (name, _, _) in enumerate(links):
            resident_id = checks.check(parse_resource_name, name, "residents", f"links[{i}].name")
            if resident_id in seen:
                checks.add(f"links[{i}].name", "one link per resident in a batch", "DUPLICATE")
            seen.add(resident_id or "")
        checks.raise_if_any()
        now = self.clock()
        answers: list[bool] = []
        with self.unit() as repo:
            events = []
            for i, (name, number, replaces) in enumerate(links):
                resident, linked = self._link(
                    repo, principal, now, name, number, replaces, f"links[{i}]."
                )
                answers.append(linked)
                if linked:
                    events.append(self._event(ACTION, resident, "", "OK", {}))
            # The batch's audit rows in one append, the last statement before the commit.
            if events:
                audit.append_many(repo.s, events)
        return answers

    def _link(
        self, repo: ResidentRepository, principal: Principal, now: datetime, name: str,
        number: str, replaces: str, field: str,
    ) -> tuple[Resident, bool]:  # fmt: skip
        """The resident (locked) and whether the number was linked now (False: held already,
        a resend)."""
        method = "LinkBirthCertificates" if field else "LinkBirthCertificate"
        resident = self.load(repo, name, method, lock=True, field=f"{field}name")
        resident.require_living("link a birth certificate")
        certificate = parse_document(
            DocumentType.BIRTH_CERTIFICATE, number, today=clinical_day(now),
            field=f"{field}birth_certificate_number" if field else "birth_certificate",
        )  # fmt: skip
        held = {
            d.number for d in resident.documents if d.doc_type is DocumentType.BIRTH_CERTIFICATE
        }
        if replaces:
            old = parse_document(
                DocumentType.BIRTH_CERTIFICATE, replaces, today=clinical_day(now),
                field=f"{field}replaces",
            )  # fmt: skip
            if certificate.number in held:
                return resident, False  # a retry
            if old.number not in held:
                raise FailedPrecondition(
                    "the replaced certificate is not linked to this resident",
                    reason="BIRTH_CERTIFICATE_NOT_LINKED",
                )
            self._add_certificate(repo, resident, certificate, now, replaces=old.number)
        else:
            if field and certificate.number in held:
                return resident, False  # a batch's resend (alone, BIRTH_CERTIFICATE_LINKED)
            self._add_certificate(repo, resident, certificate, now)
        repo.record(resident.resident_id, "BIRTH_CERTIFICATE_LINKED", principal.subject, now)
        return resident, True
