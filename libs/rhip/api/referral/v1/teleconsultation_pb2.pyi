import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TeleconsultationState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TELECONSULTATION_STATE_UNSPECIFIED: _ClassVar[TeleconsultationState]
    TELECONSULTATION_STATE_REQUESTED: _ClassVar[TeleconsultationState]
    TELECONSULTATION_STATE_ACCEPTED: _ClassVar[TeleconsultationState]
    TELECONSULTATION_STATE_DECLINED: _ClassVar[TeleconsultationState]
    TELECONSULTATION_STATE_SCHEDULED: _ClassVar[TeleconsultationState]
    TELECONSULTATION_STATE_IN_SESSION: _ClassVar[TeleconsultationState]
    TELECONSULTATION_STATE_AWAITING_REPORT: _ClassVar[TeleconsultationState]
    TELECONSULTATION_STATE_REPORTED: _ClassVar[TeleconsultationState]
    TELECONSULTATION_STATE_CLOSED: _ClassVar[TeleconsultationState]
    TELECONSULTATION_STATE_CANCELLED: _ClassVar[TeleconsultationState]
TELECONSULTATION_STATE_UNSPECIFIED: TeleconsultationState
TELECONSULTATION_STATE_REQUESTED: TeleconsultationState
TELECONSULTATION_STATE_ACCEPTED: TeleconsultationState
TELECONSULTATION_STATE_DECLINED: TeleconsultationState
TELECONSULTATION_STATE_SCHEDULED: TeleconsultationState
TELECONSULTATION_STATE_IN_SESSION: TeleconsultationState
TELECONSULTATION_STATE_AWAITING_REPORT: TeleconsultationState
TELECONSULTATION_STATE_REPORTED: TeleconsultationState
TELECONSULTATION_STATE_CLOSED: TeleconsultationState
TELECONSULTATION_STATE_CANCELLED: TeleconsultationState

class CooperationAgreement(_message.Message):
    __slots__ = ("name", "inviting_tenant", "invited_tenant", "scope", "start_date", "end_date", "liability", "create_time", "invited_region", "inviting_region")
    NAME_FIELD_NUMBER: _ClassVar[int]
    INVITING_TENANT_FIELD_NUMBER: _ClassVar[int]
    INVITED_TENANT_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    LIABILITY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    INVITED_REGION_FIELD_NUMBER: _ClassVar[int]
    INVITING_REGION_FIELD_NUMBER: _ClassVar[int]
    name: str
    inviting_tenant: str
    invited_tenant: str
    scope: str
    start_date: str
    end_date: str
    liability: str
    create_time: _timestamp_pb2.Timestamp
    invited_region: str
    inviting_region: str
    def __init__(self, name: _Optional[str] = ..., inviting_tenant: _Optional[str] = ..., invited_tenant: _Optional[str] = ..., scope: _Optional[str] = ..., start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., liability: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., invited_region: _Optional[str] = ..., inviting_region: _Optional[str] = ...) -> None: ...

class TeleconsultationConsent(_message.Message):
    __slots__ = ("signer", "consent_date", "reference")
    SIGNER_FIELD_NUMBER: _ClassVar[int]
    CONSENT_DATE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    signer: str
    consent_date: str
    reference: str
    def __init__(self, signer: _Optional[str] = ..., consent_date: _Optional[str] = ..., reference: _Optional[str] = ...) -> None: ...

class OpinionReport(_message.Message):
    __slots__ = ("text", "physician", "digest", "signature", "key_id", "sign_time", "inpatient")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    PHYSICIAN_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    SIGN_TIME_FIELD_NUMBER: _ClassVar[int]
    INPATIENT_FIELD_NUMBER: _ClassVar[int]
    text: str
    physician: str
    digest: str
    signature: str
    key_id: str
    sign_time: _timestamp_pb2.Timestamp
    inpatient: bool
    def __init__(self, text: _Optional[str] = ..., physician: _Optional[str] = ..., digest: _Optional[str] = ..., signature: _Optional[str] = ..., key_id: _Optional[str] = ..., sign_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., inpatient: _Optional[bool] = ...) -> None: ...

class Teleconsultation(_message.Message):
    __slots__ = ("name", "inviting_tenant", "invited_tenant", "resident", "reason", "purpose", "proposed_time", "record_summary", "specialty", "title_wanted", "consent", "agreement", "state", "consulting_physician", "scheduled_time", "reason_closed", "recording", "report", "decision", "create_time", "update_time", "consulting_physician_title", "consulting_physician_practice_since", "consulting_physician_credentials", "invited_region", "inviting_region")
    NAME_FIELD_NUMBER: _ClassVar[int]
    INVITING_TENANT_FIELD_NUMBER: _ClassVar[int]
    INVITED_TENANT_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_TIME_FIELD_NUMBER: _ClassVar[int]
    RECORD_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    SPECIALTY_FIELD_NUMBER: _ClassVar[int]
    TITLE_WANTED_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    AGREEMENT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CONSULTING_PHYSICIAN_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_TIME_FIELD_NUMBER: _ClassVar[int]
    REASON_CLOSED_FIELD_NUMBER: _ClassVar[int]
    RECORDING_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CONSULTING_PHYSICIAN_TITLE_FIELD_NUMBER: _ClassVar[int]
    CONSULTING_PHYSICIAN_PRACTICE_SINCE_FIELD_NUMBER: _ClassVar[int]
    CONSULTING_PHYSICIAN_CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    INVITED_REGION_FIELD_NUMBER: _ClassVar[int]
    INVITING_REGION_FIELD_NUMBER: _ClassVar[int]
    name: str
    inviting_tenant: str
    invited_tenant: str
    resident: str
    reason: str
    purpose: str
    proposed_time: _timestamp_pb2.Timestamp
    record_summary: str
    specialty: str
    title_wanted: str
    consent: TeleconsultationConsent
    agreement: str
    state: TeleconsultationState
    consulting_physician: str
    scheduled_time: _timestamp_pb2.Timestamp
    reason_closed: str
    recording: str
    report: OpinionReport
    decision: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    consulting_physician_title: str
    consulting_physician_practice_since: str
    consulting_physician_credentials: str
    invited_region: str
    inviting_region: str
    def __init__(self, name: _Optional[str] = ..., inviting_tenant: _Optional[str] = ..., invited_tenant: _Optional[str] = ..., resident: _Optional[str] = ..., reason: _Optional[str] = ..., purpose: _Optional[str] = ..., proposed_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., record_summary: _Optional[str] = ..., specialty: _Optional[str] = ..., title_wanted: _Optional[str] = ..., consent: _Optional[_Union[TeleconsultationConsent, _Mapping]] = ..., agreement: _Optional[str] = ..., state: _Optional[_Union[TeleconsultationState, str]] = ..., consulting_physician: _Optional[str] = ..., scheduled_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason_closed: _Optional[str] = ..., recording: _Optional[str] = ..., report: _Optional[_Union[OpinionReport, _Mapping]] = ..., decision: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., consulting_physician_title: _Optional[str] = ..., consulting_physician_practice_since: _Optional[str] = ..., consulting_physician_credentials: _Optional[str] = ..., invited_region: _Optional[str] = ..., inviting_region: _Optional[str] = ...) -> None: ...
