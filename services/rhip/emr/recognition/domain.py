"""Results mutual recognition (检查检验结果互认, docs/domain §6.4) as plain Python: a result item
must be accepted by a viewing institution on a day when it carries the HR mark of a scope
containing the viewer's region, took part in and passed the quality evaluation (QC) for a
period covering the result, and is not older than the validity window configured for its
class and the viewer's region. The physician's conclusion is never recognised (it is not a
result item). Every verdict says why not."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from rhip.emr.documents.domain import NATIONAL, result_day
from rhip.emr.settings import RecognitionWindows
from rhip.kit.tenancy import region_path


def mark_contains(regions: list[str], viewer_path: str) -> bool:
    for code in regions:
        if code == NATIONAL:
            return True
        scope = region_path(code)
        if viewer_path == scope or viewer_path.startswith(scope + "/"):
            return True
    return False


def judge(
    item: Mapping[str, Any],
    effective: datetime,
    viewer_path: str,
    day: date,
    windows: RecognitionWindows,
) -> list[str]:
    """Why ``item`` need not be recognised by a viewer at ``viewer_path`` on ``day`` (an
    empty list: it must be)."""
    reasons = []
    regions = list(item.get("recognition_regions") or [])
    if not regions or not item.get("recognition_mark"):
        reasons.append("NOT_MARKED")
    elif not mark_contains(regions, viewer_path):
        reasons.append("MARK_SCOPE_EXCLUDES_VIEWER")
    if not item.get("qc_passed"):
        reasons.append("QC_NOT_PASSED")
    reported = result_day(item, effective)
    start, end = item.get("qc_period_start") or "", item.get("qc_period_end") or ""
    if not start or not end:
        reasons.append("QC_PERIOD_MISSING")
    elif not date.fromisoformat(start) <= reported <= date.fromisoformat(end):
        reasons.append("QC_PERIOD_LAPSED")
    if reported > day:
        reasons.append("RESULT_AFTER_DATE")
    elif (day - reported).days > windows.days(item.get("result_class", ""), viewer_path):
        reasons.append("OUTSIDE_VALIDITY_WINDOW")
    return reasons
