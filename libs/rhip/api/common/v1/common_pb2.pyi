import datetime

from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PrincipalKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRINCIPAL_KIND_UNSPECIFIED: _ClassVar[PrincipalKind]
    PRINCIPAL_KIND_PRACTITIONER: _ClassVar[PrincipalKind]
    PRINCIPAL_KIND_REGIONAL_ADMIN: _ClassVar[PrincipalKind]
    PRINCIPAL_KIND_AUDITOR: _ClassVar[PrincipalKind]
    PRINCIPAL_KIND_SERVICE_ACCOUNT: _ClassVar[PrincipalKind]
PRINCIPAL_KIND_UNSPECIFIED: PrincipalKind
PRINCIPAL_KIND_PRACTITIONER: PrincipalKind
PRINCIPAL_KIND_REGIONAL_ADMIN: PrincipalKind
PRINCIPAL_KIND_AUDITOR: PrincipalKind
PRINCIPAL_KIND_SERVICE_ACCOUNT: PrincipalKind
PUBLIC_FIELD_NUMBER: _ClassVar[int]
public: _descriptor.FieldDescriptor
CROSS_CELL_FIELD_NUMBER: _ClassVar[int]
cross_cell: _descriptor.FieldDescriptor
PASSWORD_CHANGE_FIELD_NUMBER: _ClassVar[int]
password_change: _descriptor.FieldDescriptor
CELL_INTERNAL_FIELD_NUMBER: _ClassVar[int]
cell_internal: _descriptor.FieldDescriptor

class Principal(_message.Message):
    __slots__ = ("subject", "kind", "tenant_id", "region_code", "display_name")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    subject: str
    kind: PrincipalKind
    tenant_id: str
    region_code: str
    display_name: str
    def __init__(self, subject: _Optional[str] = ..., kind: _Optional[_Union[PrincipalKind, str]] = ..., tenant_id: _Optional[str] = ..., region_code: _Optional[str] = ..., display_name: _Optional[str] = ...) -> None: ...

class AuditChainReport(_message.Message):
    __slots__ = ("intact", "rows_checked", "first_broken_seq", "problem")
    INTACT_FIELD_NUMBER: _ClassVar[int]
    ROWS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    FIRST_BROKEN_SEQ_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    intact: bool
    rows_checked: int
    first_broken_seq: int
    problem: str
    def __init__(self, intact: _Optional[bool] = ..., rows_checked: _Optional[int] = ..., first_broken_seq: _Optional[int] = ..., problem: _Optional[str] = ...) -> None: ...

class AuditEvent(_message.Message):
    __slots__ = ("seq", "event_time", "actor", "actor_tenant", "action", "target", "scope_path", "outcome", "basis", "trace_id", "request_id", "detail")
    class DetailEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SEQ_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTOR_TENANT_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    SCOPE_PATH_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    BASIS_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    seq: int
    event_time: _timestamp_pb2.Timestamp
    actor: str
    actor_tenant: str
    action: str
    target: str
    scope_path: str
    outcome: str
    basis: str
    trace_id: str
    request_id: str
    detail: _containers.ScalarMap[str, str]
    def __init__(self, seq: _Optional[int] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ..., actor_tenant: _Optional[str] = ..., action: _Optional[str] = ..., target: _Optional[str] = ..., scope_path: _Optional[str] = ..., outcome: _Optional[str] = ..., basis: _Optional[str] = ..., trace_id: _Optional[str] = ..., request_id: _Optional[str] = ..., detail: _Optional[_Mapping[str, str]] = ...) -> None: ...
