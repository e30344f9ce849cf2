import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BlankSerialState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BLANK_SERIAL_STATE_UNSPECIFIED: _ClassVar[BlankSerialState]
    BLANK_SERIAL_STATE_RECEIVED: _ClassVar[BlankSerialState]
    BLANK_SERIAL_STATE_ALLOCATED: _ClassVar[BlankSerialState]
    BLANK_SERIAL_STATE_IN_STOCK: _ClassVar[BlankSerialState]
    BLANK_SERIAL_STATE_ISSUED: _ClassVar[BlankSerialState]
    BLANK_SERIAL_STATE_VOID_BLANK: _ClassVar[BlankSerialState]
    BLANK_SERIAL_STATE_VOID_ISSUED: _ClassVar[BlankSerialState]
    BLANK_SERIAL_STATE_LOST: _ClassVar[BlankSerialState]
    BLANK_SERIAL_STATE_DESTROYED: _ClassVar[BlankSerialState]

class StockMovementKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STOCK_MOVEMENT_KIND_UNSPECIFIED: _ClassVar[StockMovementKind]
    STOCK_MOVEMENT_KIND_RECEIPT: _ClassVar[StockMovementKind]
    STOCK_MOVEMENT_KIND_TRANSFER: _ClassVar[StockMovementKind]
    STOCK_MOVEMENT_KIND_VOID_BLANK: _ClassVar[StockMovementKind]
    STOCK_MOVEMENT_KIND_LOSS: _ClassVar[StockMovementKind]
    STOCK_MOVEMENT_KIND_DESTRUCTION: _ClassVar[StockMovementKind]
    STOCK_MOVEMENT_KIND_ISSUE: _ClassVar[StockMovementKind]
    STOCK_MOVEMENT_KIND_VOID_ISSUED: _ClassVar[StockMovementKind]

class StockTransferState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STOCK_TRANSFER_STATE_UNSPECIFIED: _ClassVar[StockTransferState]
    STOCK_TRANSFER_STATE_AWAITING_APPROVAL: _ClassVar[StockTransferState]
    STOCK_TRANSFER_STATE_PENDING: _ClassVar[StockTransferState]
    STOCK_TRANSFER_STATE_CONFIRMED: _ClassVar[StockTransferState]

class IssuanceType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ISSUANCE_TYPE_UNSPECIFIED: _ClassVar[IssuanceType]
    ISSUANCE_TYPE_FIRST: _ClassVar[IssuanceType]
    ISSUANCE_TYPE_REPLACEMENT: _ClassVar[IssuanceType]
    ISSUANCE_TYPE_REISSUE: _ClassVar[IssuanceType]

class BirthCertificateState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BIRTH_CERTIFICATE_STATE_UNSPECIFIED: _ClassVar[BirthCertificateState]
    BIRTH_CERTIFICATE_STATE_VALID: _ClassVar[BirthCertificateState]
    BIRTH_CERTIFICATE_STATE_REPLACED: _ClassVar[BirthCertificateState]
    BIRTH_CERTIFICATE_STATE_REISSUED: _ClassVar[BirthCertificateState]
    BIRTH_CERTIFICATE_STATE_VOID: _ClassVar[BirthCertificateState]

