from google.api import annotations_pb2 as _annotations_pb2
from rhip.api.common.v1 import common_pb2 as _common_pb2
from rhip.api.mch.v1 import birth_certificate_pb2 as _birth_certificate_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NationalReportView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NATIONAL_REPORT_VIEW_UNSPECIFIED: _ClassVar[NationalReportView]
    NATIONAL_REPORT_VIEW_DEAD_LETTERS: _ClassVar[NationalReportView]
    NATIONAL_REPORT_VIEW_OVERDUE: _ClassVar[NationalReportView]
NATIONAL_REPORT_VIEW_UNSPECIFIED: NationalReportView
NATIONAL_REPORT_VIEW_DEAD_LETTERS: NationalReportView
NATIONAL_REPORT_VIEW_OVERDUE: NationalReportView

class ReceiveBlankStockRequest(_message.Message):
    __slots__ = ("region", "edition", "first_serial", "quantity", "delivery_note", "request_id")
    REGION_FIELD_NUMBER: _ClassVar[int]
    EDITION_FIELD_NUMBER: _ClassVar[int]
    FIRST_SERIAL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_NOTE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    region: str
    edition: int
    first_serial: str
    quantity: int
    delivery_note: str
    request_id: str
    def __init__(self, region: _Optional[str] = ..., edition: _Optional[int] = ..., first_serial: _Optional[str] = ..., quantity: _Optional[int] = ..., delivery_note: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateStockTransferRequest(_message.Message):
    __slots__ = ("transfer", "request_id")
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    transfer: _birth_certificate_pb2.StockTransfer
    request_id: str
    def __init__(self, transfer: _Optional[_Union[_birth_certificate_pb2.StockTransfer, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ApproveStockTransferRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ConfirmStockTransferRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListStockTransfersRequest(_message.Message):
    __slots__ = ("parent", "state", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    state: _birth_certificate_pb2.StockTransferState
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., state: _Optional[_Union[_birth_certificate_pb2.StockTransferState, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListStockTransfersResponse(_message.Message):
    __slots__ = ("transfers", "next_page_token")
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    transfers: _containers.RepeatedCompositeFieldContainer[_birth_certificate_pb2.StockTransfer]
    next_page_token: str
    def __init__(self, transfers: _Optional[_Iterable[_Union[_birth_certificate_pb2.StockTransfer, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetBlankSerialRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class VoidBlankSerialRequest(_message.Message):
    __slots__ = ("name", "reason", "witness", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    WITNESS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    witness: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ..., witness: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ReportBlankSerialsLostRequest(_message.Message):
    __slots__ = ("holder", "first_serial", "quantity", "police_report_ref", "newspaper_notice_ref", "request_id")
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    FIRST_SERIAL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    POLICE_REPORT_REF_FIELD_NUMBER: _ClassVar[int]
    NEWSPAPER_NOTICE_REF_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    holder: str
    first_serial: str
    quantity: int
    police_report_ref: str
    newspaper_notice_ref: str
    request_id: str
    def __init__(self, holder: _Optional[str] = ..., first_serial: _Optional[str] = ..., quantity: _Optional[int] = ..., police_report_ref: _Optional[str] = ..., newspaper_notice_ref: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RecordBlankDestructionRequest(_message.Message):
    __slots__ = ("region", "first_serial", "quantity", "record_number", "witness", "request_id")
    REGION_FIELD_NUMBER: _ClassVar[int]
    FIRST_SERIAL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    RECORD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    WITNESS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    region: str
    first_serial: str
    quantity: int
    record_number: str
    witness: str
    request_id: str
    def __init__(self, region: _Optional[str] = ..., first_serial: _Optional[str] = ..., quantity: _Optional[int] = ..., record_number: _Optional[str] = ..., witness: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetStockReportRequest(_message.Message):
    __slots__ = ("parent",)
    PARENT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    def __init__(self, parent: _Optional[str] = ...) -> None: ...

class IssueBirthCertificateRequest(_message.Message):
    __slots__ = ("certificate", "request_id")
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    certificate: _birth_certificate_pb2.BirthCertificate
    request_id: str
    def __init__(self, certificate: _Optional[_Union[_birth_certificate_pb2.BirthCertificate, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ReplaceBirthCertificateRequest(_message.Message):
    __slots__ = ("name", "number", "ground", "parentage_test_ref", "child_in_household_register", "child_name", "mother", "father", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    GROUND_FIELD_NUMBER: _ClassVar[int]
    PARENTAGE_TEST_REF_FIELD_NUMBER: _ClassVar[int]
    CHILD_IN_HOUSEHOLD_REGISTER_FIELD_NUMBER: _ClassVar[int]
    CHILD_NAME_FIELD_NUMBER: _ClassVar[int]
    MOTHER_FIELD_NUMBER: _ClassVar[int]
    FATHER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    number: str
    ground: _birth_certificate_pb2.ReplacementGround
    parentage_test_ref: str
    child_in_household_register: bool
    child_name: str
    mother: _birth_certificate_pb2.CertificateParent
    father: _birth_certificate_pb2.CertificateParent
    request_id: str
    def __init__(self, name: _Optional[str] = ..., number: _Optional[str] = ..., ground: _Optional[_Union[_birth_certificate_pb2.ReplacementGround, str]] = ..., parentage_test_ref: _Optional[str] = ..., child_in_household_register: _Optional[bool] = ..., child_name: _Optional[str] = ..., mother: _Optional[_Union[_birth_certificate_pb2.CertificateParent, _Mapping]] = ..., father: _Optional[_Union[_birth_certificate_pb2.CertificateParent, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ReissueBirthCertificateRequest(_message.Message):
    __slots__ = ("name", "number", "loss_declaration", "child_in_household_register", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    LOSS_DECLARATION_FIELD_NUMBER: _ClassVar[int]
    CHILD_IN_HOUSEHOLD_REGISTER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    number: str
    loss_declaration: _birth_certificate_pb2.LossDeclaration
    child_in_household_register: bool
    request_id: str
    def __init__(self, name: _Optional[str] = ..., number: _Optional[str] = ..., loss_declaration: _Optional[_Union[_birth_certificate_pb2.LossDeclaration, _Mapping]] = ..., child_in_household_register: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class VoidBirthCertificateRequest(_message.Message):
    __slots__ = ("name", "reason", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetBirthCertificateRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListBirthCertificatesRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListBirthCertificatesResponse(_message.Message):
    __slots__ = ("certificates", "next_page_token")
    CERTIFICATES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    certificates: _containers.RepeatedCompositeFieldContainer[_birth_certificate_pb2.BirthCertificate]
    next_page_token: str
    def __init__(self, certificates: _Optional[_Iterable[_Union[_birth_certificate_pb2.BirthCertificate, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class VerifyBirthCertificateRequest(_message.Message):
    __slots__ = ("number", "child_name", "signed_code")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    CHILD_NAME_FIELD_NUMBER: _ClassVar[int]
    SIGNED_CODE_FIELD_NUMBER: _ClassVar[int]
    number: str
    child_name: str
    signed_code: str
    def __init__(self, number: _Optional[str] = ..., child_name: _Optional[str] = ..., signed_code: _Optional[str] = ...) -> None: ...

class GetBirthCertificateKeysRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetBirthCertificateKeysResponse(_message.Message):
    __slots__ = ("keys_json", "region")
    KEYS_JSON_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    keys_json: _containers.RepeatedScalarFieldContainer[str]
    region: str
    def __init__(self, keys_json: _Optional[_Iterable[str]] = ..., region: _Optional[str] = ...) -> None: ...

class GetBirthCertificateReportRequest(_message.Message):
    __slots__ = ("parent", "month")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    parent: str
    month: str
    def __init__(self, parent: _Optional[str] = ..., month: _Optional[str] = ...) -> None: ...

class ListNationalReportEventsRequest(_message.Message):
    __slots__ = ("parent", "view", "page_size")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    view: NationalReportView
    page_size: int
    def __init__(self, parent: _Optional[str] = ..., view: _Optional[_Union[NationalReportView, str]] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListNationalReportEventsResponse(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_birth_certificate_pb2.NationalReportEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[_birth_certificate_pb2.NationalReportEvent, _Mapping]]] = ...) -> None: ...

class ReplayNationalReportEventsRequest(_message.Message):
    __slots__ = ("parent", "event_ids")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    EVENT_IDS_FIELD_NUMBER: _ClassVar[int]
    parent: str
    event_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, parent: _Optional[str] = ..., event_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ReplayNationalReportEventsResponse(_message.Message):
    __slots__ = ("event_ids",)
    EVENT_IDS_FIELD_NUMBER: _ClassVar[int]
    event_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, event_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class DesignateBirthCertificateIssuerRequest(_message.Message):
    __slots__ = ("region", "issuer", "document_ref", "request_id")
    REGION_FIELD_NUMBER: _ClassVar[int]
    ISSUER_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_REF_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    region: str
    issuer: str
    document_ref: str
    request_id: str
    def __init__(self, region: _Optional[str] = ..., issuer: _Optional[str] = ..., document_ref: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetBirthCertificateIssuerDesignationRequest(_message.Message):
    __slots__ = ("region",)
    REGION_FIELD_NUMBER: _ClassVar[int]
    region: str
    def __init__(self, region: _Optional[str] = ...) -> None: ...
