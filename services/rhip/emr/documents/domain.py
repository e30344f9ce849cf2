"""Shared clinical documents (docs/domain §6.1–§6.3) as plain Python: the header and sections a
hospital sends, validated field by field (every bad field at once), diagnosis codes per §6.2
(the clinical version's lower-case ``x`` kept exactly as sent; TCM codes of GB/T 15657-2021),
lab items with their local code (LOINC only through the terminology table, never required).
No gRPC, no SQL."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

from rhip.kit.errors import Violations, invalid
from rhip.kit.requests import check_count, check_no_controls
from rhip.kit.tenancy import is_region_code
from rhip.kit.timestamps import clinical_day, parse_iso_date


class DocumentKind(Enum):
    OUTPATIENT_SUMMARY = "OUTPATIENT_SUMMARY"
    INPATIENT_SUMMARY = "INPATIENT_SUMMARY"
    DISCHARGE_SUMMARY = "DISCHARGE_SUMMARY"
    LAB_REPORT = "LAB_REPORT"
    EXAM_REPORT = "EXAM_REPORT"


class CodeSystem(Enum):
    ICD10 = "ICD10"  # GB/T 14396
    ICD10_CLINICAL = "ICD10_CLINICAL"  # 国家临床版 2.0
    ICD10_INSURANCE = "ICD10_INSURANCE"  # 医保版 2.0
    TCM = "TCM"  # GB/T 15657-2021


class ResultClass(Enum):
    LAB_TEST = "LAB_TEST"
    EXAMINATION = "EXAMINATION"


# §6.2: permissive; the x placeholders and the x-extension stay as sent (never stripped or
# upper-cased: `I10.x00x002` is not `I10.X00X002`).
ICD10_CODE = re.compile(r"^[A-Z][0-9]{2}(\.[0-9x]{1,3}(x[0-9]{3})?)?$")
# GB/T 15657-2021: diseases A…, syndromes B…, two-digit levels joined by dots.
TCM_CODE = re.compile(r"^[AB][0-9]{2}(\.[0-9]{2}){0,4}$")
LOINC_CODE = re.compile(r"^[0-9]{1,7}-[0-9]$")
LOCAL_CODE = re.compile(r"^[A-Za-z0-9._:\-]{1,40}$")
SOURCE_TEXT = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")
DIAGNOSIS_TYPES = frozenset({"main", "secondary", "admission", "discharge"})
NATIONAL = "CN"

# Bounds on what one document may carry (each a documented maximum).
MAX_IDENTIFIERS = 5
MAX_DIAGNOSES = 50
MAX_MEDICATIONS = 100
MAX_RESULTS = 500
MAX_MARK_REGIONS = 40
MAX_VERSION = 1_000_000
SHORT = 200  # names, codes' displays, doses …
LONG = 4000  # complaint, conclusion, disposition


@dataclass(frozen=True)
class Identifier:
    """A patient identity document as sent (matched through identity's resident index)."""

    doc_type: str  # identity's DocumentType name
    number: str  # never logged, never stored here
    issuing_country: str = ""


@dataclass(frozen=True)
class Document:
    """A validated document: ``body`` is what is stored (JSON; no patient identifier, no
    patient name); ``identifiers`` are only for matching."""

    kind: DocumentKind
    source_system: str
    document_id: str
    version: int
    effective_time: datetime
    body: dict[str, Any]
    identifiers: tuple[Identifier, ...] = ()
    content_hash: str = ""
    lab_codes: tuple[str, ...] = field(default=())

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.source_system, self.document_id, self.version)

    @property
    def clinical_date(self) -> date:
        """The day of care the timeline shows: the encounter's start when the document says
        it (the visit a lab report or summary belongs to), else its effective time."""
        start = self.body.get("encounter", {}).get("start_time")
        return clinical_day(datetime.fromisoformat(start) if start else self.effective_time)


