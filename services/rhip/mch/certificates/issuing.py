"""Issuing birth certificates (DOMAIN §4.2, §4.3, §4.5): the first certificate of a live-born
child, on a serial IN_STOCK at the issuing institution.

No serial that left IN_STOCK is ever printed again, by any path, under any concurrency: the
serial changes by ``UPDATE … WHERE serial = :n AND holder = :issuer AND state = 'IN_STOCK'`` in
the same transaction as the certificate row, so of two issuers racing for one serial exactly
one changes a row (PostgreSQL re-checks the condition after the first commits; SQLite
serialises writers), and the loser's transaction writes nothing. The certificate number is the
table's primary key and a child's VALID certificate is unique by ``valid_child``: a second
certificate for one child fails in the database too.

Births in an institution take their facts from the delivery recorded in mch (the delivering
institution issues); births outside one are issued by the institution designated by the county
of the intended household registration (designations.py) from the facts given, with the
parentage-test reference (§4.2). Who applies and how late is checked by applicants.py."""

from __future__ import annotations

import logging
from datetime import date

from rhip.kit.authn import Principal, current_principal
from rhip.kit.errors import AlreadyExists, FailedPrecondition, PermissionDenied, Violations, invalid
from rhip.kit.idempotency import check_reuse, claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.outbox_delivery import OutboxDelivery
from rhip.kit.pii import PiiVault
from rhip.kit.tenancy import tenant_scope
from rhip.kit.timestamps import clinical_day
from rhip.mch.certificates import applicants, domain, national
from rhip.mch.certificates.domain import (
    Certificate,
    CertificateState,
    IssuanceType,
    Pages,
    Parent,
    PlaceType,
    Printed,
    county_of,
)
from rhip.mch.certificates.issue_input import IssueInput, check_issue_input, parse_newborn
from rhip.mch.certificates.issuers import IssuerFacts
from rhip.mch.certificates.links import enqueue_link
from rhip.mch.certificates.store import CertificateStore, DesignationStore
from rhip.mch.clients import TenantFacts
from rhip.mch.deliveries.store import DeliveryStore
from rhip.mch.roles import BMC
from rhip.mch.stock.domain import (
    Movement,
    MovementKind,
    SerialRange,
    SerialState,
    edition_on,
)
from rhip.mch.stock.serials import SerialUseCases
from rhip.mch.stock.store import StockStore
from rhip.mch.stock.usecases import BIRTH_CERTIFICATE, not_available
from sqlalchemy import Connection

log = logging.getLogger(__name__)
S = SerialState
_FIELD = "certificate"


def _age(birth: date | None, on: date) -> int:
    if birth is None:
        return 0
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


