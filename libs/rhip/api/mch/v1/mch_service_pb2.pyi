from google.api import annotations_pb2 as _annotations_pb2
from rhip.api.identity.v1 import resident_pb2 as _resident_pb2
from rhip.api.mch.v1 import child_pb2 as _child_pb2
from rhip.api.mch.v1 import child_transfer_pb2 as _child_transfer_pb2
from rhip.api.mch.v1 import indicators_pb2 as _indicators_pb2
from rhip.api.mch.v1 import pregnancy_pb2 as _pregnancy_pb2
from rhip.api.mch.v1 import pregnancy_transfer_pb2 as _pregnancy_transfer_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GestationalAge(_message.Message):
    __slots__ = ("weeks", "days")
    WEEKS_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    weeks: int
    days: int
    def __init__(self, weeks: _Optional[int] = ..., days: _Optional[int] = ...) -> None: ...

class RegisterPregnancyRequest(_message.Message):
    __slots__ = ("resident", "handbook_number", "registration_date", "lmp_date", "gestational_age", "request_id", "first_check_labs")
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    HANDBOOK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REGISTRATION_DATE_FIELD_NUMBER: _ClassVar[int]
    LMP_DATE_FIELD_NUMBER: _ClassVar[int]
    GESTATIONAL_AGE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    FIRST_CHECK_LABS_FIELD_NUMBER: _ClassVar[int]
    resident: str
    handbook_number: str
    registration_date: str
    lmp_date: str
    gestational_age: GestationalAge
    request_id: str
    first_check_labs: _pregnancy_pb2.AntenatalLabs
    def __init__(self, resident: _Optional[str] = ..., handbook_number: _Optional[str] = ..., registration_date: _Optional[str] = ..., lmp_date: _Optional[str] = ..., gestational_age: _Optional[_Union[GestationalAge, _Mapping]] = ..., request_id: _Optional[str] = ..., first_check_labs: _Optional[_Union[_pregnancy_pb2.AntenatalLabs, _Mapping]] = ...) -> None: ...