def validate_document(form: Mapping[str, Any], prefix: str = "document") -> Document:
    """A Document from ``form`` (the servicer's plain-dict form of the request), or
    INVALID_ARGUMENT naming every bad field. Repeated fields are counted before their items."""
    checks = Violations()

    def text(name: str, value: str, limit: int, *, required: bool = False, multi: bool = False):
        value = (value or "").strip()
        if required and not value:
            checks.add(f"{prefix}.{name}", "must be set", "FIELD_REQUIRED")
        elif len(value) > limit:
            checks.add(f"{prefix}.{name}", f"must be at most {limit} characters", "TOO_LONG")
        else:
            checks.check(check_no_controls, value, f"{prefix}.{name}", multiline=multi)
        return value

    kind_name = form.get("kind") or ""
    kind = DocumentKind.__members__.get(kind_name)
    if kind is None:
        checks.add(f"{prefix}.kind", "must be a document kind", "KIND_REQUIRED")
    source = form.get("source_system") or ""
    if not SOURCE_TEXT.match(source):
        checks.add(
            f"{prefix}.source_system", "must be 1–64 of A-Z a-z 0-9 . _ : -", "SOURCE_SYSTEM"
        )
    document_id = form.get("document_id") or ""
    if not SOURCE_TEXT.match(document_id):
        checks.add(f"{prefix}.document_id", "must be 1–64 of A-Z a-z 0-9 . _ : -", "DOCUMENT_ID")
    version = form.get("version") or 0
    if not 1 <= version <= MAX_VERSION:
        checks.add(f"{prefix}.version", f"must be 1–{MAX_VERSION}", "VERSION_RANGE")
    effective = form.get("effective_time")
    if effective is None:
        checks.add(f"{prefix}.effective_time", "must be set", "FIELD_REQUIRED")
    elif effective > datetime.now(UTC) + _SKEW:
        checks.add(f"{prefix}.effective_time", "must not be in the future", "DATE_IN_FUTURE")
    author = form.get("author") or {}
    identifiers = _identifiers(form.get("identifiers") or [], checks, prefix)
    encounter = form.get("encounter") or {}
    for name in ("diagnoses", "medications", "results"):
        limit = {"diagnoses": MAX_DIAGNOSES, "medications": MAX_MEDICATIONS}.get(name, MAX_RESULTS)
        checks.check(check_count, form.get(name) or [], limit, f"{prefix}.{name}")
    checks.raise_if_any()
    body: dict[str, Any] = {
        "author": {
            "id": text("author.id", author.get("id", ""), 64),
            "display_name": text("author.display_name", author.get("display_name", ""), 100),
        },
        "encounter": {
            "start_time": _iso(encounter.get("start_time")),
            "end_time": _iso(encounter.get("end_time")),
            "department": text("encounter.department", encounter.get("department", ""), SHORT),
            "encounter_number": text(
                "encounter.encounter_number", encounter.get("encounter_number", ""), 64
            ),
        },
        "chief_complaint": text(
            "chief_complaint", form.get("chief_complaint", ""), LONG, multi=True
        ),
        "conclusion": text("conclusion", form.get("conclusion", ""), LONG, multi=True),
        "disposition": text("disposition", form.get("disposition", ""), LONG, multi=True),
        "diagnoses": [
            _diagnosis(d, checks, f"{prefix}.diagnoses[{i}]")
            for i, d in enumerate(form.get("diagnoses") or [])
        ],
        "medications": [
            _medication(m, checks, f"{prefix}.medications[{i}]")
            for i, m in enumerate(form.get("medications") or [])
        ],
        "results": [
            _result(r, checks, f"{prefix}.results[{i}]")
            for i, r in enumerate(form.get("results") or [])
        ],
    }
    if kind is DocumentKind.LAB_REPORT and not body["results"]:
        checks.add(
            f"{prefix}.results", "a lab report needs at least one result", "RESULTS_REQUIRED"
        )
    checks.raise_if_any()
    assert kind is not None and effective is not None
    return Document(
        kind, source, document_id, version, effective, body, identifiers,
        content_hash=content_hash(kind, source, document_id, version, effective, body),
        lab_codes=tuple(sorted({r["local_code"] for r in body["results"]})),
    )  # fmt: skip


