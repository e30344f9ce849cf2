from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MchIndicatorKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MCH_INDICATOR_KIND_UNSPECIFIED: _ClassVar[MchIndicatorKind]
    MCH_INDICATOR_KIND_EARLY_REGISTRATION_RATE: _ClassVar[MchIndicatorKind]
    MCH_INDICATOR_KIND_POSTPARTUM_VISIT_RATE: _ClassVar[MchIndicatorKind]
    MCH_INDICATOR_KIND_NEWBORN_VISIT_RATE: _ClassVar[MchIndicatorKind]
    MCH_INDICATOR_KIND_CHILD_HEALTH_MANAGEMENT_RATE: _ClassVar[MchIndicatorKind]
    MCH_INDICATOR_KIND_EYE_CHECK_COVERAGE: _ClassVar[MchIndicatorKind]
    MCH_INDICATOR_KIND_POOR_VISION_RATE_6Y: _ClassVar[MchIndicatorKind]
    MCH_INDICATOR_KIND_HIGH_RISK_MANAGEMENT_RATE: _ClassVar[MchIndicatorKind]
MCH_INDICATOR_KIND_UNSPECIFIED: MchIndicatorKind
MCH_INDICATOR_KIND_EARLY_REGISTRATION_RATE: MchIndicatorKind
MCH_INDICATOR_KIND_POSTPARTUM_VISIT_RATE: MchIndicatorKind
MCH_INDICATOR_KIND_NEWBORN_VISIT_RATE: MchIndicatorKind
MCH_INDICATOR_KIND_CHILD_HEALTH_MANAGEMENT_RATE: MchIndicatorKind
MCH_INDICATOR_KIND_EYE_CHECK_COVERAGE: MchIndicatorKind
MCH_INDICATOR_KIND_POOR_VISION_RATE_6Y: MchIndicatorKind
MCH_INDICATOR_KIND_HIGH_RISK_MANAGEMENT_RATE: MchIndicatorKind

class MchIndicator(_message.Message):
    __slots__ = ("kind", "numerator", "denominator", "rate", "target", "meets_target")
    KIND_FIELD_NUMBER: _ClassVar[int]
    NUMERATOR_FIELD_NUMBER: _ClassVar[int]
    DENOMINATOR_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    MEETS_TARGET_FIELD_NUMBER: _ClassVar[int]
    kind: MchIndicatorKind
    numerator: int
    denominator: int
    rate: float
    target: float
    meets_target: bool
    def __init__(self, kind: _Optional[_Union[MchIndicatorKind, str]] = ..., numerator: _Optional[int] = ..., denominator: _Optional[int] = ..., rate: _Optional[float] = ..., target: _Optional[float] = ..., meets_target: _Optional[bool] = ...) -> None: ...

class GetMchIndicatorsRequest(_message.Message):
    __slots__ = ("parent", "as_of")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    parent: str
    as_of: str
    def __init__(self, parent: _Optional[str] = ..., as_of: _Optional[str] = ...) -> None: ...

class MchIndicators(_message.Message):
    __slots__ = ("parent", "as_of", "period_start", "indicators")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    INDICATORS_FIELD_NUMBER: _ClassVar[int]
    parent: str
    as_of: str
    period_start: str
    indicators: _containers.RepeatedCompositeFieldContainer[MchIndicator]
    def __init__(self, parent: _Optional[str] = ..., as_of: _Optional[str] = ..., period_start: _Optional[str] = ..., indicators: _Optional[_Iterable[_Union[MchIndicator, _Mapping]]] = ...) -> None: ...

class RankMchInstitutionsRequest(_message.Message):
    __slots__ = ("parent", "kind", "as_of")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    parent: str
    kind: MchIndicatorKind
    as_of: str
    def __init__(self, parent: _Optional[str] = ..., kind: _Optional[_Union[MchIndicatorKind, str]] = ..., as_of: _Optional[str] = ...) -> None: ...

class MchInstitutionScore(_message.Message):
    __slots__ = ("tenant", "indicator")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    indicator: MchIndicator
    def __init__(self, tenant: _Optional[str] = ..., indicator: _Optional[_Union[MchIndicator, _Mapping]] = ...) -> None: ...

class RankMchInstitutionsResponse(_message.Message):
    __slots__ = ("best", "bottom")
    BEST_FIELD_NUMBER: _ClassVar[int]
    BOTTOM_FIELD_NUMBER: _ClassVar[int]
    best: _containers.RepeatedCompositeFieldContainer[MchInstitutionScore]
    bottom: _containers.RepeatedCompositeFieldContainer[MchInstitutionScore]
    def __init__(self, best: _Optional[_Iterable[_Union[MchInstitutionScore, _Mapping]]] = ..., bottom: _Optional[_Iterable[_Union[MchInstitutionScore, _Mapping]]] = ...) -> None: ...