class ReplacementGround(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPLACEMENT_GROUND_UNSPECIFIED: _ClassVar[ReplacementGround]
    REPLACEMENT_GROUND_ISSUER_ERROR: _ClassVar[ReplacementGround]
    REPLACEMENT_GROUND_ALTERED: _ClassVar[ReplacementGround]
    REPLACEMENT_GROUND_SECONDARY_PAGE_DETACHED: _ClassVar[ReplacementGround]
    REPLACEMENT_GROUND_DAMAGED: _ClassVar[ReplacementGround]
    REPLACEMENT_GROUND_PARENTAGE_CHANGE: _ClassVar[ReplacementGround]
    REPLACEMENT_GROUND_POLICE_REQUEST: _ClassVar[ReplacementGround]

class CertificatePages(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CERTIFICATE_PAGES_UNSPECIFIED: _ClassVar[CertificatePages]
    CERTIFICATE_PAGES_MAIN_AND_SECONDARY: _ClassVar[CertificatePages]
    CERTIFICATE_PAGES_MAIN_ONLY: _ClassVar[CertificatePages]

class BirthPlaceType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BIRTH_PLACE_TYPE_UNSPECIFIED: _ClassVar[BirthPlaceType]
    BIRTH_PLACE_TYPE_HOSPITAL: _ClassVar[BirthPlaceType]
    BIRTH_PLACE_TYPE_MCH_INSTITUTE: _ClassVar[BirthPlaceType]
    BIRTH_PLACE_TYPE_HOME: _ClassVar[BirthPlaceType]
    BIRTH_PLACE_TYPE_OTHER: _ClassVar[BirthPlaceType]

class NewbornHealth(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NEWBORN_HEALTH_UNSPECIFIED: _ClassVar[NewbornHealth]
    NEWBORN_HEALTH_GOOD: _ClassVar[NewbornHealth]
    NEWBORN_HEALTH_FAIR: _ClassVar[NewbornHealth]
    NEWBORN_HEALTH_POOR: _ClassVar[NewbornHealth]

class ParentDocumentType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PARENT_DOCUMENT_TYPE_UNSPECIFIED: _ClassVar[ParentDocumentType]
    PARENT_DOCUMENT_TYPE_RESIDENT_ID: _ClassVar[ParentDocumentType]
    PARENT_DOCUMENT_TYPE_PASSPORT: _ClassVar[ParentDocumentType]
    PARENT_DOCUMENT_TYPE_HK_MACAO_PERMIT: _ClassVar[ParentDocumentType]
    PARENT_DOCUMENT_TYPE_TAIWAN_PERMIT: _ClassVar[ParentDocumentType]
    PARENT_DOCUMENT_TYPE_HOUSEHOLD_REGISTER: _ClassVar[ParentDocumentType]

class ApplicantKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    APPLICANT_KIND_UNSPECIFIED: _ClassVar[ApplicantKind]
    APPLICANT_KIND_MOTHER: _ClassVar[ApplicantKind]
    APPLICANT_KIND_AUTHORIZED_PERSON: _ClassVar[ApplicantKind]

class VerificationResult(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERIFICATION_RESULT_UNSPECIFIED: _ClassVar[VerificationResult]
    VERIFICATION_RESULT_AUTHENTIC: _ClassVar[VerificationResult]
    VERIFICATION_RESULT_VOID: _ClassVar[VerificationResult]
    VERIFICATION_RESULT_REPLACED: _ClassVar[VerificationResult]
    VERIFICATION_RESULT_REISSUED: _ClassVar[VerificationResult]
    VERIFICATION_RESULT_NOT_FOUND: _ClassVar[VerificationResult]
BLANK_SERIAL_STATE_UNSPECIFIED: BlankSerialState
BLANK_SERIAL_STATE_RECEIVED: BlankSerialState
BLANK_SERIAL_STATE_ALLOCATED: BlankSerialState
BLANK_SERIAL_STATE_IN_STOCK: BlankSerialState
BLANK_SERIAL_STATE_ISSUED: BlankSerialState
BLANK_SERIAL_STATE_VOID_BLANK: BlankSerialState
BLANK_SERIAL_STATE_VOID_ISSUED: BlankSerialState
BLANK_SERIAL_STATE_LOST: BlankSerialState
BLANK_SERIAL_STATE_DESTROYED: BlankSerialState
STOCK_MOVEMENT_KIND_UNSPECIFIED: StockMovementKind
STOCK_MOVEMENT_KIND_RECEIPT: StockMovementKind
STOCK_MOVEMENT_KIND_TRANSFER: StockMovementKind
STOCK_MOVEMENT_KIND_VOID_BLANK: StockMovementKind
STOCK_MOVEMENT_KIND_LOSS: StockMovementKind
STOCK_MOVEMENT_KIND_DESTRUCTION: StockMovementKind
STOCK_MOVEMENT_KIND_ISSUE: StockMovementKind
STOCK_MOVEMENT_KIND_VOID_ISSUED: StockMovementKind
STOCK_TRANSFER_STATE_UNSPECIFIED: StockTransferState
STOCK_TRANSFER_STATE_AWAITING_APPROVAL: StockTransferState
STOCK_TRANSFER_STATE_PENDING: StockTransferState
STOCK_TRANSFER_STATE_CONFIRMED: StockTransferState
ISSUANCE_TYPE_UNSPECIFIED: IssuanceType
ISSUANCE_TYPE_FIRST: IssuanceType
ISSUANCE_TYPE_REPLACEMENT: IssuanceType
ISSUANCE_TYPE_REISSUE: IssuanceType
BIRTH_CERTIFICATE_STATE_UNSPECIFIED: BirthCertificateState
BIRTH_CERTIFICATE_STATE_VALID: BirthCertificateState
BIRTH_CERTIFICATE_STATE_REPLACED: BirthCertificateState
BIRTH_CERTIFICATE_STATE_REISSUED: BirthCertificateState
BIRTH_CERTIFICATE_STATE_VOID: BirthCertificateState
REPLACEMENT_GROUND_UNSPECIFIED: ReplacementGround
REPLACEMENT_GROUND_ISSUER_ERROR: ReplacementGround
REPLACEMENT_GROUND_ALTERED: ReplacementGround
REPLACEMENT_GROUND_SECONDARY_PAGE_DETACHED: ReplacementGround
REPLACEMENT_GROUND_DAMAGED: ReplacementGround
REPLACEMENT_GROUND_PARENTAGE_CHANGE: ReplacementGround
REPLACEMENT_GROUND_POLICE_REQUEST: ReplacementGround
CERTIFICATE_PAGES_UNSPECIFIED: CertificatePages
CERTIFICATE_PAGES_MAIN_AND_SECONDARY: CertificatePages
CERTIFICATE_PAGES_MAIN_ONLY: CertificatePages
BIRTH_PLACE_TYPE_UNSPECIFIED: BirthPlaceType
BIRTH_PLACE_TYPE_HOSPITAL: BirthPlaceType
BIRTH_PLACE_TYPE_MCH_INSTITUTE: BirthPlaceType
BIRTH_PLACE_TYPE_HOME: BirthPlaceType
BIRTH_PLACE_TYPE_OTHER: BirthPlaceType
NEWBORN_HEALTH_UNSPECIFIED: NewbornHealth
NEWBORN_HEALTH_GOOD: NewbornHealth
NEWBORN_HEALTH_FAIR: NewbornHealth
NEWBORN_HEALTH_POOR: NewbornHealth
PARENT_DOCUMENT_TYPE_UNSPECIFIED: ParentDocumentType
PARENT_DOCUMENT_TYPE_RESIDENT_ID: ParentDocumentType
PARENT_DOCUMENT_TYPE_PASSPORT: ParentDocumentType
PARENT_DOCUMENT_TYPE_HK_MACAO_PERMIT: ParentDocumentType
PARENT_DOCUMENT_TYPE_TAIWAN_PERMIT: ParentDocumentType
PARENT_DOCUMENT_TYPE_HOUSEHOLD_REGISTER: ParentDocumentType
APPLICANT_KIND_UNSPECIFIED: ApplicantKind
APPLICANT_KIND_MOTHER: ApplicantKind
APPLICANT_KIND_AUTHORIZED_PERSON: ApplicantKind
VERIFICATION_RESULT_UNSPECIFIED: VerificationResult
VERIFICATION_RESULT_AUTHENTIC: VerificationResult
VERIFICATION_RESULT_VOID: VerificationResult
VERIFICATION_RESULT_REPLACED: VerificationResult
VERIFICATION_RESULT_REISSUED: VerificationResult
VERIFICATION_RESULT_NOT_FOUND: VerificationResult

class StockMovement(_message.Message):
    __slots__ = ("name", "kind", "edition", "first_serial", "last_serial", "quantity", "from_holder", "to_holder", "state", "operator", "witness", "reason", "police_report_ref", "newspaper_notice_ref", "reference", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    EDITION_FIELD_NUMBER: _ClassVar[int]
    FIRST_SERIAL_FIELD_NUMBER: _ClassVar[int]
    LAST_SERIAL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    FROM_HOLDER_FIELD_NUMBER: _ClassVar[int]
    TO_HOLDER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    WITNESS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    POLICE_REPORT_REF_FIELD_NUMBER: _ClassVar[int]
    NEWSPAPER_NOTICE_REF_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: StockMovementKind
    edition: int
    first_serial: str
    last_serial: str
    quantity: int
    from_holder: str
    to_holder: str
    state: BlankSerialState
    operator: str
    witness: str
    reason: str
    police_report_ref: str
    newspaper_notice_ref: str
    reference: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[StockMovementKind, str]] = ..., edition: _Optional[int] = ..., first_serial: _Optional[str] = ..., last_serial: _Optional[str] = ..., quantity: _Optional[int] = ..., from_holder: _Optional[str] = ..., to_holder: _Optional[str] = ..., state: _Optional[_Union[BlankSerialState, str]] = ..., operator: _Optional[str] = ..., witness: _Optional[str] = ..., reason: _Optional[str] = ..., police_report_ref: _Optional[str] = ..., newspaper_notice_ref: _Optional[str] = ..., reference: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StockTransfer(_message.Message):
    __slots__ = ("name", "from_holder", "to_holder", "edition", "first_serial", "quantity", "last_serial", "state", "over_quota", "quota", "note", "requested_by", "approved_by", "confirmed_by", "confirmed_quantity", "create_time", "update_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    FROM_HOLDER_FIELD_NUMBER: _ClassVar[int]
    TO_HOLDER_FIELD_NUMBER: _ClassVar[int]
    EDITION_FIELD_NUMBER: _ClassVar[int]
    FIRST_SERIAL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    LAST_SERIAL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    OVER_QUOTA_FIELD_NUMBER: _ClassVar[int]
    QUOTA_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    CONFIRMED_BY_FIELD_NUMBER: _ClassVar[int]
    CONFIRMED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    from_holder: str
    to_holder: str
    edition: int
    first_serial: str
    quantity: int
    last_serial: str
    state: StockTransferState
    over_quota: bool
    quota: int
    note: str
    requested_by: str
    approved_by: str
    confirmed_by: str
    confirmed_quantity: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., from_holder: _Optional[str] = ..., to_holder: _Optional[str] = ..., edition: _Optional[int] = ..., first_serial: _Optional[str] = ..., quantity: _Optional[int] = ..., last_serial: _Optional[str] = ..., state: _Optional[_Union[StockTransferState, str]] = ..., over_quota: _Optional[bool] = ..., quota: _Optional[int] = ..., note: _Optional[str] = ..., requested_by: _Optional[str] = ..., approved_by: _Optional[str] = ..., confirmed_by: _Optional[str] = ..., confirmed_quantity: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BlankSerial(_message.Message):
    __slots__ = ("name", "serial", "edition", "state", "holder", "certificate", "history")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    EDITION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    name: str
    serial: str
    edition: int
    state: BlankSerialState
    holder: str
    certificate: str
    history: _containers.RepeatedCompositeFieldContainer[StockMovement]
    def __init__(self, name: _Optional[str] = ..., serial: _Optional[str] = ..., edition: _Optional[int] = ..., state: _Optional[_Union[BlankSerialState, str]] = ..., holder: _Optional[str] = ..., certificate: _Optional[str] = ..., history: _Optional[_Iterable[_Union[StockMovement, _Mapping]]] = ...) -> None: ...

class StockBalance(_message.Message):
    __slots__ = ("holder", "received", "transferred_out", "in_transit", "in_stock", "issued", "void_blank", "void_issued", "lost", "destroyed", "balanced")
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_FIELD_NUMBER: _ClassVar[int]
    TRANSFERRED_OUT_FIELD_NUMBER: _ClassVar[int]
    IN_TRANSIT_FIELD_NUMBER: _ClassVar[int]
    IN_STOCK_FIELD_NUMBER: _ClassVar[int]
    ISSUED_FIELD_NUMBER: _ClassVar[int]
    VOID_BLANK_FIELD_NUMBER: _ClassVar[int]
    VOID_ISSUED_FIELD_NUMBER: _ClassVar[int]
    LOST_FIELD_NUMBER: _ClassVar[int]
    DESTROYED_FIELD_NUMBER: _ClassVar[int]
    BALANCED_FIELD_NUMBER: _ClassVar[int]
    holder: str
    received: int
    transferred_out: int
    in_transit: int
    in_stock: int
    issued: int
    void_blank: int
    void_issued: int
    lost: int
    destroyed: int
    balanced: bool
    def __init__(self, holder: _Optional[str] = ..., received: _Optional[int] = ..., transferred_out: _Optional[int] = ..., in_transit: _Optional[int] = ..., in_stock: _Optional[int] = ..., issued: _Optional[int] = ..., void_blank: _Optional[int] = ..., void_issued: _Optional[int] = ..., lost: _Optional[int] = ..., destroyed: _Optional[int] = ..., balanced: _Optional[bool] = ...) -> None: ...

class StockReport(_message.Message):
    __slots__ = ("parent", "holders")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    HOLDERS_FIELD_NUMBER: _ClassVar[int]
    parent: str
    holders: _containers.RepeatedCompositeFieldContainer[StockBalance]
    def __init__(self, parent: _Optional[str] = ..., holders: _Optional[_Iterable[_Union[StockBalance, _Mapping]]] = ...) -> None: ...

class CertificateParent(_message.Message):
    __slots__ = ("name", "age", "nationality", "ethnicity", "address", "document_type", "document_number")
    NAME_FIELD_NUMBER: _ClassVar[int]
    AGE_FIELD_NUMBER: _ClassVar[int]
    NATIONALITY_FIELD_NUMBER: _ClassVar[int]
    ETHNICITY_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    name: str
    age: int
    nationality: str
    ethnicity: str
    address: str
    document_type: ParentDocumentType
    document_number: str
    def __init__(self, name: _Optional[str] = ..., age: _Optional[int] = ..., nationality: _Optional[str] = ..., ethnicity: _Optional[str] = ..., address: _Optional[str] = ..., document_type: _Optional[_Union[ParentDocumentType, str]] = ..., document_number: _Optional[str] = ...) -> None: ...

class CertificateApplicant(_message.Message):
    __slots__ = ("kind", "name", "relationship", "authorization_ref")
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RELATIONSHIP_FIELD_NUMBER: _ClassVar[int]
    AUTHORIZATION_REF_FIELD_NUMBER: _ClassVar[int]
    kind: ApplicantKind
    name: str
    relationship: str
    authorization_ref: str
    def __init__(self, kind: _Optional[_Union[ApplicantKind, str]] = ..., name: _Optional[str] = ..., relationship: _Optional[str] = ..., authorization_ref: _Optional[str] = ...) -> None: ...

class BirthOutsideInstitution(_message.Message):
    __slots__ = ("child", "mother", "birth_time", "sex", "weight_g", "length_cm", "gestational_weeks", "birth_region_code", "place_type", "parentage_test_ref", "midwife")
    CHILD_FIELD_NUMBER: _ClassVar[int]
    MOTHER_FIELD_NUMBER: _ClassVar[int]
    BIRTH_TIME_FIELD_NUMBER: _ClassVar[int]
    SEX_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_G_FIELD_NUMBER: _ClassVar[int]
    LENGTH_CM_FIELD_NUMBER: _ClassVar[int]
    GESTATIONAL_WEEKS_FIELD_NUMBER: _ClassVar[int]
    BIRTH_REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    PLACE_TYPE_FIELD_NUMBER: _ClassVar[int]
    PARENTAGE_TEST_REF_FIELD_NUMBER: _ClassVar[int]
    MIDWIFE_FIELD_NUMBER: _ClassVar[int]
    child: str
    mother: str
    birth_time: _timestamp_pb2.Timestamp
    sex: str
    weight_g: int
    length_cm: float
    gestational_weeks: int
    birth_region_code: str
    place_type: BirthPlaceType
    parentage_test_ref: str
    midwife: str
    def __init__(self, child: _Optional[str] = ..., mother: _Optional[str] = ..., birth_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sex: _Optional[str] = ..., weight_g: _Optional[int] = ..., length_cm: _Optional[float] = ..., gestational_weeks: _Optional[int] = ..., birth_region_code: _Optional[str] = ..., place_type: _Optional[_Union[BirthPlaceType, str]] = ..., parentage_test_ref: _Optional[str] = ..., midwife: _Optional[str] = ...) -> None: ...

class BirthCertificate(_message.Message):
    __slots__ = ("name", "number", "newborn", "outside_institution", "child_name", "health", "mother", "father", "father_unknown_statement", "midwife", "issuer", "issue_date", "type", "state", "pages", "supersedes", "superseded_by", "sex", "birth_time", "gestational_weeks", "weight_g", "length_cm", "birth_region_code", "place_type", "birth_institution", "child", "signed_code", "ground", "void_reason", "create_time", "parentage_test_ref", "applicant", "late_application_explanation", "household_region_code")
    NAME_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    NEWBORN_FIELD_NUMBER: _ClassVar[int]
    OUTSIDE_INSTITUTION_FIELD_NUMBER: _ClassVar[int]
    CHILD_NAME_FIELD_NUMBER: _ClassVar[int]
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    MOTHER_FIELD_NUMBER: _ClassVar[int]
    FATHER_FIELD_NUMBER: _ClassVar[int]
    FATHER_UNKNOWN_STATEMENT_FIELD_NUMBER: _ClassVar[int]
    MIDWIFE_FIELD_NUMBER: _ClassVar[int]
    ISSUER_FIELD_NUMBER: _ClassVar[int]
    ISSUE_DATE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGES_FIELD_NUMBER: _ClassVar[int]
    SUPERSEDES_FIELD_NUMBER: _ClassVar[int]
    SUPERSEDED_BY_FIELD_NUMBER: _ClassVar[int]
    SEX_FIELD_NUMBER: _ClassVar[int]
    BIRTH_TIME_FIELD_NUMBER: _ClassVar[int]
    GESTATIONAL_WEEKS_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_G_FIELD_NUMBER: _ClassVar[int]
    LENGTH_CM_FIELD_NUMBER: _ClassVar[int]
    BIRTH_REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    PLACE_TYPE_FIELD_NUMBER: _ClassVar[int]
    BIRTH_INSTITUTION_FIELD_NUMBER: _ClassVar[int]
    CHILD_FIELD_NUMBER: _ClassVar[int]
    SIGNED_CODE_FIELD_NUMBER: _ClassVar[int]
    GROUND_FIELD_NUMBER: _ClassVar[int]
    VOID_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    PARENTAGE_TEST_REF_FIELD_NUMBER: _ClassVar[int]
    APPLICANT_FIELD_NUMBER: _ClassVar[int]
    LATE_APPLICATION_EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    name: str
    number: str
    newborn: str
    outside_institution: BirthOutsideInstitution
    child_name: str
    health: NewbornHealth
    mother: CertificateParent
    father: CertificateParent
    father_unknown_statement: bool
    midwife: str
    issuer: str
    issue_date: str
    type: IssuanceType
    state: BirthCertificateState
    pages: CertificatePages
    supersedes: str
    superseded_by: str
    sex: str
    birth_time: _timestamp_pb2.Timestamp
    gestational_weeks: int
    weight_g: int
    length_cm: float
    birth_region_code: str
    place_type: BirthPlaceType
    birth_institution: str
    child: str
    signed_code: str
    ground: ReplacementGround
    void_reason: str
    create_time: _timestamp_pb2.Timestamp
    parentage_test_ref: str
    applicant: CertificateApplicant
    late_application_explanation: str
    household_region_code: str
    def __init__(self, name: _Optional[str] = ..., number: _Optional[str] = ..., newborn: _Optional[str] = ..., outside_institution: _Optional[_Union[BirthOutsideInstitution, _Mapping]] = ..., child_name: _Optional[str] = ..., health: _Optional[_Union[NewbornHealth, str]] = ..., mother: _Optional[_Union[CertificateParent, _Mapping]] = ..., father: _Optional[_Union[CertificateParent, _Mapping]] = ..., father_unknown_statement: _Optional[bool] = ..., midwife: _Optional[str] = ..., issuer: _Optional[str] = ..., issue_date: _Optional[str] = ..., type: _Optional[_Union[IssuanceType, str]] = ..., state: _Optional[_Union[BirthCertificateState, str]] = ..., pages: _Optional[_Union[CertificatePages, str]] = ..., supersedes: _Optional[str] = ..., superseded_by: _Optional[str] = ..., sex: _Optional[str] = ..., birth_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., gestational_weeks: _Optional[int] = ..., weight_g: _Optional[int] = ..., length_cm: _Optional[float] = ..., birth_region_code: _Optional[str] = ..., place_type: _Optional[_Union[BirthPlaceType, str]] = ..., birth_institution: _Optional[str] = ..., child: _Optional[str] = ..., signed_code: _Optional[str] = ..., ground: _Optional[_Union[ReplacementGround, str]] = ..., void_reason: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., parentage_test_ref: _Optional[str] = ..., applicant: _Optional[_Union[CertificateApplicant, _Mapping]] = ..., late_application_explanation: _Optional[str] = ..., household_region_code: _Optional[str] = ...) -> None: ...

class LossDeclaration(_message.Message):
    __slots__ = ("newspaper_notice_ref", "written_declaration_ref")
    NEWSPAPER_NOTICE_REF_FIELD_NUMBER: _ClassVar[int]
    WRITTEN_DECLARATION_REF_FIELD_NUMBER: _ClassVar[int]
    newspaper_notice_ref: str
    written_declaration_ref: str
    def __init__(self, newspaper_notice_ref: _Optional[str] = ..., written_declaration_ref: _Optional[str] = ...) -> None: ...

class BirthCertificateVerification(_message.Message):
    __slots__ = ("result", "number", "issue_date", "current_number")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    ISSUE_DATE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    result: VerificationResult
    number: str
    issue_date: str
    current_number: str
    def __init__(self, result: _Optional[_Union[VerificationResult, str]] = ..., number: _Optional[str] = ..., issue_date: _Optional[str] = ..., current_number: _Optional[str] = ...) -> None: ...

class BirthCertificateMonth(_message.Message):
    __slots__ = ("holder", "first_issued", "replacements", "reissues", "voided_issued", "voided_blank", "lost", "destroyed", "in_stock")
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    FIRST_ISSUED_FIELD_NUMBER: _ClassVar[int]
    REPLACEMENTS_FIELD_NUMBER: _ClassVar[int]
    REISSUES_FIELD_NUMBER: _ClassVar[int]
    VOIDED_ISSUED_FIELD_NUMBER: _ClassVar[int]
    VOIDED_BLANK_FIELD_NUMBER: _ClassVar[int]
    LOST_FIELD_NUMBER: _ClassVar[int]
    DESTROYED_FIELD_NUMBER: _ClassVar[int]
    IN_STOCK_FIELD_NUMBER: _ClassVar[int]
    holder: str
    first_issued: int
    replacements: int
    reissues: int
    voided_issued: int
    voided_blank: int
    lost: int
    destroyed: int
    in_stock: int
    def __init__(self, holder: _Optional[str] = ..., first_issued: _Optional[int] = ..., replacements: _Optional[int] = ..., reissues: _Optional[int] = ..., voided_issued: _Optional[int] = ..., voided_blank: _Optional[int] = ..., lost: _Optional[int] = ..., destroyed: _Optional[int] = ..., in_stock: _Optional[int] = ...) -> None: ...

class BirthCertificateReport(_message.Message):
    __slots__ = ("parent", "month", "total", "holders")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    HOLDERS_FIELD_NUMBER: _ClassVar[int]
    parent: str
    month: str
    total: BirthCertificateMonth
    holders: _containers.RepeatedCompositeFieldContainer[BirthCertificateMonth]
    def __init__(self, parent: _Optional[str] = ..., month: _Optional[str] = ..., total: _Optional[_Union[BirthCertificateMonth, _Mapping]] = ..., holders: _Optional[_Iterable[_Union[BirthCertificateMonth, _Mapping]]] = ...) -> None: ...

class NationalReportEvent(_message.Message):
    __slots__ = ("event_id", "certificate", "kind", "state", "position", "attempts", "last_error", "enqueue_time", "due_time", "held_behind")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    ENQUEUE_TIME_FIELD_NUMBER: _ClassVar[int]
    DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    HELD_BEHIND_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    certificate: str
    kind: str
    state: str
    position: int
    attempts: int
    last_error: str
    enqueue_time: _timestamp_pb2.Timestamp
    due_time: _timestamp_pb2.Timestamp
    held_behind: int
    def __init__(self, event_id: _Optional[str] = ..., certificate: _Optional[str] = ..., kind: _Optional[str] = ..., state: _Optional[str] = ..., position: _Optional[int] = ..., attempts: _Optional[int] = ..., last_error: _Optional[str] = ..., enqueue_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., held_behind: _Optional[int] = ...) -> None: ...

class BirthCertificateIssuerDesignation(_message.Message):
    __slots__ = ("region", "issuer", "document_ref", "designated_by", "update_time")
    REGION_FIELD_NUMBER: _ClassVar[int]
    ISSUER_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_REF_FIELD_NUMBER: _ClassVar[int]
    DESIGNATED_BY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    region: str
    issuer: str
    document_ref: str
    designated_by: str
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, region: _Optional[str] = ..., issuer: _Optional[str] = ..., document_ref: _Optional[str] = ..., designated_by: _Optional[str] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
