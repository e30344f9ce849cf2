"""Proto ⇄ domain for the emr servicer: requests to plain forms (enums as names, timestamps
as aware datetimes, bad ones INVALID_ARGUMENT naming their field) and answers to messages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from google.protobuf.message import Message
from rhip.api.emr.v1 import document_pb2 as dpb
from rhip.api.emr.v1 import emr_service_pb2 as pb
from rhip.api.identity.v1 import resident_pb2
from rhip.emr.documents.domain import DocumentKind, ParkedDocument, StoredDocument
from rhip.emr.documents.ingest import Outcome
from rhip.emr.reading.domain import BreakGlass, Consent, ReviewState
from rhip.emr.reading.guardians import ConsentGiver, GuardianRelationship
from rhip.emr.recognition.usecases import Verdict
from rhip.emr.timeline.store import TimelineEntry
from rhip.kit.errors import Violations
from rhip.kit.timestamps import from_timestamp, to_timestamp


@cache
def _numbers(enum: Any) -> frozenset[int]:
    """The numbers an enum defines (its ``values()`` builds a new list on every call)."""
    return frozenset(enum.values())


def _enum_name(enum: Any, value: int, prefix: str) -> str:
    """``LAB_REPORT`` for DOCUMENT_KIND_LAB_REPORT; "" for 0 and unknown numbers."""
    if value == 0 or value not in _numbers(enum):
        return ""
    return str(enum.Name(value)).removeprefix(prefix)


def _time(message: Message, name: str, where: str, checks: Violations) -> datetime | None:
    if not message.HasField(name):
        return None
    return checks.check(from_timestamp, getattr(message, name), f"{where}.{name}")


def document_form(doc: dpb.ClinicalDocument) -> dict[str, Any]:
    """The plain form of a document as domain.validate_document reads it."""
    checks = Violations()
    where = "document"
    form: dict[str, Any] = {
        "kind": _enum_name(dpb.DocumentKind, doc.kind, "DOCUMENT_KIND_"),
        "source_system": doc.source_system,
        "document_id": doc.document_id,
        "version": doc.version,
        "effective_time": _time(doc, "effective_time", where, checks),
        "author": {"id": doc.author.id, "display_name": doc.author.display_name},
        "encounter": {
            "start_time": _time(doc.encounter, "start_time", f"{where}.encounter", checks),
            "end_time": _time(doc.encounter, "end_time", f"{where}.encounter", checks),
            "department": doc.encounter.department,
            "encounter_number": doc.encounter.encounter_number,
        },
        "chief_complaint": doc.chief_complaint,
        "conclusion": doc.conclusion,
        "disposition": doc.disposition,
        "identifiers": [
            {
                "doc_type": (
                    resident_pb2.DocumentType.Name(i.document.type)
                    if i.document.type in _numbers(resident_pb2.DocumentType) and i.document.type
                    else ""
                ),
                "number": i.document.number,
                "issuing_country": i.document.issuing_country,
            }
            for i in doc.patient_identifiers[:6]
        ],
        "diagnoses": [
            {
                "code_system": _enum_name(dpb.DiagnosisCodeSystem, d.code_system, "DIAGNOSIS_CODE_SYSTEM_"),
                "version": d.version, "code": d.code, "display": d.display, "type": d.type,
            }
            for d in doc.diagnoses[:51]
        ],
        "medications": [
            {"name": m.name, "dose": m.dose, "route": m.route, "frequency": m.frequency,
             "duration": m.duration}
            for m in doc.medications[:101]
        ],
        "results": [_result(r, f"{where}.results[{i}]", checks) for i, r in enumerate(doc.results[:501])],
    }  # fmt: skip
    checks.raise_if_any()
    return form


def _result(r: dpb.ResultItem, where: str, checks: Violations) -> dict[str, Any]:
    return {
        "result_class": _enum_name(dpb.ResultClass, r.result_class, "RESULT_CLASS_"),
        "local_code": r.local_code, "name": r.name, "value": r.value, "unit": r.unit,
        "reference_range": r.reference_range, "recognition_mark": r.recognition_mark,
        "recognition_regions": list(r.recognition_regions[:41]), "qc_passed": r.qc_passed,
        "qc_period_start": r.qc_period_start, "qc_period_end": r.qc_period_end,
        "result_time": _time(r, "result_time", where, checks),
    }  # fmt: skip


def _stamp(text: str) -> Any:
    return to_timestamp(datetime.fromisoformat(text)) if text else None


def _result_to_pb(item: Mapping[str, Any]) -> dpb.ResultItem:
    return dpb.ResultItem(
        result_class="RESULT_CLASS_" + item["result_class"],
        local_code=item["local_code"], name=item["name"], value=item["value"],
        unit=item["unit"], reference_range=item["reference_range"],
        result_time=_stamp(item.get("result_time", "")),
        recognition_mark=item["recognition_mark"],
        recognition_regions=item["recognition_regions"], qc_passed=item["qc_passed"],
        qc_period_start=item["qc_period_start"], qc_period_end=item["qc_period_end"],
        loinc_code=item.get("loinc_code", ""),
        terminology_version=item.get("terminology_version", 0),
    )  # fmt: skip


def document_to_pb(doc: StoredDocument, with_version: bool = False) -> dpb.ClinicalDocument:
    body = doc.body
    encounter = body.get("encounter", {})
    name = f"documents/{doc.doc_id}" + (f"/versions/{doc.version}" if with_version else "")
    return dpb.ClinicalDocument(
        name=name, kind="DOCUMENT_KIND_" + doc.kind.value,
        document_id=doc.source_document_id, source_system=doc.source_system,
        version=doc.version, effective_time=to_timestamp(doc.effective_time),
        custodian=f"tenants/{doc.custodian_tenant_id}",
        author=dpb.Author(**body.get("author", {})), resident=f"residents/{doc.resident_id}",
        encounter=dpb.Encounter(
            start_time=_stamp(encounter.get("start_time", "")),
            end_time=_stamp(encounter.get("end_time", "")),
            department=encounter.get("department", ""),
            encounter_number=encounter.get("encounter_number", ""),
        ),
        chief_complaint=body.get("chief_complaint", ""),
        diagnoses=[
            dpb.Diagnosis(
                code_system="DIAGNOSIS_CODE_SYSTEM_" + d["code_system"],
                version=d["version"], code=d["code"], display=d["display"], type=d["type"],
            )
            for d in body.get("diagnoses", [])
        ],
        medications=[dpb.Medication(**m) for m in body.get("medications", [])],
        results=[_result_to_pb(r) for r in body.get("results", [])],
        conclusion=body.get("conclusion", ""), disposition=body.get("disposition", ""),
        content_hash=doc.content_hash, superseded=not doc.is_current,
        create_time=to_timestamp(doc.create_time),
    )  # fmt: skip


OUTCOMES = {name: "DOCUMENT_OUTCOME_" + name for name in (
    "STORED", "SUPERSEDED", "UNCHANGED", "STORED_AS_HISTORY", "PARKED", "REJECTED",
)}  # fmt: skip


def outcome_to_pb(o: Outcome) -> pb.SubmitDocumentResponse:
    return pb.SubmitDocumentResponse(
        outcome=OUTCOMES[o.outcome], source_system=o.source_system, document_id=o.document_id,
        version=o.version, name=o.name, reason=o.reason, field=o.field,
        description=o.description, index=o.index,
    )  # fmt: skip


def parked_to_pb(p: ParkedDocument) -> pb.ParkedDocument:
    return pb.ParkedDocument(
        name=f"parkedDocuments/{p.parked_id}", custodian=f"tenants/{p.custodian_tenant_id}",
        source_system=p.source_system, document_id=p.source_document_id, version=p.version,
        kind="DOCUMENT_KIND_" + p.kind.value, reason=p.reason,
        create_time=to_timestamp(p.create_time),
    )  # fmt: skip


def kind_filter(value: int) -> DocumentKind | None:
    name = _enum_name(dpb.DocumentKind, value, "DOCUMENT_KIND_")
    return DocumentKind(name) if name else None


def consent_kinds(consent: pb.Consent) -> list[str]:
    return [_enum_name(dpb.DocumentKind, k, "DOCUMENT_KIND_") or "?" for k in consent.kinds[:11]]


def consent_giver(consent: pb.Consent) -> tuple[ConsentGiver, GuardianRelationship | None]:
    """Who gave it (unspecified: the resident) and a guardian's relationship, if named."""
    giver = _enum_name(pb.ConsentGiver, consent.given_by, "CONSENT_GIVER_") or "RESIDENT"
    relation = _enum_name(
        pb.GuardianRelationship, consent.guardian_relationship, "GUARDIAN_RELATIONSHIP_"
    )
    return ConsentGiver(giver), GuardianRelationship(relation) if relation else None