class RecordRiskScreeningRequest(_message.Message):
    __slots__ = ("parent", "screening", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    SCREENING_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    screening: _pregnancy_pb2.RiskScreening
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., screening: _Optional[_Union[_pregnancy_pb2.RiskScreening, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RecordAntenatalLabResultsRequest(_message.Message):
    __slots__ = ("name", "labs", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LABS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    labs: _pregnancy_pb2.AntenatalLabs
    request_id: str
    def __init__(self, name: _Optional[str] = ..., labs: _Optional[_Union[_pregnancy_pb2.AntenatalLabs, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetPregnancyRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListPregnanciesRequest(_message.Message):
    __slots__ = ("parent", "state", "overdue_only", "min_risk", "page_size", "page_token", "family_doctor_team")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_ONLY_FIELD_NUMBER: _ClassVar[int]
    MIN_RISK_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    FAMILY_DOCTOR_TEAM_FIELD_NUMBER: _ClassVar[int]
    parent: str
    state: _pregnancy_pb2.PregnancyState
    overdue_only: bool
    min_risk: _pregnancy_pb2.RiskColor
    page_size: int
    page_token: str
    family_doctor_team: str
    def __init__(self, parent: _Optional[str] = ..., state: _Optional[_Union[_pregnancy_pb2.PregnancyState, str]] = ..., overdue_only: _Optional[bool] = ..., min_risk: _Optional[_Union[_pregnancy_pb2.RiskColor, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., family_doctor_team: _Optional[str] = ...) -> None: ...

class ListPregnanciesResponse(_message.Message):
    __slots__ = ("pregnancies", "next_page_token")
    PREGNANCIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    pregnancies: _containers.RepeatedCompositeFieldContainer[_pregnancy_pb2.Pregnancy]
    next_page_token: str
    def __init__(self, pregnancies: _Optional[_Iterable[_Union[_pregnancy_pb2.Pregnancy, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RecordAntenatalVisitRequest(_message.Message):
    __slots__ = ("parent", "visit", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    VISIT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    visit: _pregnancy_pb2.AntenatalVisit
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., visit: _Optional[_Union[_pregnancy_pb2.AntenatalVisit, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RecordPostpartumVisitRequest(_message.Message):
    __slots__ = ("parent", "kind", "visit", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    VISIT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    kind: _pregnancy_pb2.VisitKind
    visit: _pregnancy_pb2.AntenatalVisit
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., kind: _Optional[_Union[_pregnancy_pb2.VisitKind, str]] = ..., visit: _Optional[_Union[_pregnancy_pb2.AntenatalVisit, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListAntenatalVisitsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAntenatalVisitsResponse(_message.Message):
    __slots__ = ("visits", "next_page_token")
    VISITS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    visits: _containers.RepeatedCompositeFieldContainer[_pregnancy_pb2.AntenatalVisit]
    next_page_token: str
    def __init__(self, visits: _Optional[_Iterable[_Union[_pregnancy_pb2.AntenatalVisit, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class AssessPregnancyRiskRequest(_message.Message):
    __slots__ = ("mother", "assessment_date", "criteria", "request_id")
    MOTHER_FIELD_NUMBER: _ClassVar[int]
    ASSESSMENT_DATE_FIELD_NUMBER: _ClassVar[int]
    CRITERIA_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    mother: str
    assessment_date: str
    criteria: _containers.RepeatedScalarFieldContainer[str]
    request_id: str
    def __init__(self, mother: _Optional[str] = ..., assessment_date: _Optional[str] = ..., criteria: _Optional[_Iterable[str]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetRiskRulePackRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListRiskAssessmentsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRiskAssessmentsResponse(_message.Message):
    __slots__ = ("assessments", "next_page_token")
    ASSESSMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    assessments: _containers.RepeatedCompositeFieldContainer[_pregnancy_pb2.RiskAssessment]
    next_page_token: str
    def __init__(self, assessments: _Optional[_Iterable[_Union[_pregnancy_pb2.RiskAssessment, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListRiskReportsRequest(_message.Message):
    __slots__ = ("parent", "open_only", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    OPEN_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    open_only: bool
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., open_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRiskReportsResponse(_message.Message):
    __slots__ = ("reports", "next_page_token")
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    reports: _containers.RepeatedCompositeFieldContainer[_pregnancy_pb2.RiskReport]
    next_page_token: str
    def __init__(self, reports: _Optional[_Iterable[_Union[_pregnancy_pb2.RiskReport, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class AcknowledgeRiskReportRequest(_message.Message):
    __slots__ = ("name", "note")
    NAME_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    name: str
    note: str
    def __init__(self, name: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class RecordDeliveryRequest(_message.Message):
    __slots__ = ("delivery", "request_id")
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    delivery: _pregnancy_pb2.Delivery
    request_id: str
    def __init__(self, delivery: _Optional[_Union[_pregnancy_pb2.Delivery, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetDeliveryRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class TerminatePregnancyRequest(_message.Message):
    __slots__ = ("name", "reason", "termination_date", "note")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TERMINATION_DATE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: _pregnancy_pb2.TerminationReason
    termination_date: str
    note: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[_Union[_pregnancy_pb2.TerminationReason, str]] = ..., termination_date: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class PlanDeliveryRequest(_message.Message):
    __slots__ = ("name", "delivery_tenant", "emergency_reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_TENANT_FIELD_NUMBER: _ClassVar[int]
    EMERGENCY_REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    delivery_tenant: str
    emergency_reason: str
    def __init__(self, name: _Optional[str] = ..., delivery_tenant: _Optional[str] = ..., emergency_reason: _Optional[str] = ...) -> None: ...

class RequestPregnancyTransferRequest(_message.Message):
    __slots__ = ("pregnancy", "resident", "target_tenant", "reason", "request_id")
    PREGNANCY_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    TARGET_TENANT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    pregnancy: str
    resident: str
    target_tenant: str
    reason: str
    request_id: str
    def __init__(self, pregnancy: _Optional[str] = ..., resident: _Optional[str] = ..., target_tenant: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class AcceptPregnancyTransferRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeclinePregnancyTransferRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class WithdrawPregnancyTransferRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class GetPregnancyTransferRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListPregnancyTransfersRequest(_message.Message):
    __slots__ = ("parent", "state", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    state: _pregnancy_transfer_pb2.PregnancyTransferState
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., state: _Optional[_Union[_pregnancy_transfer_pb2.PregnancyTransferState, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPregnancyTransfersResponse(_message.Message):
    __slots__ = ("transfers", "next_page_token")
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    transfers: _containers.RepeatedCompositeFieldContainer[_pregnancy_transfer_pb2.PregnancyTransfer]
    next_page_token: str
    def __init__(self, transfers: _Optional[_Iterable[_Union[_pregnancy_transfer_pb2.PregnancyTransfer, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class EnrollChildRequest(_message.Message):
    __slots__ = ("child", "request_id", "birth")
    CHILD_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    BIRTH_FIELD_NUMBER: _ClassVar[int]
    child: str
    request_id: str
    birth: _child_pb2.BirthFacts
    def __init__(self, child: _Optional[str] = ..., request_id: _Optional[str] = ..., birth: _Optional[_Union[_child_pb2.BirthFacts, _Mapping]] = ...) -> None: ...

class GetChildRecordRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListChildRecordsRequest(_message.Message):
    __slots__ = ("parent", "overdue_only", "page_size", "page_token", "family_doctor_team")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    FAMILY_DOCTOR_TEAM_FIELD_NUMBER: _ClassVar[int]
    parent: str
    overdue_only: bool
    page_size: int
    page_token: str
    family_doctor_team: str
    def __init__(self, parent: _Optional[str] = ..., overdue_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., family_doctor_team: _Optional[str] = ...) -> None: ...

class ListChildRecordsResponse(_message.Message):
    __slots__ = ("records", "next_page_token")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[_child_pb2.ChildRecord]
    next_page_token: str
    def __init__(self, records: _Optional[_Iterable[_Union[_child_pb2.ChildRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RecordChildVisitRequest(_message.Message):
    __slots__ = ("parent", "visit", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    VISIT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    visit: _child_pb2.ChildVisit
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., visit: _Optional[_Union[_child_pb2.ChildVisit, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RequestChildTransferRequest(_message.Message):
    __slots__ = ("name", "target_tenant", "target_region", "guardian_consent_reference", "consent_date", "reason", "request_id", "child_document")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TARGET_TENANT_FIELD_NUMBER: _ClassVar[int]
    TARGET_REGION_FIELD_NUMBER: _ClassVar[int]
    GUARDIAN_CONSENT_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    CONSENT_DATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CHILD_DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    name: str
    target_tenant: str
    target_region: str
    guardian_consent_reference: str
    consent_date: str
    reason: str
    request_id: str
    child_document: _resident_pb2.IdentityDocument
    def __init__(self, name: _Optional[str] = ..., target_tenant: _Optional[str] = ..., target_region: _Optional[str] = ..., guardian_consent_reference: _Optional[str] = ..., consent_date: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ..., child_document: _Optional[_Union[_resident_pb2.IdentityDocument, _Mapping]] = ...) -> None: ...

class AcceptChildTransferRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeclineChildTransferRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class WithdrawChildTransferRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class GetChildTransferRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListChildTransfersRequest(_message.Message):
    __slots__ = ("parent", "state", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    state: _child_transfer_pb2.ChildTransferState
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., state: _Optional[_Union[_child_transfer_pb2.ChildTransferState, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListChildTransfersResponse(_message.Message):
    __slots__ = ("transfers", "next_page_token")
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    transfers: _containers.RepeatedCompositeFieldContainer[_child_transfer_pb2.ChildTransfer]
    next_page_token: str
    def __init__(self, transfers: _Optional[_Iterable[_Union[_child_transfer_pb2.ChildTransfer, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetChildVisionRecordRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...
