"""Identity documents of residents (docs/domain §1.1, §7.1): validation and normalisation.

A document is a ``(doc_type, number)`` pair. The 18-character citizen ID number (GB 11643-1999)
is the master key; other documents are aliases. Every rule here raises INVALID_ARGUMENT with
the field and a stable reason, and no message ever quotes the number itself.
Plain Python: no gRPC, no SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum

from rhip.kit.errors import FieldViolation, InvalidArgument, invalid
from rhip.kit.tenancy import catalog
from stdnum.cn import ric


class DocumentType(Enum):
    """WS 364 CV02.01.101 codes where one exists (in the comments)."""

    RESIDENT_ID_CARD = "resident_id_card"  # 01 居民身份证 (also accepts the 15-digit form)
    HMT_RESIDENCE_PERMIT = "hmt_residence_permit"  # 港澳台居民居住证
    FOREIGN_PERMANENT_RESIDENT_ID = "foreign_permanent_resident_id"  # 外国人永久居留身份证
    PASSPORT = "passport"  # 03 护照
    BIRTH_CERTIFICATE = "birth_certificate"  # 出生医学证明: links a newborn, verifies nobody


class Sex(Enum):
    """GB/T 2261.1: 1 male, 2 female; 0 and 9 for unknown and unstated."""

    UNKNOWN = "unknown"
    MALE = "male"
    FEMALE = "female"
    UNSTATED = "unstated"


# Province-level prefixes that appear in mainland citizen ID numbers (GB/T 2260, including
# codes of provinces since merged: an ID number never changes when divisions do).
MAINLAND_PROVINCES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37"}
    | {"41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64"}
    | {"65"}
)
# Residence permits for Hong Kong, Macao and Taiwan residents use these address codes with
# the same check algorithm (docs/domain §1.1, tagged [U]).
HMT_ADDRESS_CODES = frozenset({"810000", "820000", "830000"})
# Practical lower bound for a birth date on a living person's document (docs/domain §1.1: [U]).
EARLIEST_BIRTH = date(1880, 1, 1)

_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID15 = re.compile(r"^\d{15}$")
_FPR_OLD = re.compile(r"^[A-Z]{3}\d{12}$")  # 2004 card: three letters + 12 digits
_PASSPORT = re.compile(r"^[A-Z0-9]{5,17}$")
_COUNTRY = re.compile(r"^[A-Z]{3}$")
_BIRTH_CERT = re.compile(r"^[A-Z]\d{9}$")  # docs/domain §4.1: one letter and nine digits


def id_check_char(body17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of a 17-digit body (``stdnum.cn.ric``)."""
    return ric.calc_check_digit(body17 + "0")  # the library's argument includes a check slot


@dataclass(frozen=True)
class Document:
    """A validated document: ``number`` is normalised (upper case, 15 → 18 digits).
    ``legacy_number`` keeps a converted 15-digit original, stored as an alias."""

    doc_type: DocumentType
    number: str
    issuing_country: str = ""
    legacy_number: str = ""
    birth_date: date | None = None  # encoded in the number, where the type encodes one
    sex: Sex | None = None  # likewise

    @property
    def verifies_identity(self) -> bool:
        """A birth certificate links a newborn; every other type verifies the person."""
        return self.doc_type is not DocumentType.BIRTH_CERTIFICATE

    @property
    def masked(self) -> str:
        return mask_number(self.number)


def mask_number(number: str) -> str:
    """Keep the first four and last four characters (GB/T 35273 de-identification for display):
    ``3203**********0310``. Short numbers keep less."""
    keep = 4 if len(number) >= 12 else 1
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:]


def _fail(field: str, description: str, reason: str) -> InvalidArgument:
    return invalid(field, description, reason)


def _birth_date(digits8: str, field: str, today: date) -> date:
    try:
        born = date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:8]))
    except ValueError:
        raise _fail(
            field, "the birth date it encodes is not a real date", "ID_BIRTH_DATE"
        ) from None
    if born > today:
        raise _fail(field, "the birth date it encodes is in the future", "ID_BIRTH_DATE")
    if born < EARLIEST_BIRTH:
        raise _fail(field, "the birth date it encodes is before 1880", "ID_BIRTH_DATE")
    return born


def _check_18(number: str, field: str, today: date) -> tuple[date, Sex]:
    """Check character, birth date and sex digit of an 18-character MOD 11-2 number."""
    problems: list[FieldViolation] = []
    expected = id_check_char(number[:17])
    reason = ""
    if expected != number[17]:
        problems.append(
            FieldViolation(field, f"check character should be {expected}, got {number[17]}")
        )
        reason = "ID_CHECK_DIGIT"
    try:
        born = _birth_date(number[6:14], field, today)
    except InvalidArgument as error:
        problems.extend(error.violations)
        reason = reason or error.reason
        born = today
    if problems:
        raise InvalidArgument(
            "; ".join(v.description for v in problems), reason=reason, violations=problems
        )
    return born, Sex.MALE if int(number[16]) % 2 else Sex.FEMALE


