"""The emr targets of the security world, each made by its legitimate owner (xz-doctor-1 of
T1, the Quanshan community health centre): a shared outpatient summary of the owner's first
resident, a summary parked for an unknown patient, the resident's consent for T1, and a
break-glass access. All belong to T1's scope:
no other institution reads them without a basis of its own."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from rhip.api.emr.v1 import document_pb2 as dpb
from rhip.api.emr.v1 import emr_service_pb2 as epb
from rhip.api.emr.v1 import emr_service_pb2_grpc
from rhip.api.identity.v1 import resident_pb2
from security.rpcs import TIMEOUT


def build_emr_targets(world, t1_scope: str) -> None:  # type: ignore[no-untyped-def]
    emr = emr_service_pb2_grpc.EmrServiceStub(world.platform.channel)
    md = world.owner
    resident = world.targets["resident"][0].value
    _, number = world.residents[0]
    when = Timestamp()
    when.FromDatetime(datetime.now(UTC) - timedelta(days=1))
    document = dpb.ClinicalDocument(
        kind=dpb.DOCUMENT_KIND_OUTPATIENT_SUMMARY, source_system="HIS", document_id="SEC-1",
        version=1, effective_time=when,
        patient_identifiers=[
            dpb.PatientIdentifier(
                document=resident_pb2.IdentityDocument(
                    type=resident_pb2.DOCUMENT_TYPE_RESIDENT_ID_CARD, number=number
                )
            )
        ],
        diagnoses=[
            dpb.Diagnosis(
                code_system=dpb.DIAGNOSIS_CODE_SYSTEM_ICD10_CLINICAL, code="I10.x00x002",
                display="高血压", type="main",
            )
        ],
    )  # fmt: skip

    def call(method, request):  # type: ignore[no-untyped-def]
        if "request_id" in request.DESCRIPTOR.fields_by_name:
            request.request_id = str(uuid.uuid4())
            world.replays.setdefault(request.DESCRIPTOR.full_name, []).append(
                (_owner_target(md, t1_scope), request.SerializeToString())
            )
        return method(request, metadata=md, timeout=TIMEOUT)

    stored = call(emr.SubmitDocument, epb.SubmitDocumentRequest(document=document))
    assert stored.outcome == dpb.DOCUMENT_OUTCOME_STORED, stored
    world.add("document", stored.name, t1_scope, "320311")
    unknown = type(document)()
    unknown.CopyFrom(document)
    unknown.document_id = "SEC-2"
    unknown.patient_identifiers[0].document.number = "320311199001010034"  # nobody's
    parked = call(emr.SubmitDocument, epb.SubmitDocumentRequest(document=unknown))
    assert parked.outcome == dpb.DOCUMENT_OUTCOME_PARKED, parked
    world.add("parked", parked.name, t1_scope, "320311")
    consent = call(
        emr.RecordConsent,
        epb.RecordConsentRequest(
            parent=resident,
            consent=epb.Consent(
                purpose="诊疗", kinds=[dpb.DOCUMENT_KIND_LAB_REPORT],
                end_date=(date.today() + timedelta(days=30)).isoformat(), reference="同意书-安全",
            ),
        ),
    )  # fmt: skip
    world.add("consent", consent.name, t1_scope, "320311")
    access = call(
        emr.StartBreakGlass, epb.StartBreakGlassRequest(parent=resident, reason="安全测试抢救")
    )
    world.add("break_glass", access.name, t1_scope, "320311")


def _owner_target(md, scope: str):  # type: ignore[no-untyped-def]
    from security.world import Target

    return Target(md[0][1], (scope,), "", False)
