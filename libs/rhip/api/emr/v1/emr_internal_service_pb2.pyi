import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from rhip.api.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SourceTimelineEntry(_message.Message):
    __slots__ = ("event_id", "source", "resident", "occur_time", "kind", "target", "tenant", "scope_paths", "read_method", "tenant_display_name", "clinical_date")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    SCOPE_PATHS_FIELD_NUMBER: _ClassVar[int]
    READ_METHOD_FIELD_NUMBER: _ClassVar[int]
    TENANT_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    CLINICAL_DATE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    source: str
    resident: str
    occur_time: _timestamp_pb2.Timestamp
    kind: str
    target: str
    tenant: str
    scope_paths: _containers.RepeatedScalarFieldContainer[str]
    read_method: str
    tenant_display_name: str
    clinical_date: str
    def __init__(self, event_id: _Optional[str] = ..., source: _Optional[str] = ..., resident: _Optional[str] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., kind: _Optional[str] = ..., target: _Optional[str] = ..., tenant: _Optional[str] = ..., scope_paths: _Optional[_Iterable[str]] = ..., read_method: _Optional[str] = ..., tenant_display_name: _Optional[str] = ..., clinical_date: _Optional[str] = ...) -> None: ...

class RecordTimelineEntriesRequest(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[SourceTimelineEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[SourceTimelineEntry, _Mapping]]] = ...) -> None: ...

class RecordTimelineEntriesResponse(_message.Message):
    __slots__ = ("recorded",)
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    recorded: int
    def __init__(self, recorded: _Optional[int] = ...) -> None: ...

class RescopeTimelineEntriesRequest(_message.Message):
    __slots__ = ("event_id", "source", "resident", "read_method", "target", "scope_paths", "new_resident")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    READ_METHOD_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    SCOPE_PATHS_FIELD_NUMBER: _ClassVar[int]
    NEW_RESIDENT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    source: str
    resident: str
    read_method: str
    target: str
    scope_paths: _containers.RepeatedScalarFieldContainer[str]
    new_resident: str
    def __init__(self, event_id: _Optional[str] = ..., source: _Optional[str] = ..., resident: _Optional[str] = ..., read_method: _Optional[str] = ..., target: _Optional[str] = ..., scope_paths: _Optional[_Iterable[str]] = ..., new_resident: _Optional[str] = ...) -> None: ...

class RescopeTimelineEntriesResponse(_message.Message):
    __slots__ = ("rescoped",)
    RESCOPED_FIELD_NUMBER: _ClassVar[int]
    rescoped: int
    def __init__(self, rescoped: _Optional[int] = ...) -> None: ...
