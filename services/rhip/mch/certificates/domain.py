"""Birth medical certificates as plain Python (DOMAIN §4.3, §4.5): the issuance types, the
certificate states, replacement grounds, the page rule, the printed fields and their digest,
and the checks of what a clerk types. No gRPC, no SQL.

One child, one valid certificate, one number: a child is keyed by its newborn (a birth in an
institution) or by its resident (a birth outside one); a replacement or reissue supersedes the
valid certificate and takes its place, on a new serial."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import Enum

from rhip.kit.errors import Violations
from rhip.kit.requests import check_no_controls


class IssuanceType(Enum):
    FIRST = "FIRST"
    REPLACEMENT = "REPLACEMENT"
    REISSUE = "REISSUE"


class CertificateState(Enum):
    VALID = "VALID"
    REPLACED = "REPLACED"
    REISSUED = "REISSUED"
    VOID = "VOID"


class Ground(Enum):
    """Replacement grounds (Zhejiang list, DOMAIN §4.3)."""

    ISSUER_ERROR = "ISSUER_ERROR"
    ALTERED = "ALTERED"
    SECONDARY_PAGE_DETACHED = "SECONDARY_PAGE_DETACHED"
    DAMAGED = "DAMAGED"
    PARENTAGE_CHANGE = "PARENTAGE_CHANGE"
    POLICE_REQUEST = "POLICE_REQUEST"


class Pages(Enum):
    MAIN_AND_SECONDARY = "MAIN_AND_SECONDARY"
    MAIN_ONLY = "MAIN_ONLY"


class PlaceType(Enum):
    """出生地分类, the regional dictionary's codes."""

    HOSPITAL = 1
    MCH_INSTITUTE = 2
    HOME = 3
    OTHER = 9


class Health(Enum):
    GOOD = "GOOD"
    FAIR = "FAIR"
    POOR = "POOR"


class ApplicantKind(Enum):
    """Who applies for a first certificate (DOMAIN §4.3; rules in applicants.py)."""

    MOTHER = "MOTHER"
    AUTHORIZED_PERSON = "AUTHORIZED_PERSON"


@dataclass(frozen=True)
class Applicant:
    kind: ApplicantKind | None = None  # None: not given (refused on a first issue)
    name: str = ""  # an authorized person's; sealed at rest, never logged
    relationship: str = ""  # an authorized person's relationship to the child
    authorization_ref: str = ""  # the mother's signed authorization on file


DOCUMENT_TYPES = ("RESIDENT_ID", "PASSPORT", "HK_MACAO_PERMIT", "TAIWAN_PERMIT",
                  "HOUSEHOLD_REGISTER")  # fmt: skip


def page_rule(child_in_household_register: bool) -> Pages:
    """Replacement and reissue: main page only once the child is in the household register,
    main and secondary pages otherwise; a first issue always has both (DOMAIN §4.3)."""
    return Pages.MAIN_ONLY if child_in_household_register else Pages.MAIN_AND_SECONDARY


@dataclass(frozen=True)
class Parent:
    name: str = ""
    age: int = 0
    nationality: str = ""
    ethnicity: str = ""
    address: str = ""
    document_type: str = ""  # one of DOCUMENT_TYPES, "" when blank
    document_number: str = ""

    @property
    def blank(self) -> bool:
        return not any((self.name, self.age, self.nationality, self.ethnicity, self.address,
                        self.document_type, self.document_number))  # fmt: skip


@dataclass(frozen=True)
class Printed:
    """What is printed on the certificate (DOMAIN §4.5); sealed at rest, digested for the
    signed code."""

    number: str
    child_name: str
    sex: str
    birth_time: str  # ISO 8601, UTC
    gestational_weeks: int
    weight_g: int
    length_cm: float
    birth_region_code: str
    place_type: int
    birth_institution: str
    health: str
    mother: Parent
    father: Parent | None
    father_unknown_statement: bool
    midwife: str
    issuer: str  # tenants/{id}
    issue_date: str
    pages: str
    edition: int

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Printed:
        data = json.loads(text)
        data["mother"] = Parent(**data["mother"])
        data["father"] = Parent(**data["father"]) if data["father"] else None
        return cls(**data)

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of every printed field (hex)."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()


