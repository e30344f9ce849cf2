import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from rhip.api.common.v1 import common_pb2 as _common_pb2
from rhip.api.referral.v1 import teleconsultation_pb2 as _teleconsultation_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateCooperationAgreementRequest(_message.Message):
    __slots__ = ("agreement", "request_id")
    AGREEMENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    agreement: _teleconsultation_pb2.CooperationAgreement
    request_id: str
    def __init__(self, agreement: _Optional[_Union[_teleconsultation_pb2.CooperationAgreement, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListCooperationAgreementsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCooperationAgreementsResponse(_message.Message):
    __slots__ = ("agreements", "next_page_token")
    AGREEMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    agreements: _containers.RepeatedCompositeFieldContainer[_teleconsultation_pb2.CooperationAgreement]
    next_page_token: str
    def __init__(self, agreements: _Optional[_Iterable[_Union[_teleconsultation_pb2.CooperationAgreement, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RequestTeleconsultationRequest(_message.Message):
    __slots__ = ("teleconsultation", "request_id")
    TELECONSULTATION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    teleconsultation: _teleconsultation_pb2.Teleconsultation
    request_id: str
    def __init__(self, teleconsultation: _Optional[_Union[_teleconsultation_pb2.Teleconsultation, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetTeleconsultationRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListTeleconsultationsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "resident")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    resident: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., resident: _Optional[str] = ...) -> None: ...

class ListTeleconsultationsResponse(_message.Message):
    __slots__ = ("teleconsultations", "next_page_token")
    TELECONSULTATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    teleconsultations: _containers.RepeatedCompositeFieldContainer[_teleconsultation_pb2.Teleconsultation]
    next_page_token: str
    def __init__(self, teleconsultations: _Optional[_Iterable[_Union[_teleconsultation_pb2.Teleconsultation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class AcceptTeleconsultationRequest(_message.Message):
    __slots__ = ("name", "consulting_physician", "request_id", "professional_title", "independent_practice_since")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONSULTING_PHYSICIAN_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROFESSIONAL_TITLE_FIELD_NUMBER: _ClassVar[int]
    INDEPENDENT_PRACTICE_SINCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    consulting_physician: str
    request_id: str
    professional_title: str
    independent_practice_since: str
    def __init__(self, name: _Optional[str] = ..., consulting_physician: _Optional[str] = ..., request_id: _Optional[str] = ..., professional_title: _Optional[str] = ..., independent_practice_since: _Optional[str] = ...) -> None: ...

class DeclineTeleconsultationRequest(_message.Message):
    __slots__ = ("name", "reason", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ScheduleTeleconsultationRequest(_message.Message):
    __slots__ = ("name", "scheduled_time", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_TIME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    scheduled_time: _timestamp_pb2.Timestamp
    request_id: str
    def __init__(self, name: _Optional[str] = ..., scheduled_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class StartTeleconsultationRequest(_message.Message):
    __slots__ = ("name", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class EndTeleconsultationRequest(_message.Message):
    __slots__ = ("name", "recording", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RECORDING_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    recording: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., recording: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class SubmitOpinionReportRequest(_message.Message):
    __slots__ = ("name", "report", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    report: _teleconsultation_pb2.OpinionReport
    request_id: str
    def __init__(self, name: _Optional[str] = ..., report: _Optional[_Union[_teleconsultation_pb2.OpinionReport, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class DecideTeleconsultationRequest(_message.Message):
    __slots__ = ("name", "decision", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    decision: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., decision: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CancelTeleconsultationRequest(_message.Message):
    __slots__ = ("name", "reason", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeleteTeleconsultationRecordingRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetReportSigningKeyRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReportSigningKey(_message.Message):
    __slots__ = ("key_id", "public_key", "algorithm", "time", "keys")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    public_key: str
    algorithm: str
    time: _timestamp_pb2.Timestamp
    keys: _containers.RepeatedCompositeFieldContainer[ReportPublicKey]
    def __init__(self, key_id: _Optional[str] = ..., public_key: _Optional[str] = ..., algorithm: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., keys: _Optional[_Iterable[_Union[ReportPublicKey, _Mapping]]] = ...) -> None: ...

class ReportPublicKey(_message.Message):
    __slots__ = ("key_id", "public_key", "current")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    public_key: str
    current: bool
    def __init__(self, key_id: _Optional[str] = ..., public_key: _Optional[str] = ..., current: _Optional[bool] = ...) -> None: ...