def consent_to_pb(c: Consent) -> pb.Consent:
    return pb.Consent(
        name=f"consents/{c.consent_id}", resident=f"residents/{c.resident_id}",
        grantee=f"tenants/{c.grantee_tenant_id}", purpose=c.purpose,
        kinds=["DOCUMENT_KIND_" + k.value for k in c.kinds],
        start_date=c.start_date.isoformat(), end_date=c.end_date.isoformat(),
        reference=c.reference, revoke_time=to_timestamp(c.revoke_time),
        given_by="CONSENT_GIVER_" + c.given_by.value,
        guardian_relationship=(
            "GUARDIAN_RELATIONSHIP_" + c.guardian_relationship.value
            if c.guardian_relationship
            else "GUARDIAN_RELATIONSHIP_UNSPECIFIED"
        ),
    )  # fmt: skip


def review_state(value: int) -> ReviewState | None:
    name = _enum_name(pb.ReviewState, value, "REVIEW_STATE_")
    return ReviewState(name) if name else None


def access_to_pb(a: BreakGlass) -> pb.BreakGlassAccess:
    return pb.BreakGlassAccess(
        name=f"breakGlassAccesses/{a.access_id}", resident=f"residents/{a.resident_id}",
        practitioner=a.subject, tenant=f"tenants/{a.tenant_id}", reason=a.reason,
        start_time=to_timestamp(a.start_time), expire_time=to_timestamp(a.expire_time),
        uses=a.uses, review_state="REVIEW_STATE_" + a.review_state.value,
        review_note=a.review_note, reviewer=a.reviewer,
    )  # fmt: skip


def verdict_to_pb(v: Verdict) -> pb.RecognitionVerdict:
    return pb.RecognitionVerdict(
        document=v.document,
        item=_result_to_pb(v.item),
        recognisable=v.recognisable,
        reasons=v.reasons,
    )


def entry_to_pb(e: TimelineEntry) -> pb.TimelineEntry:
    return pb.TimelineEntry(
        occur_time=to_timestamp(e.occur_time.astimezone(UTC)),
        source=e.source,
        kind=("DOCUMENT_KIND_" + e.kind) if e.source == "emr" else e.kind,
        target=e.target,
        tenant=f"tenants/{e.tenant_id}",
        tenant_display_name=e.tenant_name,
        clinical_date=e.clinical_date.isoformat() if e.clinical_date else "",
    )
