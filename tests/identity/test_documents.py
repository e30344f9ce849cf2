"""Identity-document rules (docs/domain §1.1), one test per rule, on the synthetic numbers of
docs/domain §1.1 (never a real person's). Each would fail without its rule."""

from __future__ import annotations

from datetime import date

import pytest
from rhip.identity.residents.documents import (
    DocumentType,
    Sex,
    id_check_char,
    mask_number,
    parse_document,
)
from rhip.identity.residents.domain import Demographics, check_demographics
from rhip.kit.errors import InvalidArgument, Violations

TODAY = date(2026, 11, 23)
ID = DocumentType.RESIDENT_ID_CARD


def parse(number: str, doc_type: DocumentType = ID, **kw):  # type: ignore[no-untyped-def]
    return parse_document(doc_type, number, today=TODAY, **kw)


def rejected(number: str, doc_type: DocumentType = ID, **kw) -> InvalidArgument:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgument) as caught:
        parse(number, doc_type, **kw)
    if number.strip():
        assert number.strip().upper() not in caught.value.message  # never echo the number
    return caught.value


def with_check(body17: str) -> str:
    return body17 + id_check_char(body17)


@pytest.mark.parametrize(
    "number",
    ["11010519491231002X", "540102199003071213", "320302198512070310", "370402200002290043",
     "220602197806150525", "650102199901010012"],
)  # fmt: skip
def test_domain_fixtures_are_valid(number: str) -> None:
    assert parse(number).number == number


def test_check_character_is_iso7064_mod_11_2() -> None:
    assert id_check_char("11010519491231002") == "X"
    assert id_check_char("54010219900307121") == "3"
    error = rejected("110105194912310021")
    assert error.reason == "ID_CHECK_DIGIT"
    assert error.violations[0].field == "document.number"
    assert "should be X, got 1" in error.violations[0].description


def test_lower_case_x_is_normalised() -> None:
    assert parse("11010519491231002x").number == "11010519491231002X"


@pytest.mark.parametrize(
    "number", ["1101051949123100", "11010519491231002Y", "A10105194912310020", "", "12345"]
)
def test_format(number: str) -> None:
    reason = "DOCUMENT_NUMBER_REQUIRED" if not number else "ID_FORMAT"
    assert rejected(number).reason == reason


def test_birth_date_must_be_real() -> None:
    assert rejected(with_check("11010519000229001")).reason == "ID_BIRTH_DATE"  # 1900: no leap
    assert parse(with_check("37040220000229004")).birth_date == date(2000, 2, 29)


def test_birth_date_not_in_the_future() -> None:
    assert rejected(with_check("32030220261124031")).reason == "ID_BIRTH_DATE"
    assert parse(with_check("32030220261123031")).birth_date == TODAY


def test_birth_date_lower_bound() -> None:
    assert rejected(with_check("32030218791231031")).reason == "ID_BIRTH_DATE"


def test_province_prefix_must_be_known() -> None:
    assert rejected(with_check("99010219900307121")).reason == "ID_PROVINCE"
    # Hong Kong / Macao / Taiwan prefixes belong to residence permits, not citizen ID cards.
    assert rejected(with_check("81000019900307121")).reason == "ID_PROVINCE"


def test_address_code_must_have_existed_in_gb_t_2260() -> None:
    # Never a county code (python-stdnum's GB/T 2260 data, current and historical).
    for body in ("32999919900307121", "37069919900307121", "65999919900307121"):
        assert rejected(with_check(body)).reason == "ID_ADDRESS_CODE", body[:6]
    assert rejected("329999900307121").reason == "ID_ADDRESS_CODE"  # the 15-digit form too
    # In force today, far from the demo counties: accepted.
    assert parse(with_check("37068519900307121")).number.startswith("370685")
    assert parse(with_check("65400219900307121")).number.startswith("654002")


