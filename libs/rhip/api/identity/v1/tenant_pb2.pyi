import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TenantType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TENANT_TYPE_UNSPECIFIED: _ClassVar[TenantType]
    TENANT_TYPE_VILLAGE_CLINIC: _ClassVar[TenantType]
    TENANT_TYPE_TOWNSHIP_HOSPITAL: _ClassVar[TenantType]
    TENANT_TYPE_COMMUNITY_HEALTH_CENTER: _ClassVar[TenantType]
    TENANT_TYPE_COMMUNITY_HEALTH_STATION: _ClassVar[TenantType]
    TENANT_TYPE_COUNTY_HOSPITAL: _ClassVar[TenantType]
    TENANT_TYPE_MCH_HOSPITAL: _ClassVar[TenantType]
    TENANT_TYPE_CDC: _ClassVar[TenantType]
    TENANT_TYPE_TERTIARY_HOSPITAL: _ClassVar[TenantType]
    TENANT_TYPE_OTHER: _ClassVar[TenantType]
    TENANT_TYPE_PUBLIC_SECURITY: _ClassVar[TenantType]

class TenantLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TENANT_LEVEL_UNSPECIFIED: _ClassVar[TenantLevel]
    TENANT_LEVEL_PRIMARY: _ClassVar[TenantLevel]
    TENANT_LEVEL_SECONDARY: _ClassVar[TenantLevel]
    TENANT_LEVEL_TERTIARY: _ClassVar[TenantLevel]

class TenantState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TENANT_STATE_UNSPECIFIED: _ClassVar[TenantState]
    TENANT_STATE_ACTIVE: _ClassVar[TenantState]
    TENANT_STATE_SUSPENDED: _ClassVar[TenantState]
TENANT_TYPE_UNSPECIFIED: TenantType
TENANT_TYPE_VILLAGE_CLINIC: TenantType
TENANT_TYPE_TOWNSHIP_HOSPITAL: TenantType
TENANT_TYPE_COMMUNITY_HEALTH_CENTER: TenantType
TENANT_TYPE_COMMUNITY_HEALTH_STATION: TenantType
TENANT_TYPE_COUNTY_HOSPITAL: TenantType
TENANT_TYPE_MCH_HOSPITAL: TenantType
TENANT_TYPE_CDC: TenantType
TENANT_TYPE_TERTIARY_HOSPITAL: TenantType
TENANT_TYPE_OTHER: TenantType
TENANT_TYPE_PUBLIC_SECURITY: TenantType
TENANT_LEVEL_UNSPECIFIED: TenantLevel
TENANT_LEVEL_PRIMARY: TenantLevel
TENANT_LEVEL_SECONDARY: TenantLevel
TENANT_LEVEL_TERTIARY: TenantLevel
TENANT_STATE_UNSPECIFIED: TenantState
TENANT_STATE_ACTIVE: TenantState
TENANT_STATE_SUSPENDED: TenantState

class Tenant(_message.Message):
    __slots__ = ("name", "tenant_id", "display_name", "type", "level", "region_code", "scope_path", "credit_code", "state", "suspend_reason", "create_time", "update_time", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_PATH_FIELD_NUMBER: _ClassVar[int]
    CREDIT_CODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SUSPEND_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    tenant_id: str
    display_name: str
    type: TenantType
    level: TenantLevel
    region_code: str
    scope_path: str
    credit_code: str
    state: TenantState
    suspend_reason: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., tenant_id: _Optional[str] = ..., display_name: _Optional[str] = ..., type: _Optional[_Union[TenantType, str]] = ..., level: _Optional[_Union[TenantLevel, str]] = ..., region_code: _Optional[str] = ..., scope_path: _Optional[str] = ..., credit_code: _Optional[str] = ..., state: _Optional[_Union[TenantState, str]] = ..., suspend_reason: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...
