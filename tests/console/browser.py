"""The console's test rig: the demo platform as real processes (a gateway with its HTTP
listener, the Jiangsu and Shandong cells seeded with ``--demo``) on loopback ports, headless
Chromium from Debian's packages driven through /usr/bin/chromedriver, a small HTTP client that
asks the same API the console asks (to hold the page's numbers against the RPC's answer), and
screenshots under ``test-artifacts/console/``."""

from __future__ import annotations

import base64
import http.client
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rhip.demo import DEMO_PASSWORD
from support.platform import free_port, wait_healthy, write_routes

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REQUIRE_BROWSER = os.environ.get("RHIP_TEST_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
WAIT = 20  # seconds a page may take to show what a test waits for
HTTP_TIMEOUT = 15


@dataclass
class ConsolePlatform:
    http_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/console/"

    def request(
        self, verb: str, path: str, body: Any = None, token: str = "", region: str = ""
    ) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if region:
            headers["x-rhip-region"] = region
        data = json.dumps(body).encode() if body is not None else None
        connection = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=HTTP_TIMEOUT)
        try:
            connection.request(verb, path, body=data, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
        finally:
            connection.close()

    def login(self, username: str, region: str) -> dict[str, Any]:
        status, body = self.request(
            "POST",
            "/identity/v1/tokens:login",
            {"password": {"username": username, "password": DEMO_PASSWORD}},
            region=region,
        )
        assert status == 200, body
        return dict(body)

    def get(self, path: str, token: str) -> Any:
        status, body = self.request("GET", path, token=token)
        assert status == 200, body
        return body


@contextmanager
def demo_platform(work: Path) -> Iterator[ConsolePlatform]:
    """The gateway first (the cells' archives seed through its resident locator), then the
    two cells, each seeding its demo data before it reports healthy."""
    cells = {"320000": f"127.0.0.1:{free_port()}", "370000": f"127.0.0.1:{free_port()}"}
    routes = write_routes(work / "routes.json", cells)
    gateway, http_port = f"127.0.0.1:{free_port()}", free_port()
    base_env = {
        **os.environ,
        "RHIP_DATA_DIR": str(work / "var"),
        "RHIP_ROUTES": str(routes),
        "RHIP_ARGON2_MEMORY_KIB": "8192",
    }
    processes: list[subprocess.Popen[bytes]] = []
    with ExitStack() as logs:

        def start(name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
            log = logs.enter_context((work / f"{name}.log").open("wb"))
            process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
            processes.append(process)
            return process

        try:
            rhip = [sys.executable, "-m", "rhip.cli"]
            env = {**base_env, "RHIP_GATEWAY_HTTP_LISTEN": f"127.0.0.1:{http_port}"}
            wait_healthy(gateway, start("gateway", [*rhip, "gateway", "--listen", gateway], env))
            started = {
                code: start(
                    code,
                    [*rhip, "serve", "--services", "all", "--demo"],
                    {
                        **base_env,
                        "RHIP_CELL": code,
                        "RHIP_LISTEN": address,
                        "RHIP_CELL_CLIENT_ID": f"cell-{code}",
                        "RHIP_CELL_CLIENT_SECRET": f"console-cell-secret-{code}",
                        "RHIP_GATEWAY_ADDRESS": gateway,
                    },
                )
                for code, address in cells.items()
            }
            for code, process in started.items():
                wait_healthy(cells[code], process)
            yield ConsolePlatform(http_port)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def chromium() -> Any:
    """Headless Chromium, or a skip (a failure in CI) naming the Debian packages to install."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        message = "browser tests need Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)"
        if REQUIRE_BROWSER:
            pytest.fail(message)
        pytest.skip(message)
    # Selenium Manager would look for (and fetch) a driver of its own; we name ours.
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root in a container
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--lang=zh-CN",
        "--no-first-run",
        "--disable-extensions",
        # Nothing leaves 127.0.0.1: no background traffic, and a dead proxy for any host but
        # loopback (which Chromium never sends through a proxy).
        "--disable-background-networking",
        "--proxy-server=http://127.0.0.1:9",
        "--disable-component-update",
        "--disable-sync",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def screenshot(driver: Any, name: str) -> Path:
    """The whole page, below the fold too (Chromium's DevTools capture beyond the viewport)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 6000), "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


class Page:
    """The console in the browser, addressed by its ``data-test`` names."""

    def __init__(self, driver: Any, platform: ConsolePlatform) -> None:
        self.driver = driver
        self.platform = platform

    def _wait(self) -> Any:
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait

        # A page re-renders while it loads: an element found a moment ago may be replaced.
        return WebDriverWait(self.driver, WAIT, ignored_exceptions=[StaleElementReferenceException])

    def css(self, test: str) -> str:
        return f'[data-test="{test}"]'

    def find(self, test: str, within: Any = None) -> Any:
        from selenium.webdriver.common.by import By

        self._wait().until(lambda d: (within or d).find_elements(By.CSS_SELECTOR, self.css(test)))
        return (within or self.driver).find_element(By.CSS_SELECTOR, self.css(test))

    def all(self, selector: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.driver.find_elements(By.CSS_SELECTOR, selector))

    def until(self, condition: Any, message: str = "") -> Any:
        return self._wait().until(lambda d: condition(), message)

    def fill(self, test: str, value: str) -> None:
        element = self.find(test)
        element.clear()
        element.send_keys(value)

    def set_value(self, test: str, value: str) -> None:
        """Set an input's value directly (date inputs take keys in the locale's order)."""
        self.driver.execute_script("arguments[0].value = arguments[1]", self.find(test), value)

    def choose(self, test: str, value: str) -> None:
        from selenium.webdriver.support.ui import Select

        Select(self.find(test)).select_by_value(value)

    def click(self, test: str) -> None:
        self.find(test).click()

    def go(self, fragment: str = "") -> None:
        self.driver.get(self.platform.url + (f"#/{fragment}" if fragment else ""))

    def sign_in(self, username: str, region: str, password: str = DEMO_PASSWORD) -> None:
        self.go()
        self.fill("username", username)
        self.fill("password", password)
        self.fill("region", region)
        self.click("login-submit")

    def signed_in(self) -> None:
        self.find("who")

    def session(self) -> dict[str, Any]:
        """The session the console keeps (its tokens), to ask the API what the page shows."""
        return dict(
            json.loads(self.driver.execute_script("return sessionStorage.getItem('rhip.session')"))
        )

    def sign_out(self) -> None:
        self.click("sign-out")
        self.find("login-form")

    def reset(self) -> None:
        """Signed out, in Chinese, as a new visitor."""
        self.go()
        self.driver.execute_script("sessionStorage.clear(); localStorage.clear();")
        self.driver.refresh()
        self.find("login-form")

    def shot(self, name: str) -> Path:
        return screenshot(self.driver, name)
