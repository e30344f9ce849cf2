"""The outbox's HTTP transport and its settings: POST each event as JSON to one endpoint.

``HttpSender`` is a ``Sender`` (rhip.kit.outbox_delivery): it POSTs ``Message.body()`` with
``Idempotency-Key: <event_id>`` (the receiver dedupes resends by it) and returns on 2xx.
Anything else raises ``DeliveryFailed``: 400, 404, 405, 410, 413, 415 and 422 as permanent
(the receiver refuses the event itself; retrying cannot help, so it is dead at once), every
other status, a timeout or a refused connection as retryable. Only the status line or the
error's type is recorded, never the response body: it may echo the payload's personal data.

The standard library's ``urllib`` is enough for one POST per event and adds no dependency.

Settings, per outbox, under a prefix the service chooses (``load_outbox_settings(env,
"RHIP_MCH_BMC_OUTBOX")``), read from ``Settings.env`` like every service's own settings:

=====================================  =========================================================
``<PREFIX>_URL``                       the endpoint (http:// or https://); empty: not delivered
                                       (events wait, and show up as overdue)
``<PREFIX>_TOKEN``                     optional bearer token sent as ``Authorization``
``<PREFIX>_TIMEOUT_SECONDS``           per POST (default 10)
``<PREFIX>_MAX_ATTEMPTS``              failed attempts before an event is dead (default 10)
``<PREFIX>_BACKOFF_SECONDS``           first retry delay, doubled per attempt (default 2)
``<PREFIX>_MAX_BACKOFF_SECONDS``       longest delay between attempts (default 900)
``<PREFIX>_INTERVAL_MS``               how often the worker looks for events (default 1000)
``<PREFIX>_RETENTION_DAYS``            delivered events kept this long (default 90; 0: for
                                       ever); an event id is idempotent for as long
=====================================  =========================================================
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from rhip.kit.config import ConfigError, env_int
from rhip.kit.db import Database
from rhip.kit.outbox_delivery import DeliveryFailed, Message, OutboxDelivery, RetryPolicy

log = logging.getLogger(__name__)

PERMANENT_STATUSES = frozenset({400, 404, 405, 410, 413, 415, 422})


@dataclass(frozen=True)
class OutboxSettings:
    url: str = ""
    token: str = field(default="", repr=False)
    timeout_seconds: float = 10.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    interval_seconds: float = 1.0
    retention_days: int = 90

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    @property
    def lease_seconds(self) -> float:
        """A claim outlasts the longest send, with room to record its outcome: three sends'
        time, and at least five seconds beyond one (30 s at the default 10 s timeout). A worker
        that died mid-send holds its events this long before another sends them again."""
        return max(self.timeout_seconds * 3, self.timeout_seconds + 5.0)


def load_outbox_settings(
    env: Mapping[str, str], prefix: str, *, development: bool = True
) -> OutboxSettings:
    """The outbox settings under ``prefix`` (``RHIP_MCH_BMC_OUTBOX``); ConfigError names the
    first bad variable. Outside development mode the endpoint must be https://."""
    url = (env.get(f"{prefix}_URL") or "").strip()
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"{prefix}_URL must be an http:// or https:// URL, got {url!r}")
        if parts.scheme == "http" and not development:
            raise ConfigError(f"{prefix}_URL must be https:// outside development mode")
    base = env_int(env, f"{prefix}_BACKOFF_SECONDS", 2, 1, 3600)
    most = env_int(env, f"{prefix}_MAX_BACKOFF_SECONDS", 900, 1, 86_400)
    if most < base:
        raise ConfigError(f"{prefix}_MAX_BACKOFF_SECONDS must be at least {prefix}_BACKOFF_SECONDS")
    return OutboxSettings(
        url=url,
        token=env.get(f"{prefix}_TOKEN", ""),
        timeout_seconds=float(env_int(env, f"{prefix}_TIMEOUT_SECONDS", 10, 1, 300)),
        retry=RetryPolicy(
            max_attempts=env_int(env, f"{prefix}_MAX_ATTEMPTS", 10, 1, 1000),
            base_seconds=float(base),
            max_seconds=float(most),
        ),
        interval_seconds=env_int(env, f"{prefix}_INTERVAL_MS", 1000, 10, 3_600_000) / 1000,
        retention_days=env_int(env, f"{prefix}_RETENTION_DAYS", 90, 0, 36_500),
    )


def http_delivery(
    db: Database, settings: OutboxSettings, *, streams: Sequence[str], name: str
) -> OutboxDelivery:
    """The delivery worker of ``streams`` to the configured endpoint, for a service's
    ``Built(workers=[…], outboxes={…})``. Without an endpoint nothing is sent (the events wait
    and turn up as overdue) but the backlog gauges are kept."""
    if not settings.enabled:
        log.warning("%s: no endpoint configured; events of %s wait undelivered", name,
                    ", ".join(streams))  # fmt: skip
    return OutboxDelivery(
        db,
        HttpSender.from_settings(settings) if settings.enabled else None,
        streams=tuple(streams),
        policy=settings.retry,
        interval=settings.interval_seconds,
        lease_seconds=settings.lease_seconds,
        retention_days=settings.retention_days,
        name=name,
    )


class HttpSender:
    """POSTs each message to ``url`` as JSON; a ``Sender`` for ``OutboxDelivery``."""

    def __init__(self, url: str, *, timeout: float = 10.0, token: str = "") -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError("the outbox endpoint must be an http:// or https:// URL")
        self.url = url
        self.timeout = timeout
        self._token = token

    @classmethod
    def from_settings(cls, settings: OutboxSettings) -> HttpSender:
        return cls(settings.url, timeout=settings.timeout_seconds, token=settings.token)

    def __call__(self, message: Message) -> None:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": message.event_id,
            "X-Rhip-Event-Kind": message.kind,
            "X-Rhip-Attempt": str(message.attempt),
        }
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.url, data=message.body(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                answer.read()  # let the connection finish cleanly; the body is not needed
        except urllib.error.HTTPError as error:  # the receiver answered, not 2xx
            error.close()
            raise DeliveryFailed(
                f"HTTP {error.code} {error.reason}", permanent=error.code in PERMANENT_STATUSES
            ) from None
        except (urllib.error.URLError, OSError) as error:  # refused, reset, timed out, TLS
            reason = getattr(error, "reason", error)
            raise DeliveryFailed(f"{type(reason).__name__}: {reason}"[:300]) from None
