import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class QualificationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUALIFICATION_KIND_UNSPECIFIED: _ClassVar[QualificationKind]
    QUALIFICATION_KIND_MIDWIFERY: _ClassVar[QualificationKind]
    QUALIFICATION_KIND_BIRTH_CERTIFICATE: _ClassVar[QualificationKind]
    QUALIFICATION_KIND_RISK_GRADING: _ClassVar[QualificationKind]
    QUALIFICATION_KIND_CHILD_EYE_CARE: _ClassVar[QualificationKind]
    QUALIFICATION_KIND_SCHOOL_HEALTH: _ClassVar[QualificationKind]

class QualificationState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUALIFICATION_STATE_UNSPECIFIED: _ClassVar[QualificationState]
    QUALIFICATION_STATE_ACTIVE: _ClassVar[QualificationState]
    QUALIFICATION_STATE_REVOKED: _ClassVar[QualificationState]
QUALIFICATION_KIND_UNSPECIFIED: QualificationKind
QUALIFICATION_KIND_MIDWIFERY: QualificationKind
QUALIFICATION_KIND_BIRTH_CERTIFICATE: QualificationKind
QUALIFICATION_KIND_RISK_GRADING: QualificationKind
QUALIFICATION_KIND_CHILD_EYE_CARE: QualificationKind
QUALIFICATION_KIND_SCHOOL_HEALTH: QualificationKind
QUALIFICATION_STATE_UNSPECIFIED: QualificationState
QUALIFICATION_STATE_ACTIVE: QualificationState
QUALIFICATION_STATE_REVOKED: QualificationState

class Qualification(_message.Message):
    __slots__ = ("name", "tenant", "kind", "state", "licence_number", "granted_by", "grant_time", "revoked_by", "revoke_time", "revoke_reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LICENCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    GRANTED_BY_FIELD_NUMBER: _ClassVar[int]
    GRANT_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKED_BY_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    tenant: str
    kind: QualificationKind
    state: QualificationState
    licence_number: str
    granted_by: str
    grant_time: _timestamp_pb2.Timestamp
    revoked_by: str
    revoke_time: _timestamp_pb2.Timestamp
    revoke_reason: str
    def __init__(self, name: _Optional[str] = ..., tenant: _Optional[str] = ..., kind: _Optional[_Union[QualificationKind, str]] = ..., state: _Optional[_Union[QualificationState, str]] = ..., licence_number: _Optional[str] = ..., granted_by: _Optional[str] = ..., grant_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoked_by: _Optional[str] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_reason: _Optional[str] = ...) -> None: ...

class GrantQualificationRequest(_message.Message):
    __slots__ = ("tenant", "kind", "licence_number", "request_id")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LICENCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    kind: QualificationKind
    licence_number: str
    request_id: str
    def __init__(self, tenant: _Optional[str] = ..., kind: _Optional[_Union[QualificationKind, str]] = ..., licence_number: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RevokeQualificationRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ListQualificationsRequest(_message.Message):
    __slots__ = ("parent", "show_revoked", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    SHOW_REVOKED_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    show_revoked: bool
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., show_revoked: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListQualificationsResponse(_message.Message):
    __slots__ = ("qualifications", "next_page_token")
    QUALIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    qualifications: _containers.RepeatedCompositeFieldContainer[Qualification]
    next_page_token: str
    def __init__(self, qualifications: _Optional[_Iterable[_Union[Qualification, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
