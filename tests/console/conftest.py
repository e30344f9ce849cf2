"""Fixtures of the console's browser tests: one demo platform and one browser per worker
process, shared by the console's test files (a demo platform takes some twenty seconds to start;
each test starts from the sign-in page, and what one test adds does not change another's
answers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console.browser import ConsolePlatform, Page, chromium, demo_platform


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsolePlatform]:
    with demo_platform(Path(tmp_path_factory.mktemp("console"))) as running:
        yield running


@pytest.fixture(scope="session")
def driver() -> Iterator[Any]:
    browser = chromium()
    try:
        yield browser
    finally:
        browser.quit()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(request: pytest.FixtureRequest, driver: Any, platform: ConsolePlatform) -> Iterator[Page]:
    page = Page(driver, platform)
    page.reset()
    yield page
    if request.node.stash.get(FAILED, False):  # what the browser showed when the test failed
        page.shot(f"failed-{request.node.name}")
    # Refusals the tests provoke log their HTTP status; a script error or a blocked resource
    # (the gateway's Content-Security-Policy allows only the console's own files) fails.
    broken = [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"] or "Uncaught" in entry["message"]
    ]
    assert not broken, broken
