from rhip.api.archives.v1 import health_record_pb2 as _health_record_pb2
from rhip.api.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListReferralSuggestionsRequest(_message.Message):
    __slots__ = ("after", "page_size")
    AFTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    after: str
    page_size: int
    def __init__(self, after: _Optional[str] = ..., page_size: _Optional[int] = ...) -> None: ...

class ReferralSuggestion(_message.Message):
    __slots__ = ("task", "task_id", "record", "resident", "managing_tenant", "kind", "program")
    TASK_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    MANAGING_TENANT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    task: str
    task_id: str
    record: str
    resident: str
    managing_tenant: str
    kind: _health_record_pb2.TaskKind
    program: _health_record_pb2.Program
    def __init__(self, task: _Optional[str] = ..., task_id: _Optional[str] = ..., record: _Optional[str] = ..., resident: _Optional[str] = ..., managing_tenant: _Optional[str] = ..., kind: _Optional[_Union[_health_record_pb2.TaskKind, str]] = ..., program: _Optional[_Union[_health_record_pb2.Program, str]] = ...) -> None: ...

class ListReferralSuggestionsResponse(_message.Message):
    __slots__ = ("suggestions",)
    SUGGESTIONS_FIELD_NUMBER: _ClassVar[int]
    suggestions: _containers.RepeatedCompositeFieldContainer[ReferralSuggestion]
    def __init__(self, suggestions: _Optional[_Iterable[_Union[ReferralSuggestion, _Mapping]]] = ...) -> None: ...

class RecordReferralEventRequest(_message.Message):
    __slots__ = ("parent", "referral", "state", "actor")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    parent: str
    referral: str
    state: str
    actor: str
    def __init__(self, parent: _Optional[str] = ..., referral: _Optional[str] = ..., state: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class CreateReferralFollowUpTaskRequest(_message.Message):
    __slots__ = ("parent", "referral", "due_date")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_FIELD_NUMBER: _ClassVar[int]
    DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    referral: str
    due_date: str
    def __init__(self, parent: _Optional[str] = ..., referral: _Optional[str] = ..., due_date: _Optional[str] = ...) -> None: ...
