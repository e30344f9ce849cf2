"""The unified social credit code (GB 32100-2015) is checked by python-stdnum's stdnum.cn.uscc;
the platform keeps its field names and reasons."""

from __future__ import annotations

import pytest
from rhip.identity.directory.domain import validate_credit_code
from rhip.kit.errors import InvalidArgument
from support.cells import VALID_CREDIT_CODE


def _reason(code: str) -> str:
    with pytest.raises(InvalidArgument) as caught:
        validate_credit_code(code, "tenant.credit_code")
    assert caught.value.violations[0].field == "tenant.credit_code"
    return caught.value.reason


def test_valid_codes_are_normalised() -> None:
    assert validate_credit_code(" 91110000600037341l ", "f") == "91110000600037341L"  # stdnum's
    assert validate_credit_code(VALID_CREDIT_CODE, "f") == VALID_CREDIT_CODE


def test_bad_codes_name_the_rule() -> None:
    assert _reason("91110000600037341M") == "CREDIT_CODE_CHECK_CHAR"
    assert _reason("9111000060003734") == "CREDIT_CODE_FORMAT"  # too short
    assert _reason("91110000600O37341L") == "CREDIT_CODE_FORMAT"  # O is not in the alphabet
    assert _reason("9A110000600037341L") == "CREDIT_CODE_FORMAT"  # region code is digits
