import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from rhip.api.identity.v1 import resident_pb2 as _resident_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DocumentKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DOCUMENT_KIND_UNSPECIFIED: _ClassVar[DocumentKind]
    DOCUMENT_KIND_OUTPATIENT_SUMMARY: _ClassVar[DocumentKind]
    DOCUMENT_KIND_INPATIENT_SUMMARY: _ClassVar[DocumentKind]
    DOCUMENT_KIND_DISCHARGE_SUMMARY: _ClassVar[DocumentKind]
    DOCUMENT_KIND_LAB_REPORT: _ClassVar[DocumentKind]
    DOCUMENT_KIND_EXAM_REPORT: _ClassVar[DocumentKind]

class DiagnosisCodeSystem(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIAGNOSIS_CODE_SYSTEM_UNSPECIFIED: _ClassVar[DiagnosisCodeSystem]
    DIAGNOSIS_CODE_SYSTEM_ICD10: _ClassVar[DiagnosisCodeSystem]
    DIAGNOSIS_CODE_SYSTEM_ICD10_CLINICAL: _ClassVar[DiagnosisCodeSystem]
    DIAGNOSIS_CODE_SYSTEM_ICD10_INSURANCE: _ClassVar[DiagnosisCodeSystem]
    DIAGNOSIS_CODE_SYSTEM_TCM: _ClassVar[DiagnosisCodeSystem]

class ResultClass(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESULT_CLASS_UNSPECIFIED: _ClassVar[ResultClass]
    RESULT_CLASS_LAB_TEST: _ClassVar[ResultClass]
    RESULT_CLASS_EXAMINATION: _ClassVar[ResultClass]

class DocumentOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DOCUMENT_OUTCOME_UNSPECIFIED: _ClassVar[DocumentOutcome]
    DOCUMENT_OUTCOME_STORED: _ClassVar[DocumentOutcome]
    DOCUMENT_OUTCOME_SUPERSEDED: _ClassVar[DocumentOutcome]
    DOCUMENT_OUTCOME_UNCHANGED: _ClassVar[DocumentOutcome]
    DOCUMENT_OUTCOME_STORED_AS_HISTORY: _ClassVar[DocumentOutcome]
    DOCUMENT_OUTCOME_PARKED: _ClassVar[DocumentOutcome]
    DOCUMENT_OUTCOME_REJECTED: _ClassVar[DocumentOutcome]
DOCUMENT_KIND_UNSPECIFIED: DocumentKind
DOCUMENT_KIND_OUTPATIENT_SUMMARY: DocumentKind
DOCUMENT_KIND_INPATIENT_SUMMARY: DocumentKind
DOCUMENT_KIND_DISCHARGE_SUMMARY: DocumentKind
DOCUMENT_KIND_LAB_REPORT: DocumentKind
DOCUMENT_KIND_EXAM_REPORT: DocumentKind
DIAGNOSIS_CODE_SYSTEM_UNSPECIFIED: DiagnosisCodeSystem
DIAGNOSIS_CODE_SYSTEM_ICD10: DiagnosisCodeSystem
DIAGNOSIS_CODE_SYSTEM_ICD10_CLINICAL: DiagnosisCodeSystem
DIAGNOSIS_CODE_SYSTEM_ICD10_INSURANCE: DiagnosisCodeSystem
DIAGNOSIS_CODE_SYSTEM_TCM: DiagnosisCodeSystem
RESULT_CLASS_UNSPECIFIED: ResultClass
RESULT_CLASS_LAB_TEST: ResultClass
RESULT_CLASS_EXAMINATION: ResultClass
DOCUMENT_OUTCOME_UNSPECIFIED: DocumentOutcome
DOCUMENT_OUTCOME_STORED: DocumentOutcome
DOCUMENT_OUTCOME_SUPERSEDED: DocumentOutcome
DOCUMENT_OUTCOME_UNCHANGED: DocumentOutcome
DOCUMENT_OUTCOME_STORED_AS_HISTORY: DocumentOutcome
DOCUMENT_OUTCOME_PARKED: DocumentOutcome
DOCUMENT_OUTCOME_REJECTED: DocumentOutcome

class Author(_message.Message):
    __slots__ = ("id", "display_name")
    ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    display_name: str
    def __init__(self, id: _Optional[str] = ..., display_name: _Optional[str] = ...) -> None: ...

class Encounter(_message.Message):
    __slots__ = ("start_time", "end_time", "department", "encounter_number")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    ENCOUNTER_NUMBER_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    department: str
    encounter_number: str
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., department: _Optional[str] = ..., encounter_number: _Optional[str] = ...) -> None: ...

class Diagnosis(_message.Message):
    __slots__ = ("code_system", "version", "code", "display", "type")
    CODE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    code_system: DiagnosisCodeSystem
    version: str
    code: str
    display: str
    type: str
    def __init__(self, code_system: _Optional[_Union[DiagnosisCodeSystem, str]] = ..., version: _Optional[str] = ..., code: _Optional[str] = ..., display: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class Medication(_message.Message):
    __slots__ = ("name", "dose", "route", "frequency", "duration")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOSE_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    name: str
    dose: str
    route: str
    frequency: str
    duration: str
    def __init__(self, name: _Optional[str] = ..., dose: _Optional[str] = ..., route: _Optional[str] = ..., frequency: _Optional[str] = ..., duration: _Optional[str] = ...) -> None: ...

class ResultItem(_message.Message):
    __slots__ = ("result_class", "local_code", "name", "value", "unit", "reference_range", "result_time", "recognition_mark", "recognition_regions", "qc_passed", "qc_period_start", "qc_period_end", "loinc_code", "terminology_version")
    RESULT_CLASS_FIELD_NUMBER: _ClassVar[int]
    LOCAL_CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_RANGE_FIELD_NUMBER: _ClassVar[int]
    RESULT_TIME_FIELD_NUMBER: _ClassVar[int]
    RECOGNITION_MARK_FIELD_NUMBER: _ClassVar[int]
    RECOGNITION_REGIONS_FIELD_NUMBER: _ClassVar[int]
    QC_PASSED_FIELD_NUMBER: _ClassVar[int]
    QC_PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    QC_PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    LOINC_CODE_FIELD_NUMBER: _ClassVar[int]
    TERMINOLOGY_VERSION_FIELD_NUMBER: _ClassVar[int]
    result_class: ResultClass
    local_code: str
    name: str
    value: str
    unit: str
    reference_range: str
    result_time: _timestamp_pb2.Timestamp
    recognition_mark: str
    recognition_regions: _containers.RepeatedScalarFieldContainer[str]
    qc_passed: bool
    qc_period_start: str
    qc_period_end: str
    loinc_code: str
    terminology_version: int
    def __init__(self, result_class: _Optional[_Union[ResultClass, str]] = ..., local_code: _Optional[str] = ..., name: _Optional[str] = ..., value: _Optional[str] = ..., unit: _Optional[str] = ..., reference_range: _Optional[str] = ..., result_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recognition_mark: _Optional[str] = ..., recognition_regions: _Optional[_Iterable[str]] = ..., qc_passed: _Optional[bool] = ..., qc_period_start: _Optional[str] = ..., qc_period_end: _Optional[str] = ..., loinc_code: _Optional[str] = ..., terminology_version: _Optional[int] = ...) -> None: ...

class PatientIdentifier(_message.Message):
    __slots__ = ("document",)
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    document: _resident_pb2.IdentityDocument
    def __init__(self, document: _Optional[_Union[_resident_pb2.IdentityDocument, _Mapping]] = ...) -> None: ...

class ClinicalDocument(_message.Message):
    __slots__ = ("name", "kind", "document_id", "source_system", "version", "effective_time", "custodian", "author", "patient_identifiers", "resident", "encounter", "chief_complaint", "diagnoses", "medications", "results", "conclusion", "disposition", "content_hash", "superseded", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    CUSTODIAN_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    PATIENT_IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    ENCOUNTER_FIELD_NUMBER: _ClassVar[int]
    CHIEF_COMPLAINT_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSES_FIELD_NUMBER: _ClassVar[int]
    MEDICATIONS_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    CONCLUSION_FIELD_NUMBER: _ClassVar[int]
    DISPOSITION_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    SUPERSEDED_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: DocumentKind
    document_id: str
    source_system: str
    version: int
    effective_time: _timestamp_pb2.Timestamp
    custodian: str
    author: Author
    patient_identifiers: _containers.RepeatedCompositeFieldContainer[PatientIdentifier]
    resident: str
    encounter: Encounter
    chief_complaint: str
    diagnoses: _containers.RepeatedCompositeFieldContainer[Diagnosis]
    medications: _containers.RepeatedCompositeFieldContainer[Medication]
    results: _containers.RepeatedCompositeFieldContainer[ResultItem]
    conclusion: str
    disposition: str
    content_hash: str
    superseded: bool
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[DocumentKind, str]] = ..., document_id: _Optional[str] = ..., source_system: _Optional[str] = ..., version: _Optional[int] = ..., effective_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., custodian: _Optional[str] = ..., author: _Optional[_Union[Author, _Mapping]] = ..., patient_identifiers: _Optional[_Iterable[_Union[PatientIdentifier, _Mapping]]] = ..., resident: _Optional[str] = ..., encounter: _Optional[_Union[Encounter, _Mapping]] = ..., chief_complaint: _Optional[str] = ..., diagnoses: _Optional[_Iterable[_Union[Diagnosis, _Mapping]]] = ..., medications: _Optional[_Iterable[_Union[Medication, _Mapping]]] = ..., results: _Optional[_Iterable[_Union[ResultItem, _Mapping]]] = ..., conclusion: _Optional[str] = ..., disposition: _Optional[str] = ..., content_hash: _Optional[str] = ..., superseded: _Optional[bool] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
