"""Helpers for emr tests: the Emr handle (world, stub, residents) and document builders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from rhip.api.emr.v1 import document_pb2 as dpb
from rhip.api.emr.v1 import emr_service_pb2 as pb
from rhip.api.emr.v1 import emr_service_pb2_grpc
from rhip.api.identity.v1 import resident_pb2
from support.cells import RunningCell, World

# One "now" for the whole run: a resent document must be the same document.
NOW = datetime.now(UTC).replace(microsecond=0)


def stamp(days_ago: float = 0) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(NOW - timedelta(days=days_ago))
    return value


def identifier(number: str) -> dpb.PatientIdentifier:
    return dpb.PatientIdentifier(
        document=resident_pb2.IdentityDocument(
            type=resident_pb2.DOCUMENT_TYPE_RESIDENT_ID_CARD, number=number
        )
    )


def summary(
    number: str, document_id: str = "MZ-1", version: int = 1, **fields: Any
) -> dpb.ClinicalDocument:
    """An outpatient summary with a clinical-version hypertension diagnosis."""
    base: dict[str, Any] = {
        "kind": dpb.DOCUMENT_KIND_OUTPATIENT_SUMMARY,
        "source_system": "HIS",
        "document_id": document_id,
        "version": version,
        "effective_time": stamp(2),
        "author": dpb.Author(id="D01", display_name="李医生"),
        "patient_identifiers": [identifier(number)],
        "encounter": dpb.Encounter(start_time=stamp(2), department="心内科"),
        "chief_complaint": "头晕一周",
        "diagnoses": [
            dpb.Diagnosis(
                code_system=dpb.DIAGNOSIS_CODE_SYSTEM_ICD10_CLINICAL, version="2.0",
                code="I10.x00x002", display="高血压", type="main",
            )
        ],
    }  # fmt: skip
    base.update(fields)
    return dpb.ClinicalDocument(**base)


def lab_item(code: str = "CREA", days_ago: float = 2, **fields: Any) -> dpb.ResultItem:
    year = datetime.now(UTC).year
    base: dict[str, Any] = {
        "result_class": dpb.RESULT_CLASS_LAB_TEST, "local_code": code, "name": "肌酐",
        "value": "88", "unit": "µmol/L", "result_time": stamp(days_ago),
        "recognition_mark": "江苏省HR", "recognition_regions": ["320000"], "qc_passed": True,
        "qc_period_start": f"{year - 1}-01-01", "qc_period_end": f"{year + 1}-12-31",
    }  # fmt: skip
    base.update(fields)
    return dpb.ResultItem(**base)


def lab_report(
    number: str, document_id: str = "LIS-1", items: list | None = None, **fields: Any
) -> dpb.ClinicalDocument:  # type: ignore[type-arg]
    return summary(
        number, document_id, kind=dpb.DOCUMENT_KIND_LAB_REPORT, source_system="LIS",
        diagnoses=[], results=items if items is not None else [lab_item()], **fields,
    )  # fmt: skip


@dataclass
class Emr:
    running: RunningCell
    world: World
    api: emr_service_pb2_grpc.EmrServiceStub
    residents: dict[str, str] = field(default_factory=dict)  # short name → residents/{id}
    numbers: dict[str, str] = field(default_factory=dict)  # short name → ID number

    def md(self, who: str) -> list[tuple[str, str]]:
        if who in self.running.tokens and who == "his":
            return [("authorization", f"Bearer {self.running.tokens[who]}")]
        return self.running.md(who)

    def tenant(self, short: str) -> str:
        return f"tenants/{self.world.tenants[short]}"

    def submit(
        self, document: dpb.ClinicalDocument, who: str = "his", request_id: str = ""
    ) -> pb.SubmitDocumentResponse:
        return self.api.SubmitDocument(
            pb.SubmitDocumentRequest(document=document, request_id=request_id),
            metadata=self.md(who),
        )

    def stream(
        self, documents: list[dpb.ClinicalDocument], who: str = "his"
    ) -> pb.SubmitDocumentsResponse:
        return self.api.SubmitDocuments(
            (pb.SubmitDocumentsRequest(document=d) for d in documents), metadata=self.md(who)
        )

    def consent(
        self, resident: str, who: str, kinds: list[int] | None = None, **fields: Any
    ) -> pb.Consent:
        terms: dict[str, Any] = {
            "purpose": "诊疗",
            "kinds": kinds or [dpb.DOCUMENT_KIND_OUTPATIENT_SUMMARY, dpb.DOCUMENT_KIND_LAB_REPORT],
            "end_date": (datetime.now(UTC) + timedelta(days=30)).date().isoformat(),
            "reference": "知情同意书-001",
        }
        terms.update(fields)
        consent = pb.Consent(**terms)
        return self.api.RecordConsent(
            pb.RecordConsentRequest(
                parent=self.residents[resident], consent=consent, request_id=str(uuid.uuid4())
            ),
            metadata=self.md(who),
        )
