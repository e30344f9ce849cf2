import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from rhip.api.archives.v1 import health_record_pb2 as _health_record_pb2
from rhip.api.common.v1 import common_pb2 as _common_pb2
from rhip.api.identity.v1 import resident_pb2 as _resident_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TransferState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSFER_STATE_UNSPECIFIED: _ClassVar[TransferState]
    TRANSFER_STATE_PENDING: _ClassVar[TransferState]
    TRANSFER_STATE_COMPLETED: _ClassVar[TransferState]
    TRANSFER_STATE_DECLINED: _ClassVar[TransferState]
    TRANSFER_STATE_HANDING_OVER: _ClassVar[TransferState]
    TRANSFER_STATE_ESCALATED: _ClassVar[TransferState]
    TRANSFER_STATE_CLOSED: _ClassVar[TransferState]
    TRANSFER_STATE_ABANDONED: _ClassVar[TransferState]

class TransferSide(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSFER_SIDE_UNSPECIFIED: _ClassVar[TransferSide]
    TRANSFER_SIDE_SOURCE: _ClassVar[TransferSide]
    TRANSFER_SIDE_DESTINATION: _ClassVar[TransferSide]

class TransferDecision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSFER_DECISION_UNSPECIFIED: _ClassVar[TransferDecision]
    TRANSFER_DECISION_ESCALATE: _ClassVar[TransferDecision]
    TRANSFER_DECISION_APPROVE: _ClassVar[TransferDecision]
    TRANSFER_DECISION_REJECT: _ClassVar[TransferDecision]

class IndicatorKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INDICATOR_KIND_UNSPECIFIED: _ClassVar[IndicatorKind]
    INDICATOR_KIND_FILING_RATE: _ClassVar[IndicatorKind]
    INDICATOR_KIND_ELECTRONIC_FILING_RATE: _ClassVar[IndicatorKind]
    INDICATOR_KIND_USAGE_RATE: _ClassVar[IndicatorKind]
    INDICATOR_KIND_QUALIFIED_RATE: _ClassVar[IndicatorKind]
    INDICATOR_KIND_FOLLOW_UP_RATE: _ClassVar[IndicatorKind]
    INDICATOR_KIND_TIMELY_FOLLOW_UP_RATE: _ClassVar[IndicatorKind]
TRANSFER_STATE_UNSPECIFIED: TransferState
TRANSFER_STATE_PENDING: TransferState
TRANSFER_STATE_COMPLETED: TransferState
TRANSFER_STATE_DECLINED: TransferState
TRANSFER_STATE_HANDING_OVER: TransferState
TRANSFER_STATE_ESCALATED: TransferState
TRANSFER_STATE_CLOSED: TransferState
TRANSFER_STATE_ABANDONED: TransferState
TRANSFER_SIDE_UNSPECIFIED: TransferSide
TRANSFER_SIDE_SOURCE: TransferSide
TRANSFER_SIDE_DESTINATION: TransferSide
TRANSFER_DECISION_UNSPECIFIED: TransferDecision
TRANSFER_DECISION_ESCALATE: TransferDecision
TRANSFER_DECISION_APPROVE: TransferDecision
TRANSFER_DECISION_REJECT: TransferDecision
INDICATOR_KIND_UNSPECIFIED: IndicatorKind
INDICATOR_KIND_FILING_RATE: IndicatorKind
INDICATOR_KIND_ELECTRONIC_FILING_RATE: IndicatorKind
INDICATOR_KIND_USAGE_RATE: IndicatorKind
INDICATOR_KIND_QUALIFIED_RATE: IndicatorKind
INDICATOR_KIND_FOLLOW_UP_RATE: IndicatorKind
INDICATOR_KIND_TIMELY_FOLLOW_UP_RATE: IndicatorKind

class CreateHealthRecordRequest(_message.Message):
    __slots__ = ("resident", "township_code", "village_code", "basic_info", "request_id")
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    TOWNSHIP_CODE_FIELD_NUMBER: _ClassVar[int]
    VILLAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    BASIC_INFO_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    resident: str
    township_code: str
    village_code: str
    basic_info: _health_record_pb2.BasicInfo
    request_id: str
    def __init__(self, resident: _Optional[str] = ..., township_code: _Optional[str] = ..., village_code: _Optional[str] = ..., basic_info: _Optional[_Union[_health_record_pb2.BasicInfo, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetHealthRecordRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListHealthRecordsRequest(_message.Message):
    __slots__ = ("parent", "state", "record_number", "resident", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RECORD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    state: _health_record_pb2.RecordState
    record_number: str
    resident: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., state: _Optional[_Union[_health_record_pb2.RecordState, str]] = ..., record_number: _Optional[str] = ..., resident: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListHealthRecordsResponse(_message.Message):
    __slots__ = ("records", "next_page_token")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[_health_record_pb2.HealthRecord]
    next_page_token: str
    def __init__(self, records: _Optional[_Iterable[_Union[_health_record_pb2.HealthRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateHealthRecordRequest(_message.Message):
    __slots__ = ("name", "basic_info", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    BASIC_INFO_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    basic_info: _health_record_pb2.BasicInfo
    etag: str
    def __init__(self, name: _Optional[str] = ..., basic_info: _Optional[_Union[_health_record_pb2.BasicInfo, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class ActivateHealthRecordRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class TerminateHealthRecordRequest(_message.Message):
    __slots__ = ("name", "reason", "termination_date", "destination", "handover_note")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TERMINATION_DATE_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    HANDOVER_NOTE_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: _health_record_pb2.TerminationReason
    termination_date: str
    destination: str
    handover_note: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[_Union[_health_record_pb2.TerminationReason, str]] = ..., termination_date: _Optional[str] = ..., destination: _Optional[str] = ..., handover_note: _Optional[str] = ...) -> None: ...

class ReactivateHealthRecordRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ListRecordEventsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRecordEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_health_record_pb2.RecordEvent]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[_health_record_pb2.RecordEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateCheckUpRequest(_message.Message):
    __slots__ = ("parent", "check_up", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    CHECK_UP_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    check_up: _health_record_pb2.CheckUp
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., check_up: _Optional[_Union[_health_record_pb2.CheckUp, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListCheckUpsRequest(_message.Message):
    __slots__ = ("parent",)
    PARENT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    def __init__(self, parent: _Optional[str] = ...) -> None: ...

class ListCheckUpsResponse(_message.Message):
    __slots__ = ("check_ups",)
    CHECK_UPS_FIELD_NUMBER: _ClassVar[int]
    check_ups: _containers.RepeatedCompositeFieldContainer[_health_record_pb2.CheckUp]
    def __init__(self, check_ups: _Optional[_Iterable[_Union[_health_record_pb2.CheckUp, _Mapping]]] = ...) -> None: ...

class StartFollowUpPlanRequest(_message.Message):
    __slots__ = ("parent", "program", "first_due_date")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    FIRST_DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    program: _health_record_pb2.Program
    first_due_date: str
    def __init__(self, parent: _Optional[str] = ..., program: _Optional[_Union[_health_record_pb2.Program, str]] = ..., first_due_date: _Optional[str] = ...) -> None: ...

class RecordFollowUpRequest(_message.Message):
    __slots__ = ("parent", "follow_up", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_UP_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    follow_up: _health_record_pb2.FollowUp
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., follow_up: _Optional[_Union[_health_record_pb2.FollowUp, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListFollowUpsRequest(_message.Message):
    __slots__ = ("parent",)
    PARENT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    def __init__(self, parent: _Optional[str] = ...) -> None: ...

class ListFollowUpsResponse(_message.Message):
    __slots__ = ("follow_ups",)
    FOLLOW_UPS_FIELD_NUMBER: _ClassVar[int]
    follow_ups: _containers.RepeatedCompositeFieldContainer[_health_record_pb2.FollowUp]
    def __init__(self, follow_ups: _Optional[_Iterable[_Union[_health_record_pb2.FollowUp, _Mapping]]] = ...) -> None: ...

class ListTasksRequest(_message.Message):
    __slots__ = ("parent",)
    PARENT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    def __init__(self, parent: _Optional[str] = ...) -> None: ...

class ListTasksResponse(_message.Message):
    __slots__ = ("tasks",)
    TASKS_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[_health_record_pb2.Task]
    def __init__(self, tasks: _Optional[_Iterable[_Union[_health_record_pb2.Task, _Mapping]]] = ...) -> None: ...

class ListOverdueFollowUpPlansRequest(_message.Message):
    __slots__ = ("parent", "as_of", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    as_of: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., as_of: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListOverdueFollowUpPlansResponse(_message.Message):
    __slots__ = ("plans", "next_page_token")
    PLANS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    plans: _containers.RepeatedCompositeFieldContainer[_health_record_pb2.FollowUpPlan]
    next_page_token: str
    def __init__(self, plans: _Optional[_Iterable[_Union[_health_record_pb2.FollowUpPlan, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class TransferEscalation(_message.Message):
    __slots__ = ("escalated_by", "reason", "escalate_time", "source_approved", "destination_approved", "close_reason", "closed_by")
    ESCALATED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ESCALATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_APPROVED_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_APPROVED_FIELD_NUMBER: _ClassVar[int]
    CLOSE_REASON_FIELD_NUMBER: _ClassVar[int]
    CLOSED_BY_FIELD_NUMBER: _ClassVar[int]
    escalated_by: TransferSide
    reason: str
    escalate_time: _timestamp_pb2.Timestamp
    source_approved: bool
    destination_approved: bool
    close_reason: str
    closed_by: TransferSide
    def __init__(self, escalated_by: _Optional[_Union[TransferSide, str]] = ..., reason: _Optional[str] = ..., escalate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source_approved: _Optional[bool] = ..., destination_approved: _Optional[bool] = ..., close_reason: _Optional[str] = ..., closed_by: _Optional[_Union[TransferSide, str]] = ...) -> None: ...

class TransferConsent(_message.Message):
    __slots__ = ("method", "consent_date", "reference")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    CONSENT_DATE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    method: str
    consent_date: str
    reference: str
    def __init__(self, method: _Optional[str] = ..., consent_date: _Optional[str] = ..., reference: _Optional[str] = ...) -> None: ...

class RecordTransfer(_message.Message):
    __slots__ = ("name", "record", "record_number", "resident", "source_tenant", "destination_tenant", "state", "consent", "reason", "decline_reason", "moved_plans", "create_time", "decide_time", "peer_region", "escalation", "abandon_reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    RECORD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TENANT_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_TENANT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DECLINE_REASON_FIELD_NUMBER: _ClassVar[int]
    MOVED_PLANS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DECIDE_TIME_FIELD_NUMBER: _ClassVar[int]
    PEER_REGION_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_FIELD_NUMBER: _ClassVar[int]
    ABANDON_REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    record: str
    record_number: str
    resident: str
    source_tenant: str
    destination_tenant: str
    state: TransferState
    consent: TransferConsent
    reason: str
    decline_reason: str
    moved_plans: int
    create_time: _timestamp_pb2.Timestamp
    decide_time: _timestamp_pb2.Timestamp
    peer_region: str
    escalation: TransferEscalation
    abandon_reason: str
    def __init__(self, name: _Optional[str] = ..., record: _Optional[str] = ..., record_number: _Optional[str] = ..., resident: _Optional[str] = ..., source_tenant: _Optional[str] = ..., destination_tenant: _Optional[str] = ..., state: _Optional[_Union[TransferState, str]] = ..., consent: _Optional[_Union[TransferConsent, _Mapping]] = ..., reason: _Optional[str] = ..., decline_reason: _Optional[str] = ..., moved_plans: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decide_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., peer_region: _Optional[str] = ..., escalation: _Optional[_Union[TransferEscalation, _Mapping]] = ..., abandon_reason: _Optional[str] = ...) -> None: ...

class RequestRecordTransferRequest(_message.Message):
    __slots__ = ("resident", "consent", "reason", "request_id", "source_region", "document", "health_card_qr", "consent_form_reference")
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_REGION_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CARD_QR_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FORM_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    resident: str
    consent: TransferConsent
    reason: str
    request_id: str
    source_region: str
    document: _resident_pb2.IdentityDocument
    health_card_qr: str
    consent_form_reference: str
    def __init__(self, resident: _Optional[str] = ..., consent: _Optional[_Union[TransferConsent, _Mapping]] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ..., source_region: _Optional[str] = ..., document: _Optional[_Union[_resident_pb2.IdentityDocument, _Mapping]] = ..., health_card_qr: _Optional[str] = ..., consent_form_reference: _Optional[str] = ...) -> None: ...

class OpenRecordTransferRequest(_message.Message):
    __slots__ = ("transfer_id", "document", "destination_tenant", "destination_region", "consent", "reason", "display_name", "health_card_qr", "consent_form_reference")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_TENANT_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_REGION_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CARD_QR_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FORM_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    document: _resident_pb2.IdentityDocument
    destination_tenant: str
    destination_region: str
    consent: TransferConsent
    reason: str
    display_name: str
    health_card_qr: str
    consent_form_reference: str
    def __init__(self, transfer_id: _Optional[str] = ..., document: _Optional[_Union[_resident_pb2.IdentityDocument, _Mapping]] = ..., destination_tenant: _Optional[str] = ..., destination_region: _Optional[str] = ..., consent: _Optional[_Union[TransferConsent, _Mapping]] = ..., reason: _Optional[str] = ..., display_name: _Optional[str] = ..., health_card_qr: _Optional[str] = ..., consent_form_reference: _Optional[str] = ...) -> None: ...

class ImportHealthRecordRequest(_message.Message):
    __slots__ = ("transfer_id", "bundle")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    BUNDLE_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    bundle: bytes
    def __init__(self, transfer_id: _Optional[str] = ..., bundle: _Optional[bytes] = ...) -> None: ...

class CloseRecordTransferRequest(_message.Message):
    __slots__ = ("transfer_id", "decline_reason")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    DECLINE_REASON_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    decline_reason: str
    def __init__(self, transfer_id: _Optional[str] = ..., decline_reason: _Optional[str] = ...) -> None: ...

class EscalateRecordTransferRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ApproveRecordTransferRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class RejectRecordTransferRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RelayRecordTransferDecisionRequest(_message.Message):
    __slots__ = ("transfer_id", "decision", "side", "reason")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    decision: TransferDecision
    side: TransferSide
    reason: str
    def __init__(self, transfer_id: _Optional[str] = ..., decision: _Optional[_Union[TransferDecision, str]] = ..., side: _Optional[_Union[TransferSide, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class WithdrawRecordTransferRequest(_message.Message):
    __slots__ = ("transfer_id", "destination_tenant", "destination_region", "reason")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_TENANT_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_REGION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    destination_tenant: str
    destination_region: str
    reason: str
    def __init__(self, transfer_id: _Optional[str] = ..., destination_tenant: _Optional[str] = ..., destination_region: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ConfirmRecordTransferRequest(_message.Message):
    __slots__ = ("name", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeclineRecordTransferRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class GetRecordTransferRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListRecordTransfersRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRecordTransfersResponse(_message.Message):
    __slots__ = ("transfers", "next_page_token")
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    transfers: _containers.RepeatedCompositeFieldContainer[RecordTransfer]
    next_page_token: str
    def __init__(self, transfers: _Optional[_Iterable[_Union[RecordTransfer, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateCareTeamRequest(_message.Message):
    __slots__ = ("parent", "team", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    team: _health_record_pb2.CareTeam
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., team: _Optional[_Union[_health_record_pb2.CareTeam, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListCareTeamsRequest(_message.Message):
    __slots__ = ("parent",)
    PARENT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    def __init__(self, parent: _Optional[str] = ...) -> None: ...

class ListCareTeamsResponse(_message.Message):
    __slots__ = ("teams",)
    TEAMS_FIELD_NUMBER: _ClassVar[int]
    teams: _containers.RepeatedCompositeFieldContainer[_health_record_pb2.CareTeam]
    def __init__(self, teams: _Optional[_Iterable[_Union[_health_record_pb2.CareTeam, _Mapping]]] = ...) -> None: ...

class SignContractRequest(_message.Message):
    __slots__ = ("parent", "team", "start_date", "end_date", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    team: str
    start_date: str
    end_date: str
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., team: _Optional[str] = ..., start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RenewContractRequest(_message.Message):
    __slots__ = ("name", "end_date")
    NAME_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    name: str
    end_date: str
    def __init__(self, name: _Optional[str] = ..., end_date: _Optional[str] = ...) -> None: ...

class EndContractRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ListContractsRequest(_message.Message):
    __slots__ = ("parent",)
    PARENT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    def __init__(self, parent: _Optional[str] = ...) -> None: ...

class ListContractsResponse(_message.Message):
    __slots__ = ("contracts",)
    CONTRACTS_FIELD_NUMBER: _ClassVar[int]
    contracts: _containers.RepeatedCompositeFieldContainer[_health_record_pb2.Contract]
    def __init__(self, contracts: _Optional[_Iterable[_Union[_health_record_pb2.Contract, _Mapping]]] = ...) -> None: ...

class ListContractedResidentsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListContractedResidentsResponse(_message.Message):
    __slots__ = ("residents", "next_page_token")
    RESIDENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    residents: _containers.RepeatedScalarFieldContainer[str]
    next_page_token: str
    def __init__(self, residents: _Optional[_Iterable[str]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class MoveRecordToTeamRequest(_message.Message):
    __slots__ = ("name", "team")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    name: str
    team: str
    def __init__(self, name: _Optional[str] = ..., team: _Optional[str] = ...) -> None: ...

class GetRecordCompletenessRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class RecordCompleteness(_message.Message):
    __slots__ = ("record", "score", "missing_items", "wrong_items")
    RECORD_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    MISSING_ITEMS_FIELD_NUMBER: _ClassVar[int]
    WRONG_ITEMS_FIELD_NUMBER: _ClassVar[int]
    record: str
    score: float
    missing_items: _containers.RepeatedScalarFieldContainer[str]
    wrong_items: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, record: _Optional[str] = ..., score: _Optional[float] = ..., missing_items: _Optional[_Iterable[str]] = ..., wrong_items: _Optional[_Iterable[str]] = ...) -> None: ...

class RegionPopulation(_message.Message):
    __slots__ = ("name", "region_code", "permanent_population", "as_of")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    PERMANENT_POPULATION_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    name: str
    region_code: str
    permanent_population: int
    as_of: str
    def __init__(self, name: _Optional[str] = ..., region_code: _Optional[str] = ..., permanent_population: _Optional[int] = ..., as_of: _Optional[str] = ...) -> None: ...

class SetRegionPopulationRequest(_message.Message):
    __slots__ = ("population",)
    POPULATION_FIELD_NUMBER: _ClassVar[int]
    population: RegionPopulation
    def __init__(self, population: _Optional[_Union[RegionPopulation, _Mapping]] = ...) -> None: ...

class Indicator(_message.Message):
    __slots__ = ("kind", "numerator", "denominator", "rate")
    KIND_FIELD_NUMBER: _ClassVar[int]
    NUMERATOR_FIELD_NUMBER: _ClassVar[int]
    DENOMINATOR_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    kind: IndicatorKind
    numerator: int
    denominator: int
    rate: float
    def __init__(self, kind: _Optional[_Union[IndicatorKind, str]] = ..., numerator: _Optional[int] = ..., denominator: _Optional[int] = ..., rate: _Optional[float] = ...) -> None: ...

class GetIndicatorsRequest(_message.Message):
    __slots__ = ("parent", "as_of")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    parent: str
    as_of: str
    def __init__(self, parent: _Optional[str] = ..., as_of: _Optional[str] = ...) -> None: ...

class Indicators(_message.Message):
    __slots__ = ("parent", "as_of", "indicators")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    INDICATORS_FIELD_NUMBER: _ClassVar[int]
    parent: str
    as_of: str
    indicators: _containers.RepeatedCompositeFieldContainer[Indicator]
    def __init__(self, parent: _Optional[str] = ..., as_of: _Optional[str] = ..., indicators: _Optional[_Iterable[_Union[Indicator, _Mapping]]] = ...) -> None: ...

class RankInstitutionsRequest(_message.Message):
    __slots__ = ("parent", "kind", "as_of")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    parent: str
    kind: IndicatorKind
    as_of: str
    def __init__(self, parent: _Optional[str] = ..., kind: _Optional[_Union[IndicatorKind, str]] = ..., as_of: _Optional[str] = ...) -> None: ...

class InstitutionScore(_message.Message):
    __slots__ = ("tenant", "indicator")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    indicator: Indicator
    def __init__(self, tenant: _Optional[str] = ..., indicator: _Optional[_Union[Indicator, _Mapping]] = ...) -> None: ...

class RankInstitutionsResponse(_message.Message):
    __slots__ = ("best", "bottom")
    BEST_FIELD_NUMBER: _ClassVar[int]
    BOTTOM_FIELD_NUMBER: _ClassVar[int]
    best: _containers.RepeatedCompositeFieldContainer[InstitutionScore]
    bottom: _containers.RepeatedCompositeFieldContainer[InstitutionScore]
    def __init__(self, best: _Optional[_Iterable[_Union[InstitutionScore, _Mapping]]] = ..., bottom: _Optional[_Iterable[_Union[InstitutionScore, _Mapping]]] = ...) -> None: ...

class SpotCheckFinding(_message.Message):
    __slots__ = ("name", "record", "item", "description", "state", "resolution", "create_time", "resolve_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    record: str
    item: str
    description: str
    state: str
    resolution: str
    create_time: _timestamp_pb2.Timestamp
    resolve_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., record: _Optional[str] = ..., item: _Optional[str] = ..., description: _Optional[str] = ..., state: _Optional[str] = ..., resolution: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolve_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SpotCheck(_message.Message):
    __slots__ = ("name", "parent", "records", "findings", "qualified", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    QUALIFIED_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    parent: str
    records: _containers.RepeatedScalarFieldContainer[str]
    findings: _containers.RepeatedCompositeFieldContainer[SpotCheckFinding]
    qualified: int
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., parent: _Optional[str] = ..., records: _Optional[_Iterable[str]] = ..., findings: _Optional[_Iterable[_Union[SpotCheckFinding, _Mapping]]] = ..., qualified: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateSpotCheckRequest(_message.Message):
    __slots__ = ("parent", "sample_size", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_SIZE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    sample_size: int
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., sample_size: _Optional[int] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetSpotCheckRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListSpotChecksRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSpotChecksResponse(_message.Message):
    __slots__ = ("spot_checks", "next_page_token")
    SPOT_CHECKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    spot_checks: _containers.RepeatedCompositeFieldContainer[SpotCheck]
    next_page_token: str
    def __init__(self, spot_checks: _Optional[_Iterable[_Union[SpotCheck, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RecordSpotCheckFindingRequest(_message.Message):
    __slots__ = ("parent", "finding")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    FINDING_FIELD_NUMBER: _ClassVar[int]
    parent: str
    finding: SpotCheckFinding
    def __init__(self, parent: _Optional[str] = ..., finding: _Optional[_Union[SpotCheckFinding, _Mapping]] = ...) -> None: ...

class ResolveSpotCheckFindingRequest(_message.Message):
    __slots__ = ("name", "resolution")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    resolution: str
    def __init__(self, name: _Optional[str] = ..., resolution: _Optional[str] = ...) -> None: ...

class SearchAuditEventsRequest(_message.Message):
    __slots__ = ("parent", "resident", "actor", "tenant", "action", "start_time", "end_time", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    resident: str
    actor: str
    tenant: str
    action: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., resident: _Optional[str] = ..., actor: _Optional[str] = ..., tenant: _Optional[str] = ..., action: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class SearchAuditEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_common_pb2.AuditEvent]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[_common_pb2.AuditEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