def test_historical_address_codes_are_accepted() -> None:
    # 110103 崇文区 (merged into 东城区 in 2010), 320323 铜山县 (now 320312 铜山区), 542100
    # 昌都地区 (now 540300): an ID number keeps its code when divisions change.
    for body in ("11010319800307121", "32032319950307121", "54210019700307121"):
        assert parse(with_check(body)).number[:6] == body[:6]
    assert parse("110103800307121").number == with_check("11010319800307121")


def test_sex_comes_from_the_sequence_digit() -> None:
    assert parse("540102199003071213").sex is Sex.MALE  # 121: odd
    assert parse("11010519491231002X").sex is Sex.FEMALE  # 002: even


def test_legacy_15_digits_convert_to_18_and_keep_the_original() -> None:
    document = parse("320302851207031")
    assert document.number == "320302198512070310"
    assert document.legacy_number == "320302851207031"
    assert document.birth_date == date(1985, 12, 7)


def test_hmt_residence_permit() -> None:
    number = with_check("81000019900101123")
    assert parse(number, DocumentType.HMT_RESIDENCE_PERMIT).number == number
    wrong_prefix = with_check("32030219900101123")
    assert rejected(wrong_prefix, DocumentType.HMT_RESIDENCE_PERMIT).reason == "HMT_PERMIT_PREFIX"
    bad_check = number[:17] + ("0" if number[17] != "0" else "1")
    assert rejected(bad_check, DocumentType.HMT_RESIDENCE_PERMIT).reason == "ID_CHECK_DIGIT"


def test_foreign_permanent_resident_card_both_forms() -> None:
    new = with_check("93215619850101001")
    assert parse(new, DocumentType.FOREIGN_PERMANENT_RESIDENT_ID).number == new
    assert parse("USA320185010100", DocumentType.FOREIGN_PERMANENT_RESIDENT_ID).number
    not_nine = with_check("13215619850101001")
    assert rejected(not_nine, DocumentType.FOREIGN_PERMANENT_RESIDENT_ID).reason == "FPR_FORMAT"


def test_passport_needs_an_issuing_country() -> None:
    assert parse("E12345678", DocumentType.PASSPORT, issuing_country="chn").issuing_country == "CHN"
    error = rejected("E12345678", DocumentType.PASSPORT)
    assert error.reason == "PASSPORT_FORMAT"
    assert [v.field for v in error.violations] == ["document.issuing_country"]


def test_birth_certificate_number_format() -> None:
    assert parse("X320101001", DocumentType.BIRTH_CERTIFICATE).number == "X320101001"
    assert rejected("X32010100", DocumentType.BIRTH_CERTIFICATE).reason == "BMC_NUMBER_FORMAT"
    assert not parse("X320101001", DocumentType.BIRTH_CERTIFICATE).verifies_identity


def test_document_type_is_required() -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_document(None, "320302198512070310", today=TODAY)
    assert caught.value.reason == "DOCUMENT_TYPE_REQUIRED"


def test_masking_keeps_four_and_four() -> None:
    assert mask_number("320302198512070310") == "3203**********0310"
    assert mask_number("E12345678") == "E*******8"


def _demographics(sex: Sex, born: date | None = None, reason: str = "") -> Violations:
    checks = Violations()
    check_demographics(
        Demographics("张三", sex, born), parse("320302198512070310"), reason, TODAY, checks
    )
    return checks


def test_stated_sex_must_match_the_sex_digit_unless_overridden() -> None:
    with pytest.raises(InvalidArgument) as caught:
        _demographics(Sex.FEMALE).raise_if_any()
    assert caught.value.reason == "ID_SEX_MISMATCH"
    assert caught.value.violations[0].field == "resident.sex"
    _demographics(Sex.FEMALE, reason="gender reassignment on record").raise_if_any()
    _demographics(Sex.MALE).raise_if_any()


def test_stated_birth_date_must_match_the_number() -> None:
    with pytest.raises(InvalidArgument) as caught:
        _demographics(Sex.MALE, date(1985, 12, 8)).raise_if_any()
    assert caught.value.reason == "BIRTH_DATE_MISMATCH"
    _demographics(Sex.MALE, date(1985, 12, 7)).raise_if_any()
