import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from rhip.api.mch.v1 import pregnancy_pb2 as _pregnancy_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EyeFinding(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EYE_FINDING_UNSPECIFIED: _ClassVar[EyeFinding]
    EYE_FINDING_NORMAL: _ClassVar[EyeFinding]
    EYE_FINDING_ABNORMAL: _ClassVar[EyeFinding]

class DevelopmentResult(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEVELOPMENT_RESULT_UNSPECIFIED: _ClassVar[DevelopmentResult]
    DEVELOPMENT_RESULT_PASSED: _ClassVar[DevelopmentResult]
    DEVELOPMENT_RESULT_WARNING_SIGNS: _ClassVar[DevelopmentResult]

class HearingResult(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HEARING_RESULT_UNSPECIFIED: _ClassVar[HearingResult]
    HEARING_RESULT_PASS: _ClassVar[HearingResult]
    HEARING_RESULT_REFER: _ClassVar[HearingResult]

class ChildReferralReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHILD_REFERRAL_REASON_UNSPECIFIED: _ClassVar[ChildReferralReason]
    CHILD_REFERRAL_REASON_EYE: _ClassVar[ChildReferralReason]
    CHILD_REFERRAL_REASON_DEVELOPMENT: _ClassVar[ChildReferralReason]
    CHILD_REFERRAL_REASON_ANAEMIA: _ClassVar[ChildReferralReason]
    CHILD_REFERRAL_REASON_HEARING: _ClassVar[ChildReferralReason]

class NewbornRiskFactor(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NEWBORN_RISK_FACTOR_UNSPECIFIED: _ClassVar[NewbornRiskFactor]
    NEWBORN_RISK_FACTOR_LOW_BIRTH_WEIGHT: _ClassVar[NewbornRiskFactor]
    NEWBORN_RISK_FACTOR_PRETERM: _ClassVar[NewbornRiskFactor]
    NEWBORN_RISK_FACTOR_MULTIPLE_BIRTH: _ClassVar[NewbornRiskFactor]
    NEWBORN_RISK_FACTOR_BIRTH_DEFECT: _ClassVar[NewbornRiskFactor]
EYE_FINDING_UNSPECIFIED: EyeFinding
EYE_FINDING_NORMAL: EyeFinding
EYE_FINDING_ABNORMAL: EyeFinding
DEVELOPMENT_RESULT_UNSPECIFIED: DevelopmentResult
DEVELOPMENT_RESULT_PASSED: DevelopmentResult
DEVELOPMENT_RESULT_WARNING_SIGNS: DevelopmentResult
HEARING_RESULT_UNSPECIFIED: HearingResult
HEARING_RESULT_PASS: HearingResult
HEARING_RESULT_REFER: HearingResult
CHILD_REFERRAL_REASON_UNSPECIFIED: ChildReferralReason
CHILD_REFERRAL_REASON_EYE: ChildReferralReason
CHILD_REFERRAL_REASON_DEVELOPMENT: ChildReferralReason
CHILD_REFERRAL_REASON_ANAEMIA: ChildReferralReason
CHILD_REFERRAL_REASON_HEARING: ChildReferralReason
NEWBORN_RISK_FACTOR_UNSPECIFIED: NewbornRiskFactor
NEWBORN_RISK_FACTOR_LOW_BIRTH_WEIGHT: NewbornRiskFactor
NEWBORN_RISK_FACTOR_PRETERM: NewbornRiskFactor
NEWBORN_RISK_FACTOR_MULTIPLE_BIRTH: NewbornRiskFactor
NEWBORN_RISK_FACTOR_BIRTH_DEFECT: NewbornRiskFactor

class WarningSign(_message.Message):
    __slots__ = ("code", "description")
    CODE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    code: str
    description: str
    def __init__(self, code: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class BirthFacts(_message.Message):
    __slots__ = ("birth_weight_g", "gestational_weeks", "multiple_birth", "birth_defect", "discharge_date", "high_risk_factors", "from_delivery", "high_risk_since")
    BIRTH_WEIGHT_G_FIELD_NUMBER: _ClassVar[int]
    GESTATIONAL_WEEKS_FIELD_NUMBER: _ClassVar[int]
    MULTIPLE_BIRTH_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DEFECT_FIELD_NUMBER: _ClassVar[int]
    DISCHARGE_DATE_FIELD_NUMBER: _ClassVar[int]
    HIGH_RISK_FACTORS_FIELD_NUMBER: _ClassVar[int]
    FROM_DELIVERY_FIELD_NUMBER: _ClassVar[int]
    HIGH_RISK_SINCE_FIELD_NUMBER: _ClassVar[int]
    birth_weight_g: int
    gestational_weeks: int
    multiple_birth: bool
    birth_defect: bool
    discharge_date: str
    high_risk_factors: _containers.RepeatedScalarFieldContainer[NewbornRiskFactor]
    from_delivery: bool
    high_risk_since: str
    def __init__(self, birth_weight_g: _Optional[int] = ..., gestational_weeks: _Optional[int] = ..., multiple_birth: _Optional[bool] = ..., birth_defect: _Optional[bool] = ..., discharge_date: _Optional[str] = ..., high_risk_factors: _Optional[_Iterable[_Union[NewbornRiskFactor, str]]] = ..., from_delivery: _Optional[bool] = ..., high_risk_since: _Optional[str] = ...) -> None: ...

class DevelopmentCheck(_message.Message):
    __slots__ = ("result", "warning_signs", "age_group")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    WARNING_SIGNS_FIELD_NUMBER: _ClassVar[int]
    AGE_GROUP_FIELD_NUMBER: _ClassVar[int]
    result: DevelopmentResult
    warning_signs: _containers.RepeatedScalarFieldContainer[str]
    age_group: str
    def __init__(self, result: _Optional[_Union[DevelopmentResult, str]] = ..., warning_signs: _Optional[_Iterable[str]] = ..., age_group: _Optional[str] = ...) -> None: ...

class EyeItem(_message.Message):
    __slots__ = ("item", "county_level")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    COUNTY_LEVEL_FIELD_NUMBER: _ClassVar[int]
    item: str
    county_level: bool
    def __init__(self, item: _Optional[str] = ..., county_level: _Optional[bool] = ...) -> None: ...

class ChildSlot(_message.Message):
    __slots__ = ("code", "window_start_date", "window_end_date", "state", "visit", "eye_items", "blood_routine", "hearing_screening", "warning_signs")
    CODE_FIELD_NUMBER: _ClassVar[int]
    WINDOW_START_DATE_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_DATE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    VISIT_FIELD_NUMBER: _ClassVar[int]
    EYE_ITEMS_FIELD_NUMBER: _ClassVar[int]
    BLOOD_ROUTINE_FIELD_NUMBER: _ClassVar[int]
    HEARING_SCREENING_FIELD_NUMBER: _ClassVar[int]
    WARNING_SIGNS_FIELD_NUMBER: _ClassVar[int]
    code: str
    window_start_date: str
    window_end_date: str
    state: _pregnancy_pb2.SlotState
    visit: str
    eye_items: _containers.RepeatedCompositeFieldContainer[EyeItem]
    blood_routine: bool
    hearing_screening: bool
    warning_signs: _containers.RepeatedCompositeFieldContainer[WarningSign]
    def __init__(self, code: _Optional[str] = ..., window_start_date: _Optional[str] = ..., window_end_date: _Optional[str] = ..., state: _Optional[_Union[_pregnancy_pb2.SlotState, str]] = ..., visit: _Optional[str] = ..., eye_items: _Optional[_Iterable[_Union[EyeItem, _Mapping]]] = ..., blood_routine: _Optional[bool] = ..., hearing_screening: _Optional[bool] = ..., warning_signs: _Optional[_Iterable[_Union[WarningSign, _Mapping]]] = ...) -> None: ...

class ChildRecord(_message.Message):
    __slots__ = ("name", "child", "managing_tenant", "birth_date", "schedule", "open_referral", "create_time", "pending_transfer", "birth")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CHILD_FIELD_NUMBER: _ClassVar[int]
    MANAGING_TENANT_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DATE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    OPEN_REFERRAL_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    PENDING_TRANSFER_FIELD_NUMBER: _ClassVar[int]
    BIRTH_FIELD_NUMBER: _ClassVar[int]
    name: str
    child: str
    managing_tenant: str
    birth_date: str
    schedule: _containers.RepeatedCompositeFieldContainer[ChildSlot]
    open_referral: str
    create_time: _timestamp_pb2.Timestamp
    pending_transfer: PendingChildTransfer
    birth: BirthFacts
    def __init__(self, name: _Optional[str] = ..., child: _Optional[str] = ..., managing_tenant: _Optional[str] = ..., birth_date: _Optional[str] = ..., schedule: _Optional[_Iterable[_Union[ChildSlot, _Mapping]]] = ..., open_referral: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pending_transfer: _Optional[_Union[PendingChildTransfer, _Mapping]] = ..., birth: _Optional[_Union[BirthFacts, _Mapping]] = ...) -> None: ...

class PendingChildTransfer(_message.Message):
    __slots__ = ("transfer", "target_tenant", "target_tenant_display_name")
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    TARGET_TENANT_FIELD_NUMBER: _ClassVar[int]
    TARGET_TENANT_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    transfer: str
    target_tenant: str
    target_tenant_display_name: str
    def __init__(self, transfer: _Optional[str] = ..., target_tenant: _Optional[str] = ..., target_tenant_display_name: _Optional[str] = ...) -> None: ...

class EyeResult(_message.Message):
    __slots__ = ("item", "finding")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    FINDING_FIELD_NUMBER: _ClassVar[int]
    item: str
    finding: EyeFinding
    def __init__(self, item: _Optional[str] = ..., finding: _Optional[_Union[EyeFinding, str]] = ...) -> None: ...

class ChildVisit(_message.Message):
    __slots__ = ("name", "visit_date", "age_days", "slot", "missed_slot", "weight_kg", "length_cm", "eye", "acuity_left", "acuity_right", "referral", "referral_followed_up", "six_month_referral_pending", "tenant", "create_time", "development", "haemoglobin_g_l", "anaemia", "hearing_left", "hearing_right", "referral_reasons", "risk_factors_found")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VISIT_DATE_FIELD_NUMBER: _ClassVar[int]
    AGE_DAYS_FIELD_NUMBER: _ClassVar[int]
    SLOT_FIELD_NUMBER: _ClassVar[int]
    MISSED_SLOT_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_KG_FIELD_NUMBER: _ClassVar[int]
    LENGTH_CM_FIELD_NUMBER: _ClassVar[int]
    EYE_FIELD_NUMBER: _ClassVar[int]
    ACUITY_LEFT_FIELD_NUMBER: _ClassVar[int]
    ACUITY_RIGHT_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_FOLLOWED_UP_FIELD_NUMBER: _ClassVar[int]
    SIX_MONTH_REFERRAL_PENDING_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DEVELOPMENT_FIELD_NUMBER: _ClassVar[int]
    HAEMOGLOBIN_G_L_FIELD_NUMBER: _ClassVar[int]
    ANAEMIA_FIELD_NUMBER: _ClassVar[int]
    HEARING_LEFT_FIELD_NUMBER: _ClassVar[int]
    HEARING_RIGHT_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_REASONS_FIELD_NUMBER: _ClassVar[int]
    RISK_FACTORS_FOUND_FIELD_NUMBER: _ClassVar[int]
    name: str
    visit_date: str
    age_days: int
    slot: str
    missed_slot: str
    weight_kg: float
    length_cm: float
    eye: _containers.RepeatedCompositeFieldContainer[EyeResult]
    acuity_left: float
    acuity_right: float
    referral: bool
    referral_followed_up: bool
    six_month_referral_pending: bool
    tenant: str
    create_time: _timestamp_pb2.Timestamp
    development: DevelopmentCheck
    haemoglobin_g_l: float
    anaemia: bool
    hearing_left: HearingResult
    hearing_right: HearingResult
    referral_reasons: _containers.RepeatedScalarFieldContainer[ChildReferralReason]
    risk_factors_found: _containers.RepeatedScalarFieldContainer[NewbornRiskFactor]
    def __init__(self, name: _Optional[str] = ..., visit_date: _Optional[str] = ..., age_days: _Optional[int] = ..., slot: _Optional[str] = ..., missed_slot: _Optional[str] = ..., weight_kg: _Optional[float] = ..., length_cm: _Optional[float] = ..., eye: _Optional[_Iterable[_Union[EyeResult, _Mapping]]] = ..., acuity_left: _Optional[float] = ..., acuity_right: _Optional[float] = ..., referral: _Optional[bool] = ..., referral_followed_up: _Optional[bool] = ..., six_month_referral_pending: _Optional[bool] = ..., tenant: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., development: _Optional[_Union[DevelopmentCheck, _Mapping]] = ..., haemoglobin_g_l: _Optional[float] = ..., anaemia: _Optional[bool] = ..., hearing_left: _Optional[_Union[HearingResult, str]] = ..., hearing_right: _Optional[_Union[HearingResult, str]] = ..., referral_reasons: _Optional[_Iterable[_Union[ChildReferralReason, str]]] = ..., risk_factors_found: _Optional[_Iterable[_Union[NewbornRiskFactor, str]]] = ...) -> None: ...
