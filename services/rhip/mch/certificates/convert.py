"""Proto ⇄ domain conversion of birth certificates. Parents' document numbers are masked in
every answer (the printed certificate carries them; the API does not need to)."""

from __future__ import annotations

from datetime import datetime

from rhip.api.mch.v1 import birth_certificate_pb2 as pb
from rhip.kit.outbox import OutboxEvent
from rhip.mch.certificates.domain import (
    Applicant,
    ApplicantKind,
    Certificate,
    CertificateState,
    Designation,
    Ground,
    Health,
    IssuanceType,
    Pages,
    Parent,
    PlaceType,
    masked,
)
from rhip.mch.certificates.issue_input import IssueInput, OutsideBirth
from rhip.mch.certificates.reports import Month
from rhip.mch.convert import time_from_pb, ts
from rhip.mch.stock.national import BLANK_KINDS

TYPES = {t: getattr(pb, f"ISSUANCE_TYPE_{t.value}") for t in IssuanceType}
STATES = {s: getattr(pb, f"BIRTH_CERTIFICATE_STATE_{s.value}") for s in CertificateState}
GROUNDS = {g: getattr(pb, f"REPLACEMENT_GROUND_{g.value}") for g in Ground}
GROUNDS_BACK = {v: k for k, v in GROUNDS.items()}
PAGES = {p: getattr(pb, f"CERTIFICATE_PAGES_{p.value}") for p in Pages}
PLACES = {p: getattr(pb, f"BIRTH_PLACE_TYPE_{p.name}") for p in PlaceType}
PLACES_BACK = {v: k for k, v in PLACES.items()}
HEALTH = {h: getattr(pb, f"NEWBORN_HEALTH_{h.value}") for h in Health}
HEALTH_BACK = {v: k for k, v in HEALTH.items()}
DOCS = {name: getattr(pb, f"PARENT_DOCUMENT_TYPE_{name}") for name in (
    "RESIDENT_ID", "PASSPORT", "HK_MACAO_PERMIT", "TAIWAN_PERMIT", "HOUSEHOLD_REGISTER")}  # fmt: skip
DOCS_BACK = {v: k for k, v in DOCS.items()}
APPLICANTS = {k: getattr(pb, f"APPLICANT_KIND_{k.value}") for k in ApplicantKind}
APPLICANTS_BACK = {v: k for k, v in APPLICANTS.items()}


def applicant_from_pb(a: pb.CertificateApplicant) -> Applicant:
    return Applicant(APPLICANTS_BACK.get(a.kind), a.name, a.relationship, a.authorization_ref)


def applicant_to_pb(a: Applicant | None) -> pb.CertificateApplicant | None:
    if a is None or a.kind is None:
        return None
    return pb.CertificateApplicant(
        kind=APPLICANTS[a.kind], name=a.name, relationship=a.relationship,
        authorization_ref=a.authorization_ref,
    )  # fmt: skip


def parent_from_pb(p: pb.CertificateParent) -> Parent:
    return Parent(
        p.name, p.age, p.nationality, p.ethnicity, p.address,
        DOCS_BACK.get(p.document_type, ""), p.document_number,
    )  # fmt: skip


def parent_to_pb(p: Parent | None) -> pb.CertificateParent | None:
    if p is None:
        return None
    return pb.CertificateParent(
        name=p.name, age=p.age, nationality=p.nationality, ethnicity=p.ethnicity,
        address=p.address, document_type=DOCS.get(p.document_type, 0),
        document_number=masked(p.document_number),
    )  # fmt: skip


def issue_input(c: pb.BirthCertificate) -> IssueInput:
    outside = None
    if c.HasField("outside_institution"):
        o = c.outside_institution
        outside = OutsideBirth(
            o.child, o.mother, time_from_pb(o.birth_time, "certificate.outside_institution.birth_time"),
            o.sex, o.weight_g, o.length_cm, o.gestational_weeks, o.birth_region_code,
            PLACES_BACK.get(o.place_type), o.parentage_test_ref, o.midwife,
        )  # fmt: skip
    return IssueInput(
        c.number, c.newborn, outside, c.child_name, HEALTH_BACK.get(c.health),
        parent_from_pb(c.mother), parent_from_pb(c.father), c.father_unknown_statement,
        c.midwife, c.parentage_test_ref, applicant_from_pb(c.applicant),
        c.late_application_explanation, c.household_region_code,
    )  # fmt: skip


def certificate_to_pb(c: Certificate, signed_code: str = "") -> pb.BirthCertificate:
    p = c.printed
    return pb.BirthCertificate(
        name=f"birthCertificates/{c.number}", number=c.number,
        newborn=f"deliveries/-/newborns/{c.newborn_id}" if c.newborn_id else "",
        child_name=p.child_name, health=HEALTH[Health(p.health)],
        mother=parent_to_pb(p.mother), father=parent_to_pb(p.father),
        father_unknown_statement=p.father_unknown_statement, midwife=p.midwife,
        issuer=f"tenants/{c.issuer_tenant_id}", issue_date=c.issue_date.isoformat(),
        type=TYPES[c.type], state=STATES[c.state], pages=PAGES[c.pages],
        supersedes=f"birthCertificates/{c.supersedes}" if c.supersedes else "",
        superseded_by=f"birthCertificates/{c.superseded_by}" if c.superseded_by else "",
        sex=p.sex, birth_time=ts(datetime.fromisoformat(p.birth_time)),
        gestational_weeks=p.gestational_weeks, weight_g=p.weight_g, length_cm=p.length_cm,
        birth_region_code=p.birth_region_code, place_type=PLACES[PlaceType(p.place_type)],
        birth_institution=p.birth_institution,
        child=f"residents/{c.child_resident_id}" if c.child_resident_id else "",
        signed_code=signed_code,
        ground=GROUNDS[c.ground] if c.ground else pb.REPLACEMENT_GROUND_UNSPECIFIED,
        void_reason=c.void_reason, create_time=ts(c.create_time),
        parentage_test_ref=c.parentage_test_ref, applicant=applicant_to_pb(c.applicant),
        late_application_explanation=c.late_explanation,
        household_region_code=c.household_region_code,
    )  # fmt: skip


def month_to_pb(m: Month) -> pb.BirthCertificateMonth:
    return pb.BirthCertificateMonth(
        holder=m.holder, first_issued=m.first_issued, replacements=m.replacements,
        reissues=m.reissues, voided_issued=m.voided_issued, voided_blank=m.voided_blank,
        lost=m.lost, destroyed=m.destroyed, in_stock=m.in_stock,
    )  # fmt: skip


def report_event_to_pb(e: OutboxEvent, held: int) -> pb.NationalReportEvent:
    return pb.NationalReportEvent(
        event_id=e.event_id, kind=e.kind,
        certificate=f"{'blankSerials' if e.kind in BLANK_KINDS else 'birthCertificates'}/{e.key}",
        state=e.state.value, position=e.position, attempts=e.attempts,
        last_error=e.last_error, enqueue_time=ts(e.enqueued_at), due_time=ts(e.due_at),
        held_behind=held,
    )  # fmt: skip


def designation_to_pb(d: Designation) -> pb.BirthCertificateIssuerDesignation:
    return pb.BirthCertificateIssuerDesignation(
        region=f"regions/{d.county}", issuer=f"tenants/{d.tenant_id}",
        document_ref=d.document_ref, designated_by=d.designated_by,
        update_time=ts(d.update_time),
    )  # fmt: skip
