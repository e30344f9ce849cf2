import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RecordState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECORD_STATE_UNSPECIFIED: _ClassVar[RecordState]
    RECORD_STATE_DRAFT: _ClassVar[RecordState]
    RECORD_STATE_ACTIVE: _ClassVar[RecordState]
    RECORD_STATE_TRANSFER_PENDING: _ClassVar[RecordState]
    RECORD_STATE_TRANSFERRED: _ClassVar[RecordState]
    RECORD_STATE_TERMINATED: _ClassVar[RecordState]

class TerminationReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TERMINATION_REASON_UNSPECIFIED: _ClassVar[TerminationReason]
    TERMINATION_REASON_DEATH: _ClassVar[TerminationReason]
    TERMINATION_REASON_LOST_TO_FOLLOW_UP: _ClassVar[TerminationReason]
    TERMINATION_REASON_MOVED_OUT: _ClassVar[TerminationReason]

class Program(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROGRAM_UNSPECIFIED: _ClassVar[Program]
    PROGRAM_HYPERTENSION: _ClassVar[Program]
    PROGRAM_TYPE2_DIABETES: _ClassVar[Program]

class FollowUpClassification(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FOLLOW_UP_CLASSIFICATION_UNSPECIFIED: _ClassVar[FollowUpClassification]
    FOLLOW_UP_CLASSIFICATION_CONTROLLED: _ClassVar[FollowUpClassification]
    FOLLOW_UP_CLASSIFICATION_UNCONTROLLED: _ClassVar[FollowUpClassification]
    FOLLOW_UP_CLASSIFICATION_ADVERSE_REACTION: _ClassVar[FollowUpClassification]
    FOLLOW_UP_CLASSIFICATION_COMPLICATION: _ClassVar[FollowUpClassification]

class EmergencySign(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EMERGENCY_SIGN_UNSPECIFIED: _ClassVar[EmergencySign]
    EMERGENCY_SIGN_ALTERED_CONSCIOUSNESS: _ClassVar[EmergencySign]
    EMERGENCY_SIGN_SEVERE_HEADACHE: _ClassVar[EmergencySign]
    EMERGENCY_SIGN_KETOTIC_BREATH: _ClassVar[EmergencySign]
    EMERGENCY_SIGN_CHEST_PAIN: _ClassVar[EmergencySign]
    EMERGENCY_SIGN_PREGNANCY: _ClassVar[EmergencySign]

class TaskKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_KIND_UNSPECIFIED: _ClassVar[TaskKind]
    TASK_KIND_REFERRAL_FOLLOW_UP: _ClassVar[TaskKind]
    TASK_KIND_URGENT_REFERRAL: _ClassVar[TaskKind]
    TASK_KIND_DUPLICATE_RECORD: _ClassVar[TaskKind]
    TASK_KIND_REFERRAL_RETURN: _ClassVar[TaskKind]

class ContractState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTRACT_STATE_UNSPECIFIED: _ClassVar[ContractState]
    CONTRACT_STATE_ACTIVE: _ClassVar[ContractState]
    CONTRACT_STATE_ENDED: _ClassVar[ContractState]
RECORD_STATE_UNSPECIFIED: RecordState
RECORD_STATE_DRAFT: RecordState
RECORD_STATE_ACTIVE: RecordState
RECORD_STATE_TRANSFER_PENDING: RecordState
RECORD_STATE_TRANSFERRED: RecordState
RECORD_STATE_TERMINATED: RecordState
TERMINATION_REASON_UNSPECIFIED: TerminationReason
TERMINATION_REASON_DEATH: TerminationReason
TERMINATION_REASON_LOST_TO_FOLLOW_UP: TerminationReason
TERMINATION_REASON_MOVED_OUT: TerminationReason
PROGRAM_UNSPECIFIED: Program
PROGRAM_HYPERTENSION: Program
PROGRAM_TYPE2_DIABETES: Program
FOLLOW_UP_CLASSIFICATION_UNSPECIFIED: FollowUpClassification
FOLLOW_UP_CLASSIFICATION_CONTROLLED: FollowUpClassification
FOLLOW_UP_CLASSIFICATION_UNCONTROLLED: FollowUpClassification
FOLLOW_UP_CLASSIFICATION_ADVERSE_REACTION: FollowUpClassification
FOLLOW_UP_CLASSIFICATION_COMPLICATION: FollowUpClassification
EMERGENCY_SIGN_UNSPECIFIED: EmergencySign
EMERGENCY_SIGN_ALTERED_CONSCIOUSNESS: EmergencySign
EMERGENCY_SIGN_SEVERE_HEADACHE: EmergencySign
EMERGENCY_SIGN_KETOTIC_BREATH: EmergencySign
EMERGENCY_SIGN_CHEST_PAIN: EmergencySign
EMERGENCY_SIGN_PREGNANCY: EmergencySign
TASK_KIND_UNSPECIFIED: TaskKind
TASK_KIND_REFERRAL_FOLLOW_UP: TaskKind
TASK_KIND_URGENT_REFERRAL: TaskKind
TASK_KIND_DUPLICATE_RECORD: TaskKind
TASK_KIND_REFERRAL_RETURN: TaskKind
CONTRACT_STATE_UNSPECIFIED: ContractState
CONTRACT_STATE_ACTIVE: ContractState
CONTRACT_STATE_ENDED: ContractState

class HistoryItem(_message.Message):
    __slots__ = ("code", "name", "date")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    code: int
    name: str
    date: str
    def __init__(self, code: _Optional[int] = ..., name: _Optional[str] = ..., date: _Optional[str] = ...) -> None: ...

class BasicInfo(_message.Message):
    __slots__ = ("work_unit", "residence_type", "ethnicity", "blood_type_abo", "blood_type_rh", "education", "occupation", "marital_status", "payment_methods", "drug_allergies", "exposures", "diseases", "surgeries", "traumas", "transfusions", "family_father", "family_mother", "family_siblings", "family_children", "genetic_disease", "disabilities", "kitchen_exhaust", "fuel", "drinking_water", "toilet", "livestock_pen")
    WORK_UNIT_FIELD_NUMBER: _ClassVar[int]
    RESIDENCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    ETHNICITY_FIELD_NUMBER: _ClassVar[int]
    BLOOD_TYPE_ABO_FIELD_NUMBER: _ClassVar[int]
    BLOOD_TYPE_RH_FIELD_NUMBER: _ClassVar[int]
    EDUCATION_FIELD_NUMBER: _ClassVar[int]
    OCCUPATION_FIELD_NUMBER: _ClassVar[int]
    MARITAL_STATUS_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_METHODS_FIELD_NUMBER: _ClassVar[int]
    DRUG_ALLERGIES_FIELD_NUMBER: _ClassVar[int]
    EXPOSURES_FIELD_NUMBER: _ClassVar[int]
    DISEASES_FIELD_NUMBER: _ClassVar[int]
    SURGERIES_FIELD_NUMBER: _ClassVar[int]
    TRAUMAS_FIELD_NUMBER: _ClassVar[int]
    TRANSFUSIONS_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FATHER_FIELD_NUMBER: _ClassVar[int]
    FAMILY_MOTHER_FIELD_NUMBER: _ClassVar[int]
    FAMILY_SIBLINGS_FIELD_NUMBER: _ClassVar[int]
    FAMILY_CHILDREN_FIELD_NUMBER: _ClassVar[int]
    GENETIC_DISEASE_FIELD_NUMBER: _ClassVar[int]
    DISABILITIES_FIELD_NUMBER: _ClassVar[int]
    KITCHEN_EXHAUST_FIELD_NUMBER: _ClassVar[int]
    FUEL_FIELD_NUMBER: _ClassVar[int]
    DRINKING_WATER_FIELD_NUMBER: _ClassVar[int]
    TOILET_FIELD_NUMBER: _ClassVar[int]
    LIVESTOCK_PEN_FIELD_NUMBER: _ClassVar[int]
    work_unit: str
    residence_type: int
    ethnicity: str
    blood_type_abo: int
    blood_type_rh: int
    education: int
    occupation: int
    marital_status: int
    payment_methods: _containers.RepeatedScalarFieldContainer[int]
    drug_allergies: _containers.RepeatedScalarFieldContainer[int]
    exposures: _containers.RepeatedScalarFieldContainer[int]
    diseases: _containers.RepeatedCompositeFieldContainer[HistoryItem]
    surgeries: _containers.RepeatedCompositeFieldContainer[HistoryItem]
    traumas: _containers.RepeatedCompositeFieldContainer[HistoryItem]
    transfusions: _containers.RepeatedCompositeFieldContainer[HistoryItem]
    family_father: _containers.RepeatedScalarFieldContainer[int]
    family_mother: _containers.RepeatedScalarFieldContainer[int]
    family_siblings: _containers.RepeatedScalarFieldContainer[int]
    family_children: _containers.RepeatedScalarFieldContainer[int]
    genetic_disease: str
    disabilities: _containers.RepeatedScalarFieldContainer[int]
    kitchen_exhaust: int
    fuel: int
    drinking_water: int
    toilet: int
    livestock_pen: int
    def __init__(self, work_unit: _Optional[str] = ..., residence_type: _Optional[int] = ..., ethnicity: _Optional[str] = ..., blood_type_abo: _Optional[int] = ..., blood_type_rh: _Optional[int] = ..., education: _Optional[int] = ..., occupation: _Optional[int] = ..., marital_status: _Optional[int] = ..., payment_methods: _Optional[_Iterable[int]] = ..., drug_allergies: _Optional[_Iterable[int]] = ..., exposures: _Optional[_Iterable[int]] = ..., diseases: _Optional[_Iterable[_Union[HistoryItem, _Mapping]]] = ..., surgeries: _Optional[_Iterable[_Union[HistoryItem, _Mapping]]] = ..., traumas: _Optional[_Iterable[_Union[HistoryItem, _Mapping]]] = ..., transfusions: _Optional[_Iterable[_Union[HistoryItem, _Mapping]]] = ..., family_father: _Optional[_Iterable[int]] = ..., family_mother: _Optional[_Iterable[int]] = ..., family_siblings: _Optional[_Iterable[int]] = ..., family_children: _Optional[_Iterable[int]] = ..., genetic_disease: _Optional[str] = ..., disabilities: _Optional[_Iterable[int]] = ..., kitchen_exhaust: _Optional[int] = ..., fuel: _Optional[int] = ..., drinking_water: _Optional[int] = ..., toilet: _Optional[int] = ..., livestock_pen: _Optional[int] = ...) -> None: ...

class HealthRecord(_message.Message):
    __slots__ = ("name", "record_id", "record_number", "resident", "state", "managing_tenant", "creating_tenant", "managing_team", "basic_info", "termination_reason", "termination_date", "termination_destination", "handover_note", "create_time", "update_time", "etag", "birth_date")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    RECORD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MANAGING_TENANT_FIELD_NUMBER: _ClassVar[int]
    CREATING_TENANT_FIELD_NUMBER: _ClassVar[int]
    MANAGING_TEAM_FIELD_NUMBER: _ClassVar[int]
    BASIC_INFO_FIELD_NUMBER: _ClassVar[int]
    TERMINATION_REASON_FIELD_NUMBER: _ClassVar[int]
    TERMINATION_DATE_FIELD_NUMBER: _ClassVar[int]
    TERMINATION_DESTINATION_FIELD_NUMBER: _ClassVar[int]
    HANDOVER_NOTE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DATE_FIELD_NUMBER: _ClassVar[int]
    name: str
    record_id: str
    record_number: str
    resident: str
    state: RecordState
    managing_tenant: str
    creating_tenant: str
    managing_team: str
    basic_info: BasicInfo
    termination_reason: TerminationReason
    termination_date: str
    termination_destination: str
    handover_note: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    birth_date: str
    def __init__(self, name: _Optional[str] = ..., record_id: _Optional[str] = ..., record_number: _Optional[str] = ..., resident: _Optional[str] = ..., state: _Optional[_Union[RecordState, str]] = ..., managing_tenant: _Optional[str] = ..., creating_tenant: _Optional[str] = ..., managing_team: _Optional[str] = ..., basic_info: _Optional[_Union[BasicInfo, _Mapping]] = ..., termination_reason: _Optional[_Union[TerminationReason, str]] = ..., termination_date: _Optional[str] = ..., termination_destination: _Optional[str] = ..., handover_note: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., birth_date: _Optional[str] = ...) -> None: ...

class RecordEvent(_message.Message):
    __slots__ = ("event_id", "event_time", "kind", "actor", "detail_json")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    DETAIL_JSON_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    event_time: _timestamp_pb2.Timestamp
    kind: str
    actor: str
    detail_json: str
    def __init__(self, event_id: _Optional[str] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., kind: _Optional[str] = ..., actor: _Optional[str] = ..., detail_json: _Optional[str] = ...) -> None: ...

class BloodPressure(_message.Message):
    __slots__ = ("systolic", "diastolic")
    SYSTOLIC_FIELD_NUMBER: _ClassVar[int]
    DIASTOLIC_FIELD_NUMBER: _ClassVar[int]
    systolic: int
    diastolic: int
    def __init__(self, systolic: _Optional[int] = ..., diastolic: _Optional[int] = ...) -> None: ...

class Medication(_message.Message):
    __slots__ = ("drug", "usage", "dose", "duration", "adherence")
    DRUG_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    DOSE_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    ADHERENCE_FIELD_NUMBER: _ClassVar[int]
    drug: str
    usage: str
    dose: str
    duration: str
    adherence: int
    def __init__(self, drug: _Optional[str] = ..., usage: _Optional[str] = ..., dose: _Optional[str] = ..., duration: _Optional[str] = ..., adherence: _Optional[int] = ...) -> None: ...

class Vaccination(_message.Message):
    __slots__ = ("vaccine", "date", "site")
    VACCINE_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    SITE_FIELD_NUMBER: _ClassVar[int]
    vaccine: str
    date: str
    site: str
    def __init__(self, vaccine: _Optional[str] = ..., date: _Optional[str] = ..., site: _Optional[str] = ...) -> None: ...

class CheckUp(_message.Message):
    __slots__ = ("name", "exam_date", "symptoms", "temperature_celsius", "pulse", "respiration", "bp_left", "bp_right", "height_cm", "weight_kg", "waist_cm", "bmi", "elderly_self_assessment", "elderly_self_care", "exercise_frequency", "smoking_status", "drinking_frequency", "hearing", "motor_function", "physical_exam", "fasting_glucose_mmol", "hba1c_percent", "ancillary", "health_problems", "hospitalisations", "medications", "vaccinations", "health_evaluation", "abnormalities", "guidance", "create_time")
    class PhysicalExamEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class AncillaryEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXAM_DATE_FIELD_NUMBER: _ClassVar[int]
    SYMPTOMS_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_CELSIUS_FIELD_NUMBER: _ClassVar[int]
    PULSE_FIELD_NUMBER: _ClassVar[int]
    RESPIRATION_FIELD_NUMBER: _ClassVar[int]
    BP_LEFT_FIELD_NUMBER: _ClassVar[int]
    BP_RIGHT_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_CM_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_KG_FIELD_NUMBER: _ClassVar[int]
    WAIST_CM_FIELD_NUMBER: _ClassVar[int]
    BMI_FIELD_NUMBER: _ClassVar[int]
    ELDERLY_SELF_ASSESSMENT_FIELD_NUMBER: _ClassVar[int]
    ELDERLY_SELF_CARE_FIELD_NUMBER: _ClassVar[int]
    EXERCISE_FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    SMOKING_STATUS_FIELD_NUMBER: _ClassVar[int]
    DRINKING_FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    HEARING_FIELD_NUMBER: _ClassVar[int]
    MOTOR_FUNCTION_FIELD_NUMBER: _ClassVar[int]
    PHYSICAL_EXAM_FIELD_NUMBER: _ClassVar[int]
    FASTING_GLUCOSE_MMOL_FIELD_NUMBER: _ClassVar[int]
    HBA1C_PERCENT_FIELD_NUMBER: _ClassVar[int]
    ANCILLARY_FIELD_NUMBER: _ClassVar[int]
    HEALTH_PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    HOSPITALISATIONS_FIELD_NUMBER: _ClassVar[int]
    MEDICATIONS_FIELD_NUMBER: _ClassVar[int]
    VACCINATIONS_FIELD_NUMBER: _ClassVar[int]
    HEALTH_EVALUATION_FIELD_NUMBER: _ClassVar[int]
    ABNORMALITIES_FIELD_NUMBER: _ClassVar[int]
    GUIDANCE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    exam_date: str
    symptoms: _containers.RepeatedScalarFieldContainer[int]
    temperature_celsius: float
    pulse: int
    respiration: int
    bp_left: BloodPressure
    bp_right: BloodPressure
    height_cm: float
    weight_kg: float
    waist_cm: float
    bmi: float
    elderly_self_assessment: int
    elderly_self_care: int
    exercise_frequency: int
    smoking_status: int
    drinking_frequency: int
    hearing: int
    motor_function: int
    physical_exam: _containers.ScalarMap[str, str]
    fasting_glucose_mmol: float
    hba1c_percent: float
    ancillary: _containers.ScalarMap[str, str]
    health_problems: _containers.RepeatedScalarFieldContainer[str]
    hospitalisations: _containers.RepeatedScalarFieldContainer[str]
    medications: _containers.RepeatedCompositeFieldContainer[Medication]
    vaccinations: _containers.RepeatedCompositeFieldContainer[Vaccination]
    health_evaluation: int
    abnormalities: _containers.RepeatedScalarFieldContainer[str]
    guidance: _containers.RepeatedScalarFieldContainer[int]
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., exam_date: _Optional[str] = ..., symptoms: _Optional[_Iterable[int]] = ..., temperature_celsius: _Optional[float] = ..., pulse: _Optional[int] = ..., respiration: _Optional[int] = ..., bp_left: _Optional[_Union[BloodPressure, _Mapping]] = ..., bp_right: _Optional[_Union[BloodPressure, _Mapping]] = ..., height_cm: _Optional[float] = ..., weight_kg: _Optional[float] = ..., waist_cm: _Optional[float] = ..., bmi: _Optional[float] = ..., elderly_self_assessment: _Optional[int] = ..., elderly_self_care: _Optional[int] = ..., exercise_frequency: _Optional[int] = ..., smoking_status: _Optional[int] = ..., drinking_frequency: _Optional[int] = ..., hearing: _Optional[int] = ..., motor_function: _Optional[int] = ..., physical_exam: _Optional[_Mapping[str, str]] = ..., fasting_glucose_mmol: _Optional[float] = ..., hba1c_percent: _Optional[float] = ..., ancillary: _Optional[_Mapping[str, str]] = ..., health_problems: _Optional[_Iterable[str]] = ..., hospitalisations: _Optional[_Iterable[str]] = ..., medications: _Optional[_Iterable[_Union[Medication, _Mapping]]] = ..., vaccinations: _Optional[_Iterable[_Union[Vaccination, _Mapping]]] = ..., health_evaluation: _Optional[int] = ..., abnormalities: _Optional[_Iterable[str]] = ..., guidance: _Optional[_Iterable[int]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class FollowUp(_message.Message):
    __slots__ = ("name", "program", "visit_date", "blood_pressure", "fasting_glucose_mmol", "heart_rate", "adverse_reaction", "complication", "emergency_signs", "classification", "consecutive_uncontrolled", "referral_suggested", "urgent_referral", "next_due_date", "bp_target", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    VISIT_DATE_FIELD_NUMBER: _ClassVar[int]
    BLOOD_PRESSURE_FIELD_NUMBER: _ClassVar[int]
    FASTING_GLUCOSE_MMOL_FIELD_NUMBER: _ClassVar[int]
    HEART_RATE_FIELD_NUMBER: _ClassVar[int]
    ADVERSE_REACTION_FIELD_NUMBER: _ClassVar[int]
    COMPLICATION_FIELD_NUMBER: _ClassVar[int]
    EMERGENCY_SIGNS_FIELD_NUMBER: _ClassVar[int]
    CLASSIFICATION_FIELD_NUMBER: _ClassVar[int]
    CONSECUTIVE_UNCONTROLLED_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_SUGGESTED_FIELD_NUMBER: _ClassVar[int]
    URGENT_REFERRAL_FIELD_NUMBER: _ClassVar[int]
    NEXT_DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    BP_TARGET_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    program: Program
    visit_date: str
    blood_pressure: BloodPressure
    fasting_glucose_mmol: float
    heart_rate: int
    adverse_reaction: bool
    complication: bool
    emergency_signs: _containers.RepeatedScalarFieldContainer[EmergencySign]
    classification: FollowUpClassification
    consecutive_uncontrolled: int
    referral_suggested: bool
    urgent_referral: bool
    next_due_date: str
    bp_target: BloodPressure
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., program: _Optional[_Union[Program, str]] = ..., visit_date: _Optional[str] = ..., blood_pressure: _Optional[_Union[BloodPressure, _Mapping]] = ..., fasting_glucose_mmol: _Optional[float] = ..., heart_rate: _Optional[int] = ..., adverse_reaction: _Optional[bool] = ..., complication: _Optional[bool] = ..., emergency_signs: _Optional[_Iterable[_Union[EmergencySign, str]]] = ..., classification: _Optional[_Union[FollowUpClassification, str]] = ..., consecutive_uncontrolled: _Optional[int] = ..., referral_suggested: _Optional[bool] = ..., urgent_referral: _Optional[bool] = ..., next_due_date: _Optional[str] = ..., bp_target: _Optional[_Union[BloodPressure, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Task(_message.Message):
    __slots__ = ("name", "kind", "program", "due_date", "state", "follow_up", "create_time", "related_record", "referral")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_UP_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    RELATED_RECORD_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: TaskKind
    program: Program
    due_date: str
    state: str
    follow_up: str
    create_time: _timestamp_pb2.Timestamp
    related_record: str
    referral: str
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[TaskKind, str]] = ..., program: _Optional[_Union[Program, str]] = ..., due_date: _Optional[str] = ..., state: _Optional[str] = ..., follow_up: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., related_record: _Optional[str] = ..., referral: _Optional[str] = ...) -> None: ...

class FollowUpPlan(_message.Message):
    __slots__ = ("name", "record", "program", "next_due_date", "state", "managing_tenant", "managing_team", "days_overdue")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    NEXT_DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MANAGING_TENANT_FIELD_NUMBER: _ClassVar[int]
    MANAGING_TEAM_FIELD_NUMBER: _ClassVar[int]
    DAYS_OVERDUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    record: str
    program: Program
    next_due_date: str
    state: str
    managing_tenant: str
    managing_team: str
    days_overdue: int
    def __init__(self, name: _Optional[str] = ..., record: _Optional[str] = ..., program: _Optional[_Union[Program, str]] = ..., next_due_date: _Optional[str] = ..., state: _Optional[str] = ..., managing_tenant: _Optional[str] = ..., managing_team: _Optional[str] = ..., days_overdue: _Optional[int] = ...) -> None: ...

class CareTeam(_message.Message):
    __slots__ = ("name", "team_id", "display_name", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    team_id: str
    display_name: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., team_id: _Optional[str] = ..., display_name: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Contract(_message.Message):
    __slots__ = ("name", "team", "state", "start_date", "end_date", "end_reason", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    END_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    team: str
    state: ContractState
    start_date: str
    end_date: str
    end_reason: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., team: _Optional[str] = ..., state: _Optional[_Union[ContractState, str]] = ..., start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., end_reason: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
