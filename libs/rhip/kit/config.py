"""Process settings: one frozen object, loaded once from ``RHIP_*`` variables.

``load_settings`` takes the environment as a parameter (tests pass a dict, ``server.py`` passes
``os.environ``). Secrets that are missing fail fast outside development mode.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rhip.kit.tenancy import is_region_code

SERVICES = ("identity", "archives", "emr", "mch", "referral")
ENVIRONMENTS = ("development", "production")
TRACE_EXPORTERS = ("none", "console", "memory", "otlp")
ACCESS_LOG_MODES = ("all", "errors", "off")
# Character classes a password policy may require (identity's PasswordPolicy checks them).
PASSWORD_CLASSES = ("letter", "lower", "upper", "digit", "symbol")
PASSWORD_HISTORY_MAX = 24


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    environment: str = "development"
    cell: str = "320000"
    listen: str = "127.0.0.1:50051"
    data_dir: Path = Path("var")
    database_urls: Mapping[str, str] = field(default_factory=dict)
    secret_key: bytes | None = None
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 12 * 3600
    login_max_failures: int = 5
    lockout_seconds: int = 900
    argon2_time_cost: int = 3
    # Identity's password policy (rhip.identity.passwords): minimum length, the character
    # classes every password must contain, and how many recent passwords (the current one
    # included) a change may not reuse; 0 refuses only the current one.
    password_min_length: int = 12
    password_character_classes: tuple[str, ...] = ("letter", "digit")
    password_history: int = 0
    argon2_memory_kib: int = 65536
    grpc_workers: int = 4
    authz_poll_seconds: float = 0.25
    traces_exporter: str = "none"
    # Access log lines: every call, failed and slow calls only, or none (rhip.kit.interceptors).
    access_log: str = "errors"
    access_log_slow_ms: int = 1000
    # grpc.health.v1 on a port and thread pool of its own, for the probes (rhip.kit.health);
    # empty: health only on the main port, from the shared pool.
    health_listen: str = ""
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
    rate_limit_per_second: float = 50.0
    rate_limit_burst: int = 100
    upstream_timeout_seconds: float = 30.0
    # Dynamic e-health-card QR codes: default TTL and per-region overrides (DOMAIN.md §7.1:
    # no national value exists, so it is configuration).
    card_qr_ttl_seconds: int = 60
    card_qr_ttl_by_region: Mapping[str, int] = field(default_factory=dict)
    # Where archives calls identity (residents, tenants); empty: this cell's own listen address.
    identity_address: str = ""
    # The cell's own service account (cross-cell calls) and the gateway it calls through.
    cell_client_id: str = ""
    cell_client_secret: str = ""
    gateway_address: str = ""
    # Hypertension follow-up: the BP target from this age (DOMAIN.md §2.6 marks 150/90 for
    # people aged 65 and over as uncertain, so it is configuration).
    archives_elderly_age: int = 65
    archives_elderly_bp_target: tuple[int, int] = (150, 90)
    # How often archives reads identity's resident change feed (deaths, merges).
    archives_resident_events_interval_seconds: float = 5.0
    # Record transfers: the days a managing institution has to answer a transfer request
    # before either institution may escalate it to the county administrators of both sides
    # (a platform rule, not a national one, so it is configuration).
    archives_transfer_escalation_days: int = 14

    @property
    def development(self) -> bool:
        return self.environment == "development"

    def card_qr_ttl(self, region_code: str) -> int:
        """The TTL of the most specific region at or above ``region_code`` that has one."""
        for prefix_len in (6, 4, 2):
            code = region_code[:prefix_len].ljust(6, "0")
            if code in self.card_qr_ttl_by_region:
                return self.card_qr_ttl_by_region[code]
        return self.card_qr_ttl_seconds

    @property
    def issuer(self) -> str:
        return f"rhip-identity/{self.cell}"

    def database_url(self, service: str) -> str:
        """``RHIP_<SVC>_DATABASE_URL`` or an SQLite file per service and cell under data_dir."""
        if service in self.database_urls:
            return self.database_urls[service]
        return f"sqlite:///{self.data_dir / self.cell / service}.db"


def _int(
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


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name) or default
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _secret_key(env: Mapping[str, str]) -> bytes | None:
    raw = env.get("RHIP_SECRET_KEY")
    if not raw:
        return None
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("RHIP_SECRET_KEY must be base64") from None
    if len(key) != 32:
        raise ConfigError("RHIP_SECRET_KEY must decode to 32 bytes")
    return key


def _ttl_by_region(env: Mapping[str, str]) -> dict[str, int]:
    """``RHIP_CARD_QR_TTL_BY_REGION=320300=30,370000=90``."""
    name = "RHIP_CARD_QR_TTL_BY_REGION"
    result: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in env.get(name, "").split(","))):
        code, _, seconds = item.partition("=")
        if not is_region_code(code.strip()) or not seconds.strip().isdigit():
            raise ConfigError(f"{name} must look like 320300=30,370000=90, got {item!r}")
        if not 5 <= int(seconds) <= 3600:
            raise ConfigError(f"{name}: a TTL must be 5–3600 seconds, got {item!r}")
        result[code.strip()] = int(seconds)
    return result


def _password_classes(env: Mapping[str, str]) -> tuple[str, ...]:
    """``RHIP_PASSWORD_CHARACTER_CLASSES=lower,upper,digit,symbol`` (default ``letter,digit``)."""
    name = "RHIP_PASSWORD_CHARACTER_CLASSES"
    raw = env.get(name) or "letter,digit"
    classes = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    unknown = [c for c in classes if c not in PASSWORD_CLASSES]
    if unknown or not classes:
        raise ConfigError(f"{name} must list classes of {', '.join(PASSWORD_CLASSES)}, got {raw!r}")
    return classes


def _bp_target(env: Mapping[str, str]) -> tuple[int, int]:
    """``RHIP_ARCHIVES_ELDERLY_BP_TARGET=150/90``."""
    name = "RHIP_ARCHIVES_ELDERLY_BP_TARGET"
    raw = env.get(name) or "150/90"
    systolic, _, diastolic = raw.partition("/")
    if not (systolic.isdigit() and diastolic.isdigit()) or not (
        90 <= int(systolic) <= 200 and 50 <= int(diastolic) <= 120
    ):
        raise ConfigError(f"{name} must look like 150/90, got {raw!r}")
    return int(systolic), int(diastolic)


def _resident_events_interval(env: Mapping[str, str]) -> float:
    """``RHIP_ARCHIVES_RESIDENT_EVENTS_INTERVAL_MS``: 50 ms to 1 hour, default 5 s."""
    name = "RHIP_ARCHIVES_RESIDENT_EVENTS_INTERVAL_MS"
    millis = _int(env, name, 5000, 50)
    if millis > 3_600_000:
        raise ConfigError(f"{name} must be at most 3600000 (one hour)")
    return millis / 1000


def _audit_reads_wait(env: Mapping[str, str], environment: str) -> bool:
    name = "RHIP_AUDIT_READS_WAIT"
    value = _choice(env, name, "true", ("true", "false"))
    if value == "false" and environment != "development":
        raise ConfigError(
            f"{name}=false (reads answer before their audit is durable) is for benchmarks in development mode only"
        )
    return value == "true"


def load_settings(env: Mapping[str, str]) -> Settings:
    """Settings from ``env``; raises ConfigError naming the first bad variable."""
    environment = _choice(env, "RHIP_ENV", "development", ENVIRONMENTS)
    cell = env.get("RHIP_CELL", "320000")
    if not is_region_code(cell):
        raise ConfigError(f"RHIP_CELL must be a 6-digit region code, got {cell!r}")
    secret = _secret_key(env)
    if secret is None and environment != "development":
        raise ConfigError("RHIP_SECRET_KEY is required outside development mode")
    urls = {
        svc: env[f"RHIP_{svc.upper()}_DATABASE_URL"]
        for svc in SERVICES
        if env.get(f"RHIP_{svc.upper()}_DATABASE_URL")
    }
    exporter = env.get("RHIP_TRACES_EXPORTER") or env.get("OTEL_TRACES_EXPORTER") or "none"
    if exporter not in TRACE_EXPORTERS:
        raise ConfigError(f"RHIP_TRACES_EXPORTER must be one of {', '.join(TRACE_EXPORTERS)}")
    return Settings(
        environment=environment,
        cell=cell,
        listen=env.get("RHIP_LISTEN", "127.0.0.1:50051"),
        data_dir=Path(env.get("RHIP_DATA_DIR", "var")),
        database_urls=urls,
        secret_key=secret,
        access_token_ttl_seconds=_int(env, "RHIP_ACCESS_TOKEN_TTL_SECONDS", 900, 1),
        refresh_token_ttl_seconds=_int(env, "RHIP_REFRESH_TOKEN_TTL_SECONDS", 12 * 3600, 1),
        login_max_failures=_int(env, "RHIP_LOGIN_MAX_FAILURES", 5, 1),
        lockout_seconds=_int(env, "RHIP_LOCKOUT_SECONDS", 900, 1),
        argon2_time_cost=_int(env, "RHIP_ARGON2_TIME_COST", 3, 1),
        password_min_length=_int(env, "RHIP_PASSWORD_MIN_LENGTH", 12, 8, 128),
        password_character_classes=_password_classes(env),
        password_history=_int(env, "RHIP_PASSWORD_HISTORY", 0, 0, PASSWORD_HISTORY_MAX),
        argon2_memory_kib=_int(env, "RHIP_ARGON2_MEMORY_KIB", 65536, 8),
        grpc_workers=_int(env, "RHIP_GRPC_WORKERS", 4, 1),
        authz_poll_seconds=_int(env, "RHIP_AUTHZ_POLL_MS", 250, 10) / 1000,
        traces_exporter=exporter,
        access_log=_choice(env, "RHIP_ACCESS_LOG", "errors", ACCESS_LOG_MODES),
        access_log_slow_ms=_int(env, "RHIP_ACCESS_LOG_SLOW_MS", 1000, 1),
        health_listen=env.get("RHIP_HEALTH_LISTEN", ""),
        metrics_listen=env.get("RHIP_METRICS_LISTEN", ""),
        audit_reads_wait=_audit_reads_wait(env, environment),
        audit_pipeline=_choice(env, "RHIP_AUDIT_PIPELINE", "true", ("true", "false")) == "true",
        db_check_timeout_seconds=_int(env, "RHIP_DB_CHECK_TIMEOUT_MS", 1000, 50, 60_000) / 1000,
        gateway_cell_inflight=_int(env, "RHIP_GATEWAY_CELL_INFLIGHT", 0, 0),
        routes_file=env.get("RHIP_ROUTES", ""),
        rate_limit_per_second=_int(env, "RHIP_RATE_LIMIT_PER_SECOND", 50, 1),
        rate_limit_burst=_int(env, "RHIP_RATE_LIMIT_BURST", 100, 1),
        upstream_timeout_seconds=_int(env, "RHIP_UPSTREAM_TIMEOUT_SECONDS", 30, 1),
        card_qr_ttl_seconds=_int(env, "RHIP_CARD_QR_TTL_SECONDS", 60, 5),
        card_qr_ttl_by_region=_ttl_by_region(env),
        identity_address=env.get("RHIP_IDENTITY_ADDRESS", ""),
        cell_client_id=env.get("RHIP_CELL_CLIENT_ID", ""),
        cell_client_secret=env.get("RHIP_CELL_CLIENT_SECRET", ""),
        gateway_address=env.get("RHIP_GATEWAY_ADDRESS", ""),
        archives_elderly_age=_int(env, "RHIP_ARCHIVES_ELDERLY_AGE", 65, 18),
        archives_elderly_bp_target=_bp_target(env),
        archives_resident_events_interval_seconds=_resident_events_interval(env),
        archives_transfer_escalation_days=_int(
            env, "RHIP_ARCHIVES_TRANSFER_ESCALATION_DAYS", 14, 1, 365
        ),
    )
