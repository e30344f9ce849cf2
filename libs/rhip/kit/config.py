"""Process settings: one frozen object, loaded once from ``RHIP_*`` variables.

``load_settings`` takes the environment as a parameter (tests pass a dict, ``server.py`` passes
``os.environ``). Secrets that are missing fail fast outside development mode.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rhip.kit.apis import database_names
from rhip.kit.tenancy import is_region_code
from rhip.kit.tls import TlsConfigError, TlsSettings, load_tls_settings

ENVIRONMENTS = ("development", "production")
TRACE_EXPORTERS = ("none", "console", "memory", "otlp")
ACCESS_LOG_MODES = ("all", "errors", "off")
# The Cybersecurity Law's six months online (DOMAIN.md §8.1): never keep audit events less.
AUDIT_RETENTION_MIN_DAYS = 180
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d{1,5})?")  # a CORS origin, no path


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    environment: str = "development"
    cell: str = "320000"
    listen: str = "127.0.0.1:50051"
    data_dir: Path = Path("var")
    database_urls: Mapping[str, str] = field(default_factory=dict)
    secret_key: bytes | None = field(default=None, repr=False)
    # The signing secrets (rhip.kit.signing_keys): RHIP_SIGNING_KEY signs (None: the cell
    # secret does, as before any rotation), RHIP_RETIRED_SIGNING_KEYS only verify, newest first.
    signing_key: bytes | None = field(default=None, repr=False)
    retired_signing_keys: tuple[bytes, ...] = field(default=(), repr=False)
    grpc_workers: int = 4
    authz_poll_seconds: float = 0.25
    traces_exporter: str = "none"
    # Access log lines: every call, failed and slow calls only, or none (rhip.kit.interceptors).
    access_log: str = "errors"
    access_log_slow_ms: int = 1000
    # grpc.health.v1 on a port and thread pool of its own, for the probes (rhip.kit.health);
    # empty: health only on the main port, from the shared pool.
    health_listen: str = ""
    # A second listener for internal callers (cells calling the gateway for cross-cell work,
    # the locator), mutual TLS required when TLS is on; empty: none (rhip.kit.transport).
    internal_listen: str = ""
    # Certificates and trust for every listener and outbound channel (rhip.kit.tls).
    tls: TlsSettings = field(default_factory=TlsSettings)
    # Prometheus metrics (rhip.kit.metrics) on a port and threads of their own; empty: off.
    metrics_listen: str = ""
    # Reads of personal data answer only once their audit event is durable (ARCHITECTURE §3.5).
    # False (RHIP_AUDIT_READS_WAIT=false, development only) answers once the event is queued:
    # for the gateway benchmark's A/B of what the wait costs, never for production.
    audit_reads_wait: bool = True
    # PostgreSQL: the read-audit writer commits in two round trips (rhip.kit.audit_pipeline);
    # false (RHIP_AUDIT_PIPELINE): one per statement through SQLAlchemy, the path before
    # (kept as a fallback, e.g. behind a pooler without pipelining, and for tests/perf's A/B).
    audit_pipeline: bool = True
    # A database slower than this to answer SELECT 1 is "not answering" (rhip.kit.dbwatch).
    db_check_timeout_seconds: float = 1.0
    # Gateway: forwards in flight to one cell at most (a bulkhead, rhip.gateway.bulkhead);
    # 0: one less than the workers, so one slow cell leaves a worker to the others.
    gateway_cell_inflight: int = 0
    routes_file: str = ""
    # Gateway: HTTP/JSON and /openapi.json on this host:port (rhip.gateway.http), plain HTTP
    # (terminate TLS in front of it); empty: off. ``rhip demo`` turns it on (127.0.0.1:8080).
    gateway_http_listen: str = ""
    # Gateway: origins whose pages may call the HTTP listener from a browser (CORS,
    # rhip.gateway.cors), from RHIP_GATEWAY_CORS_ORIGINS; empty: off (the console is same-origin).
    gateway_cors_origins: tuple[str, ...] = ()
    # Gateway: the web console's built files, served at /console/ on the HTTP listener; empty:
    # console/dist of the source tree (``make console`` builds it).
    gateway_console_dir: str = ""
    rate_limit_per_second: float = 50.0
    rate_limit_burst: int = 100
    upstream_timeout_seconds: float = 30.0
    # Where archives calls identity (residents, tenants); empty: this cell's own listen address.
    identity_address: str = ""
    # RHIP_<SVC>_ADDRESS of the cell's other services, when they run in processes of their
    # own (the chart runs each service in pods of its own); identity's is identity_address.
    service_addresses: Mapping[str, str] = field(default_factory=dict)
    # The cell's own service account (cross-cell calls) and the gateway it calls through.
    cell_client_id: str = ""
    cell_client_secret: str = ""
    gateway_address: str = ""
    # Audit retention (rhip.kit.audit_purge): events older than this many days are purged
    # behind a signed checkpoint, every audit_purge_interval_seconds.
    audit_retention_days: int = AUDIT_RETENTION_MIN_DAYS
    audit_purge_interval_seconds: float = 3600.0
    # The RHIP_* variables as given, for each service's own settings (rhip.<svc>.settings);
    # never printed (they hold the secret key and database passwords).
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @property
    def issuer(self) -> str:
        return f"rhip-identity/{self.cell}"

    def address_of(self, service: str) -> str:
        """Where ``service`` answers when it runs in another process (``RHIP_<SVC>_ADDRESS``),
        or "" when it runs in this one."""
        if service == "identity":
            return self.identity_address
        return self.service_addresses.get(service, "")

    def database_url(self, service: str) -> str:
        """``RHIP_<SVC>_DATABASE_URL`` or an SQLite file per service and cell under data_dir."""
        if service in self.database_urls:
            return self.database_urls[service]
        return f"sqlite:///{self.data_dir / self.cell / service}.db"


def env_int(
    env: Mapping[str, str], name: str, default: int, minimum: int = 0, maximum: int | None = None
) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name} must be at most {maximum}")
    return value


def env_choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name) or default
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _secret_key(env: Mapping[str, str], name: str = "RHIP_SECRET_KEY") -> bytes | None:
    raw = env.get(name)
    if not raw:
        return None
    return _decode_secret(raw, name)


def _decode_secret(raw: str, name: str) -> bytes:
    """A 32-byte secret from its base64; the message names the variable, never the value."""
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{name} must be base64") from None
    if len(key) != 32:
        raise ConfigError(f"{name} must decode to 32 bytes")
    return key


def _retired_signing_keys(env: Mapping[str, str], current: bytes | None) -> tuple[bytes, ...]:
    """``RHIP_RETIRED_SIGNING_KEYS``: comma-separated base64 secrets of 32 bytes, newest
    first; each validated like RHIP_SECRET_KEY (the message names its position, not the
    value), none twice and none equal to the current signing secret."""
    name = "RHIP_RETIRED_SIGNING_KEYS"
    items = [item.strip() for item in env.get(name, "").split(",")]
    if items == [""]:
        return ()
    keys: list[bytes] = []
    for position, item in enumerate(items, 1):
        if not item:
            raise ConfigError(f"{name}: entry {position} is empty (a stray comma?)")
        key = _decode_secret(item, f"{name} entry {position}")
        if key in keys:
            raise ConfigError(f"{name}: entry {position} repeats an earlier entry")
        if current is not None and key == current:
            raise ConfigError(
                f"{name}: entry {position} is the current signing secret (RHIP_SIGNING_KEY, "
                "or RHIP_SECRET_KEY without it): a key is current or retired, not both"
            )
        keys.append(key)
    return tuple(keys)


def _audit_retention_days(env: Mapping[str, str]) -> int:
    """``RHIP_AUDIT_RETENTION_DAYS``: at least 180 (default 180), at most 100 years."""
    name = "RHIP_AUDIT_RETENTION_DAYS"
    days = env_int(env, name, AUDIT_RETENTION_MIN_DAYS, -(10**9), 36_500)
    if days < AUDIT_RETENTION_MIN_DAYS:
        raise ConfigError(
            f"{name} must be at least {AUDIT_RETENTION_MIN_DAYS} (audit events are kept six "
            f"months online, Cybersecurity Law art. 21), got {days}"
        )
    return days


def _audit_reads_wait(env: Mapping[str, str], environment: str) -> bool:
    name = "RHIP_AUDIT_READS_WAIT"
    value = env_choice(env, name, "true", ("true", "false"))
    if value == "false" and environment != "development":
        raise ConfigError(
            f"{name}=false (reads answer before their audit is durable) is for benchmarks in development mode only"
        )
    return value == "true"


def _cors_origins(env: Mapping[str, str]) -> tuple[str, ...]:
    """``RHIP_GATEWAY_CORS_ORIGINS``: comma-separated ``scheme://host[:port]``; empty: off."""
    origins = []
    for item in env.get("RHIP_GATEWAY_CORS_ORIGINS", "").split(","):
        origin = item.strip().rstrip("/")
        if not origin:
            continue
        if not _ORIGIN.fullmatch(origin):
            raise ConfigError(
                "RHIP_GATEWAY_CORS_ORIGINS lists origins as scheme://host[:port] "
                f"(no path, no wildcard: a browser refuses it with credentials), got {origin!r}"
            )
        origins.append(origin.lower())
    return tuple(origins)


