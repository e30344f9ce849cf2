import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from rhip.api.common.v1 import common_pb2 as _common_pb2
from rhip.api.identity.v1 import health_card_pb2 as _health_card_pb2
from rhip.api.identity.v1 import resident_pb2 as _resident_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RegisterResidentRequest(_message.Message):
    __slots__ = ("resident", "document", "tenant", "request_id")
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    resident: _resident_pb2.Resident
    document: _resident_pb2.IdentityDocument
    tenant: str
    request_id: str
    def __init__(self, resident: _Optional[_Union[_resident_pb2.Resident, _Mapping]] = ..., document: _Optional[_Union[_resident_pb2.IdentityDocument, _Mapping]] = ..., tenant: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RegisterResidentResponse(_message.Message):
    __slots__ = ("resident", "created")
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    resident: _resident_pb2.Resident
    created: bool
    def __init__(self, resident: _Optional[_Union[_resident_pb2.Resident, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class RegisterNewbornRequest(_message.Message):
    __slots__ = ("resident", "birth_certificate_number", "tenant", "request_id")
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    BIRTH_CERTIFICATE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    resident: _resident_pb2.Resident
    birth_certificate_number: str
    tenant: str
    request_id: str
    def __init__(self, resident: _Optional[_Union[_resident_pb2.Resident, _Mapping]] = ..., birth_certificate_number: _Optional[str] = ..., tenant: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetResidentRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class LookupResidentRequest(_message.Message):
    __slots__ = ("document", "display_name")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    document: _resident_pb2.IdentityDocument
    display_name: str
    def __init__(self, document: _Optional[_Union[_resident_pb2.IdentityDocument, _Mapping]] = ..., display_name: _Optional[str] = ...) -> None: ...

class LookupResidentsRequest(_message.Message):
    __slots__ = ("documents",)
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[_resident_pb2.IdentityDocument]
    def __init__(self, documents: _Optional[_Iterable[_Union[_resident_pb2.IdentityDocument, _Mapping]]] = ...) -> None: ...

class LookupResidentsResult(_message.Message):
    __slots__ = ("resident_id", "error_reason", "error_description")
    RESIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_REASON_FIELD_NUMBER: _ClassVar[int]
    ERROR_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    resident_id: str
    error_reason: str
    error_description: str
    def __init__(self, resident_id: _Optional[str] = ..., error_reason: _Optional[str] = ..., error_description: _Optional[str] = ...) -> None: ...

class LookupResidentsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[LookupResidentsResult]
    def __init__(self, results: _Optional[_Iterable[_Union[LookupResidentsResult, _Mapping]]] = ...) -> None: ...

class SearchResidentsRequest(_message.Message):
    __slots__ = ("display_name", "birth_date", "sex", "page_size")
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DATE_FIELD_NUMBER: _ClassVar[int]
    SEX_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    display_name: str
    birth_date: str
    sex: _resident_pb2.Sex
    page_size: int
    def __init__(self, display_name: _Optional[str] = ..., birth_date: _Optional[str] = ..., sex: _Optional[_Union[_resident_pb2.Sex, str]] = ..., page_size: _Optional[int] = ...) -> None: ...

class SearchResidentsResponse(_message.Message):
    __slots__ = ("matches",)
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    matches: _containers.RepeatedCompositeFieldContainer[_resident_pb2.ResidentMatch]
    def __init__(self, matches: _Optional[_Iterable[_Union[_resident_pb2.ResidentMatch, _Mapping]]] = ...) -> None: ...

class UpdateResidentRequest(_message.Message):
    __slots__ = ("resident", "update_mask")
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    resident: _resident_pb2.Resident
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, resident: _Optional[_Union[_resident_pb2.Resident, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class VerifyResidentIdentityRequest(_message.Message):
    __slots__ = ("name", "document", "sex_override_reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    SEX_OVERRIDE_REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    document: _resident_pb2.IdentityDocument
    sex_override_reason: str
    def __init__(self, name: _Optional[str] = ..., document: _Optional[_Union[_resident_pb2.IdentityDocument, _Mapping]] = ..., sex_override_reason: _Optional[str] = ...) -> None: ...

class LinkBirthCertificateRequest(_message.Message):
    __slots__ = ("name", "birth_certificate_number", "replaces")
    NAME_FIELD_NUMBER: _ClassVar[int]
    BIRTH_CERTIFICATE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REPLACES_FIELD_NUMBER: _ClassVar[int]
    name: str
    birth_certificate_number: str
    replaces: str
    def __init__(self, name: _Optional[str] = ..., birth_certificate_number: _Optional[str] = ..., replaces: _Optional[str] = ...) -> None: ...

class LinkBirthCertificatesRequest(_message.Message):
    __slots__ = ("links",)
    LINKS_FIELD_NUMBER: _ClassVar[int]
    links: _containers.RepeatedCompositeFieldContainer[LinkBirthCertificateRequest]
    def __init__(self, links: _Optional[_Iterable[_Union[LinkBirthCertificateRequest, _Mapping]]] = ...) -> None: ...

class LinkBirthCertificatesResponse(_message.Message):
    __slots__ = ("linked",)
    LINKED_FIELD_NUMBER: _ClassVar[int]
    linked: _containers.RepeatedScalarFieldContainer[bool]
    def __init__(self, linked: _Optional[_Iterable[bool]] = ...) -> None: ...

class MarkResidentDeceasedRequest(_message.Message):
    __slots__ = ("name", "death_date")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DEATH_DATE_FIELD_NUMBER: _ClassVar[int]
    name: str
    death_date: str
    def __init__(self, name: _Optional[str] = ..., death_date: _Optional[str] = ...) -> None: ...

class MergeResidentsRequest(_message.Message):
    __slots__ = ("survivor", "merged", "reason", "request_id")
    SURVIVOR_FIELD_NUMBER: _ClassVar[int]
    MERGED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    survivor: str
    merged: str
    reason: str
    request_id: str
    def __init__(self, survivor: _Optional[str] = ..., merged: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class UndoResidentMergeRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ListResidentEventsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListResidentEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_resident_pb2.ResidentEvent]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[_resident_pb2.ResidentEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListResidentChangesRequest(_message.Message):
    __slots__ = ("after_sequence", "page_size")
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    after_sequence: int
    page_size: int
    def __init__(self, after_sequence: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListResidentChangesResponse(_message.Message):
    __slots__ = ("changes", "head_sequence")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    HEAD_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[_resident_pb2.ResidentChange]
    head_sequence: int
    def __init__(self, changes: _Optional[_Iterable[_Union[_resident_pb2.ResidentChange, _Mapping]]] = ..., head_sequence: _Optional[int] = ...) -> None: ...

class IssueHealthCardRequest(_message.Message):
    __slots__ = ("parent", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetHealthCardRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class RevokeHealthCardRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CreateHealthCardQrCodeRequest(_message.Message):
    __slots__ = ("name", "type")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: _health_card_pb2.QrCodeType
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[_health_card_pb2.QrCodeType, str]] = ...) -> None: ...

class HealthCardQrCode(_message.Message):
    __slots__ = ("payload", "type", "expire_time")
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    payload: str
    type: _health_card_pb2.QrCodeType
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, payload: _Optional[str] = ..., type: _Optional[_Union[_health_card_pb2.QrCodeType, str]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class VerifyHealthCardQrCodeRequest(_message.Message):
    __slots__ = ("payload",)
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    payload: str
    def __init__(self, payload: _Optional[str] = ...) -> None: ...

class VerifyHealthCardQrCodeResponse(_message.Message):
    __slots__ = ("outcome", "resident", "card_id", "type")
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    CARD_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    outcome: _health_card_pb2.QrVerifyOutcome
    resident: str
    card_id: str
    type: _health_card_pb2.QrCodeType
    def __init__(self, outcome: _Optional[_Union[_health_card_pb2.QrVerifyOutcome, str]] = ..., resident: _Optional[str] = ..., card_id: _Optional[str] = ..., type: _Optional[_Union[_health_card_pb2.QrCodeType, str]] = ...) -> None: ...

class CheckHealthCardPresenceRequest(_message.Message):
    __slots__ = ("name", "within_hours")
    NAME_FIELD_NUMBER: _ClassVar[int]
    WITHIN_HOURS_FIELD_NUMBER: _ClassVar[int]
    name: str
    within_hours: int
    def __init__(self, name: _Optional[str] = ..., within_hours: _Optional[int] = ...) -> None: ...

class CheckHealthCardPresenceResponse(_message.Message):
    __slots__ = ("present", "last_scan_time")
    PRESENT_FIELD_NUMBER: _ClassVar[int]
    LAST_SCAN_TIME_FIELD_NUMBER: _ClassVar[int]
    present: bool
    last_scan_time: _timestamp_pb2.Timestamp
    def __init__(self, present: _Optional[bool] = ..., last_scan_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetHealthCardKeysRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetHealthCardKeysResponse(_message.Message):
    __slots__ = ("keys_json", "region")
    KEYS_JSON_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    keys_json: _containers.RepeatedScalarFieldContainer[str]
    region: str
    def __init__(self, keys_json: _Optional[_Iterable[str]] = ..., region: _Optional[str] = ...) -> None: ...
