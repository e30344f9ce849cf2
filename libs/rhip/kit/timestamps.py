"""Times and dates on the wire: ``google.protobuf.Timestamp`` from an aware datetime (UTC),
and the checks for dates and times a caller sends.

A date from a caller is strict ``YYYY-MM-DD`` (``date.fromisoformat`` alone also takes
``2026-W01-1`` and ``20260101``, which were stored verbatim) within ``EARLIEST_DATE`` …
``LATEST_DATE``: a year 9999 ``as_of`` or a timestamp of 10^15 seconds is a caller's mistake,
and beyond the range date arithmetic and JSON conversion fail (issue 12).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from google.protobuf.timestamp_pb2 import Timestamp
from rhip.kit.errors import invalid

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)
_EARLIEST_SECONDS = int(datetime(1900, 1, 1, tzinfo=UTC).timestamp())
_LATEST_SECONDS = int(datetime(2101, 1, 1, tzinfo=UTC).timestamp())
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The platform's regions are all in China: a day of care is a day of China Standard Time.
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")


def clinical_day(when: datetime) -> date:
    """The day (China Standard Time) of an aware ``when``: the day of care a timeline entry
    shows when the source knows no other (a referral accepted, a record created: the event
    is its own care), and of a document's encounter or effective time."""
    return when.astimezone(CHINA_STANDARD_TIME).date()


def to_timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def parse_iso_date(text: str, field: str) -> date:
    """``text`` as a calendar date: exactly ``YYYY-MM-DD``, a real day, within
    ``EARLIEST_DATE`` … ``LATEST_DATE``; INVALID_ARGUMENT (``DATE_FORMAT`` /
    ``DATE_OUT_OF_RANGE``) naming ``field`` otherwise."""
    if not _ISO_DATE.fullmatch(text):
        raise invalid(field, "must be a date YYYY-MM-DD", "DATE_FORMAT")
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise invalid(field, "must be a date YYYY-MM-DD", "DATE_FORMAT") from None
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise invalid(
            field,
            f"must lie between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}",
            "DATE_OUT_OF_RANGE",
        )
    return value


def from_timestamp(stamp: Timestamp, field: str) -> datetime:
    """A caller's ``Timestamp`` as an aware datetime, when it lies within the date range
    above (and its nanos are valid); INVALID_ARGUMENT ``TIMESTAMP_OUT_OF_RANGE`` otherwise."""
    if not (
        _EARLIEST_SECONDS <= stamp.seconds < _LATEST_SECONDS and 0 <= stamp.nanos < 1_000_000_000
    ):
        raise invalid(
            field,
            f"must lie between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}",
            "TIMESTAMP_OUT_OF_RANGE",
        )
    return stamp.ToDatetime(tzinfo=UTC)