def load_settings(env: Mapping[str, str]) -> Settings:
    """Settings from ``env``; raises ConfigError naming the first bad variable."""
    environment = env_choice(env, "RHIP_ENV", "development", ENVIRONMENTS)
    cell = env.get("RHIP_CELL", "320000")
    if not is_region_code(cell):
        raise ConfigError(f"RHIP_CELL must be a 6-digit region code, got {cell!r}")
    secret = _secret_key(env)
    if secret is None and environment != "development":
        raise ConfigError("RHIP_SECRET_KEY is required outside development mode")
    signing = _secret_key(env, "RHIP_SIGNING_KEY")
    retired = _retired_signing_keys(env, signing or secret)
    urls = {
        svc: env[f"RHIP_{svc.upper()}_DATABASE_URL"]
        for svc in database_names()
        if env.get(f"RHIP_{svc.upper()}_DATABASE_URL")
    }
    exporter = env.get("RHIP_TRACES_EXPORTER") or env.get("OTEL_TRACES_EXPORTER") or "none"
    if exporter not in TRACE_EXPORTERS:
        raise ConfigError(f"RHIP_TRACES_EXPORTER must be one of {', '.join(TRACE_EXPORTERS)}")
    try:
        tls = load_tls_settings(env, development=environment == "development")
    except TlsConfigError as error:
        raise ConfigError(str(error)) from None
    return Settings(
        environment=environment,
        cell=cell,
        listen=env.get("RHIP_LISTEN", "127.0.0.1:50051"),
        data_dir=Path(env.get("RHIP_DATA_DIR", "var")),
        database_urls=urls,
        secret_key=secret,
        signing_key=signing,
        retired_signing_keys=retired,
        grpc_workers=env_int(env, "RHIP_GRPC_WORKERS", 4, 1),
        authz_poll_seconds=env_int(env, "RHIP_AUTHZ_POLL_MS", 250, 10) / 1000,
        traces_exporter=exporter,
        access_log=env_choice(env, "RHIP_ACCESS_LOG", "errors", ACCESS_LOG_MODES),
        access_log_slow_ms=env_int(env, "RHIP_ACCESS_LOG_SLOW_MS", 1000, 1),
        health_listen=env.get("RHIP_HEALTH_LISTEN", ""),
        internal_listen=env.get("RHIP_INTERNAL_LISTEN", ""),
        tls=tls,
        metrics_listen=env.get("RHIP_METRICS_LISTEN", ""),
        audit_reads_wait=_audit_reads_wait(env, environment),
        audit_pipeline=env_choice(env, "RHIP_AUDIT_PIPELINE", "true", ("true", "false")) == "true",
        db_check_timeout_seconds=env_int(env, "RHIP_DB_CHECK_TIMEOUT_MS", 1000, 50, 60_000) / 1000,
        gateway_cell_inflight=env_int(env, "RHIP_GATEWAY_CELL_INFLIGHT", 0, 0),
        routes_file=env.get("RHIP_ROUTES", ""),
        gateway_http_listen=env.get("RHIP_GATEWAY_HTTP_LISTEN", ""),
        gateway_cors_origins=_cors_origins(env),
        gateway_console_dir=env.get("RHIP_GATEWAY_CONSOLE_DIR", ""),
        rate_limit_per_second=env_int(env, "RHIP_RATE_LIMIT_PER_SECOND", 50, 1),
        rate_limit_burst=env_int(env, "RHIP_RATE_LIMIT_BURST", 100, 1),
        upstream_timeout_seconds=env_int(env, "RHIP_UPSTREAM_TIMEOUT_SECONDS", 30, 1),
        identity_address=env.get("RHIP_IDENTITY_ADDRESS", ""),
        service_addresses={
            svc: env[f"RHIP_{svc.upper()}_ADDRESS"]
            for svc in database_names()
            if svc != "identity" and env.get(f"RHIP_{svc.upper()}_ADDRESS")
        },
        cell_client_id=env.get("RHIP_CELL_CLIENT_ID", ""),
        cell_client_secret=env.get("RHIP_CELL_CLIENT_SECRET", ""),
        gateway_address=env.get("RHIP_GATEWAY_ADDRESS", ""),
        audit_retention_days=_audit_retention_days(env),
        audit_purge_interval_seconds=env_int(
            env, "RHIP_AUDIT_PURGE_INTERVAL_SECONDS", 3600, 1, 7 * 24 * 3600
        ),
        env={k: v for k, v in env.items() if k.startswith(("RHIP_", "OTEL_"))},
    )
