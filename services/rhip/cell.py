"""A cell: the services of one region running in one process (all-in-one) or any subset.

The cell hosts identity and archives; the other services join as they are built. Without
identity in the process, tokens verify against identity's JWKS at ``RHIP_IDENTITY_ADDRESS``.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from opentelemetry.metrics import Meter
from opentelemetry.sdk.trace import TracerProvider
from rhip.archives.server import ArchivesService, build_archives, migrate_archives
from rhip.identity.server import IdentityService, build_identity, migrate_identity
from rhip.kit.authn import KeySource, TokenVerifier
from rhip.kit.channels import ChannelPool
from rhip.kit.config import ConfigError, Settings
from rhip.kit.dbwatch import DatabaseWatch, WatchMetrics
from rhip.kit.interceptors import AccessLog
from rhip.kit.metrics import Metrics
from rhip.kit.peers import cell_keys, remote_keys
from rhip.kit.routing import RoutingError, RoutingTable
from rhip.kit.server import RhipServer
from rhip.kit.telemetry import build_meter, build_tracer_provider
from rhip.kit.trust import CellKeys, single_cell

log = logging.getLogger(__name__)

AVAILABLE_SERVICES = ("identity", "archives")


def resolve_services(names: str) -> tuple[str, ...]:
    """``all`` or a comma-separated list → the service names, validated."""
    wanted = (
        AVAILABLE_SERVICES
        if names == "all"
        else tuple(n.strip() for n in names.split(",") if n.strip())
    )
    unknown = [n for n in wanted if n not in AVAILABLE_SERVICES]
    if unknown or not wanted:
        raise ConfigError(
            f"unknown service(s) {', '.join(unknown) or '(none)'}; available: {', '.join(AVAILABLE_SERVICES)}"
        )
    return wanted


def cell_secret(settings: Settings) -> bytes:
    """The cell secret: ``RHIP_SECRET_KEY``, or in development a key kept under data_dir."""
    if settings.secret_key is not None:
        return settings.secret_key
    if not settings.development:
        raise ConfigError("RHIP_SECRET_KEY is required outside development mode")
    path = Path(settings.data_dir) / settings.cell / "secret.key"
    if path.exists():
        return base64.b64decode(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = os.urandom(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(key).decode())
    return key


def migrate_cell(settings: Settings, services: Sequence[str]) -> None:
    if "identity" in services:
        migrate_identity(settings)
    if "archives" in services:
        migrate_archives(settings)


@dataclass
class Cell:
    settings: Settings
    services: tuple[str, ...]
    server: RhipServer
    tracer_provider: TracerProvider
    peers: ChannelPool
    identity_service: IdentityService | None = None
    archives: ArchivesService | None = None
    # All-in-one (identity and archives here): identity again on a loopback port with a
    # thread pool of its own, for archives' calls to identity. Served from the public pool,
    # those calls starved: with every worker busy in an archives call waiting on identity,
    # none was left to answer identity, and each call ran into its deadline.
    internal_identity: RhipServer | None = None
    port: int = 0
    # Each service's database, checked in the background: its health NOT_SERVING and a
    # WARNING while it does not answer (rhip.kit.dbwatch).
    watches: list[DatabaseWatch] = field(default_factory=list)
    # Where the identity service answers: RHIP_IDENTITY_ADDRESS, or the internal identity
    # server once it is bound (tests bind port 0).
    identity_address: str = ""
    # Prometheus metrics, served on RHIP_METRICS_LISTEN when set (rhip.kit.metrics).
    metrics: Metrics = field(default_factory=Metrics)
    _closed: bool = field(default=False, repr=False)

    @property
    def identity(self) -> IdentityService:
        if self.identity_service is None:
            raise ConfigError("this process does not run the identity service")
        return self.identity_service

    def start(self, address: str | None = None, *, serving: bool = True) -> int:
        address = address or self.settings.listen
        if self.internal_identity is not None:
            internal_port = self.internal_identity.start("127.0.0.1:0")
            self.identity_address = f"127.0.0.1:{internal_port}"
        self.port = self.server.start(
            address, serving=serving, health_address=self.settings.health_listen
        )
        for watch in self.watches:
            watch.start()
        if self.settings.metrics_listen:
            self.metrics.serve(self.settings.metrics_listen)
        if not self.settings.identity_address and self.internal_identity is None:
            host = address.rsplit(":", 1)[0]
            host = "127.0.0.1" if host in ("", "0.0.0.0", "[::]") else host  # noqa: S104
            self.identity_address = f"{host}:{self.port}"
        log.info("cell %s serving on port %d", self.settings.cell, self.port)
        if self.archives is not None:
            self.archives.start_background()  # resident changes, the transfer sweep
        return self.port

    def stop(self, grace: float = 2.0) -> None:
        if self._closed:
            return
        self._closed = True
        self.metrics.stop()
        for watch in self.watches:
            watch.stop()
        if self.archives is not None:
            self.archives.stop_background()  # before identity stops answering it
        self.server.stop(grace)
        if self.internal_identity is not None:  # after the calls in flight that need it
            self.internal_identity.stop(grace)
        self.peers.close()
        if self.archives is not None:
            self.archives.close()
        if self.identity_service is not None:
            self.identity_service.close()
        self.tracer_provider.shutdown()


def build_cell(
    settings: Settings,
    services: Sequence[str] = AVAILABLE_SERVICES,
    *,
    tracer_provider: TracerProvider | None = None,
    meter: Meter | None = None,
) -> Cell:
    services = resolve_services(",".join(services))
    if "identity" not in services and not settings.identity_address:
        raise ConfigError("RHIP_IDENTITY_ADDRESS is required when identity runs elsewhere")
    peers = ChannelPool()
    holder: list[Cell] = []

    def identity_address() -> str:
        return settings.identity_address or holder[0].identity_address

    identity = build_identity(settings, cell_secret(settings)) if "identity" in services else None
    archives = (
        build_archives(settings, identity_address, peers, identity.authorizer if identity else None)
        if "archives" in services
        else None
    )
    tracer_provider = tracer_provider or build_tracer_provider(
        settings.traces_exporter, f"rhip-cell-{settings.cell}"
    )
    own_keys: KeySource = (
        identity.keys.public_key
        if identity is not None
        else remote_keys(lambda: peers.get(settings.identity_address), settings.cell)
    )
    verifier = TokenVerifier(_trust(settings, own_keys, peers))
    authorizer = identity.authorizer if identity else archives.authorizer if archives else None
    access_log = AccessLog(settings.access_log, settings.access_log_slow_ms)
    meter = meter or build_meter(f"rhip-cell-{settings.cell}")
    metrics = Metrics()
    server = RhipServer(
        [*(identity.specs if identity else []), *(archives.specs if archives else [])],
        verifier=verifier,
        authorizer=authorizer,
        tracer_provider=tracer_provider,
        meter=meter,
        workers=settings.grpc_workers,
        access_log=access_log,
        metrics=metrics,
    )
    internal = None
    if identity is not None and archives is not None and not settings.identity_address:
        internal = RhipServer(
            identity.specs,
            verifier=verifier,
            authorizer=authorizer,
            tracer_provider=tracer_provider,
            meter=build_meter(f"rhip-cell-{settings.cell}-internal"),
            workers=settings.grpc_workers,
            access_log=access_log,
            metrics=metrics,
            metrics_name="internal",
        )
    cell = Cell(
        settings,
        services,
        server,
        tracer_provider,
        peers,
        identity,
        archives,
        internal,
        metrics=metrics,
    )
    cell.watches = _database_watches(settings, server, meter, identity, archives)
    _count(metrics, cell)
    holder.append(cell)
    return cell


def _count(metrics: Metrics, cell: Cell) -> None:
    """Pool, database-watch and read-audit gauges of the cell's services."""
    if cell.identity_service is not None:
        metrics.database("identity", cell.identity_service.db.pools())
        writer = cell.identity_service.residents.read_audit
        writer.on_flush = metrics.audit_writer("identity", writer.depth)
    if cell.archives is not None:
        metrics.database("archives", cell.archives.db.pools())
    for watch in cell.watches:
        metrics.database_watch(watch.service, partial(getattr, watch, "available"))


