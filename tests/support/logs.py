"""An autouse check that no log line of a test carried an ID-shaped number (18 characters
ending in a digit or X, or the old 15 digits). Use it from a conftest::

    from support.logs import no_id_numbers_in_logs  # noqa: F401  (autouse)

Archives' 17-digit record numbers are not ID-shaped (a longer or shorter run of digits does
not match), so they may be logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest

# 18 characters (17 digits + digit or X) or 15 digits, not part of a longer run of digits.
ID_SHAPED = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


@pytest.fixture(autouse=True)
def no_id_numbers_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test of the package also checks that no log line carried an ID number."""
    caplog.set_level(logging.INFO)
    yield
    leaked = [r.getMessage() for r in caplog.records if ID_SHAPED.search(r.getMessage())]
    assert not leaked, f"{len(leaked)} log line(s) carry an ID-shaped number"