def content_hash(
    kind: DocumentKind, source: str, document_id: str, version: int, effective: datetime,
    body: Mapping[str, Any],
) -> str:  # fmt: skip
    """SHA-256 of the document's content as received (patient identifiers left out: a digest
    of an ID number is as good as the number, there are so few of them)."""
    canonical = _canonical([kind.value, source, document_id, version, effective.isoformat(), body])
    return hashlib.sha256(canonical.encode()).hexdigest()


# json.dumps(value, **options) is JSONEncoder(**options).encode(value): one encoder, made once.
_canonical = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


_SKEW = timedelta(minutes=10)  # clocks of hospital systems run a little ahead


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _identifiers(items: list[Mapping[str, Any]], checks: Violations, prefix: str):
    where = f"{prefix}.patient_identifiers"
    if len(items) > MAX_IDENTIFIERS:
        checks.add(where, f"must have at most {MAX_IDENTIFIERS} entries", "TOO_MANY_ITEMS")
        return ()
    found = []
    for i, item in enumerate(items):
        doc_type, number = item.get("doc_type") or "", (item.get("number") or "").strip()
        if not doc_type or not number:
            checks.add(
                f"{where}[{i}].document", "needs a document type and number", "IDENTIFIER_REQUIRED"
            )
            continue
        if len(number) > 40:
            checks.add(f"{where}[{i}].document.number", "is too long", "TOO_LONG")
            continue
        found.append(Identifier(doc_type, number, item.get("issuing_country") or ""))
    if not items:
        # The patient is matched by an identity document, never by name alone (§1.4).
        checks.add(
            where, "at least one identity document is required", "PATIENT_IDENTIFIER_REQUIRED"
        )
    return tuple(dict.fromkeys(found))


def validate_diagnosis_code(system: str, code: str, field: str) -> str:
    """The code exactly as sent, if it fits its system (§6.2); INVALID_ARGUMENT otherwise."""
    if system == CodeSystem.TCM.value:
        if not TCM_CODE.match(code):
            raise invalid(
                field, "is not a GB/T 15657-2021 code (A01.01, B02.03.01)", "TCM_CODE_FORMAT"
            )
        return code
    if system in CodeSystem.__members__:
        if not ICD10_CODE.match(code):
            raise invalid(
                field,
                "is not an ICD-10 code of GB/T 14396 or its clinical version (I10.x00x002)",
                "DIAGNOSIS_CODE_FORMAT",
            )
        return code
    raise invalid(field.rsplit(".", 1)[0] + ".code_system", "must be set", "CODE_SYSTEM_REQUIRED")


def _diagnosis(item: Mapping[str, Any], checks: Violations, where: str) -> dict[str, str]:
    system = item.get("code_system") or ""
    code = item.get("code") or ""  # never stripped, never re-cased
    checks.check(validate_diagnosis_code, system, code, f"{where}.code")
    display = (item.get("display") or "").strip()
    if not display or len(display) > SHORT:
        checks.add(f"{where}.display", f"must be 1–{SHORT} characters", "DISPLAY_REQUIRED")
    checks.check(check_no_controls, display, f"{where}.display")
    kind = item.get("type") or "main"
    if kind not in DIAGNOSIS_TYPES:
        checks.add(
            f"{where}.type",
            f"must be one of {', '.join(sorted(DIAGNOSIS_TYPES))}",
            "DIAGNOSIS_TYPE",
        )
    version = (item.get("version") or "").strip()
    if len(version) > 20:
        checks.add(f"{where}.version", "must be at most 20 characters", "TOO_LONG")
    return {
        "code_system": system,
        "version": version,
        "code": code,
        "display": display,
        "type": kind,
    }


