import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from rhip.api.mch.v1 import child_pb2 as _child_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ChildTransferState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHILD_TRANSFER_STATE_UNSPECIFIED: _ClassVar[ChildTransferState]
    CHILD_TRANSFER_STATE_PENDING: _ClassVar[ChildTransferState]
    CHILD_TRANSFER_STATE_ACCEPTED: _ClassVar[ChildTransferState]
    CHILD_TRANSFER_STATE_DECLINED: _ClassVar[ChildTransferState]
    CHILD_TRANSFER_STATE_WITHDRAWN: _ClassVar[ChildTransferState]
    CHILD_TRANSFER_STATE_HANDING_OVER: _ClassVar[ChildTransferState]

class ChildTransferKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHILD_TRANSFER_KIND_UNSPECIFIED: _ClassVar[ChildTransferKind]
    CHILD_TRANSFER_KIND_TRANSFER: _ClassVar[ChildTransferKind]
    CHILD_TRANSFER_KIND_SCHOOL_HANDOVER: _ClassVar[ChildTransferKind]
CHILD_TRANSFER_STATE_UNSPECIFIED: ChildTransferState
CHILD_TRANSFER_STATE_PENDING: ChildTransferState
CHILD_TRANSFER_STATE_ACCEPTED: ChildTransferState
CHILD_TRANSFER_STATE_DECLINED: ChildTransferState
CHILD_TRANSFER_STATE_WITHDRAWN: ChildTransferState
CHILD_TRANSFER_STATE_HANDING_OVER: ChildTransferState
CHILD_TRANSFER_KIND_UNSPECIFIED: ChildTransferKind
CHILD_TRANSFER_KIND_TRANSFER: ChildTransferKind
CHILD_TRANSFER_KIND_SCHOOL_HANDOVER: ChildTransferKind

class ChildTransfer(_message.Message):
    __slots__ = ("name", "child_record", "child", "source_tenant", "target_tenant", "state", "kind", "guardian_consent_reference", "consent_date", "reason", "decline_reason", "moved_visits", "create_time", "decide_time", "withdraw_reason", "target_tenant_display_name", "peer_region")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CHILD_RECORD_FIELD_NUMBER: _ClassVar[int]
    CHILD_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TENANT_FIELD_NUMBER: _ClassVar[int]
    TARGET_TENANT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    GUARDIAN_CONSENT_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    CONSENT_DATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DECLINE_REASON_FIELD_NUMBER: _ClassVar[int]
    MOVED_VISITS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DECIDE_TIME_FIELD_NUMBER: _ClassVar[int]
    WITHDRAW_REASON_FIELD_NUMBER: _ClassVar[int]
    TARGET_TENANT_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    PEER_REGION_FIELD_NUMBER: _ClassVar[int]
    name: str
    child_record: str
    child: str
    source_tenant: str
    target_tenant: str
    state: ChildTransferState
    kind: ChildTransferKind
    guardian_consent_reference: str
    consent_date: str
    reason: str
    decline_reason: str
    moved_visits: int
    create_time: _timestamp_pb2.Timestamp
    decide_time: _timestamp_pb2.Timestamp
    withdraw_reason: str
    target_tenant_display_name: str
    peer_region: str
    def __init__(self, name: _Optional[str] = ..., child_record: _Optional[str] = ..., child: _Optional[str] = ..., source_tenant: _Optional[str] = ..., target_tenant: _Optional[str] = ..., state: _Optional[_Union[ChildTransferState, str]] = ..., kind: _Optional[_Union[ChildTransferKind, str]] = ..., guardian_consent_reference: _Optional[str] = ..., consent_date: _Optional[str] = ..., reason: _Optional[str] = ..., decline_reason: _Optional[str] = ..., moved_visits: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decide_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., withdraw_reason: _Optional[str] = ..., target_tenant_display_name: _Optional[str] = ..., peer_region: _Optional[str] = ...) -> None: ...

class VisionEntry(_message.Message):
    __slots__ = ("visit", "visit_date", "age_days", "slot", "tenant", "eye", "acuity_left", "acuity_right", "referral")
    VISIT_FIELD_NUMBER: _ClassVar[int]
    VISIT_DATE_FIELD_NUMBER: _ClassVar[int]
    AGE_DAYS_FIELD_NUMBER: _ClassVar[int]
    SLOT_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    EYE_FIELD_NUMBER: _ClassVar[int]
    ACUITY_LEFT_FIELD_NUMBER: _ClassVar[int]
    ACUITY_RIGHT_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_FIELD_NUMBER: _ClassVar[int]
    visit: str
    visit_date: str
    age_days: int
    slot: str
    tenant: str
    eye: _containers.RepeatedCompositeFieldContainer[_child_pb2.EyeResult]
    acuity_left: float
    acuity_right: float
    referral: bool
    def __init__(self, visit: _Optional[str] = ..., visit_date: _Optional[str] = ..., age_days: _Optional[int] = ..., slot: _Optional[str] = ..., tenant: _Optional[str] = ..., eye: _Optional[_Iterable[_Union[_child_pb2.EyeResult, _Mapping]]] = ..., acuity_left: _Optional[float] = ..., acuity_right: _Optional[float] = ..., referral: _Optional[bool] = ...) -> None: ...

class ChildVisionRecord(_message.Message):
    __slots__ = ("name", "child", "managing_tenant", "birth_date", "entries", "open_referral", "transfers")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CHILD_FIELD_NUMBER: _ClassVar[int]
    MANAGING_TENANT_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DATE_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    OPEN_REFERRAL_FIELD_NUMBER: _ClassVar[int]
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    name: str
    child: str
    managing_tenant: str
    birth_date: str
    entries: _containers.RepeatedCompositeFieldContainer[VisionEntry]
    open_referral: str
    transfers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., child: _Optional[str] = ..., managing_tenant: _Optional[str] = ..., birth_date: _Optional[str] = ..., entries: _Optional[_Iterable[_Union[VisionEntry, _Mapping]]] = ..., open_referral: _Optional[str] = ..., transfers: _Optional[_Iterable[str]] = ...) -> None: ...
