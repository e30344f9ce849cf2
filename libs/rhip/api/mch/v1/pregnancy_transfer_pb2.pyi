import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PregnancyTransferState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PREGNANCY_TRANSFER_STATE_UNSPECIFIED: _ClassVar[PregnancyTransferState]
    PREGNANCY_TRANSFER_STATE_PENDING: _ClassVar[PregnancyTransferState]
    PREGNANCY_TRANSFER_STATE_ACCEPTED: _ClassVar[PregnancyTransferState]
    PREGNANCY_TRANSFER_STATE_DECLINED: _ClassVar[PregnancyTransferState]
    PREGNANCY_TRANSFER_STATE_WITHDRAWN: _ClassVar[PregnancyTransferState]

class PregnancyTransferParty(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PREGNANCY_TRANSFER_PARTY_UNSPECIFIED: _ClassVar[PregnancyTransferParty]
    PREGNANCY_TRANSFER_PARTY_SOURCE: _ClassVar[PregnancyTransferParty]
    PREGNANCY_TRANSFER_PARTY_TARGET: _ClassVar[PregnancyTransferParty]
PREGNANCY_TRANSFER_STATE_UNSPECIFIED: PregnancyTransferState
PREGNANCY_TRANSFER_STATE_PENDING: PregnancyTransferState
PREGNANCY_TRANSFER_STATE_ACCEPTED: PregnancyTransferState
PREGNANCY_TRANSFER_STATE_DECLINED: PregnancyTransferState
PREGNANCY_TRANSFER_STATE_WITHDRAWN: PregnancyTransferState
PREGNANCY_TRANSFER_PARTY_UNSPECIFIED: PregnancyTransferParty
PREGNANCY_TRANSFER_PARTY_SOURCE: PregnancyTransferParty
PREGNANCY_TRANSFER_PARTY_TARGET: PregnancyTransferParty

class PregnancyTransfer(_message.Message):
    __slots__ = ("name", "pregnancy", "resident", "source_tenant", "target_tenant", "requested_by", "state", "reason", "decline_reason", "withdraw_reason", "create_time", "decide_time", "target_tenant_display_name")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PREGNANCY_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TENANT_FIELD_NUMBER: _ClassVar[int]
    TARGET_TENANT_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DECLINE_REASON_FIELD_NUMBER: _ClassVar[int]
    WITHDRAW_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DECIDE_TIME_FIELD_NUMBER: _ClassVar[int]
    TARGET_TENANT_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    pregnancy: str
    resident: str
    source_tenant: str
    target_tenant: str
    requested_by: PregnancyTransferParty
    state: PregnancyTransferState
    reason: str
    decline_reason: str
    withdraw_reason: str
    create_time: _timestamp_pb2.Timestamp
    decide_time: _timestamp_pb2.Timestamp
    target_tenant_display_name: str
    def __init__(self, name: _Optional[str] = ..., pregnancy: _Optional[str] = ..., resident: _Optional[str] = ..., source_tenant: _Optional[str] = ..., target_tenant: _Optional[str] = ..., requested_by: _Optional[_Union[PregnancyTransferParty, str]] = ..., state: _Optional[_Union[PregnancyTransferState, str]] = ..., reason: _Optional[str] = ..., decline_reason: _Optional[str] = ..., withdraw_reason: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decide_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., target_tenant_display_name: _Optional[str] = ...) -> None: ...
