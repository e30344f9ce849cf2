"""Fixtures for the locator's tests: two cells behind a gateway serving the locator."""

from locator.platform import platform  # noqa: F401  (the fixture)
from support.logs import no_id_numbers_in_logs  # noqa: F401  (autouse: no ID number in any log)
