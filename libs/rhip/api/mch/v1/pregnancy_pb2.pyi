import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PregnancyState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PREGNANCY_STATE_UNSPECIFIED: _ClassVar[PregnancyState]
    PREGNANCY_STATE_REGISTERED: _ClassVar[PregnancyState]
    PREGNANCY_STATE_ANTENATAL: _ClassVar[PregnancyState]
    PREGNANCY_STATE_DELIVERED: _ClassVar[PregnancyState]
    PREGNANCY_STATE_TERMINATED: _ClassVar[PregnancyState]
    PREGNANCY_STATE_POSTPARTUM_VISITED: _ClassVar[PregnancyState]
    PREGNANCY_STATE_CHECK_42D_DONE: _ClassVar[PregnancyState]
    PREGNANCY_STATE_CLOSED: _ClassVar[PregnancyState]

class VisitKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VISIT_KIND_UNSPECIFIED: _ClassVar[VisitKind]
    VISIT_KIND_ANTENATAL: _ClassVar[VisitKind]
    VISIT_KIND_POSTPARTUM_HOME: _ClassVar[VisitKind]
    VISIT_KIND_CHECK_42D: _ClassVar[VisitKind]

class RiskColor(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RISK_COLOR_UNSPECIFIED: _ClassVar[RiskColor]
    RISK_COLOR_GREEN: _ClassVar[RiskColor]
    RISK_COLOR_YELLOW: _ClassVar[RiskColor]
    RISK_COLOR_ORANGE: _ClassVar[RiskColor]
    RISK_COLOR_RED: _ClassVar[RiskColor]
    RISK_COLOR_PURPLE: _ClassVar[RiskColor]
    RISK_COLOR_PINK: _ClassVar[RiskColor]

class SlotState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SLOT_STATE_UNSPECIFIED: _ClassVar[SlotState]
    SLOT_STATE_UPCOMING: _ClassVar[SlotState]
    SLOT_STATE_DUE: _ClassVar[SlotState]
    SLOT_STATE_DONE: _ClassVar[SlotState]
    SLOT_STATE_MISSED: _ClassVar[SlotState]
    SLOT_STATE_CLOSED: _ClassVar[SlotState]

class TerminationReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TERMINATION_REASON_UNSPECIFIED: _ClassVar[TerminationReason]
    TERMINATION_REASON_MISCARRIAGE: _ClassVar[TerminationReason]
    TERMINATION_REASON_INDUCED: _ClassVar[TerminationReason]
    TERMINATION_REASON_ECTOPIC: _ClassVar[TerminationReason]
    TERMINATION_REASON_LOST: _ClassVar[TerminationReason]
    TERMINATION_REASON_OTHER: _ClassVar[TerminationReason]

class FirstCheckItem(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FIRST_CHECK_ITEM_UNSPECIFIED: _ClassVar[FirstCheckItem]
    FIRST_CHECK_ITEM_BLOOD_ROUTINE: _ClassVar[FirstCheckItem]
    FIRST_CHECK_ITEM_URINE_ROUTINE: _ClassVar[FirstCheckItem]
    FIRST_CHECK_ITEM_BLOOD_TYPE: _ClassVar[FirstCheckItem]
    FIRST_CHECK_ITEM_LIVER_FUNCTION: _ClassVar[FirstCheckItem]
    FIRST_CHECK_ITEM_KIDNEY_FUNCTION: _ClassVar[FirstCheckItem]
    FIRST_CHECK_ITEM_HEPATITIS_B: _ClassVar[FirstCheckItem]

class UrineDipstick(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    URINE_DIPSTICK_UNSPECIFIED: _ClassVar[UrineDipstick]
    URINE_DIPSTICK_NEGATIVE: _ClassVar[UrineDipstick]
    URINE_DIPSTICK_TRACE: _ClassVar[UrineDipstick]
    URINE_DIPSTICK_PLUS_1: _ClassVar[UrineDipstick]
    URINE_DIPSTICK_PLUS_2: _ClassVar[UrineDipstick]
    URINE_DIPSTICK_PLUS_3: _ClassVar[UrineDipstick]
    URINE_DIPSTICK_PLUS_4: _ClassVar[UrineDipstick]

class BloodGroup(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BLOOD_GROUP_UNSPECIFIED: _ClassVar[BloodGroup]
    BLOOD_GROUP_A: _ClassVar[BloodGroup]
    BLOOD_GROUP_B: _ClassVar[BloodGroup]
    BLOOD_GROUP_AB: _ClassVar[BloodGroup]
    BLOOD_GROUP_O: _ClassVar[BloodGroup]

class QualitativeResult(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUALITATIVE_RESULT_UNSPECIFIED: _ClassVar[QualitativeResult]
    QUALITATIVE_RESULT_NEGATIVE: _ClassVar[QualitativeResult]
    QUALITATIVE_RESULT_POSITIVE: _ClassVar[QualitativeResult]

class ReportState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPORT_STATE_UNSPECIFIED: _ClassVar[ReportState]
    REPORT_STATE_OPEN: _ClassVar[ReportState]
    REPORT_STATE_ACKNOWLEDGED: _ClassVar[ReportState]

class NewbornSex(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NEWBORN_SEX_UNSPECIFIED: _ClassVar[NewbornSex]
    NEWBORN_SEX_MALE: _ClassVar[NewbornSex]
    NEWBORN_SEX_FEMALE: _ClassVar[NewbornSex]
    NEWBORN_SEX_UNDETERMINED: _ClassVar[NewbornSex]

class DeliveryMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_MODE_UNSPECIFIED: _ClassVar[DeliveryMode]
    DELIVERY_MODE_VAGINAL: _ClassVar[DeliveryMode]
    DELIVERY_MODE_ASSISTED: _ClassVar[DeliveryMode]
    DELIVERY_MODE_CAESAREAN: _ClassVar[DeliveryMode]
PREGNANCY_STATE_UNSPECIFIED: PregnancyState
PREGNANCY_STATE_REGISTERED: PregnancyState
PREGNANCY_STATE_ANTENATAL: PregnancyState
PREGNANCY_STATE_DELIVERED: PregnancyState
PREGNANCY_STATE_TERMINATED: PregnancyState
PREGNANCY_STATE_POSTPARTUM_VISITED: PregnancyState
PREGNANCY_STATE_CHECK_42D_DONE: PregnancyState
PREGNANCY_STATE_CLOSED: PregnancyState
VISIT_KIND_UNSPECIFIED: VisitKind
VISIT_KIND_ANTENATAL: VisitKind
VISIT_KIND_POSTPARTUM_HOME: VisitKind
VISIT_KIND_CHECK_42D: VisitKind
RISK_COLOR_UNSPECIFIED: RiskColor
RISK_COLOR_GREEN: RiskColor
RISK_COLOR_YELLOW: RiskColor
RISK_COLOR_ORANGE: RiskColor
RISK_COLOR_RED: RiskColor
RISK_COLOR_PURPLE: RiskColor
RISK_COLOR_PINK: RiskColor
SLOT_STATE_UNSPECIFIED: SlotState
SLOT_STATE_UPCOMING: SlotState
SLOT_STATE_DUE: SlotState
SLOT_STATE_DONE: SlotState
SLOT_STATE_MISSED: SlotState
SLOT_STATE_CLOSED: SlotState
TERMINATION_REASON_UNSPECIFIED: TerminationReason
TERMINATION_REASON_MISCARRIAGE: TerminationReason
TERMINATION_REASON_INDUCED: TerminationReason
TERMINATION_REASON_ECTOPIC: TerminationReason
TERMINATION_REASON_LOST: TerminationReason
TERMINATION_REASON_OTHER: TerminationReason
FIRST_CHECK_ITEM_UNSPECIFIED: FirstCheckItem
FIRST_CHECK_ITEM_BLOOD_ROUTINE: FirstCheckItem
FIRST_CHECK_ITEM_URINE_ROUTINE: FirstCheckItem
FIRST_CHECK_ITEM_BLOOD_TYPE: FirstCheckItem
FIRST_CHECK_ITEM_LIVER_FUNCTION: FirstCheckItem
FIRST_CHECK_ITEM_KIDNEY_FUNCTION: FirstCheckItem
FIRST_CHECK_ITEM_HEPATITIS_B: FirstCheckItem
URINE_DIPSTICK_UNSPECIFIED: UrineDipstick
URINE_DIPSTICK_NEGATIVE: UrineDipstick
URINE_DIPSTICK_TRACE: UrineDipstick
URINE_DIPSTICK_PLUS_1: UrineDipstick
URINE_DIPSTICK_PLUS_2: UrineDipstick
URINE_DIPSTICK_PLUS_3: UrineDipstick
URINE_DIPSTICK_PLUS_4: UrineDipstick
BLOOD_GROUP_UNSPECIFIED: BloodGroup
BLOOD_GROUP_A: BloodGroup
BLOOD_GROUP_B: BloodGroup
BLOOD_GROUP_AB: BloodGroup
BLOOD_GROUP_O: BloodGroup
QUALITATIVE_RESULT_UNSPECIFIED: QualitativeResult
QUALITATIVE_RESULT_NEGATIVE: QualitativeResult
QUALITATIVE_RESULT_POSITIVE: QualitativeResult
REPORT_STATE_UNSPECIFIED: ReportState
REPORT_STATE_OPEN: ReportState
REPORT_STATE_ACKNOWLEDGED: ReportState
NEWBORN_SEX_UNSPECIFIED: NewbornSex
NEWBORN_SEX_MALE: NewbornSex
NEWBORN_SEX_FEMALE: NewbornSex
NEWBORN_SEX_UNDETERMINED: NewbornSex
DELIVERY_MODE_UNSPECIFIED: DeliveryMode
DELIVERY_MODE_VAGINAL: DeliveryMode
DELIVERY_MODE_ASSISTED: DeliveryMode
DELIVERY_MODE_CAESAREAN: DeliveryMode

class AntenatalSlot(_message.Message):
    __slots__ = ("number", "window_start_days", "window_end_days", "window_start_date", "window_end_date", "state", "visit", "high_risk")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    WINDOW_START_DAYS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_DAYS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_START_DATE_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_DATE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    VISIT_FIELD_NUMBER: _ClassVar[int]
    HIGH_RISK_FIELD_NUMBER: _ClassVar[int]
    number: int
    window_start_days: int
    window_end_days: int
    window_start_date: str
    window_end_date: str
    state: SlotState
    visit: str
    high_risk: bool
    def __init__(self, number: _Optional[int] = ..., window_start_days: _Optional[int] = ..., window_end_days: _Optional[int] = ..., window_start_date: _Optional[str] = ..., window_end_date: _Optional[str] = ..., state: _Optional[_Union[SlotState, str]] = ..., visit: _Optional[str] = ..., high_risk: _Optional[bool] = ...) -> None: ...

class RiskGrade(_message.Message):
    __slots__ = ("color", "purple", "management")
    COLOR_FIELD_NUMBER: _ClassVar[int]
    PURPLE_FIELD_NUMBER: _ClassVar[int]
    MANAGEMENT_FIELD_NUMBER: _ClassVar[int]
    color: RiskColor
    purple: bool
    management: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, color: _Optional[_Union[RiskColor, str]] = ..., purple: _Optional[bool] = ..., management: _Optional[_Iterable[str]] = ...) -> None: ...

class Pregnancy(_message.Message):
    __slots__ = ("name", "resident", "managing_tenant", "state", "handbook_number", "registration_date", "lmp_date", "edd", "registration_ga_days", "early_registration", "within_local_deadline", "schedule", "risk", "delivery", "termination_reason", "termination_date", "create_time", "update_time", "current_ga_days", "discharge_date", "close_date", "open_referral", "referral_due_date", "delivery_plan", "check_42d_tenant", "high_risk_visit_interval_days", "high_risk_visit_due_date", "first_check_pending", "screening", "assessment_due_date", "pending_transfer")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    MANAGING_TENANT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    HANDBOOK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REGISTRATION_DATE_FIELD_NUMBER: _ClassVar[int]
    LMP_DATE_FIELD_NUMBER: _ClassVar[int]
    EDD_FIELD_NUMBER: _ClassVar[int]
    REGISTRATION_GA_DAYS_FIELD_NUMBER: _ClassVar[int]
    EARLY_REGISTRATION_FIELD_NUMBER: _ClassVar[int]
    WITHIN_LOCAL_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    RISK_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    TERMINATION_REASON_FIELD_NUMBER: _ClassVar[int]
    TERMINATION_DATE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CURRENT_GA_DAYS_FIELD_NUMBER: _ClassVar[int]
    DISCHARGE_DATE_FIELD_NUMBER: _ClassVar[int]
    CLOSE_DATE_FIELD_NUMBER: _ClassVar[int]
    OPEN_REFERRAL_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_PLAN_FIELD_NUMBER: _ClassVar[int]
    CHECK_42D_TENANT_FIELD_NUMBER: _ClassVar[int]
    HIGH_RISK_VISIT_INTERVAL_DAYS_FIELD_NUMBER: _ClassVar[int]
    HIGH_RISK_VISIT_DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    FIRST_CHECK_PENDING_FIELD_NUMBER: _ClassVar[int]
    SCREENING_FIELD_NUMBER: _ClassVar[int]
    ASSESSMENT_DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    PENDING_TRANSFER_FIELD_NUMBER: _ClassVar[int]
    name: str
    resident: str
    managing_tenant: str
    state: PregnancyState
    handbook_number: str
    registration_date: str
    lmp_date: str
    edd: str
    registration_ga_days: int
    early_registration: bool
    within_local_deadline: bool
    schedule: _containers.RepeatedCompositeFieldContainer[AntenatalSlot]
    risk: RiskGrade
    delivery: str
    termination_reason: TerminationReason
    termination_date: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    current_ga_days: int
    discharge_date: str
    close_date: str
    open_referral: str
    referral_due_date: str
    delivery_plan: DeliveryPlan
    check_42d_tenant: str
    high_risk_visit_interval_days: int
    high_risk_visit_due_date: str
    first_check_pending: _containers.RepeatedScalarFieldContainer[FirstCheckItem]
    screening: RiskScreening
    assessment_due_date: str
    pending_transfer: PendingPregnancyTransfer
    def __init__(self, name: _Optional[str] = ..., resident: _Optional[str] = ..., managing_tenant: _Optional[str] = ..., state: _Optional[_Union[PregnancyState, str]] = ..., handbook_number: _Optional[str] = ..., registration_date: _Optional[str] = ..., lmp_date: _Optional[str] = ..., edd: _Optional[str] = ..., registration_ga_days: _Optional[int] = ..., early_registration: _Optional[bool] = ..., within_local_deadline: _Optional[bool] = ..., schedule: _Optional[_Iterable[_Union[AntenatalSlot, _Mapping]]] = ..., risk: _Optional[_Union[RiskGrade, _Mapping]] = ..., delivery: _Optional[str] = ..., termination_reason: _Optional[_Union[TerminationReason, str]] = ..., termination_date: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., current_ga_days: _Optional[int] = ..., discharge_date: _Optional[str] = ..., close_date: _Optional[str] = ..., open_referral: _Optional[str] = ..., referral_due_date: _Optional[str] = ..., delivery_plan: _Optional[_Union[DeliveryPlan, _Mapping]] = ..., check_42d_tenant: _Optional[str] = ..., high_risk_visit_interval_days: _Optional[int] = ..., high_risk_visit_due_date: _Optional[str] = ..., first_check_pending: _Optional[_Iterable[_Union[FirstCheckItem, str]]] = ..., screening: _Optional[_Union[RiskScreening, _Mapping]] = ..., assessment_due_date: _Optional[str] = ..., pending_transfer: _Optional[_Union[PendingPregnancyTransfer, _Mapping]] = ...) -> None: ...

class PendingPregnancyTransfer(_message.Message):
    __slots__ = ("transfer", "target_tenant", "target_tenant_display_name")
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    TARGET_TENANT_FIELD_NUMBER: _ClassVar[int]
    TARGET_TENANT_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    transfer: str
    target_tenant: str
    target_tenant_display_name: str
    def __init__(self, transfer: _Optional[str] = ..., target_tenant: _Optional[str] = ..., target_tenant_display_name: _Optional[str] = ...) -> None: ...

class RiskScreening(_message.Message):
    __slots__ = ("name", "screening_date", "positive", "findings", "tenant", "screened_by", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SCREENING_DATE_FIELD_NUMBER: _ClassVar[int]
    POSITIVE_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    SCREENED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    screening_date: str
    positive: bool
    findings: _containers.RepeatedScalarFieldContainer[str]
    tenant: str
    screened_by: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., screening_date: _Optional[str] = ..., positive: _Optional[bool] = ..., findings: _Optional[_Iterable[str]] = ..., tenant: _Optional[str] = ..., screened_by: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AntenatalLabs(_message.Message):
    __slots__ = ("haemoglobin_g_per_l", "platelets_10e9_per_l", "urine_protein", "urine_glucose", "abo_group", "rh_d", "alt_u_per_l", "creatinine_umol_per_l", "hbsag")
    HAEMOGLOBIN_G_PER_L_FIELD_NUMBER: _ClassVar[int]
    PLATELETS_10E9_PER_L_FIELD_NUMBER: _ClassVar[int]
    URINE_PROTEIN_FIELD_NUMBER: _ClassVar[int]
    URINE_GLUCOSE_FIELD_NUMBER: _ClassVar[int]
    ABO_GROUP_FIELD_NUMBER: _ClassVar[int]
    RH_D_FIELD_NUMBER: _ClassVar[int]
    ALT_U_PER_L_FIELD_NUMBER: _ClassVar[int]
    CREATININE_UMOL_PER_L_FIELD_NUMBER: _ClassVar[int]
    HBSAG_FIELD_NUMBER: _ClassVar[int]
    haemoglobin_g_per_l: float
    platelets_10e9_per_l: float
    urine_protein: UrineDipstick
    urine_glucose: UrineDipstick
    abo_group: BloodGroup
    rh_d: QualitativeResult
    alt_u_per_l: float
    creatinine_umol_per_l: float
    hbsag: QualitativeResult
    def __init__(self, haemoglobin_g_per_l: _Optional[float] = ..., platelets_10e9_per_l: _Optional[float] = ..., urine_protein: _Optional[_Union[UrineDipstick, str]] = ..., urine_glucose: _Optional[_Union[UrineDipstick, str]] = ..., abo_group: _Optional[_Union[BloodGroup, str]] = ..., rh_d: _Optional[_Union[QualitativeResult, str]] = ..., alt_u_per_l: _Optional[float] = ..., creatinine_umol_per_l: _Optional[float] = ..., hbsag: _Optional[_Union[QualitativeResult, str]] = ...) -> None: ...

class DeliveryPlan(_message.Message):
    __slots__ = ("tenant", "institution_level", "emergency_reason", "meets_grade", "planned_by", "plan_time")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    EMERGENCY_REASON_FIELD_NUMBER: _ClassVar[int]
    MEETS_GRADE_FIELD_NUMBER: _ClassVar[int]
    PLANNED_BY_FIELD_NUMBER: _ClassVar[int]
    PLAN_TIME_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    institution_level: str
    emergency_reason: str
    meets_grade: bool
    planned_by: str
    plan_time: _timestamp_pb2.Timestamp
    def __init__(self, tenant: _Optional[str] = ..., institution_level: _Optional[str] = ..., emergency_reason: _Optional[str] = ..., meets_grade: _Optional[bool] = ..., planned_by: _Optional[str] = ..., plan_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AntenatalVisit(_message.Message):
    __slots__ = ("name", "visit_date", "ga_days", "slot", "weight_kg", "systolic", "diastolic", "fundal_height_cm", "fetal_heart_rate", "guidance", "tenant", "create_time", "missed_slot", "kind", "abnormal_finding", "referral", "referral_followed_up", "emergency_reason", "labs", "anaemia", "newborn_visits")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VISIT_DATE_FIELD_NUMBER: _ClassVar[int]
    GA_DAYS_FIELD_NUMBER: _ClassVar[int]
    SLOT_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_KG_FIELD_NUMBER: _ClassVar[int]
    SYSTOLIC_FIELD_NUMBER: _ClassVar[int]
    DIASTOLIC_FIELD_NUMBER: _ClassVar[int]
    FUNDAL_HEIGHT_CM_FIELD_NUMBER: _ClassVar[int]
    FETAL_HEART_RATE_FIELD_NUMBER: _ClassVar[int]
    GUIDANCE_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    MISSED_SLOT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ABNORMAL_FINDING_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_FOLLOWED_UP_FIELD_NUMBER: _ClassVar[int]
    EMERGENCY_REASON_FIELD_NUMBER: _ClassVar[int]
    LABS_FIELD_NUMBER: _ClassVar[int]
    ANAEMIA_FIELD_NUMBER: _ClassVar[int]
    NEWBORN_VISITS_FIELD_NUMBER: _ClassVar[int]
    name: str
    visit_date: str
    ga_days: int
    slot: int
    weight_kg: float
    systolic: int
    diastolic: int
    fundal_height_cm: float
    fetal_heart_rate: int
    guidance: str
    tenant: str
    create_time: _timestamp_pb2.Timestamp
    missed_slot: int
    kind: VisitKind
    abnormal_finding: str
    referral: bool
    referral_followed_up: bool
    emergency_reason: str
    labs: AntenatalLabs
    anaemia: bool
    newborn_visits: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., visit_date: _Optional[str] = ..., ga_days: _Optional[int] = ..., slot: _Optional[int] = ..., weight_kg: _Optional[float] = ..., systolic: _Optional[int] = ..., diastolic: _Optional[int] = ..., fundal_height_cm: _Optional[float] = ..., fetal_heart_rate: _Optional[int] = ..., guidance: _Optional[str] = ..., tenant: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., missed_slot: _Optional[int] = ..., kind: _Optional[_Union[VisitKind, str]] = ..., abnormal_finding: _Optional[str] = ..., referral: _Optional[bool] = ..., referral_followed_up: _Optional[bool] = ..., emergency_reason: _Optional[str] = ..., labs: _Optional[_Union[AntenatalLabs, _Mapping]] = ..., anaemia: _Optional[bool] = ..., newborn_visits: _Optional[_Iterable[str]] = ...) -> None: ...

class RiskAssessment(_message.Message):
    __slots__ = ("name", "assessment_date", "colors", "criteria", "rules_version", "assessor", "tenant", "institution_level", "ga_days", "create_time", "rules_pack", "postpartum", "postpartum_day")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ASSESSMENT_DATE_FIELD_NUMBER: _ClassVar[int]
    COLORS_FIELD_NUMBER: _ClassVar[int]
    CRITERIA_FIELD_NUMBER: _ClassVar[int]
    RULES_VERSION_FIELD_NUMBER: _ClassVar[int]
    ASSESSOR_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    GA_DAYS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    RULES_PACK_FIELD_NUMBER: _ClassVar[int]
    POSTPARTUM_FIELD_NUMBER: _ClassVar[int]
    POSTPARTUM_DAY_FIELD_NUMBER: _ClassVar[int]
    name: str
    assessment_date: str
    colors: _containers.RepeatedScalarFieldContainer[RiskColor]
    criteria: _containers.RepeatedScalarFieldContainer[str]
    rules_version: str
    assessor: str
    tenant: str
    institution_level: str
    ga_days: int
    create_time: _timestamp_pb2.Timestamp
    rules_pack: str
    postpartum: bool
    postpartum_day: int
    def __init__(self, name: _Optional[str] = ..., assessment_date: _Optional[str] = ..., colors: _Optional[_Iterable[_Union[RiskColor, str]]] = ..., criteria: _Optional[_Iterable[str]] = ..., rules_version: _Optional[str] = ..., assessor: _Optional[str] = ..., tenant: _Optional[str] = ..., institution_level: _Optional[str] = ..., ga_days: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rules_pack: _Optional[str] = ..., postpartum: _Optional[bool] = ..., postpartum_day: _Optional[int] = ...) -> None: ...

class RiskRulePack(_message.Message):
    __slots__ = ("name", "pack", "version", "title", "colors", "criteria")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PACK_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    COLORS_FIELD_NUMBER: _ClassVar[int]
    CRITERIA_FIELD_NUMBER: _ClassVar[int]
    name: str
    pack: str
    version: str
    title: str
    colors: _containers.RepeatedScalarFieldContainer[RiskColor]
    criteria: _containers.RepeatedCompositeFieldContainer[RiskCriterion]
    def __init__(self, name: _Optional[str] = ..., pack: _Optional[str] = ..., version: _Optional[str] = ..., title: _Optional[str] = ..., colors: _Optional[_Iterable[_Union[RiskColor, str]]] = ..., criteria: _Optional[_Iterable[_Union[RiskCriterion, _Mapping]]] = ...) -> None: ...

class RiskCriterion(_message.Message):
    __slots__ = ("id", "color", "label")
    ID_FIELD_NUMBER: _ClassVar[int]
    COLOR_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    id: str
    color: RiskColor
    label: str
    def __init__(self, id: _Optional[str] = ..., color: _Optional[_Union[RiskColor, str]] = ..., label: _Optional[str] = ...) -> None: ...

class RiskReport(_message.Message):
    __slots__ = ("name", "pregnancy", "resident", "assessment", "color", "region_code", "state", "create_time", "acknowledged_by", "acknowledge_time", "note")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PREGNANCY_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    ASSESSMENT_FIELD_NUMBER: _ClassVar[int]
    COLOR_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_BY_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGE_TIME_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    name: str
    pregnancy: str
    resident: str
    assessment: str
    color: RiskColor
    region_code: str
    state: ReportState
    create_time: _timestamp_pb2.Timestamp
    acknowledged_by: str
    acknowledge_time: _timestamp_pb2.Timestamp
    note: str
    def __init__(self, name: _Optional[str] = ..., pregnancy: _Optional[str] = ..., resident: _Optional[str] = ..., assessment: _Optional[str] = ..., color: _Optional[_Union[RiskColor, str]] = ..., region_code: _Optional[str] = ..., state: _Optional[_Union[ReportState, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., acknowledged_by: _Optional[str] = ..., acknowledge_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., note: _Optional[str] = ...) -> None: ...

class Newborn(_message.Message):
    __slots__ = ("name", "birth_order", "sex", "birth_time", "weight_g", "length_cm", "apgar_1min", "live_birth", "display_name", "resident")
    NAME_FIELD_NUMBER: _ClassVar[int]
    BIRTH_ORDER_FIELD_NUMBER: _ClassVar[int]
    SEX_FIELD_NUMBER: _ClassVar[int]
    BIRTH_TIME_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_G_FIELD_NUMBER: _ClassVar[int]
    LENGTH_CM_FIELD_NUMBER: _ClassVar[int]
    APGAR_1MIN_FIELD_NUMBER: _ClassVar[int]
    LIVE_BIRTH_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    name: str
    birth_order: int
    sex: NewbornSex
    birth_time: _timestamp_pb2.Timestamp
    weight_g: int
    length_cm: float
    apgar_1min: int
    live_birth: bool
    display_name: str
    resident: str
    def __init__(self, name: _Optional[str] = ..., birth_order: _Optional[int] = ..., sex: _Optional[_Union[NewbornSex, str]] = ..., birth_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., weight_g: _Optional[int] = ..., length_cm: _Optional[float] = ..., apgar_1min: _Optional[int] = ..., live_birth: _Optional[bool] = ..., display_name: _Optional[str] = ..., resident: _Optional[str] = ...) -> None: ...

class Delivery(_message.Message):
    __slots__ = ("name", "pregnancy", "mother", "tenant", "delivery_date", "mode", "ga_days", "newborns", "recorded_by", "create_time", "discharge_date", "emergency_reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PREGNANCY_FIELD_NUMBER: _ClassVar[int]
    MOTHER_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_DATE_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    GA_DAYS_FIELD_NUMBER: _ClassVar[int]
    NEWBORNS_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DISCHARGE_DATE_FIELD_NUMBER: _ClassVar[int]
    EMERGENCY_REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    pregnancy: str
    mother: str
    tenant: str
    delivery_date: str
    mode: DeliveryMode
    ga_days: int
    newborns: _containers.RepeatedCompositeFieldContainer[Newborn]
    recorded_by: str
    create_time: _timestamp_pb2.Timestamp
    discharge_date: str
    emergency_reason: str
    def __init__(self, name: _Optional[str] = ..., pregnancy: _Optional[str] = ..., mother: _Optional[str] = ..., tenant: _Optional[str] = ..., delivery_date: _Optional[str] = ..., mode: _Optional[_Union[DeliveryMode, str]] = ..., ga_days: _Optional[int] = ..., newborns: _Optional[_Iterable[_Union[Newborn, _Mapping]]] = ..., recorded_by: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., discharge_date: _Optional[str] = ..., emergency_reason: _Optional[str] = ...) -> None: ...
