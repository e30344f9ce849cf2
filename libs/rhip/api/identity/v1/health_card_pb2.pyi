import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class QrCodeType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QR_CODE_TYPE_UNSPECIFIED: _ClassVar[QrCodeType]
    QR_CODE_TYPE_DYNAMIC: _ClassVar[QrCodeType]
    QR_CODE_TYPE_STATIC: _ClassVar[QrCodeType]

class HealthCardState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HEALTH_CARD_STATE_UNSPECIFIED: _ClassVar[HealthCardState]
    HEALTH_CARD_STATE_ACTIVE: _ClassVar[HealthCardState]
    HEALTH_CARD_STATE_REVOKED: _ClassVar[HealthCardState]

class QrVerifyOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QR_VERIFY_OUTCOME_UNSPECIFIED: _ClassVar[QrVerifyOutcome]
    QR_VERIFY_OUTCOME_VALID: _ClassVar[QrVerifyOutcome]
    QR_VERIFY_OUTCOME_MALFORMED: _ClassVar[QrVerifyOutcome]
    QR_VERIFY_OUTCOME_FORGED: _ClassVar[QrVerifyOutcome]
    QR_VERIFY_OUTCOME_EXPIRED: _ClassVar[QrVerifyOutcome]
    QR_VERIFY_OUTCOME_REUSED: _ClassVar[QrVerifyOutcome]
    QR_VERIFY_OUTCOME_REVOKED: _ClassVar[QrVerifyOutcome]
    QR_VERIFY_OUTCOME_WRONG_REGION: _ClassVar[QrVerifyOutcome]
QR_CODE_TYPE_UNSPECIFIED: QrCodeType
QR_CODE_TYPE_DYNAMIC: QrCodeType
QR_CODE_TYPE_STATIC: QrCodeType
HEALTH_CARD_STATE_UNSPECIFIED: HealthCardState
HEALTH_CARD_STATE_ACTIVE: HealthCardState
HEALTH_CARD_STATE_REVOKED: HealthCardState
QR_VERIFY_OUTCOME_UNSPECIFIED: QrVerifyOutcome
QR_VERIFY_OUTCOME_VALID: QrVerifyOutcome
QR_VERIFY_OUTCOME_MALFORMED: QrVerifyOutcome
QR_VERIFY_OUTCOME_FORGED: QrVerifyOutcome
QR_VERIFY_OUTCOME_EXPIRED: QrVerifyOutcome
QR_VERIFY_OUTCOME_REUSED: QrVerifyOutcome
QR_VERIFY_OUTCOME_REVOKED: QrVerifyOutcome
QR_VERIFY_OUTCOME_WRONG_REGION: QrVerifyOutcome

class HealthCard(_message.Message):
    __slots__ = ("name", "card_id", "resident", "state", "generation", "issue_time", "revoke_time", "revoke_reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CARD_ID_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    ISSUE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    card_id: str
    resident: str
    state: HealthCardState
    generation: int
    issue_time: _timestamp_pb2.Timestamp
    revoke_time: _timestamp_pb2.Timestamp
    revoke_reason: str
    def __init__(self, name: _Optional[str] = ..., card_id: _Optional[str] = ..., resident: _Optional[str] = ..., state: _Optional[_Union[HealthCardState, str]] = ..., generation: _Optional[int] = ..., issue_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_reason: _Optional[str] = ...) -> None: ...
