"""After the first issue (DOMAIN §4.3): replacement (换发) on one of the grounds, reissue (补发)
only with a loss declaration, void of an issued certificate; reads and lists.

A replacement or reissue supersedes the child's VALID certificate and takes its place on a new
serial from the issuer's stock, in one transaction: the old certificate leaves VALID only if it
still is (a conditional UPDATE), its serial goes ISSUED → VOID_ISSUED with a register row
naming the new number, and the new serial goes IN_STOCK → ISSUED like any issue. The page rule
(main page only once the child is in the household register) is applied and recorded. The
original issuer replaces, reissues or voids (its practitioners' scope is the institution), and
so does the institution its county designated (designations.py), for any certificate first
issued in that county: a reissue is applied for at the original issuer or at the county
administration's delegate (DOMAIN §4.3); the new certificate is then the designated one's."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from rhip.kit.authn import current_principal
from rhip.kit.errors import FailedPrecondition, Violations, invalid
from rhip.kit.idempotency import claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.requests import parse_resource_name
from rhip.kit.tenancy import region_path
from rhip.kit.timestamps import clinical_day
from rhip.mch.certificates import domain, national
from rhip.mch.certificates.domain import (
    Certificate,
    CertificateState,
    Ground,
    IssuanceType,
    Parent,
    county_of,
    page_rule,
)
from rhip.mch.certificates.issuing import IssuingUseCases
from rhip.mch.certificates.store import CertificateStore, DesignationStore
from rhip.mch.roles import BMC
from rhip.mch.stock.domain import (
    Movement,
    MovementKind,
    SerialRange,
    SerialState,
    parse_region,
    parse_serial,
)
from rhip.mch.stock.store import StockStore
from sqlalchemy import Connection

S = SerialState


class LifecycleUseCases(IssuingUseCases):
    def _load(self, tx: Connection, name: str, method: str) -> Certificate:
        """The certificate, once the caller may ``method`` on it: in its scope, or as a
        practitioner of the institution its county designated (which the caller's own
        institution scope was checked for already, by ``_issuer``; permission before
        existence either way)."""
        number = parse_serial(parse_resource_name(name, "birthCertificates"), "name")
        found = CertificateStore(tx, self.vault).get(number)
        principal = current_principal()
        if (
            found is not None
            and principal.tenant_id
            and not self.authz.enforce(principal.subject, found.scope_path, BMC + method)
            and (county := county_of(found.scope_path))
            and DesignationStore(tx).issuer_of(county) == principal.tenant_id
        ):
            return found
        self.authz.require_found(
            principal, found.scope_path if found else None, BMC + method,
            self.cell_path, f"birthCertificates/{number} does not exist",
        )  # fmt: skip
        assert found is not None
        return found

    def _end(self, tx: Connection, old: Certificate, state: CertificateState, successor: str,
             reason: str) -> None:  # fmt: skip
        """The old certificate leaves VALID; its serial becomes VOID_ISSUED (recalled)."""
        now = self.clock()
        if not CertificateStore(tx, self.vault).end(old.number, state, successor, reason, now):
            raise FailedPrecondition(
                "the certificate is no longer valid", reason="BMC_CERTIFICATE_NOT_VALID",
                metadata={"state": "CHANGED"},
            )  # fmt: skip
        national.report_end(tx, old, state, successor, reason, now, self.options)
        stock = StockStore(tx)
        one = SerialRange(old.number, old.number, 1)
        stock.move(one, holder_scope=old.scope_path, states=(S.ISSUED,), new_state=S.VOID_ISSUED)
        holder = f"tenants/{old.issuer_tenant_id}"
        stock.record(
            Movement(
                new_id(), MovementKind.VOID_ISSUED, old.printed.edition, one, holder, holder,
                S.VOID_ISSUED, current_principal().subject, "", reason or state.value, "", "",
                f"birthCertificates/{successor}" if successor else "", now,
            ),
            old.scope_path, old.scope_path,
        )  # fmt: skip

    def _succeed(
        self, name: str, number: str, kind: IssuanceType, request_id: str, checks: Violations,
        **changes: object,
    ) -> Certificate:  # fmt: skip
        """The shared path of replacement and reissue."""
        principal = current_principal()
        method = "ReplaceBirthCertificate" if kind is IssuanceType.REPLACEMENT else (
            "ReissueBirthCertificate"
        )  # fmt: skip
        checks.check(parse_resource_name, name, "birthCertificates")
        number = checks.check(parse_serial, number, "number") or ""
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        tenant, scope = self._issuer(principal, method)
        institution = self._institution(tenant.tenant_id, tenant)
        now = self.clock()
        today = clinical_day(now)
        with self._unit() as tx:
            certificates = CertificateStore(tx, self.vault)
            old = self._load(tx, name, method)
            if claim(tx, key) and (earlier := certificates.by_request(key)) is not None:
                self._queue_link(tx, earlier)
                return self._linked(earlier, queued=True)
            if old.state is not CertificateState.VALID:
                raise FailedPrecondition(
                    "only the child's valid certificate is replaced or reissued",
                    reason="BMC_CERTIFICATE_NOT_VALID", metadata={"state": old.state.value},
                )  # fmt: skip
            self._end(tx, old, CertificateState.REPLACED if kind is IssuanceType.REPLACEMENT
                      else CertificateState.REISSUED, number, "")  # fmt: skip
            edition = self._take_serial(tx, number, scope, today)
            pages = page_rule(bool(changes.pop("in_register")))
            p = old.printed
            child_name = str(changes.pop("child_name", "") or p.child_name)
            mother = cast(Parent, changes.pop("mother", None) or p.mother)
            father = cast("Parent | None", changes.pop("father", None) or p.father)
            printed = replace(
                p, number=number, child_name=child_name, mother=mother, father=father,
                issuer=f"tenants/{tenant.tenant_id}", issue_date=today.isoformat(),
                pages=pages.value, edition=edition,
            )  # fmt: skip
            new = Certificate(
                number, old.child_key, old.newborn_id, old.child_resident_id, kind,
                CertificateState.VALID, tenant.tenant_id, scope, today, printed,
                principal.subject, now, now, supersedes=old.number, pages=pages,
                name_hash=self.vault.lookup_hash(domain.normalise_name(child_name)),
                **changes,  # type: ignore[arg-type]
            )  # fmt: skip
            certificates.add(new, key)
            self._record_issue(tx, new, edition, scope)
            national.report_issue(tx, new, self.options)
            if feed := self._feed(tx):
                feed.certificate(new, institution)
            self._queue_link(tx, new)
            self._audit_last(
                tx, f"bmc.certificate.{kind.value.lower()}", f"birthCertificates/{number}",
                scope, resident=new.child_resident_id, supersedes=old.number,
            )  # fmt: skip
        return self._linked(new, queued=True)

    def replace_certificate(
        self, name: str, number: str, ground: Ground | None, parentage_test_ref: str,
        in_register: bool, child_name: str, mother: Parent, father: Parent, request_id: str,
    ) -> Certificate:  # fmt: skip
        checks = Violations()
        if ground is None:
            checks.add("ground", "must be one of the replacement grounds", "GROUND_REQUIRED")
        parentage = domain.check_text(
            parentage_test_ref, "parentage_test_ref", checks,
            required=ground is Ground.PARENTAGE_CHANGE, limit=100,
        )  # fmt: skip
        changes: dict[str, object] = {"in_register": in_register, "ground": ground,
                                      "parentage_test_ref": parentage}  # fmt: skip
        if child_name.strip():
            changes["child_name"] = domain.check_text(child_name, "child_name", checks,
                                                      required=True, limit=50)  # fmt: skip
        if (mother.name or father.name) and ground not in (
            Ground.ISSUER_ERROR,
            Ground.PARENTAGE_CHANGE,
        ):
            checks.add("mother", "parents change for an issuer's error or a parentage test",
                       "PARENT_CHANGE_GROUND")  # fmt: skip
        if not mother.blank:
            changes["mother"] = domain.check_parent(mother, "mother", checks, name_required=True)
        if not father.blank:
            changes["father"] = domain.check_parent(father, "father", checks, name_required=True)
        return self._succeed(name, number, IssuanceType.REPLACEMENT, request_id, checks,
                             **changes)  # fmt: skip

    def reissue(
        self, name: str, number: str, newspaper_ref: str, written_ref: str, in_register: bool,
        request_id: str,
    ) -> Certificate:  # fmt: skip
        checks = Violations()
        newspaper = domain.check_text(newspaper_ref, "loss_declaration.newspaper_notice_ref",
                                      checks, required=False, limit=100)  # fmt: skip
        written = domain.check_text(written_ref, "loss_declaration.written_declaration_ref",
                                    checks, required=False, limit=100)  # fmt: skip
        if not newspaper and not written:
            checks.add(
                "loss_declaration", "a reissue needs the newspaper loss notice or a written "
                "loss declaration", "LOSS_DECLARATION_REQUIRED",
            )  # fmt: skip
        loss = f"newspaper:{newspaper}" if newspaper else f"written:{written}"
        return self._succeed(name, number, IssuanceType.REISSUE, request_id, checks,
                             in_register=in_register, loss_ref=loss)  # fmt: skip

    def void_certificate(self, name: str, reason: str, request_id: str) -> Certificate:
        principal = current_principal()
        checks = Violations()
        checks.check(parse_resource_name, name, "birthCertificates")
        reason = domain.check_text(reason, "reason", checks, required=True, limit=500)
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        tenant, _ = self._issuer(principal, "VoidBirthCertificate")
        institution = self._institution(tenant.tenant_id, tenant)
        with self._unit() as tx:
            old = self._load(tx, name, "VoidBirthCertificate")
            if claim(tx, key) and old.state is CertificateState.VOID:
                return old  # a retry
            if old.state is not CertificateState.VALID:
                raise FailedPrecondition(
                    "only a valid certificate is voided", reason="BMC_CERTIFICATE_NOT_VALID",
                    metadata={"state": old.state.value},
                )  # fmt: skip
            self._end(tx, old, CertificateState.VOID, "", reason)
            if feed := self._feed(tx):
                own = old.issuer_tenant_id == tenant.tenant_id
                feed.certificate(old, institution if own else "", CertificateState.VOID)
            self._audit(tx, "bmc.certificate.void", f"birthCertificates/{old.number}",
                        old.scope_path, resident=old.child_resident_id)  # fmt: skip
            return replace(old, state=CertificateState.VOID, void_reason=reason)

    def get_certificate(self, name: str) -> Certificate:
        with self._unit(durable=False) as tx:
            c = self._load(tx, name, "GetBirthCertificate")
            self._audit(tx, "bmc.certificate.read", f"birthCertificates/{c.number}",
                        c.scope_path, resident=c.child_resident_id)  # fmt: skip
            return c

    def list_certificates(
        self, parent: str, after: str | None, size: int
    ) -> tuple[list[Certificate], bool]:
        principal = current_principal()
        if parent.startswith("regions/"):
            scope = region_path(parse_region(parent, "parent"))
            self.authz.require(principal, scope, BMC + "ListBirthCertificates")
            tenant_id = ""
        elif parent.startswith("tenants/"):
            tenant_id = parse_resource_name(parent, "tenants", "parent")
            _, scope = self._holder(principal, parent, "parent", "ListBirthCertificates")
        else:
            raise invalid("parent", "must be tenants/{id} or regions/{code}", "INVALID_NAME")
        if after is not None:
            parse_serial(after, "page_token")
        with self._unit(durable=False) as tx:
            rows = CertificateStore(tx, self.vault).find([scope], tenant_id, after, size + 1)
            self._audit(tx, "bmc.certificate.list", parent, scope, count=min(len(rows), size))
        return rows[:size], len(rows) > size
