"""The services take a day of care from their UTC clocks through ``clinical_day`` (China
Standard Time), never from the process's local time and never as the UTC date of a moment:
a container's local time is whatever its image says, and the UTC date is yesterday in China
from 00:00 to 08:00. The tests run in China Standard Time (tests/conftest.py), so code that
read local time would pass them and fail in production: this test reads the source instead.
The behaviour at dawn is in tests/mch/test_clinical_day.py."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

from rhip.kit.day_counts import stored_day
from rhip.kit.timestamps import clinical_day

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "services" / "rhip", ROOT / "libs" / "rhip"]
GENERATED = ROOT / "libs" / "rhip" / "api"
# Local time: whatever the machine's zone is.
LOCAL_TIME = re.compile(
    r"date\.today\(\)|datetime\.now\(\)|datetime\.today\(\)|datetime\.utcnow\(|time\.localtime\("
)
# The UTC date of a clock reading or of "now".
UTC_DATE_OF_NOW = re.compile(r"clock\(\)\.date\(\)|\bnow\.date\(\)|now\(UTC\)\.date\(\)")


def _sources() -> list[Path]:
    return [
        path
        for base in SOURCES
        for path in sorted(base.rglob("*.py"))
        if GENERATED not in path.parents
    ]


def test_no_service_reads_the_local_time_or_the_utc_date_of_now() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if LOCAL_TIME.search(line) or UTC_DATE_OF_NOW.search(line)
    ]
    assert not found, "use rhip.kit.timestamps.clinical_day(clock()):\n" + "\n".join(found)


def test_the_scan_sees_the_services() -> None:
    names = {path.name for path in _sources()}
    assert {"registration.py", "usecases.py", "timestamps.py"} <= names


def test_the_clinical_day_is_the_day_in_china() -> None:
    assert clinical_day(datetime(2026, 12, 7, 15, 59, tzinfo=UTC)) == date(2026, 12, 7)
    assert clinical_day(datetime(2026, 12, 7, 16, 0, tzinfo=UTC)) == date(2026, 12, 8)
    assert clinical_day(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == date(2027, 1, 1)


def test_a_stored_time_counts_on_its_china_day_naive_or_not() -> None:
    """Counts (archives, mch) date a creation by its China day; SQLite's naive times are UTC."""
    assert stored_day(datetime(2026, 12, 7, 17, 30)) == date(2026, 12, 8)
    assert stored_day(datetime(2026, 12, 7, 17, 30, tzinfo=UTC)) == date(2026, 12, 8)
    assert stored_day(datetime(2026, 12, 7, 15, 30)) == date(2026, 12, 7)
