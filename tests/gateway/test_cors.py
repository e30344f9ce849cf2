"""CORS at the gateway's HTTP listener (rhip.gateway.cors), on a real gateway with two cells:
a listed origin's preflight is answered without a cell and its calls carry its own origin
back (with credentials); an unlisted origin gets no CORS header and its preflight a JSON 403;
the configuration refuses wildcards and paths. Off by default: test_http's gateway, which
lists none, answers without any CORS header (test_cors_is_off_by_default there)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gateway.http_platform import HttpPlatform, http_platform
from rhip.kit.config import ConfigError, load_settings

PORTAL = "https://portal.xz-health.example"
TENANTS = "/identity/v1/regions/320300/tenants"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpPlatform]:
    yield from http_platform(
        Path(tmp_path_factory.mktemp("cors")),
        RHIP_GATEWAY_CORS_ORIGINS=f"{PORTAL}/, http://127.0.0.1:5173",
    )


def _preflight(platform: HttpPlatform, origin: str, path: str = TENANTS):  # type: ignore[no-untyped-def]
    return platform.request(
        "OPTIONS",
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )


def test_a_listed_origin_is_answered_with_its_own_origin(platform: HttpPlatform) -> None:
    preflight = _preflight(platform, PORTAL)
    assert preflight.status == 204 and preflight.body is None
    assert preflight.headers["access-control-allow-origin"] == PORTAL
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "authorization" in preflight.headers["access-control-allow-headers"]
    assert "PATCH" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["vary"] == "Origin"

    token, _ = platform.login("xz-admin", "320300")
    listed = platform.request("GET", TENANTS, token=token, headers={"Origin": PORTAL})
    assert listed.status == 200
    assert listed.headers["access-control-allow-origin"] == PORTAL
    assert "x-request-id" in listed.headers["access-control-expose-headers"]
    # Errors carry them too, or the page could not read why it was refused.
    refused = platform.request("GET", TENANTS, headers={"Origin": PORTAL})
    assert refused.status == 401
    assert refused.headers["access-control-allow-origin"] == PORTAL
    local = _preflight(platform, "http://127.0.0.1:5173")
    assert local.headers["access-control-allow-origin"] == "http://127.0.0.1:5173"


def test_an_unlisted_origin_gets_no_cors_header(platform: HttpPlatform) -> None:
    for origin in ("https://evil.example", "https://portal.xz-health.example.evil.example", "null"):
        preflight = _preflight(platform, origin)
        assert preflight.status == 403, origin
        assert preflight.error["status"] == "PERMISSION_DENIED"
        assert preflight.reason == "CORS_ORIGIN_NOT_ALLOWED"
        assert not any(h.startswith("access-control-") for h in preflight.headers), origin
        token, _ = platform.login("xz-admin", "320300")
        answer = platform.request("GET", TENANTS, token=token, headers={"Origin": origin})
        # The server answers (CORS is the browser's rule), without letting the page read it.
        assert answer.status == 200
        assert not any(h.startswith("access-control-") for h in answer.headers), origin
        assert answer.headers["vary"] == "Origin"


def test_a_preflight_asks_no_cell(platform: HttpPlatform) -> None:
    """Answered before routing and authentication: even a path no method has."""
    assert _preflight(platform, PORTAL, "/identity/v1/nothing/here").status == 204


def test_the_configuration_refuses_wildcards_and_paths() -> None:
    assert load_settings({}).gateway_cors_origins == ()
    made = load_settings({"RHIP_GATEWAY_CORS_ORIGINS": " https://A.example:8443/ ,"})
    assert made.gateway_cors_origins == ("https://a.example:8443",)
    for bad in ("*", "https://*.example", "https://a.example/app", "ftp://a.example", "a.example"):
        with pytest.raises(ConfigError, match="RHIP_GATEWAY_CORS_ORIGINS"):
            load_settings({"RHIP_GATEWAY_CORS_ORIGINS": bad})
