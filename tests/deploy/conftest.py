"""Fixtures for the deployment checks: the chart rendered once per values file per worker."""

from __future__ import annotations

from typing import Any

import pytest

from deploy.chart import VALUES_FILES, render


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict[str, Any]]]:
    """values file name → the objects `helm template` renders with it."""
    return {name: render(name) for name in VALUES_FILES}
