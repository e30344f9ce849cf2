"""Maternal and child health on the resident's lifetime timeline (emr's index, DOMAIN §3): each
event is queued for emr in the transaction of the write that makes it (rhip.kit.timeline_feed,
the ``mch-timeline`` delivery), with the institution's name and the clinical date, and shown
there to whoever may read its record here — mch's own rule: the read method at the record's
scope (a pregnancy's events: GetPregnancy at the pregnancy's; a delivery: GetDelivery at the
delivering and the managing institution's; a child's: GetChildRecord at the record's; a
certificate: GetBirthCertificate at the issuer's).

The mother's timeline: registration, antenatal and postpartum visits, risk grade changes,
termination, delivery, and her pregnancy moving to another institution (``pregnancy_moved``:
its entries re-scoped to the new one, as a child's are, and the move itself). The child's: enrolment, visits, and the birth certificate's life.
Payloads are ids, codes, the institution's name and dates — never a person's name.

A child's record that changes hands takes its entries with it, as mch reads it: a transfer
accepted in this cell (or completed towards another cell) re-scopes the record's enrolment and
visits to the new institution in emr (``child_moved``: the old one no longer sees them, as it
no longer reads the record; the certificates stay with their issuer), and a record arriving
from another cell puts its arrival and the visits it brought on this cell's timeline of the
child (``child_arrived``), under ids derived from the transfer and the visit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from rhip.kit.timeline_feed import enqueue_entry, enqueue_rescope
from rhip.kit.timestamps import clinical_day
from rhip.mch.certificates.domain import Certificate, CertificateState, IssuanceType
from rhip.mch.children.domain import ChildRecord, ChildVisit
from rhip.mch.deliveries.domain import Delivery
from rhip.mch.pregnancies.domain import AntenatalVisit, Pregnancy, VisitKind
from rhip.mch.risk.domain import Grade
from sqlalchemy import Connection

SOURCE = "mch"
PREGNANCY_READ = "rhip.api.mch.v1.MchService/GetPregnancy"
DELIVERY_READ = "rhip.api.mch.v1.MchService/GetDelivery"
CHILD_READ = "rhip.api.mch.v1.MchService/GetChildRecord"
CERTIFICATE_READ = "rhip.api.mch.v1.BirthCertificateService/GetBirthCertificate"
# The ids of the entries a record from another cell brings: one per transfer and thing, however
# often the import is retried (the outbox and emr each take an id once).
ARRIVAL_IDS = uuid.UUID("5b0d3c36-2f4e-4e61-9a3e-6f1d7c1b2a90")

VISIT_KINDS = {
    VisitKind.ANTENATAL: "ANTENATAL_VISIT",
    VisitKind.POSTPARTUM_HOME: "POSTPARTUM_HOME_VISIT",
    VisitKind.CHECK_42D: "POSTPARTUM_42D_CHECK",
}
CERTIFICATE_KINDS = {
    IssuanceType.FIRST: "BIRTH_CERTIFICATE_ISSUED",
    IssuanceType.REPLACEMENT: "BIRTH_CERTIFICATE_REPLACED",
    IssuanceType.REISSUE: "BIRTH_CERTIFICATE_REISSUED",
}


class MchTimeline:
    """Queues mch's events for emr on the use case's connection; ``tenant_name`` is the name
    of the institution that acted (empty when identity could not say: the entry still names
    the tenant)."""

    def __init__(self, conn: Connection, now: datetime) -> None:
        self.conn = conn
        self.now = now

    def _pregnancy(
        self, p: Pregnancy, kind: str, target: str, tenant_id: str, name: str, day: date
    ) -> None:
        enqueue_entry(
            self.conn, source=SOURCE, resident_id=p.resident_id, occur_time=self.now, kind=kind,
            target=target, tenant_id=tenant_id, scope_paths=[p.scope_path],
            read_method=PREGNANCY_READ, tenant_name=name, clinical_date=day,
        )  # fmt: skip

    def registered(self, p: Pregnancy, name: str) -> None:
        self._pregnancy(
            p, "PREGNANCY_REGISTERED", f"pregnancies/{p.pregnancy_id}", p.tenant_id, name,
            p.registration_date,
        )  # fmt: skip

    def visit(self, p: Pregnancy, v: AntenatalVisit, name: str) -> None:
        target = f"pregnancies/{p.pregnancy_id}/antenatalVisits/{v.visit_id}"
        self._pregnancy(p, VISIT_KINDS[v.kind], target, v.tenant_id, name, v.visit_date)

    def terminated(self, p: Pregnancy, day: date, tenant_id: str, name: str) -> None:
        self._pregnancy(
            p, "PREGNANCY_TERMINATED", f"pregnancies/{p.pregnancy_id}", tenant_id, name, day
        )

    def pregnancy_moved(self, p: Pregnancy, scope: str, tenant_id: str, name: str) -> None:
        """The episode changed hands (in the accepting transaction): emr reads its entries at
        ``scope`` from now on (the old institution, which no longer reads it, sees none), and
        the move itself is an entry of the new institution's, ``name``."""
        target = f"pregnancies/{p.pregnancy_id}"
        enqueue_rescope(
            self.conn, source=SOURCE, resident_id=p.resident_id, occur_time=self.now,
            read_method=PREGNANCY_READ, target=target, scope_paths=[scope],
        )  # fmt: skip
        enqueue_entry(
            self.conn, source=SOURCE, resident_id=p.resident_id, occur_time=self.now,
            kind="PREGNANCY_TRANSFERRED", target=target, tenant_id=tenant_id,
            scope_paths=[scope], read_method=PREGNANCY_READ, tenant_name=name,
        )  # fmt: skip

    def risk_changed(
        self, p: Pregnancy, before: Grade, after: Grade, assessment: str, tenant_id: str,
        name: str, day: date,
    ) -> None:  # fmt: skip
        """RISK_<COLOUR> when the grade's colour changed; RISK_PURPLE when purple was first
        found (it coexists with a colour, DOMAIN §3.2). Nothing when the grade stayed."""
        target = f"pregnancies/{p.pregnancy_id}/riskAssessments/{assessment}"
        if after.colour is not None and after.colour != before.colour:
            self._pregnancy(p, f"RISK_{after.colour.name}", target, tenant_id, name, day)
        if after.purple and not before.purple:
            self._pregnancy(p, "RISK_PURPLE", target, tenant_id, name, day)

    def delivered(self, d: Delivery, name: str) -> None:
        """On the mother's timeline; each baby's begins with its enrolment and certificate."""
        enqueue_entry(
            self.conn, source=SOURCE, resident_id=d.mother_id, occur_time=self.now,
            kind="DELIVERY_RECORDED", target=f"deliveries/{d.delivery_id}",
            tenant_id=d.tenant_id, scope_paths=list(d.scopes), read_method=DELIVERY_READ,
            tenant_name=name, clinical_date=d.delivery_date,
        )  # fmt: skip

    def _child(
        self, r: ChildRecord, kind: str, target: str, tenant_id: str, name: str, day: date
    ) -> None:
        enqueue_entry(
            self.conn, source=SOURCE, resident_id=r.resident_id, occur_time=self.now, kind=kind,
            target=target, tenant_id=tenant_id, scope_paths=[r.scope_path],
            read_method=CHILD_READ, tenant_name=name, clinical_date=day,
        )  # fmt: skip

    def enrolled(self, r: ChildRecord, name: str) -> None:
        self._child(
            r, "CHILD_ENROLLED", f"childRecords/{r.record_id}", r.tenant_id, name,
            clinical_day(self.now),
        )  # fmt: skip

    def child_visit(self, r: ChildRecord, v: ChildVisit, name: str) -> None:
        target = f"childRecords/{r.record_id}/visits/{v.visit_id}"
        self._child(r, "CHILD_VISIT", target, v.tenant_id, name, v.visit_date)

    def child_moved(self, record_id: str, resident_id: str, scope: str) -> None:
        """The record changed hands (in the transaction that moves it): emr reads its entries
        at ``scope`` from now on, the record's scope here."""
        enqueue_rescope(
            self.conn, source=SOURCE, resident_id=resident_id, occur_time=self.now,
            read_method=CHILD_READ, target=f"childRecords/{record_id}", scope_paths=[scope],
        )  # fmt: skip

    def child_arrived(
        self, r: ChildRecord, visits: Sequence[ChildVisit], transfer_id: str, name: str
    ) -> None:
        """A record imported from another cell (in the importing transaction): its arrival at
        the new institution (``name``) and each visit it brought, dated as recorded there. The
        visits' institutions lie in the other cell: their entries carry no name."""

        def event_id(thing: str) -> str:
            return str(uuid.uuid5(ARRIVAL_IDS, f"{transfer_id}/{thing}"))

        base = f"childRecords/{r.record_id}"
        enqueue_entry(
            self.conn, source=SOURCE, resident_id=r.resident_id, occur_time=self.now,
            kind="CHILD_TRANSFERRED_IN", target=base, tenant_id=r.tenant_id,
            scope_paths=[r.scope_path], read_method=CHILD_READ, tenant_name=name,
            event_id=event_id(base),
        )  # fmt: skip
        for v in visits:
            target = f"{base}/visits/{v.visit_id}"
            enqueue_entry(
                self.conn, source=SOURCE, resident_id=r.resident_id, occur_time=v.create_time,
                kind="CHILD_VISIT", target=target, tenant_id=v.tenant_id,
                scope_paths=[r.scope_path], read_method=CHILD_READ,
                clinical_date=v.visit_date, event_id=event_id(target), queued_at=self.now,
            )  # fmt: skip

    def certificate(self, c: Certificate, name: str, ended: CertificateState | None = None) -> None:
        """A certificate issued (first, replacement, reissue) or, with ``ended`` VOID, voided.
        A certificate of a child not in the master index has no timeline to go to."""
        if not c.child_resident_id:
            return
        kind = "BIRTH_CERTIFICATE_VOIDED" if ended is CertificateState.VOID else (
            CERTIFICATE_KINDS[c.type]
        )  # fmt: skip
        enqueue_entry(
            self.conn, source=SOURCE, resident_id=c.child_resident_id, occur_time=self.now,
            kind=kind, target=f"birthCertificates/{c.number}", tenant_id=c.issuer_tenant_id,
            scope_paths=[c.scope_path], read_method=CERTIFICATE_READ, tenant_name=name,
            clinical_date=clinical_day(self.now) if ended else c.issue_date,
        )  # fmt: skip