def _resident_id(raw: str, field: str, today: date) -> Document:
    number = raw.strip().upper()  # lower-case x is accepted and stored as X
    legacy = ""
    if _ID15.match(number):
        # GB 11643-1989: YYMMDD of a 20th-century birth; insert 19, then compute the check.
        legacy = number
        body = number[:6] + "19" + number[6:]
        number = body + id_check_char(body)
    elif not _ID18.match(number):
        raise _fail(
            field,
            "must be 18 characters (17 digits and a digit or X) or a 15-digit legacy number",
            "ID_FORMAT",
        )
    if number[:2] not in MAINLAND_PROVINCES:
        raise _fail(field, "does not start with a known province code", "ID_PROVINCE")
    if not catalog().ever_existed(number[:6]):
        # The address code of first registration: a county in force then, so a code since
        # merged or renamed is accepted; one that never existed in GB/T 2260 is not. (Not
        # stdnum.cn.ric's birth-year window: its data starts in the 1980s, and the code is the
        # one in force when the number was issued, which can be years after the birth.)
        raise _fail(field, "its address code is not a GB/T 2260 county code", "ID_ADDRESS_CODE")
    born, sex = _check_18(number, field, today)
    return Document(
        DocumentType.RESIDENT_ID_CARD, number, legacy_number=legacy, birth_date=born, sex=sex
    )


def _hmt_permit(raw: str, field: str, today: date) -> Document:
    number = raw.strip().upper()
    if not _ID18.match(number):
        raise _fail(field, "must be 18 characters (17 digits and a digit or X)", "ID_FORMAT")
    if number[:6] not in HMT_ADDRESS_CODES:
        raise _fail(field, "must start with 810000, 820000 or 830000", "HMT_PERMIT_PREFIX")
    born, sex = _check_18(number, field, today)
    return Document(DocumentType.HMT_RESIDENCE_PERMIT, number, birth_date=born, sex=sex)


def _foreign_permanent(raw: str, field: str, today: date) -> Document:
    number = raw.strip().upper()
    if _FPR_OLD.match(number):
        return Document(DocumentType.FOREIGN_PERMANENT_RESIDENT_ID, number)
    if not (_ID18.match(number) and number[0] == "9"):
        raise _fail(
            field,
            "must be the 2023 form (18 characters starting with 9) or the 2004 form "
            "(3 letters and 12 digits)",
            "FPR_FORMAT",
        )
    expected = id_check_char(number[:17])
    if expected != number[17]:
        raise _fail(
            field, f"check character should be {expected}, got {number[17]}", "ID_CHECK_DIGIT"
        )
    return Document(DocumentType.FOREIGN_PERMANENT_RESIDENT_ID, number)


def _passport(raw: str, country: str, field: str) -> Document:
    number = raw.strip().upper()
    country = country.strip().upper()
    problems: list[FieldViolation] = []
    if not _PASSPORT.match(number):
        problems.append(FieldViolation(field, "must be 5–17 letters or digits"))
    if not _COUNTRY.match(country):
        problems.append(
            FieldViolation(
                field.rsplit(".", 1)[0] + ".issuing_country",
                "must be the ISO 3166-1 alpha-3 code of the issuing country",
            )
        )
    if problems:
        raise InvalidArgument(
            "; ".join(v.description for v in problems),
            reason="PASSPORT_FORMAT",
            violations=problems,
        )
    return Document(DocumentType.PASSPORT, number, issuing_country=country)


def birth_certificate(raw: str, field: str) -> Document:
    number = raw.strip().upper()
    if not _BIRTH_CERT.match(number):
        raise _fail(field, "must be one letter and nine digits", "BMC_NUMBER_FORMAT")
    return Document(DocumentType.BIRTH_CERTIFICATE, number)


def parse_document(
    doc_type: DocumentType | None,
    number: str,
    *,
    today: date,
    issuing_country: str = "",
    field: str = "document",
) -> Document:
    """Validate and normalise a document; INVALID_ARGUMENT names ``{field}.number`` or
    ``{field}.type`` and the rule that failed."""
    if doc_type is None:
        raise _fail(f"{field}.type", "must be set", "DOCUMENT_TYPE_REQUIRED")
    number_field = f"{field}.number"
    if not number.strip():
        raise _fail(number_field, "must not be empty", "DOCUMENT_NUMBER_REQUIRED")
    if doc_type is DocumentType.RESIDENT_ID_CARD:
        return _resident_id(number, number_field, today)
    if doc_type is DocumentType.HMT_RESIDENCE_PERMIT:
        return _hmt_permit(number, number_field, today)
    if doc_type is DocumentType.FOREIGN_PERMANENT_RESIDENT_ID:
        return _foreign_permanent(number, number_field, today)
    if doc_type is DocumentType.PASSPORT:
        return _passport(number, issuing_country, number_field)
    return birth_certificate(number, number_field)


def lookup_key(doc_type: DocumentType, number: str, issuing_country: str = "") -> str:
    """What the keyed hash covers: a passport number is unique only per issuing country."""
    return f"{doc_type.value}|{issuing_country}|{number}"
