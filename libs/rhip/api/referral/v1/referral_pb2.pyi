import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Direction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIRECTION_UNSPECIFIED: _ClassVar[Direction]
    DIRECTION_UP: _ClassVar[Direction]
    DIRECTION_DOWN: _ClassVar[Direction]

class ReferralState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REFERRAL_STATE_UNSPECIFIED: _ClassVar[ReferralState]
    REFERRAL_STATE_DRAFT: _ClassVar[ReferralState]
    REFERRAL_STATE_SUBMITTED: _ClassVar[ReferralState]
    REFERRAL_STATE_ACCEPTED: _ClassVar[ReferralState]
    REFERRAL_STATE_REJECTED: _ClassVar[ReferralState]
    REFERRAL_STATE_IN_CARE: _ClassVar[ReferralState]
    REFERRAL_STATE_RETURNED: _ClassVar[ReferralState]
    REFERRAL_STATE_COMPLETED: _ClassVar[ReferralState]
    REFERRAL_STATE_CLOSED: _ClassVar[ReferralState]
    REFERRAL_STATE_CANCELLED: _ClassVar[ReferralState]
DIRECTION_UNSPECIFIED: Direction
DIRECTION_UP: Direction
DIRECTION_DOWN: Direction
REFERRAL_STATE_UNSPECIFIED: ReferralState
REFERRAL_STATE_DRAFT: ReferralState
REFERRAL_STATE_SUBMITTED: ReferralState
REFERRAL_STATE_ACCEPTED: ReferralState
REFERRAL_STATE_REJECTED: ReferralState
REFERRAL_STATE_IN_CARE: ReferralState
REFERRAL_STATE_RETURNED: ReferralState
REFERRAL_STATE_COMPLETED: ReferralState
REFERRAL_STATE_CLOSED: ReferralState
REFERRAL_STATE_CANCELLED: ReferralState

class OutwardForm(_message.Message):
    __slots__ = ("initial_impression", "reason", "past_history", "treatment_so_far", "allergy_history", "referring_doctor", "referring_doctor_phone")
    INITIAL_IMPRESSION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PAST_HISTORY_FIELD_NUMBER: _ClassVar[int]
    TREATMENT_SO_FAR_FIELD_NUMBER: _ClassVar[int]
    ALLERGY_HISTORY_FIELD_NUMBER: _ClassVar[int]
    REFERRING_DOCTOR_FIELD_NUMBER: _ClassVar[int]
    REFERRING_DOCTOR_PHONE_FIELD_NUMBER: _ClassVar[int]
    initial_impression: str
    reason: str
    past_history: str
    treatment_so_far: str
    allergy_history: str
    referring_doctor: str
    referring_doctor_phone: str
    def __init__(self, initial_impression: _Optional[str] = ..., reason: _Optional[str] = ..., past_history: _Optional[str] = ..., treatment_so_far: _Optional[str] = ..., allergy_history: _Optional[str] = ..., referring_doctor: _Optional[str] = ..., referring_doctor_phone: _Optional[str] = ...) -> None: ...

class ReturnForm(_message.Message):
    __slots__ = ("diagnosis", "inpatient_number", "examination_results", "treatment_so_far", "treatment_plan", "doctor", "doctor_phone")
    DIAGNOSIS_FIELD_NUMBER: _ClassVar[int]
    INPATIENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    EXAMINATION_RESULTS_FIELD_NUMBER: _ClassVar[int]
    TREATMENT_SO_FAR_FIELD_NUMBER: _ClassVar[int]
    TREATMENT_PLAN_FIELD_NUMBER: _ClassVar[int]
    DOCTOR_FIELD_NUMBER: _ClassVar[int]
    DOCTOR_PHONE_FIELD_NUMBER: _ClassVar[int]
    diagnosis: str
    inpatient_number: str
    examination_results: str
    treatment_so_far: str
    treatment_plan: str
    doctor: str
    doctor_phone: str
    def __init__(self, diagnosis: _Optional[str] = ..., inpatient_number: _Optional[str] = ..., examination_results: _Optional[str] = ..., treatment_so_far: _Optional[str] = ..., treatment_plan: _Optional[str] = ..., doctor: _Optional[str] = ..., doctor_phone: _Optional[str] = ...) -> None: ...

class ReferralConsent(_message.Message):
    __slots__ = ("method", "consent_date", "reference")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    CONSENT_DATE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    method: str
    consent_date: str
    reference: str
    def __init__(self, method: _Optional[str] = ..., consent_date: _Optional[str] = ..., reference: _Optional[str] = ...) -> None: ...

