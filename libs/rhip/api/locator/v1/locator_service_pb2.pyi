from rhip.api.identity.v1 import resident_pb2 as _resident_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OpenRecordClaim(_message.Message):
    __slots__ = ("cell", "resident_id", "record_id", "institution_display_name", "region_code", "double_open")
    CELL_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    DOUBLE_OPEN_FIELD_NUMBER: _ClassVar[int]
    cell: str
    resident_id: str
    record_id: str
    institution_display_name: str
    region_code: str
    double_open: bool
    def __init__(self, cell: _Optional[str] = ..., resident_id: _Optional[str] = ..., record_id: _Optional[str] = ..., institution_display_name: _Optional[str] = ..., region_code: _Optional[str] = ..., double_open: _Optional[bool] = ...) -> None: ...

class ClaimOpenRecordRequest(_message.Message):
    __slots__ = ("document", "resident_id", "record_id", "institution_display_name", "region_code", "backfill")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    BACKFILL_FIELD_NUMBER: _ClassVar[int]
    document: _resident_pb2.IdentityDocument
    resident_id: str
    record_id: str
    institution_display_name: str
    region_code: str
    backfill: bool
    def __init__(self, document: _Optional[_Union[_resident_pb2.IdentityDocument, _Mapping]] = ..., resident_id: _Optional[str] = ..., record_id: _Optional[str] = ..., institution_display_name: _Optional[str] = ..., region_code: _Optional[str] = ..., backfill: _Optional[bool] = ...) -> None: ...

class ReleaseOpenRecordRequest(_message.Message):
    __slots__ = ("record_id",)
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    record_id: str
    def __init__(self, record_id: _Optional[str] = ...) -> None: ...

class ReleaseOpenRecordResponse(_message.Message):
    __slots__ = ("released",)
    RELEASED_FIELD_NUMBER: _ClassVar[int]
    released: bool
    def __init__(self, released: _Optional[bool] = ...) -> None: ...

class MoveOpenRecordRequest(_message.Message):
    __slots__ = ("record_id", "destination_region", "destination_record_id", "destination_resident_id", "institution_display_name")
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_REGION_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_RESIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    record_id: str
    destination_region: str
    destination_record_id: str
    destination_resident_id: str
    institution_display_name: str
    def __init__(self, record_id: _Optional[str] = ..., destination_region: _Optional[str] = ..., destination_record_id: _Optional[str] = ..., destination_resident_id: _Optional[str] = ..., institution_display_name: _Optional[str] = ...) -> None: ...

class AnnounceResidentRequest(_message.Message):
    __slots__ = ("documents", "resident_id")
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[_resident_pb2.IdentityDocument]
    resident_id: str
    def __init__(self, documents: _Optional[_Iterable[_Union[_resident_pb2.IdentityDocument, _Mapping]]] = ..., resident_id: _Optional[str] = ...) -> None: ...

class ResidentPresence(_message.Message):
    __slots__ = ("cell", "resident_id")
    CELL_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    cell: str
    resident_id: str
    def __init__(self, cell: _Optional[str] = ..., resident_id: _Optional[str] = ...) -> None: ...

class AnnounceResidentResponse(_message.Message):
    __slots__ = ("others",)
    OTHERS_FIELD_NUMBER: _ClassVar[int]
    others: _containers.RepeatedCompositeFieldContainer[ResidentPresence]
    def __init__(self, others: _Optional[_Iterable[_Union[ResidentPresence, _Mapping]]] = ...) -> None: ...
