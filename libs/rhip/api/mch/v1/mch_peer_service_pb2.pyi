from rhip.api.common.v1 import common_pb2 as _common_pb2
from rhip.api.identity.v1 import resident_pb2 as _resident_pb2
from rhip.api.mch.v1 import child_transfer_pb2 as _child_transfer_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OpenChildTransferRequest(_message.Message):
    __slots__ = ("transfer_id", "child_document", "child_display_name", "source_tenant", "source_region", "target_tenant", "guardian_consent_reference", "consent_date", "reason", "child_record")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    CHILD_DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    CHILD_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TENANT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_REGION_FIELD_NUMBER: _ClassVar[int]
    TARGET_TENANT_FIELD_NUMBER: _ClassVar[int]
    GUARDIAN_CONSENT_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    CONSENT_DATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CHILD_RECORD_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    child_document: _resident_pb2.IdentityDocument
    child_display_name: str
    source_tenant: str
    source_region: str
    target_tenant: str
    guardian_consent_reference: str
    consent_date: str
    reason: str
    child_record: str
    def __init__(self, transfer_id: _Optional[str] = ..., child_document: _Optional[_Union[_resident_pb2.IdentityDocument, _Mapping]] = ..., child_display_name: _Optional[str] = ..., source_tenant: _Optional[str] = ..., source_region: _Optional[str] = ..., target_tenant: _Optional[str] = ..., guardian_consent_reference: _Optional[str] = ..., consent_date: _Optional[str] = ..., reason: _Optional[str] = ..., child_record: _Optional[str] = ...) -> None: ...

class ExportChildRecordRequest(_message.Message):
    __slots__ = ("transfer_id",)
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    def __init__(self, transfer_id: _Optional[str] = ...) -> None: ...

class ExportChildRecordResponse(_message.Message):
    __slots__ = ("bundle",)
    BUNDLE_FIELD_NUMBER: _ClassVar[int]
    bundle: bytes
    def __init__(self, bundle: _Optional[bytes] = ...) -> None: ...

class CompleteChildTransferRequest(_message.Message):
    __slots__ = ("transfer_id", "moved_visits")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    MOVED_VISITS_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    moved_visits: int
    def __init__(self, transfer_id: _Optional[str] = ..., moved_visits: _Optional[int] = ...) -> None: ...

class CloseChildTransferRequest(_message.Message):
    __slots__ = ("transfer_id", "decline_reason")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    DECLINE_REASON_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    decline_reason: str
    def __init__(self, transfer_id: _Optional[str] = ..., decline_reason: _Optional[str] = ...) -> None: ...

class RetractChildTransferRequest(_message.Message):
    __slots__ = ("transfer_id", "target_tenant", "reason")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_TENANT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    target_tenant: str
    reason: str
    def __init__(self, transfer_id: _Optional[str] = ..., target_tenant: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...