class RecordSnapshot(_message.Message):
    __slots__ = ("health_record", "record_number", "managing_tenant", "birth_date", "blood_type_abo", "blood_type_rh", "drug_allergies", "past_diseases", "take_time")
    HEALTH_RECORD_FIELD_NUMBER: _ClassVar[int]
    RECORD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    MANAGING_TENANT_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DATE_FIELD_NUMBER: _ClassVar[int]
    BLOOD_TYPE_ABO_FIELD_NUMBER: _ClassVar[int]
    BLOOD_TYPE_RH_FIELD_NUMBER: _ClassVar[int]
    DRUG_ALLERGIES_FIELD_NUMBER: _ClassVar[int]
    PAST_DISEASES_FIELD_NUMBER: _ClassVar[int]
    TAKE_TIME_FIELD_NUMBER: _ClassVar[int]
    health_record: str
    record_number: str
    managing_tenant: str
    birth_date: str
    blood_type_abo: int
    blood_type_rh: int
    drug_allergies: _containers.RepeatedScalarFieldContainer[int]
    past_diseases: _containers.RepeatedScalarFieldContainer[int]
    take_time: _timestamp_pb2.Timestamp
    def __init__(self, health_record: _Optional[str] = ..., record_number: _Optional[str] = ..., managing_tenant: _Optional[str] = ..., birth_date: _Optional[str] = ..., blood_type_abo: _Optional[int] = ..., blood_type_rh: _Optional[int] = ..., drug_allergies: _Optional[_Iterable[int]] = ..., past_diseases: _Optional[_Iterable[int]] = ..., take_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Transition(_message.Message):
    __slots__ = ("state", "actor", "time", "reason")
    STATE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    state: ReferralState
    actor: str
    time: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, state: _Optional[_Union[ReferralState, str]] = ..., actor: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class Referral(_message.Message):
    __slots__ = ("name", "referral_id", "direction", "resident", "sending_tenant", "receiving_tenant", "receiving_department", "receiving_doctor", "outward", "consent", "state", "snapshot", "return_form", "follow_up_task", "follow_up_due_date", "transitions", "deadline", "overdue", "create_time", "update_time", "receiving_region", "sending_region", "suggested_by")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_ID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    SENDING_TENANT_FIELD_NUMBER: _ClassVar[int]
    RECEIVING_TENANT_FIELD_NUMBER: _ClassVar[int]
    RECEIVING_DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    RECEIVING_DOCTOR_FIELD_NUMBER: _ClassVar[int]
    OUTWARD_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    RETURN_FORM_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_UP_TASK_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_UP_DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    TRANSITIONS_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    RECEIVING_REGION_FIELD_NUMBER: _ClassVar[int]
    SENDING_REGION_FIELD_NUMBER: _ClassVar[int]
    SUGGESTED_BY_FIELD_NUMBER: _ClassVar[int]
    name: str
    referral_id: str
    direction: Direction
    resident: str
    sending_tenant: str
    receiving_tenant: str
    receiving_department: str
    receiving_doctor: str
    outward: OutwardForm
    consent: ReferralConsent
    state: ReferralState
    snapshot: RecordSnapshot
    return_form: ReturnForm
    follow_up_task: str
    follow_up_due_date: str
    transitions: _containers.RepeatedCompositeFieldContainer[Transition]
    deadline: _timestamp_pb2.Timestamp
    overdue: bool
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    receiving_region: str
    sending_region: str
    suggested_by: str
    def __init__(self, name: _Optional[str] = ..., referral_id: _Optional[str] = ..., direction: _Optional[_Union[Direction, str]] = ..., resident: _Optional[str] = ..., sending_tenant: _Optional[str] = ..., receiving_tenant: _Optional[str] = ..., receiving_department: _Optional[str] = ..., receiving_doctor: _Optional[str] = ..., outward: _Optional[_Union[OutwardForm, _Mapping]] = ..., consent: _Optional[_Union[ReferralConsent, _Mapping]] = ..., state: _Optional[_Union[ReferralState, str]] = ..., snapshot: _Optional[_Union[RecordSnapshot, _Mapping]] = ..., return_form: _Optional[_Union[ReturnForm, _Mapping]] = ..., follow_up_task: _Optional[str] = ..., follow_up_due_date: _Optional[str] = ..., transitions: _Optional[_Iterable[_Union[Transition, _Mapping]]] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., overdue: _Optional[bool] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., receiving_region: _Optional[str] = ..., sending_region: _Optional[str] = ..., suggested_by: _Optional[str] = ...) -> None: ...
