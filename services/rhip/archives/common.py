"""What every archives feature checks alike, as plain Python: resource names, request ids and
reasons (rhip.kit.requests, under the names the archives modules use), dates, the
grassroots institutions that keep records, and the size of a form's repeated fields. No gRPC,
no SQL.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date
from typing import Any

from rhip.kit.errors import FailedPrecondition, Violations, invalid
from rhip.kit.requests import check_count, parse_resource_name
from rhip.kit.requests import validate_reason as validate_reason
from rhip.kit.requests import validate_request_id as validate_request_id
from rhip.kit.timestamps import parse_iso_date

parse_name = parse_resource_name  # the archives modules' name for it

# -- grassroots institutions (§2.2) -------------------------------------------------------------
# Tenant types (identity's TenantType values) that create, update and keep records.
GRASSROOTS_TYPES = frozenset(
    {
        "TENANT_TYPE_VILLAGE_CLINIC",
        "TENANT_TYPE_TOWNSHIP_HOSPITAL",
        "TENANT_TYPE_COMMUNITY_HEALTH_CENTER",
        "TENANT_TYPE_COMMUNITY_HEALTH_STATION",
    }
)


def require_grassroots(tenant_type: str) -> None:
    if tenant_type not in GRASSROOTS_TYPES:
        raise FailedPrecondition(
            "only township hospitals, village clinics and community health centres or stations "
            "create health records",
            reason="TENANT_NOT_GRASSROOTS",
        )


# -- dates ------------------------------------------------------------------------------------
def parse_date(
    text: str, field: str, *, today: date | None = None, required: bool = False
) -> date | None:
    if not text:
        if required:
            raise invalid(field, "must be set", "DATE_REQUIRED")
        return None
    value = parse_iso_date(text, field)  # strict YYYY-MM-DD in a sane range
    if today is not None and value > today:
        raise invalid(field, "must not be in the future", "DATE_IN_FUTURE")
    return value


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# -- forms -----------------------------------------------------------------------------------------
def check_form_counts(form: Mapping[str, Any], maxima: Mapping[str, int], prefix: str) -> None:
    """INVALID_ARGUMENT ``TOO_MANY_ITEMS`` naming every repeated field or map of ``form``
    longer than its maximum."""
    checks = Violations()
    for field, maximum in maxima.items():
        checks.check(check_count, form.get(field) or (), maximum, f"{prefix}.{field}")
    checks.raise_if_any()
