from rhip.api.common.v1 import common_pb2 as _common_pb2
from rhip.api.identity.v1 import resident_pb2 as _resident_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LinkResidentRequest(_message.Message):
    __slots__ = ("resident", "linked_resident")
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    LINKED_RESIDENT_FIELD_NUMBER: _ClassVar[int]
    resident: str
    linked_resident: str
    def __init__(self, resident: _Optional[str] = ..., linked_resident: _Optional[str] = ...) -> None: ...

class LinkResidentResponse(_message.Message):
    __slots__ = ("resident", "state", "death_date")
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DEATH_DATE_FIELD_NUMBER: _ClassVar[int]
    resident: str
    state: _resident_pb2.ResidentState
    death_date: str
    def __init__(self, resident: _Optional[str] = ..., state: _Optional[_Union[_resident_pb2.ResidentState, str]] = ..., death_date: _Optional[str] = ...) -> None: ...

class UnlinkResidentRequest(_message.Message):
    __slots__ = ("resident", "linked_resident")
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    LINKED_RESIDENT_FIELD_NUMBER: _ClassVar[int]
    resident: str
    linked_resident: str
    def __init__(self, resident: _Optional[str] = ..., linked_resident: _Optional[str] = ...) -> None: ...

class UnlinkResidentResponse(_message.Message):
    __slots__ = ("resident", "unlinked")
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    UNLINKED_FIELD_NUMBER: _ClassVar[int]
    resident: str
    unlinked: bool
    def __init__(self, resident: _Optional[str] = ..., unlinked: _Optional[bool] = ...) -> None: ...

class ListLinkedResidentChangesRequest(_message.Message):
    __slots__ = ("after_sequence", "page_size")
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    after_sequence: int
    page_size: int
    def __init__(self, after_sequence: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListLinkedResidentChangesResponse(_message.Message):
    __slots__ = ("changes", "read_sequence")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    READ_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[_resident_pb2.ResidentChange]
    read_sequence: int
    def __init__(self, changes: _Optional[_Iterable[_Union[_resident_pb2.ResidentChange, _Mapping]]] = ..., read_sequence: _Optional[int] = ...) -> None: ...