@dataclass(frozen=True)
class Certificate:
    number: str
    child_key: str  # newborn:{id} or resident:{id}
    newborn_id: str
    child_resident_id: str
    type: IssuanceType
    state: CertificateState
    issuer_tenant_id: str
    scope_path: str  # the issuing institution's scope
    issue_date: date
    printed: Printed
    issued_by: str
    create_time: datetime
    update_time: datetime
    supersedes: str = ""
    superseded_by: str = ""
    ground: Ground | None = None
    pages: Pages = Pages.MAIN_AND_SECONDARY
    loss_ref: str = ""
    parentage_test_ref: str = ""
    void_reason: str = ""
    name_hash: str = ""
    # First issue only (DOMAIN §4.3): who applied, why late (when it was), and the county of
    # the intended household registration (required outside an institution, §4.2).
    applicant: Applicant | None = None
    late_explanation: str = ""
    household_region_code: str = ""


@dataclass(frozen=True)
class Designation:
    """The institution a county's health administration designated for its birth
    certificates (DOMAIN §4.2, §4.3): it reissues, replaces and voids the county's certificates
    first issued by another institution, and issues those of births outside an institution."""

    county: str  # 6-digit county code
    tenant_id: str
    document_ref: str
    designated_by: str
    update_time: datetime


def county_of(scope: str) -> str:
    """The county code of a scope path (`86/32/3203/320311/t-…` → `320311`), "" above one."""
    parts = scope.split("/")
    return parts[3] if len(parts) > 3 and not parts[3].startswith("t-") else ""


def mother_differs(given: Parent, documents: tuple[str, ...], name: str) -> str:
    """What makes the mother on a first issue another person than the delivery's mother in
    the master index (DOMAIN §4.3: "if the mother's ID does not match the delivery record, a
    parentage test is required"): ``document`` when her document number is none of the
    documents on file for the delivery's mother (any type: a household register carries the
    ID card's number; a travel permit the index does not hold counts as a difference),
    ``name`` when a name is given and is not hers; "" when she is the delivery's mother."""
    if given.document_number.strip().upper() not in documents:
        return "document"
    if given.name and normalise_name(given.name) != normalise_name(name):
        return "name"
    return ""


def normalise_name(name: str) -> str:
    """How names are compared on verification: NFKC, no spaces or middle dots."""
    text = unicodedata.normalize("NFKC", name)
    return "".join(ch for ch in text if not ch.isspace() and ch not in "·•.")


def check_text(value: str, path: str, checks: Violations, *, required: bool, limit: int) -> str:
    value = value.strip()
    if required and not value:
        checks.add(path, "must be set", "FIELD_REQUIRED")
    elif len(value) > limit:
        checks.add(path, f"at most {limit} characters", "TEXT_TOO_LONG")
    elif value:
        checks.check(check_no_controls, value, path)
    return value


def check_parent(p: Parent, path: str, checks: Violations, *, name_required: bool) -> Parent:
    name = check_text(p.name, f"{path}.name", checks, required=name_required, limit=50)
    if not 0 <= p.age <= 80:
        checks.add(f"{path}.age", "must be 0–80 (0: computed)", "AGE_OUT_OF_RANGE")
    nationality = check_text(p.nationality, f"{path}.nationality", checks, required=True, limit=30)
    ethnicity = check_text(p.ethnicity, f"{path}.ethnicity", checks, required=False, limit=20)
    address = check_text(p.address, f"{path}.address", checks, required=True, limit=200)
    if p.document_type not in DOCUMENT_TYPES:
        checks.add(f"{path}.document_type", "must be set", "DOCUMENT_TYPE_REQUIRED")
    number = check_text(p.document_number, f"{path}.document_number", checks, required=True,
                        limit=30).upper()  # fmt: skip
    return Parent(name, p.age, nationality, ethnicity or "/", address, p.document_type, number)


def masked(number: str) -> str:
    """A document number as answers show it: first 3 and last 2 characters."""
    if len(number) <= 5:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 5) + number[-2:]
