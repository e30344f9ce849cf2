"""Cross-origin requests at the gateway's HTTP listener (``RHIP_GATEWAY_CORS_ORIGINS``): a web
app served from another origin (a hospital's own portal, a reporting tool) may call the API
from a browser only when its origin is listed. Off by default: the console is served by the
gateway itself (same origin) and needs none of this.

A listed origin gets its own origin echoed, with ``Access-Control-Allow-Credentials`` (a page
may send the bearer token with ``credentials: "include"``), and its preflight (``OPTIONS``
with ``Access-Control-Request-Method``) is answered 204 without touching any cell. An
unlisted origin gets no CORS header at all, so the browser withholds the answer from the page,
and its preflight is refused with a JSON status. ``*`` is not accepted as a configured origin:
with credentials a browser refuses a wildcard, and without them it would let every site on
the web read a signed-in clinician's answers through a stolen token's page. The list is read
and checked by rhip.kit.config (``gateway_cors_origins``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

# What a page may send and read: the token, JSON, the region of a login, the request id,
# the deadline and the trace context (rhip.gateway.http reads each).
ALLOWED_HEADERS = (
    "authorization, content-type, x-rhip-region, x-request-id, grpc-timeout, traceparent, "
    "tracestate"
)
EXPOSED_HEADERS = "x-request-id, retry-after, www-authenticate"
ALLOWED_METHODS = "GET, POST, PATCH, PUT, DELETE"  # every verb an HTTP binding may use
MAX_AGE_SECONDS = "600"  # a browser caches a preflight this long (Chromium's cap is 2 h)
StartResponse = Callable[..., Any]


class Cors:
    """The CORS answer of one request."""

    def __init__(self, origins: Iterable[str] = ()) -> None:
        self._origins = frozenset(origins)

    @property
    def enabled(self) -> bool:
        return bool(self._origins)

    def allowed(self, origin: str) -> bool:
        return origin.lower() in self._origins

    def is_preflight(self, environ: dict[str, Any]) -> bool:
        return (
            self.enabled
            and environ["REQUEST_METHOD"] == "OPTIONS"
            and "HTTP_ORIGIN" in environ
            and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
        )

    def preflight_headers(self, origin: str) -> list[tuple[str, str]] | None:
        """The headers of a 204 answer to a listed origin's preflight; None: refuse it."""
        if not self.allowed(origin):
            return None
        return [
            *self._allow(origin),
            ("Access-Control-Allow-Methods", ALLOWED_METHODS),
            ("Access-Control-Allow-Headers", ALLOWED_HEADERS),
            ("Access-Control-Max-Age", MAX_AGE_SECONDS),
        ]

    def wrap(self, environ: dict[str, Any], start_response: StartResponse) -> StartResponse:
        """``start_response`` adding this request's CORS headers to whatever is answered."""
        if not self.enabled:
            return start_response
        origin = environ.get("HTTP_ORIGIN", "")
        extra = [("Vary", "Origin")]  # caches keep one answer per origin
        if origin and self.allowed(origin):
            extra = [*self._allow(origin), ("Access-Control-Expose-Headers", EXPOSED_HEADERS)]

        def start(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            return start_response(status, [*headers, *extra], *rest)

        return start

    @staticmethod
    def _allow(origin: str) -> list[tuple[str, str]]:
        return [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
            ("Vary", "Origin"),
        ]
