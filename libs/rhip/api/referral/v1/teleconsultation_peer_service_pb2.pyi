from rhip.api.common.v1 import common_pb2 as _common_pb2
from rhip.api.referral.v1 import teleconsultation_pb2 as _teleconsultation_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OpenCooperationAgreementRequest(_message.Message):
    __slots__ = ("agreement", "inviting_region")
    AGREEMENT_FIELD_NUMBER: _ClassVar[int]
    INVITING_REGION_FIELD_NUMBER: _ClassVar[int]
    agreement: _teleconsultation_pb2.CooperationAgreement
    inviting_region: str
    def __init__(self, agreement: _Optional[_Union[_teleconsultation_pb2.CooperationAgreement, _Mapping]] = ..., inviting_region: _Optional[str] = ...) -> None: ...

class OpenTeleconsultationRequest(_message.Message):
    __slots__ = ("teleconsultation", "inviting_region")
    TELECONSULTATION_FIELD_NUMBER: _ClassVar[int]
    INVITING_REGION_FIELD_NUMBER: _ClassVar[int]
    teleconsultation: _teleconsultation_pb2.Teleconsultation
    inviting_region: str
    def __init__(self, teleconsultation: _Optional[_Union[_teleconsultation_pb2.Teleconsultation, _Mapping]] = ..., inviting_region: _Optional[str] = ...) -> None: ...

class RelayTeleconsultationTransitionRequest(_message.Message):
    __slots__ = ("teleconsultation_id", "state", "teleconsultation")
    TELECONSULTATION_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TELECONSULTATION_FIELD_NUMBER: _ClassVar[int]
    teleconsultation_id: str
    state: _teleconsultation_pb2.TeleconsultationState
    teleconsultation: _teleconsultation_pb2.Teleconsultation
    def __init__(self, teleconsultation_id: _Optional[str] = ..., state: _Optional[_Union[_teleconsultation_pb2.TeleconsultationState, str]] = ..., teleconsultation: _Optional[_Union[_teleconsultation_pb2.Teleconsultation, _Mapping]] = ...) -> None: ...

class RelayRecordingDeletionRequest(_message.Message):
    __slots__ = ("teleconsultation_id",)
    TELECONSULTATION_ID_FIELD_NUMBER: _ClassVar[int]
    teleconsultation_id: str
    def __init__(self, teleconsultation_id: _Optional[str] = ...) -> None: ...