def _trust(settings: Settings, own_keys: KeySource, peers: ChannelPool) -> CellKeys:
    """Which keys vouch for whom. Without a routing table the cell knows only itself: its own
    keys, for its own regions. With one (listing this cell, or only its peers as the chart
    renders it), every cell's keys, each for its own cell's regions, this cell's too:
    cross-cell calls carry the original caller's token, issued by the caller's cell, and a
    cell account's, issued by its cell."""
    if not settings.routes_file:
        return single_cell(settings.cell, own_keys)
    try:
        routes = RoutingTable.from_file(settings.routes_file)
    except (OSError, RoutingError) as error:
        raise ConfigError(f"RHIP_ROUTES {settings.routes_file}: {error}") from None
    return cell_keys(routes, peers, own=(settings.cell, own_keys), reload=True)


def _database_watches(
    settings: Settings,
    server: RhipServer,
    meter: Meter,
    identity: IdentityService | None,
    archives: ArchivesService | None,
) -> list[DatabaseWatch]:
    """One watch per service database; while one does not answer, that service (and the
    cell as a whole, the readiness probe) reports NOT_SERVING."""
    watches: list[DatabaseWatch] = []
    metrics = WatchMetrics(meter)
    for name, service in (("identity", identity), ("archives", archives)):
        if service is None:
            continue
        names = [spec.full_name for spec in service.specs]

        def on_change(ok: bool, part: str = f"database:{name}", names: list[str] = names) -> None:
            server.readiness.set_ready(part, names, ok)

        watches.append(
            DatabaseWatch(
                name, service.db, on_change, metrics, timeout=settings.db_check_timeout_seconds
            )
        )
    return watches
