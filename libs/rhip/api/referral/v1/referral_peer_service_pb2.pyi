import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from rhip.api.common.v1 import common_pb2 as _common_pb2
from rhip.api.referral.v1 import referral_pb2 as _referral_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OpenReferralRequest(_message.Message):
    __slots__ = ("referral",)
    REFERRAL_FIELD_NUMBER: _ClassVar[int]
    referral: _referral_pb2.Referral
    def __init__(self, referral: _Optional[_Union[_referral_pb2.Referral, _Mapping]] = ...) -> None: ...

class RelayReferralTransitionRequest(_message.Message):
    __slots__ = ("referral_id", "state", "reason", "return_form", "deadline", "health_card_code")
    REFERRAL_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RETURN_FORM_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CARD_CODE_FIELD_NUMBER: _ClassVar[int]
    referral_id: str
    state: _referral_pb2.ReferralState
    reason: str
    return_form: _referral_pb2.ReturnForm
    deadline: _timestamp_pb2.Timestamp
    health_card_code: str
    def __init__(self, referral_id: _Optional[str] = ..., state: _Optional[_Union[_referral_pb2.ReferralState, str]] = ..., reason: _Optional[str] = ..., return_form: _Optional[_Union[_referral_pb2.ReturnForm, _Mapping]] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., health_card_code: _Optional[str] = ...) -> None: ...
