"""Emr demo data for the embedded platform (``make run``), seeded after identity's and
archives' once the cell serves: the county hospital's demo doctor registers one fictional
patient and shares an outpatient summary (hypertension, the clinical-version code with its
lower-case x) and a lab report whose creatinine carries the province's HR mark, through the
use cases (validation, matching by identity document, audit). Fixed request ids and the
(source system, document id, version) key make a restart add nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from rhip.archives.demo import DemoResident
from rhip.demo import DEMO_PASSWORD, DemoCell, demo_cell, doctor_of, doctors_in, request_id
from rhip.identity.directory.domain import TenantType
from rhip.identity.residents.documents import DocumentType, Sex, id_check_char
from rhip.identity.residents.domain import Demographics
from rhip.kit.authn import acting_as
from rhip.kit.config import ConfigError, Settings
from rhip.kit.modules import Built

PERSON = DemoResident("赵德明", Sex.MALE, date(1962, 4, 9), "101")  # fictional


def _documents(number: str, now: datetime) -> list[dict]:
    visit = now - timedelta(days=3)
    patient = [{"doc_type": "DOCUMENT_TYPE_RESIDENT_ID_CARD", "number": number}]
    common = {
        "source_system": "HIS", "version": 1, "effective_time": visit, "identifiers": patient,
        "author": {"id": "D001", "display_name": "李医生"},
        "encounter": {"start_time": visit, "department": "心内科", "encounter_number": "MZ0001"},
    }  # fmt: skip
    return [
        {
            **common, "kind": "OUTPATIENT_SUMMARY", "document_id": "MZ-DEMO-0001",
            "chief_complaint": "头晕一周",
            "diagnoses": [
                {"code_system": "ICD10_CLINICAL", "version": "2.0", "code": "I10.x00x002",
                 "display": "高血压", "type": "main"},
            ],
            "medications": [{"name": "氨氯地平片", "dose": "5 mg", "route": "口服", "frequency": "qd"}],
            "disposition": "低盐饮食，两周后复诊",
        },
        {
            **common, "kind": "LAB_REPORT", "document_id": "LIS-DEMO-0001", "source_system": "LIS",
            "results": [
                {"result_class": "LAB_TEST", "local_code": "CREA", "name": "肌酐", "value": "88",
                 "unit": "µmol/L", "reference_range": "57–111", "recognition_mark": "江苏省HR",
                 "recognition_regions": ["320000"], "qc_passed": True,
                 "qc_period_start": f"{visit.year}-01-01", "qc_period_end": f"{visit.year}-12-31"},
            ],
        },
    ]  # fmt: skip


def _county_hospital(demo: DemoCell) -> int:
    return next(i for i, t in enumerate(demo.tenants) if t.type is TenantType.COUNTY_HOSPITAL)


def seed_emr_demo(built: Mapping[str, Built], settings: Settings) -> str | None:
    if "identity" not in built:
        raise ConfigError("emr demo data needs identity in the same process")
    identity = built["identity"].parts
    emr = built["emr"].parts.usecases
    demo = demo_cell(settings)
    index = _county_hospital(demo)
    tokens = identity.usecases.login_password(doctor_of(demo, index).username, DEMO_PASSWORD)
    county = demo.tenants[index].county
    # Made up, and the same on every start (a restart must find the patient it registered).
    body = f"{county}{PERSON.birth_date:%Y%m%d}951"
    number = body + id_check_char(body)
    with acting_as(tokens.principal, tokens.access.token):
        identity.residents.register(
            Demographics(PERSON.name, PERSON.sex, PERSON.birth_date, region_code=county),
            DocumentType.RESIDENT_ID_CARD, number, "", "", "",
            request_id(settings.cell, "emr", "patient"),
        )  # fmt: skip
        forms = _documents(number, datetime.now(UTC))
        for form in forms:  # a restart resends them: the same request ids, nothing new
            emr.submit(form, request_id(settings.cell, "emr", form["document_id"]))
    return f"emr demo data: {len(forms)} documents shared by {demo.tenants[index].name}"


def emr_demo_hints(gateway: str, codes: Sequence[str]) -> list[str]:
    """What the emr demo data lets a doctor try, for the operator; nothing personal."""
    doctors = doctors_in(codes, _county_hospital)
    return [
        "shared documents (emr): an outpatient summary and a lab report with a recognition mark,",
        f"  shared by the county hospital, for its doctor: {', '.join(doctors)}",
    ]
