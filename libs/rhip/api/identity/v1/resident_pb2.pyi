import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DocumentType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DOCUMENT_TYPE_UNSPECIFIED: _ClassVar[DocumentType]
    DOCUMENT_TYPE_RESIDENT_ID_CARD: _ClassVar[DocumentType]
    DOCUMENT_TYPE_HMT_RESIDENCE_PERMIT: _ClassVar[DocumentType]
    DOCUMENT_TYPE_FOREIGN_PERMANENT_RESIDENT_ID: _ClassVar[DocumentType]
    DOCUMENT_TYPE_PASSPORT: _ClassVar[DocumentType]
    DOCUMENT_TYPE_BIRTH_CERTIFICATE: _ClassVar[DocumentType]

class Sex(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEX_UNSPECIFIED: _ClassVar[Sex]
    SEX_MALE: _ClassVar[Sex]
    SEX_FEMALE: _ClassVar[Sex]
    SEX_UNKNOWN: _ClassVar[Sex]
    SEX_NOT_STATED: _ClassVar[Sex]

class ResidentState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESIDENT_STATE_UNSPECIFIED: _ClassVar[ResidentState]
    RESIDENT_STATE_PROVISIONAL: _ClassVar[ResidentState]
    RESIDENT_STATE_VERIFIED: _ClassVar[ResidentState]
    RESIDENT_STATE_MERGED: _ClassVar[ResidentState]
    RESIDENT_STATE_DECEASED: _ClassVar[ResidentState]

class ResidenceType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESIDENCE_TYPE_UNSPECIFIED: _ClassVar[ResidenceType]
    RESIDENCE_TYPE_HOUSEHOLD: _ClassVar[ResidenceType]
    RESIDENCE_TYPE_NON_HOUSEHOLD: _ClassVar[ResidenceType]

class ResidentChangeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESIDENT_CHANGE_KIND_UNSPECIFIED: _ClassVar[ResidentChangeKind]
    RESIDENT_CHANGE_KIND_DECEASED: _ClassVar[ResidentChangeKind]
    RESIDENT_CHANGE_KIND_MERGED: _ClassVar[ResidentChangeKind]
    RESIDENT_CHANGE_KIND_MERGE_UNDONE: _ClassVar[ResidentChangeKind]
DOCUMENT_TYPE_UNSPECIFIED: DocumentType
DOCUMENT_TYPE_RESIDENT_ID_CARD: DocumentType
DOCUMENT_TYPE_HMT_RESIDENCE_PERMIT: DocumentType
DOCUMENT_TYPE_FOREIGN_PERMANENT_RESIDENT_ID: DocumentType
DOCUMENT_TYPE_PASSPORT: DocumentType
DOCUMENT_TYPE_BIRTH_CERTIFICATE: DocumentType
SEX_UNSPECIFIED: Sex
SEX_MALE: Sex
SEX_FEMALE: Sex
SEX_UNKNOWN: Sex
SEX_NOT_STATED: Sex
RESIDENT_STATE_UNSPECIFIED: ResidentState
RESIDENT_STATE_PROVISIONAL: ResidentState
RESIDENT_STATE_VERIFIED: ResidentState
RESIDENT_STATE_MERGED: ResidentState
RESIDENT_STATE_DECEASED: ResidentState
RESIDENCE_TYPE_UNSPECIFIED: ResidenceType
RESIDENCE_TYPE_HOUSEHOLD: ResidenceType
RESIDENCE_TYPE_NON_HOUSEHOLD: ResidenceType
RESIDENT_CHANGE_KIND_UNSPECIFIED: ResidentChangeKind
RESIDENT_CHANGE_KIND_DECEASED: ResidentChangeKind
RESIDENT_CHANGE_KIND_MERGED: ResidentChangeKind
RESIDENT_CHANGE_KIND_MERGE_UNDONE: ResidentChangeKind

class IdentityDocument(_message.Message):
    __slots__ = ("type", "number", "issuing_country", "primary", "origin", "masked")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    ISSUING_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    MASKED_FIELD_NUMBER: _ClassVar[int]
    type: DocumentType
    number: str
    issuing_country: str
    primary: bool
    origin: str
    masked: bool
    def __init__(self, type: _Optional[_Union[DocumentType, str]] = ..., number: _Optional[str] = ..., issuing_country: _Optional[str] = ..., primary: _Optional[bool] = ..., origin: _Optional[str] = ..., masked: _Optional[bool] = ...) -> None: ...

class Resident(_message.Message):
    __slots__ = ("name", "resident_id", "state", "display_name", "sex", "birth_date", "phone", "region_code", "address", "ethnicity", "residence_type", "documents", "mother", "sex_override_reason", "death_date", "merged_into", "create_time", "update_time", "etag", "linked_residents")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    SEX_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DATE_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ETHNICITY_FIELD_NUMBER: _ClassVar[int]
    RESIDENCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    MOTHER_FIELD_NUMBER: _ClassVar[int]
    SEX_OVERRIDE_REASON_FIELD_NUMBER: _ClassVar[int]
    DEATH_DATE_FIELD_NUMBER: _ClassVar[int]
    MERGED_INTO_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    LINKED_RESIDENTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    resident_id: str
    state: ResidentState
    display_name: str
    sex: Sex
    birth_date: str
    phone: str
    region_code: str
    address: str
    ethnicity: str
    residence_type: ResidenceType
    documents: _containers.RepeatedCompositeFieldContainer[IdentityDocument]
    mother: str
    sex_override_reason: str
    death_date: str
    merged_into: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    linked_residents: _containers.RepeatedCompositeFieldContainer[LinkedResident]
    def __init__(self, name: _Optional[str] = ..., resident_id: _Optional[str] = ..., state: _Optional[_Union[ResidentState, str]] = ..., display_name: _Optional[str] = ..., sex: _Optional[_Union[Sex, str]] = ..., birth_date: _Optional[str] = ..., phone: _Optional[str] = ..., region_code: _Optional[str] = ..., address: _Optional[str] = ..., ethnicity: _Optional[str] = ..., residence_type: _Optional[_Union[ResidenceType, str]] = ..., documents: _Optional[_Iterable[_Union[IdentityDocument, _Mapping]]] = ..., mother: _Optional[str] = ..., sex_override_reason: _Optional[str] = ..., death_date: _Optional[str] = ..., merged_into: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., linked_residents: _Optional[_Iterable[_Union[LinkedResident, _Mapping]]] = ...) -> None: ...

class LinkedResident(_message.Message):
    __slots__ = ("cell", "resident", "link_time")
    CELL_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    LINK_TIME_FIELD_NUMBER: _ClassVar[int]
    cell: str
    resident: str
    link_time: _timestamp_pb2.Timestamp
    def __init__(self, cell: _Optional[str] = ..., resident: _Optional[str] = ..., link_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ResidentMatch(_message.Message):
    __slots__ = ("resident", "score", "reasons")
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    resident: Resident
    score: float
    reasons: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, resident: _Optional[_Union[Resident, _Mapping]] = ..., score: _Optional[float] = ..., reasons: _Optional[_Iterable[str]] = ...) -> None: ...

class ResidentEvent(_message.Message):
    __slots__ = ("event_id", "event_time", "kind", "actor", "detail_json")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    DETAIL_JSON_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    event_time: _timestamp_pb2.Timestamp
    kind: str
    actor: str
    detail_json: str
    def __init__(self, event_id: _Optional[str] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., kind: _Optional[str] = ..., actor: _Optional[str] = ..., detail_json: _Optional[str] = ...) -> None: ...

class ResidentChange(_message.Message):
    __slots__ = ("sequence", "kind", "resident", "death_date", "survivor", "merge", "change_time", "actor")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    DEATH_DATE_FIELD_NUMBER: _ClassVar[int]
    SURVIVOR_FIELD_NUMBER: _ClassVar[int]
    MERGE_FIELD_NUMBER: _ClassVar[int]
    CHANGE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    kind: ResidentChangeKind
    resident: str
    death_date: str
    survivor: str
    merge: str
    change_time: _timestamp_pb2.Timestamp
    actor: str
    def __init__(self, sequence: _Optional[int] = ..., kind: _Optional[_Union[ResidentChangeKind, str]] = ..., resident: _Optional[str] = ..., death_date: _Optional[str] = ..., survivor: _Optional[str] = ..., merge: _Optional[str] = ..., change_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class ResidentMerge(_message.Message):
    __slots__ = ("name", "survivor", "merged", "state", "reason", "moved_documents", "create_time", "undo_time", "undo_reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SURVIVOR_FIELD_NUMBER: _ClassVar[int]
    MERGED_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MOVED_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UNDO_TIME_FIELD_NUMBER: _ClassVar[int]
    UNDO_REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    survivor: str
    merged: str
    state: str
    reason: str
    moved_documents: int
    create_time: _timestamp_pb2.Timestamp
    undo_time: _timestamp_pb2.Timestamp
    undo_reason: str
    def __init__(self, name: _Optional[str] = ..., survivor: _Optional[str] = ..., merged: _Optional[str] = ..., state: _Optional[str] = ..., reason: _Optional[str] = ..., moved_documents: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., undo_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., undo_reason: _Optional[str] = ...) -> None: ...
