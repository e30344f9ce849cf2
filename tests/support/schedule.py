"""The order in which ``make test``'s two workers take the test files.

``make test`` hands out whole files (``--dist loadfile``) in collection order
(``--no-loadscope-reorder``). pytest-xdist's own order, most tests first, left the few-test,
minute-long files (the security suite's, the platform tests') for the end, where one worker ran
them while the other had nothing left: the run waited minutes on its slowest file. The files
below, each measured at over half a minute of one worker (``pytest --durations=0``, summed per
file), go first, slowest first; every other file follows in collection order.
"""

from __future__ import annotations

import pytest

SLOWEST_FIRST = (
    "tests/security/test_bad_input.py",
    "tests/security/test_isolation.py",
    "tests/security/test_isolation_http.py",
    "tests/mch/test_certificates_national_kill.py",
    "tests/console/test_admin.py",
    "tests/security/test_tokens.py",
    "tests/mch/test_pregnancies.py",
    "tests/mch/test_indicator_counts.py",
    "tests/console/test_clinic.py",
    "tests/locator/test_locator.py",
    "tests/faults/test_faults.py",
    "tests/e2e/test_referral_across_cells.py",
    "tests/mch/test_certificates_issue.py",
    "tests/mch/test_deliveries.py",
    "tests/console/test_stock_spotchecks.py",
    "tests/console/test_imports.py",
    "tests/mch/test_children.py",
    "tests/e2e/test_migration_across_cells.py",
    "tests/archives/test_across_cells_inprocess.py",
    "tests/mch/test_child_transfers.py",
    "tests/archives/test_indicator_counts.py",
    "tests/security/test_http_parity.py",
    "tests/e2e/test_links_across_cells.py",
)


def slowest_first(items: list[pytest.Item]) -> None:
    """Reorder ``items`` in place: the files of SLOWEST_FIRST first, in its order; the rest
    after them in their own order (a stable sort)."""
    rank = {path: i for i, path in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))