def _medication(item: Mapping[str, Any], checks: Violations, where: str) -> dict[str, str]:
    out = {}
    for name in ("name", "dose", "route", "frequency", "duration"):
        value = (item.get(name) or "").strip()
        if len(value) > SHORT:
            checks.add(f"{where}.{name}", f"must be at most {SHORT} characters", "TOO_LONG")
        checks.check(check_no_controls, value, f"{where}.{name}")
        out[name] = value
    if not out["name"]:
        checks.add(f"{where}.name", "must be set", "FIELD_REQUIRED")
    return out


def _result(item: Mapping[str, Any], checks: Violations, where: str) -> dict[str, Any]:
    klass = item.get("result_class") or ""
    if klass not in ResultClass.__members__:
        checks.add(
            f"{where}.result_class", "must be LAB_TEST or EXAMINATION", "RESULT_CLASS_REQUIRED"
        )
    local = item.get("local_code") or ""
    if not LOCAL_CODE.match(local):
        checks.add(f"{where}.local_code", "must be 1–40 of A-Z a-z 0-9 . _ : -", "LOCAL_CODE")
    out: dict[str, Any] = {"result_class": klass, "local_code": local}
    for name in ("name", "value", "unit", "reference_range", "recognition_mark"):
        value = (item.get(name) or "").strip()
        if len(value) > SHORT:
            checks.add(f"{where}.{name}", f"must be at most {SHORT} characters", "TOO_LONG")
        checks.check(check_no_controls, value, f"{where}.{name}")
        out[name] = value
    if not out["name"]:
        checks.add(f"{where}.name", "must be set", "FIELD_REQUIRED")
    regions = list(item.get("recognition_regions") or [])
    if len(regions) > MAX_MARK_REGIONS:
        checks.add(
            f"{where}.recognition_regions",
            f"must have at most {MAX_MARK_REGIONS} entries",
            "TOO_MANY_ITEMS",
        )
        regions = []
    for i, code in enumerate(regions):
        if code != NATIONAL and not is_region_code(code):
            checks.add(
                f"{where}.recognition_regions[{i}]",
                "must be CN or a 6-digit region code",
                "REGION_CODE",
            )
    if regions and not out["recognition_mark"]:
        checks.add(
            f"{where}.recognition_mark",
            "a marked item carries its printed mark (…HR)",
            "MARK_REQUIRED",
        )
    out["recognition_regions"] = sorted(set(regions))
    out["qc_passed"] = bool(item.get("qc_passed"))
    period = []
    for name in ("qc_period_start", "qc_period_end"):
        value = item.get(name) or ""
        parsed = checks.check(parse_iso_date, value, f"{where}.{name}") if value else None
        period.append(parsed)
        out[name] = parsed.isoformat() if parsed else ""
    if period[0] and period[1] and period[1] < period[0]:
        checks.add(f"{where}.qc_period_end", "must not be before qc_period_start", "QC_PERIOD")
    when = item.get("result_time")
    out["result_time"] = _iso(when)
    out["loinc_code"], out["terminology_version"] = "", 0
    return out


def result_day(item: Mapping[str, Any], effective: datetime) -> date:
    """The day a result was reported (the document's effective day when not given)."""
    text = item.get("result_time") or ""
    when = datetime.fromisoformat(text) if text else effective
    return clinical_day(when) if when.tzinfo else when.date()


@dataclass(frozen=True)
class StoredDocument:
    """One stored version of a document."""

    row_id: str
    doc_id: str  # the document across its versions: documents/{doc_id}
    custodian_tenant_id: str
    scope_path: str  # the custodian's tenant scope: who owns it
    source_system: str
    source_document_id: str
    version: int
    kind: DocumentKind
    resident_id: str
    effective_time: datetime
    is_current: bool
    content_hash: str
    body: dict[str, Any]
    create_time: datetime


@dataclass(frozen=True)
class ParkedDocument:
    """A document whose patient the resident index did not answer with exactly one person."""

    parked_id: str
    custodian_tenant_id: str
    scope_path: str
    source_system: str
    source_document_id: str
    version: int
    kind: DocumentKind
    reason: str  # PATIENT_UNKNOWN, PATIENT_AMBIGUOUS
    create_time: datetime
