from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
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
