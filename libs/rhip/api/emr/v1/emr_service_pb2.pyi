import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from rhip.api.common.v1 import common_pb2 as _common_pb2
from rhip.api.emr.v1 import document_pb2 as _document_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ConsentGiver(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONSENT_GIVER_UNSPECIFIED: _ClassVar[ConsentGiver]
    CONSENT_GIVER_RESIDENT: _ClassVar[ConsentGiver]
    CONSENT_GIVER_GUARDIAN: _ClassVar[ConsentGiver]

class GuardianRelationship(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GUARDIAN_RELATIONSHIP_UNSPECIFIED: _ClassVar[GuardianRelationship]
    GUARDIAN_RELATIONSHIP_MOTHER: _ClassVar[GuardianRelationship]
    GUARDIAN_RELATIONSHIP_FATHER: _ClassVar[GuardianRelationship]
    GUARDIAN_RELATIONSHIP_OTHER: _ClassVar[GuardianRelationship]

class ReviewState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REVIEW_STATE_UNSPECIFIED: _ClassVar[ReviewState]
    REVIEW_STATE_PENDING: _ClassVar[ReviewState]
    REVIEW_STATE_JUSTIFIED: _ClassVar[ReviewState]
    REVIEW_STATE_UNJUSTIFIED: _ClassVar[ReviewState]
CONSENT_GIVER_UNSPECIFIED: ConsentGiver
CONSENT_GIVER_RESIDENT: ConsentGiver
CONSENT_GIVER_GUARDIAN: ConsentGiver
GUARDIAN_RELATIONSHIP_UNSPECIFIED: GuardianRelationship
GUARDIAN_RELATIONSHIP_MOTHER: GuardianRelationship
GUARDIAN_RELATIONSHIP_FATHER: GuardianRelationship
GUARDIAN_RELATIONSHIP_OTHER: GuardianRelationship
REVIEW_STATE_UNSPECIFIED: ReviewState
REVIEW_STATE_PENDING: ReviewState
REVIEW_STATE_JUSTIFIED: ReviewState
REVIEW_STATE_UNJUSTIFIED: ReviewState

class SubmitDocumentRequest(_message.Message):
    __slots__ = ("document", "request_id")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    document: _document_pb2.ClinicalDocument
    request_id: str
    def __init__(self, document: _Optional[_Union[_document_pb2.ClinicalDocument, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class SubmitDocumentsRequest(_message.Message):
    __slots__ = ("document",)
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    document: _document_pb2.ClinicalDocument
    def __init__(self, document: _Optional[_Union[_document_pb2.ClinicalDocument, _Mapping]] = ...) -> None: ...

class SubmitDocumentResponse(_message.Message):
    __slots__ = ("outcome", "source_system", "document_id", "version", "name", "reason", "field", "description", "index")
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    outcome: _document_pb2.DocumentOutcome
    source_system: str
    document_id: str
    version: int
    name: str
    reason: str
    field: str
    description: str
    index: int
    def __init__(self, outcome: _Optional[_Union[_document_pb2.DocumentOutcome, str]] = ..., source_system: _Optional[str] = ..., document_id: _Optional[str] = ..., version: _Optional[int] = ..., name: _Optional[str] = ..., reason: _Optional[str] = ..., field: _Optional[str] = ..., description: _Optional[str] = ..., index: _Optional[int] = ...) -> None: ...

class SubmitDocumentsResponse(_message.Message):
    __slots__ = ("results", "stored", "unchanged", "parked", "rejected")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    STORED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    PARKED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[SubmitDocumentResponse]
    stored: int
    unchanged: int
    parked: int
    rejected: int
    def __init__(self, results: _Optional[_Iterable[_Union[SubmitDocumentResponse, _Mapping]]] = ..., stored: _Optional[int] = ..., unchanged: _Optional[int] = ..., parked: _Optional[int] = ..., rejected: _Optional[int] = ...) -> None: ...

class GetDocumentRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListDocumentsRequest(_message.Message):
    __slots__ = ("parent", "kind", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    kind: _document_pb2.DocumentKind
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., kind: _Optional[_Union[_document_pb2.DocumentKind, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDocumentsResponse(_message.Message):
    __slots__ = ("documents", "next_page_token")
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[_document_pb2.ClinicalDocument]
    next_page_token: str
    def __init__(self, documents: _Optional[_Iterable[_Union[_document_pb2.ClinicalDocument, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListDocumentVersionsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ParkedDocument(_message.Message):
    __slots__ = ("name", "custodian", "source_system", "document_id", "version", "kind", "reason", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CUSTODIAN_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    custodian: str
    source_system: str
    document_id: str
    version: int
    kind: _document_pb2.DocumentKind
    reason: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., custodian: _Optional[str] = ..., source_system: _Optional[str] = ..., document_id: _Optional[str] = ..., version: _Optional[int] = ..., kind: _Optional[_Union[_document_pb2.DocumentKind, str]] = ..., reason: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListParkedDocumentsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ResolveParkedDocumentRequest(_message.Message):
    __slots__ = ("name", "resident")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    name: str
    resident: str
    def __init__(self, name: _Optional[str] = ..., resident: _Optional[str] = ...) -> None: ...

class ListParkedDocumentsResponse(_message.Message):
    __slots__ = ("parked_documents", "next_page_token")
    PARKED_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parked_documents: _containers.RepeatedCompositeFieldContainer[ParkedDocument]
    next_page_token: str
    def __init__(self, parked_documents: _Optional[_Iterable[_Union[ParkedDocument, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CheckRecognitionRequest(_message.Message):
    __slots__ = ("parent", "viewer", "date")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    VIEWER_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    viewer: str
    date: str
    def __init__(self, parent: _Optional[str] = ..., viewer: _Optional[str] = ..., date: _Optional[str] = ...) -> None: ...

class RecognitionVerdict(_message.Message):
    __slots__ = ("document", "item", "recognisable", "reasons")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    RECOGNISABLE_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    document: str
    item: _document_pb2.ResultItem
    recognisable: bool
    reasons: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, document: _Optional[str] = ..., item: _Optional[_Union[_document_pb2.ResultItem, _Mapping]] = ..., recognisable: _Optional[bool] = ..., reasons: _Optional[_Iterable[str]] = ...) -> None: ...

class CheckRecognitionResponse(_message.Message):
    __slots__ = ("verdicts",)
    VERDICTS_FIELD_NUMBER: _ClassVar[int]
    verdicts: _containers.RepeatedCompositeFieldContainer[RecognitionVerdict]
    def __init__(self, verdicts: _Optional[_Iterable[_Union[RecognitionVerdict, _Mapping]]] = ...) -> None: ...

class TimelineEntry(_message.Message):
    __slots__ = ("occur_time", "source", "kind", "target", "tenant", "tenant_display_name", "clinical_date")
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    TENANT_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    CLINICAL_DATE_FIELD_NUMBER: _ClassVar[int]
    occur_time: _timestamp_pb2.Timestamp
    source: str
    kind: str
    target: str
    tenant: str
    tenant_display_name: str
    clinical_date: str
    def __init__(self, occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source: _Optional[str] = ..., kind: _Optional[str] = ..., target: _Optional[str] = ..., tenant: _Optional[str] = ..., tenant_display_name: _Optional[str] = ..., clinical_date: _Optional[str] = ...) -> None: ...

class ListTimelineRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTimelineResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[TimelineEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[TimelineEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Consent(_message.Message):
    __slots__ = ("name", "resident", "grantee", "purpose", "kinds", "start_date", "end_date", "reference", "revoke_time", "given_by", "guardian_relationship")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    GRANTEE_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    GIVEN_BY_FIELD_NUMBER: _ClassVar[int]
    GUARDIAN_RELATIONSHIP_FIELD_NUMBER: _ClassVar[int]
    name: str
    resident: str
    grantee: str
    purpose: str
    kinds: _containers.RepeatedScalarFieldContainer[_document_pb2.DocumentKind]
    start_date: str
    end_date: str
    reference: str
    revoke_time: _timestamp_pb2.Timestamp
    given_by: ConsentGiver
    guardian_relationship: GuardianRelationship
    def __init__(self, name: _Optional[str] = ..., resident: _Optional[str] = ..., grantee: _Optional[str] = ..., purpose: _Optional[str] = ..., kinds: _Optional[_Iterable[_Union[_document_pb2.DocumentKind, str]]] = ..., start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., reference: _Optional[str] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., given_by: _Optional[_Union[ConsentGiver, str]] = ..., guardian_relationship: _Optional[_Union[GuardianRelationship, str]] = ...) -> None: ...

class RecordConsentRequest(_message.Message):
    __slots__ = ("parent", "consent", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    consent: Consent
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., consent: _Optional[_Union[Consent, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RevokeConsentRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class BreakGlassAccess(_message.Message):
    __slots__ = ("name", "resident", "practitioner", "tenant", "reason", "start_time", "expire_time", "uses", "review_state", "review_note", "reviewer")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    PRACTITIONER_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    USES_FIELD_NUMBER: _ClassVar[int]
    REVIEW_STATE_FIELD_NUMBER: _ClassVar[int]
    REVIEW_NOTE_FIELD_NUMBER: _ClassVar[int]
    REVIEWER_FIELD_NUMBER: _ClassVar[int]
    name: str
    resident: str
    practitioner: str
    tenant: str
    reason: str
    start_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    uses: int
    review_state: ReviewState
    review_note: str
    reviewer: str
    def __init__(self, name: _Optional[str] = ..., resident: _Optional[str] = ..., practitioner: _Optional[str] = ..., tenant: _Optional[str] = ..., reason: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., uses: _Optional[int] = ..., review_state: _Optional[_Union[ReviewState, str]] = ..., review_note: _Optional[str] = ..., reviewer: _Optional[str] = ...) -> None: ...

class StartBreakGlassRequest(_message.Message):
    __slots__ = ("parent", "reason", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    reason: str
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListBreakGlassAccessesRequest(_message.Message):
    __slots__ = ("parent", "review_state", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    REVIEW_STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    review_state: ReviewState
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., review_state: _Optional[_Union[ReviewState, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListBreakGlassAccessesResponse(_message.Message):
    __slots__ = ("accesses", "next_page_token")
    ACCESSES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    accesses: _containers.RepeatedCompositeFieldContainer[BreakGlassAccess]
    next_page_token: str
    def __init__(self, accesses: _Optional[_Iterable[_Union[BreakGlassAccess, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ReviewBreakGlassAccessRequest(_message.Message):
    __slots__ = ("name", "review_state", "review_note")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REVIEW_STATE_FIELD_NUMBER: _ClassVar[int]
    REVIEW_NOTE_FIELD_NUMBER: _ClassVar[int]
    name: str
    review_state: ReviewState
    review_note: str
    def __init__(self, name: _Optional[str] = ..., review_state: _Optional[_Union[ReviewState, str]] = ..., review_note: _Optional[str] = ...) -> None: ...

class LabCodeMapping(_message.Message):
    __slots__ = ("name", "local_code", "loinc_code", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LOCAL_CODE_FIELD_NUMBER: _ClassVar[int]
    LOINC_CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    local_code: str
    loinc_code: str
    version: int
    def __init__(self, name: _Optional[str] = ..., local_code: _Optional[str] = ..., loinc_code: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class SetLabCodeMappingRequest(_message.Message):
    __slots__ = ("parent", "mapping", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    MAPPING_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    mapping: LabCodeMapping
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., mapping: _Optional[_Union[LabCodeMapping, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class SearchAuditEventsRequest(_message.Message):
    __slots__ = ("parent", "resident", "actor", "tenant", "action", "start_time", "end_time", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    resident: str
    actor: str
    tenant: str
    action: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., resident: _Optional[str] = ..., actor: _Optional[str] = ..., tenant: _Optional[str] = ..., action: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class SearchAuditEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_common_pb2.AuditEvent]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[_common_pb2.AuditEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
