import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from rhip.api.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UserState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    USER_STATE_UNSPECIFIED: _ClassVar[UserState]
    USER_STATE_ACTIVE: _ClassVar[UserState]
    USER_STATE_LOCKED: _ClassVar[UserState]
    USER_STATE_DISABLED: _ClassVar[UserState]
USER_STATE_UNSPECIFIED: UserState
USER_STATE_ACTIVE: UserState
USER_STATE_LOCKED: UserState
USER_STATE_DISABLED: UserState

class User(_message.Message):
    __slots__ = ("name", "user_id", "username", "display_name", "kind", "tenant_id", "region_code", "state", "locked_until", "create_time", "disable_reason", "password_change_required", "practitioner_registration")
    NAME_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LOCKED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DISABLE_REASON_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_CHANGE_REQUIRED_FIELD_NUMBER: _ClassVar[int]
    PRACTITIONER_REGISTRATION_FIELD_NUMBER: _ClassVar[int]
    name: str
    user_id: str
    username: str
    display_name: str
    kind: _common_pb2.PrincipalKind
    tenant_id: str
    region_code: str
    state: UserState
    locked_until: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    disable_reason: str
    password_change_required: bool
    practitioner_registration: PractitionerRegistration
    def __init__(self, name: _Optional[str] = ..., user_id: _Optional[str] = ..., username: _Optional[str] = ..., display_name: _Optional[str] = ..., kind: _Optional[_Union[_common_pb2.PrincipalKind, str]] = ..., tenant_id: _Optional[str] = ..., region_code: _Optional[str] = ..., state: _Optional[_Union[UserState, str]] = ..., locked_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., disable_reason: _Optional[str] = ..., password_change_required: _Optional[bool] = ..., practitioner_registration: _Optional[_Union[PractitionerRegistration, _Mapping]] = ...) -> None: ...

class PractitionerRegistration(_message.Message):
    __slots__ = ("professional_title", "independent_practice_since", "certificate_number")
    PROFESSIONAL_TITLE_FIELD_NUMBER: _ClassVar[int]
    INDEPENDENT_PRACTICE_SINCE_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    professional_title: str
    independent_practice_since: str
    certificate_number: str
    def __init__(self, professional_title: _Optional[str] = ..., independent_practice_since: _Optional[str] = ..., certificate_number: _Optional[str] = ...) -> None: ...

class RoleGrant(_message.Message):
    __slots__ = ("name", "grant_id", "subject", "role", "region_code", "tenant_id", "scope_path", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    GRANT_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_PATH_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    grant_id: str
    subject: str
    role: str
    region_code: str
    tenant_id: str
    scope_path: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., grant_id: _Optional[str] = ..., subject: _Optional[str] = ..., role: _Optional[str] = ..., region_code: _Optional[str] = ..., tenant_id: _Optional[str] = ..., scope_path: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ServiceAccount(_message.Message):
    __slots__ = ("name", "service_account_id", "display_name", "tenant_id", "client_id", "client_secret", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SERVICE_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    service_account_id: str
    display_name: str
    tenant_id: str
    client_id: str
    client_secret: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., service_account_id: _Optional[str] = ..., display_name: _Optional[str] = ..., tenant_id: _Optional[str] = ..., client_id: _Optional[str] = ..., client_secret: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
