import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from rhip.api.referral.v1 import referral_pb2 as _referral_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReferralIndicatorKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REFERRAL_INDICATOR_KIND_UNSPECIFIED: _ClassVar[ReferralIndicatorKind]
    REFERRAL_INDICATOR_KIND_UP: _ClassVar[ReferralIndicatorKind]
    REFERRAL_INDICATOR_KIND_DOWN: _ClassVar[ReferralIndicatorKind]
    REFERRAL_INDICATOR_KIND_ACCEPTANCE: _ClassVar[ReferralIndicatorKind]
    REFERRAL_INDICATOR_KIND_RETURN: _ClassVar[ReferralIndicatorKind]
    REFERRAL_INDICATOR_KIND_FOLLOW_UP_AFTER_RETURN: _ClassVar[ReferralIndicatorKind]
    REFERRAL_INDICATOR_KIND_TELECONSULTATION_CLOSED: _ClassVar[ReferralIndicatorKind]
    REFERRAL_INDICATOR_KIND_ACCEPTANCE_MINUTES: _ClassVar[ReferralIndicatorKind]
    REFERRAL_INDICATOR_KIND_TELECONSULTATIONS_BY_SPECIALTY: _ClassVar[ReferralIndicatorKind]

class Box(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BOX_UNSPECIFIED: _ClassVar[Box]
    BOX_OUTBOX: _ClassVar[Box]
    BOX_INBOX: _ClassVar[Box]
REFERRAL_INDICATOR_KIND_UNSPECIFIED: ReferralIndicatorKind
REFERRAL_INDICATOR_KIND_UP: ReferralIndicatorKind
REFERRAL_INDICATOR_KIND_DOWN: ReferralIndicatorKind
REFERRAL_INDICATOR_KIND_ACCEPTANCE: ReferralIndicatorKind
REFERRAL_INDICATOR_KIND_RETURN: ReferralIndicatorKind
REFERRAL_INDICATOR_KIND_FOLLOW_UP_AFTER_RETURN: ReferralIndicatorKind
REFERRAL_INDICATOR_KIND_TELECONSULTATION_CLOSED: ReferralIndicatorKind
REFERRAL_INDICATOR_KIND_ACCEPTANCE_MINUTES: ReferralIndicatorKind
REFERRAL_INDICATOR_KIND_TELECONSULTATIONS_BY_SPECIALTY: ReferralIndicatorKind
BOX_UNSPECIFIED: Box
BOX_OUTBOX: Box
BOX_INBOX: Box

class ReferralIndicator(_message.Message):
    __slots__ = ("kind", "numerator", "denominator", "rate", "specialty")
    KIND_FIELD_NUMBER: _ClassVar[int]
    NUMERATOR_FIELD_NUMBER: _ClassVar[int]
    DENOMINATOR_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    SPECIALTY_FIELD_NUMBER: _ClassVar[int]
    kind: ReferralIndicatorKind
    numerator: int
    denominator: int
    rate: float
    specialty: str
    def __init__(self, kind: _Optional[_Union[ReferralIndicatorKind, str]] = ..., numerator: _Optional[int] = ..., denominator: _Optional[int] = ..., rate: _Optional[float] = ..., specialty: _Optional[str] = ...) -> None: ...

class GetReferralIndicatorsRequest(_message.Message):
    __slots__ = ("parent",)
    PARENT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    def __init__(self, parent: _Optional[str] = ...) -> None: ...

class ReferralIndicators(_message.Message):
    __slots__ = ("parent", "as_of", "indicators")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    INDICATORS_FIELD_NUMBER: _ClassVar[int]
    parent: str
    as_of: str
    indicators: _containers.RepeatedCompositeFieldContainer[ReferralIndicator]
    def __init__(self, parent: _Optional[str] = ..., as_of: _Optional[str] = ..., indicators: _Optional[_Iterable[_Union[ReferralIndicator, _Mapping]]] = ...) -> None: ...

class CreateReferralRequest(_message.Message):
    __slots__ = ("referral", "request_id")
    REFERRAL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    referral: _referral_pb2.Referral
    request_id: str
    def __init__(self, referral: _Optional[_Union[_referral_pb2.Referral, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetReferralRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListReferralsRequest(_message.Message):
    __slots__ = ("parent", "box", "state", "page_size", "page_token", "resident")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    BOX_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RESIDENT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    box: Box
    state: _referral_pb2.ReferralState
    page_size: int
    page_token: str
    resident: str
    def __init__(self, parent: _Optional[str] = ..., box: _Optional[_Union[Box, str]] = ..., state: _Optional[_Union[_referral_pb2.ReferralState, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., resident: _Optional[str] = ...) -> None: ...

class ListReferralsResponse(_message.Message):
    __slots__ = ("referrals", "next_page_token")
    REFERRALS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    referrals: _containers.RepeatedCompositeFieldContainer[_referral_pb2.Referral]
    next_page_token: str
    def __init__(self, referrals: _Optional[_Iterable[_Union[_referral_pb2.Referral, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateReferralRequest(_message.Message):
    __slots__ = ("referral", "update_mask")
    REFERRAL_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    referral: _referral_pb2.Referral
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, referral: _Optional[_Union[_referral_pb2.Referral, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class SubmitReferralRequest(_message.Message):
    __slots__ = ("name", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class AcceptReferralRequest(_message.Message):
    __slots__ = ("name", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RejectReferralRequest(_message.Message):
    __slots__ = ("name", "reason", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CancelReferralRequest(_message.Message):
    __slots__ = ("name", "reason", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class AdmitReferralRequest(_message.Message):
    __slots__ = ("name", "request_id", "health_card_code")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CARD_CODE_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    health_card_code: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ..., health_card_code: _Optional[str] = ...) -> None: ...

class ReturnReferralRequest(_message.Message):
    __slots__ = ("name", "return_form", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RETURN_FORM_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    return_form: _referral_pb2.ReturnForm
    request_id: str
    def __init__(self, name: _Optional[str] = ..., return_form: _Optional[_Union[_referral_pb2.ReturnForm, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CompleteReferralRequest(_message.Message):
    __slots__ = ("name", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CloseReferralRequest(_message.Message):
    __slots__ = ("name", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListOverdueReferralsRequest(_message.Message):
    __slots__ = ("parent", "as_of", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    as_of: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListOverdueReferralsResponse(_message.Message):
    __slots__ = ("referrals", "next_page_token")
    REFERRALS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    referrals: _containers.RepeatedCompositeFieldContainer[_referral_pb2.Referral]
    next_page_token: str
    def __init__(self, referrals: _Optional[_Iterable[_Union[_referral_pb2.Referral, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
