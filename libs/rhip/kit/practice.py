"""Physicians' practice credentials (执业注册, docs/domain §5.2): the clinical professional
titles (卫生专业技术职称, physicians' series) and the date independent practice began. Identity
records them per practitioner (an administrator's registration); the referral service checks
teleconsultation staffing against them. One validation for both, here."""

from __future__ import annotations

import re
from datetime import date

from rhip.kit.errors import Violations
from rhip.kit.timestamps import parse_iso_date

# Lowest first.
TITLES = ("住院医师", "主治医师", "副主任医师", "主任医师")
# 医师执业证书编码: 15 digits today; older certificates carry letters. Kept as issued.
_CERTIFICATE = re.compile(r"^[0-9A-Za-z]{6,30}$")


def check_credentials(
    title: str,
    since: str,
    today: date,
    checks: Violations,
    *,
    title_field: str = "professional_title",
    since_field: str = "independent_practice_since",
) -> date | None:
    """Bad input only: a known title, and a practice start that is a date not in the future.
    Returns the start date when it is valid."""
    if not title:
        checks.add(title_field, "must be set", "FIELD_REQUIRED")
    elif title not in TITLES:
        checks.add(title_field, "must be one of " + ", ".join(TITLES), "TITLE_UNKNOWN")
    if not since:
        checks.add(since_field, "must be set", "DATE_REQUIRED")
        return None
    day = checks.check(parse_iso_date, since, since_field)
    if day is not None and day > today:
        checks.add(since_field, "must not be in the future", "DATE_IN_FUTURE")
        return None
    return day


def check_certificate(number: str, checks: Violations, field: str) -> str:
    """The practice certificate number, optional: letters and digits, 6–30."""
    number = number.strip()
    if number and not _CERTIFICATE.match(number):
        checks.add(field, "must be 6–30 letters or digits", "CERTIFICATE_FORMAT")
    return number