class IssuingUseCases(SerialUseCases):
    vault: PiiVault  # seals the printed fields; set by BirthCertificateUseCases
    issuers: IssuerFacts  # the issuing institutions' facts, kept a few seconds; likewise
    # Set by server.py when the cell has its own account: the child's link in identity is
    # queued in the certificate's transaction and delivered after it (links.py); without
    # one it is made in the request with the caller's token.
    links: OutboxDelivery | None = None

    def _issuer(self, principal: Principal, method: str) -> tuple[TenantFacts, str]:
        """The caller's institution, active and qualified to issue, once it may ``method``.
        The caller is authorised on every call; identity's facts of the institution are
        reused for a few seconds (issuers.py says how stale they may be)."""
        if not principal.tenant_id:
            raise PermissionDenied(
                "only practitioners of an institution do this", reason="TENANT_REQUIRED"
            )
        self.authz.require(principal, tenant_scope(principal.region_code, principal.tenant_id),
                           BMC + method)  # fmt: skip
        tenant, held = self.issuers(principal.tenant_id)
        if not tenant.active:
            raise PermissionDenied("the institution is suspended", reason="SUBJECT_BLOCKED")
        self._require_qualification(tenant, BIRTH_CERTIFICATE, held)
        return tenant, tenant_scope(tenant.region_code, tenant.tenant_id)

    def _require_designated(self, tenant: TenantFacts, scope: str, household: str) -> None:
        """A birth outside an institution is certified by the institution that the county of
        the intended household registration designated (DOMAIN §4.2), not by any qualified
        one: an institution designated by none refuses as before; one its own county
        designated, for a child to be registered in another county, refuses as a precondition
        (the family goes to that county's institution)."""
        own = county_of(scope)
        with self.db.read() as tx:
            designations = DesignationStore(tx)
            if designations.issuer_of(household) == tenant.tenant_id:
                return
            designated_here = bool(own) and designations.issuer_of(own) == tenant.tenant_id
        if not designated_here:
            raise PermissionDenied(
                "a birth outside an institution is certified by the institution the county "
                "designated", reason="BMC_NOT_DESIGNATED_ISSUER",
            )  # fmt: skip
        raise FailedPrecondition(
            "the child is to be registered in another county: that county's designated "
            "institution issues the certificate", reason="BMC_HOUSEHOLD_COUNTY_NOT_DESIGNATED",
            metadata={"household_region": f"regions/{household}",
                      "designated_for": f"regions/{own}"},
        )  # fmt: skip

    def issue(self, given: IssueInput, request_id: str) -> Certificate:
        principal = current_principal()
        now = self.clock()
        today = clinical_day(now)
        checks = Violations()
        given = check_issue_input(given, now, checks)
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        tenant, scope = self._issuer(principal, "IssueBirthCertificate")
        applicants.require_in_person(given.applicant, given.father_unknown_statement)
        if given.outside is not None:
            self._require_designated(tenant, scope, given.household_region_code)
        if key:  # a retry answers what it did; the same id for another request is refused
            with self.db.read() as tx:
                check_reuse(tx, key)
                earlier = CertificateStore(tx, self.vault).by_request(key)
            if earlier is not None:
                return self._linked(earlier)
        facts = self._birth_facts(given, tenant, scope)
        printed, child_key, newborn_id, child_id, parentage, late = facts
        institution = self._institution(tenant.tenant_id, tenant)
        with self._unit() as tx:
            certificates = CertificateStore(tx, self.vault)
            if claim(tx, key) and (earlier := certificates.by_request(key)) is not None:
                self._queue_link(tx, earlier)
                return self._linked(earlier, queued=True)
            if (held := certificates.valid_for(child_key)) is not None:
                raise AlreadyExists(
                    "the child already has a valid certificate: replace or reissue it",
                    reason="BMC_CHILD_HAS_CERTIFICATE",
                    metadata={"certificate": f"birthCertificates/{held}"},
                )
            edition = self._take_serial(tx, given.number, scope, today)
            printed = Printed(**{**printed.__dict__, "edition": edition})
            c = Certificate(
                given.number, child_key, newborn_id, child_id, IssuanceType.FIRST,
                CertificateState.VALID, tenant.tenant_id, scope, today, printed,
                principal.subject, now, now, pages=Pages.MAIN_AND_SECONDARY,
                parentage_test_ref=parentage,
                name_hash=self.vault.lookup_hash(domain.normalise_name(given.child_name)),
                applicant=given.applicant, late_explanation=late,
                household_region_code=given.household_region_code,
            )  # fmt: skip
            certificates.add(c, key)
            self._record_issue(tx, c, edition, scope)
            national.report_issue(tx, c, self.options)
            if feed := self._feed(tx):
                feed.certificate(c, institution)
            self._queue_link(tx, c)
            # Last, committing: the counts and the audit row hold their locks (the issuer's,
            # the service's audit head) until the commit (_audit_last).
            self._audit_last(tx, "bmc.certificate.issue", f"birthCertificates/{c.number}",
                             scope, resident=child_id, type=c.type.value)  # fmt: skip
        return self._linked(c, queued=True)

    def _queue_link(self, tx: Connection, c: Certificate) -> None:
        """In the certificate's transaction, when the cell links later: its link to the child
        in the master index, as an outbox event (links.py; a retry queues nothing new)."""
        if self.links is not None:
            enqueue_link(tx, c, self.clock())

    def _linked(self, c: Certificate, *, queued: bool = False) -> Certificate:
        """Links the certificate's number to the child in the master index (identity): a
        first one alone, a replacement or reissue beside the number it supersedes.

        When the cell links later (``links``), the event is queued already (``queued``: in
        the certificate's transaction) or now (a retry answered from the first attempt's
        certificate: queued then, or, for a certificate of before, now); the delivery sends it
        with the others of its round (links.py). Otherwise the link is made here with the
        caller's token: a retry of the request completes a link an earlier attempt could not
        make (identity down); a link identity refuses for good (the superseded number was
        never linked there) is logged and left: the certificate stands."""
        if not c.child_resident_id:
            return c
        if self.links is not None:
            if not queued:
                with self.db.transaction() as tx:
                    enqueue_link(tx, c, self.clock())
            return c
        try:
            self.identity.link_birth_certificate(c.child_resident_id, c.number, c.supersedes)
        except FailedPrecondition as e:
            if e.reason == "BIRTH_CERTIFICATE_NOT_LINKED":
                log.warning("birth certificate %s: superseded number not linked in identity",
                            c.number)  # fmt: skip
            elif e.reason != "BIRTH_CERTIFICATE_LINKED":
                raise
        return c

    def _take_serial(self, tx: Connection, number: str, scope: str, today: date) -> int:
        """IN_STOCK → ISSUED for this issuer's serial of the current edition, or
        BMC_SERIAL_NOT_AVAILABLE with the serial's state (its state only when the issuer holds
        it: others' stock is not told). One conditional UPDATE in the common case; the serial
        is read only to explain a refusal (also a racing issue that took it first)."""
        stock = StockStore(tx)
        current = edition_on(today)
        one = SerialRange(number, number, 1)
        if stock.move(one, holder_scope=scope, states=(S.IN_STOCK,), new_state=S.ISSUED,
                      edition=current):  # fmt: skip
            return current
        serial = stock.get(number)
        if serial is None or serial.holder_scope != scope:
            raise not_available(number, "NOT_IN_STOCK_HERE")
        if serial.state is S.IN_STOCK and serial.edition != current:
            raise FailedPrecondition(
                f"edition {serial.edition} is superseded; it waits for central destruction",
                reason="BMC_EDITION_SUPERSEDED",
                metadata={"edition": str(serial.edition)},
            )
        raise not_available(number, serial.state.value)

    def _record_issue(self, tx: Connection, c: Certificate, edition: int, scope: str) -> None:
        holder = f"tenants/{c.issuer_tenant_id}"
        StockStore(tx).record(
            Movement(
                new_id(), MovementKind.ISSUE, edition, SerialRange(c.number, c.number, 1),
                holder, holder, S.ISSUED, c.issued_by, "", c.type.value, "", "",
                f"birthCertificates/{c.number}", c.create_time,
            ),
            scope, scope,
        )  # fmt: skip

    def _birth_facts(
        self, given: IssueInput, tenant: TenantFacts, scope: str
    ) -> tuple[Printed, str, str, str, str, str]:
        """(printed fields, child key, newborn id, child resident id, parentage-test ref,
        late-application explanation), once the mother and the lateness allow the issue."""
        now = self.clock()
        today = clinical_day(now)
        if given.outside is None:
            delivery_id, newborn_id = parse_newborn(given.newborn, f"{_FIELD}.newborn")
            with self.db.read() as tx:
                delivery = DeliveryStore(tx).get(delivery_id)
            # Permission before existence: a delivery elsewhere and none look alike.
            if delivery is None or delivery.scope_path != scope:
                raise PermissionDenied(
                    "the delivering institution issues the certificate of a birth in it",
                    reason="BMC_NOT_DELIVERING_INSTITUTION",
                )
            baby = next((n for n in delivery.newborns if n.newborn_id == newborn_id), None)
            if baby is None:
                raise invalid(f"{_FIELD}.newborn", "no such newborn in the delivery",
                              "NEWBORN_UNKNOWN")  # fmt: skip
            if not baby.live_birth:
                raise FailedPrecondition("not a live birth", reason="NOT_LIVE_BIRTH")
            if not baby.resident_id:
                raise FailedPrecondition(
                    "the newborn is not registered yet: retry the delivery",
                    reason="NEWBORN_NOT_REGISTERED",
                )
            assert baby.birth_time is not None and baby.sex is not None
            mother = self.identity.resident(f"residents/{delivery.mother_id}")
            differs = domain.mother_differs(given.mother, mother.documents, mother.display_name)
            if differs and not given.parentage_test_ref:
                raise FailedPrecondition(
                    "the mother named is not the delivery's mother on file: a parentage test "
                    "is required (its reference in parentage_test_ref)",
                    reason="PARENTAGE_TEST_REQUIRED", metadata={"differs": differs},
                )  # fmt: skip
            place = PlaceType.MCH_INSTITUTE if tenant.type == "TENANT_TYPE_MCH_HOSPITAL" else (
                PlaceType.HOSPITAL
            )  # fmt: skip
            facts = (baby.sex.value, baby.birth_time, delivery.ga_days // 7, baby.weight_g,
                     baby.length_cm, tenant.region_code, place, tenant.display_name)  # fmt: skip
            child_key, child_id = f"newborn:{newborn_id}", baby.resident_id
        else:
            o = given.outside
            child = self.identity.resident(o.child)
            mother = self.identity.resident(o.mother)
            if o.birth_time is not None and child.birth_date not in (
                None,
                clinical_day(o.birth_time),
            ):
                raise invalid(f"{_FIELD}.outside_institution.birth_time",
                              "differs from the child's birth date in the master index",
                              "BIRTH_DATE_MISMATCH")  # fmt: skip
            assert o.birth_time is not None and o.place_type is not None
            facts = (o.sex, o.birth_time, o.gestational_weeks, o.weight_g, o.length_cm,
                     o.birth_region_code, o.place_type, "")  # fmt: skip
            newborn_id, child_id = "", child.resident_id
            child_key, differs = f"resident:{child_id}", ""
        sex, born, weeks, weight, length, region, place, institution = facts
        # Late applications (DOMAIN §4.3); outside an institution the test is given always.
        late = applicants.lateness(born, now, self.options.bmc_late_explanation_days,
                                   self.options.bmc_late_parentage_days)  # fmt: skip
        ref = given.outside.parentage_test_ref if given.outside else given.parentage_test_ref
        applicants.require_late_application(late, given.late_explanation, ref)
        # The certificate keeps the test reference and the explanation the rules asked for.
        parentage = ref if differs or late.parentage_test_required or given.outside else ""
        m = given.mother
        mother_printed = Parent(
            m.name or mother.display_name, m.age or _age(mother.birth_date, clinical_day(born)),
            m.nationality, m.ethnicity, m.address, m.document_type, m.document_number,
        )  # fmt: skip
        assert given.health is not None
        printed = Printed(
            given.number, given.child_name, sex, born.isoformat(), weeks, weight, length, region,
            place.value, institution, given.health.value, mother_printed,
            None if given.father_unknown_statement else given.father,
            given.father_unknown_statement,
            given.midwife or (given.outside.midwife if given.outside else ""),
            f"tenants/{tenant.tenant_id}", today.isoformat(), Pages.MAIN_AND_SECONDARY.value, 0,
        )  # fmt: skip
        explanation = given.late_explanation if late.explanation_required else ""
        return printed, child_key, newborn_id, child_id, parentage, explanation
