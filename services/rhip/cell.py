"""A cell: the services of one region running in one process (all-in-one) or any subset,
built from the registry of service modules (rhip.modules). Without identity in the process,
tokens verify against identity's JWKS at ``RHIP_IDENTITY_ADDRESS``.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from opentelemetry.metrics import Meter
from opentelemetry.sdk.trace import TracerProvider
from rhip.kit.audit_purge import cell_purges
from rhip.kit.audit_purge_worker import AuditPurgeWorker
from rhip.kit.authn import KeySource, TokenVerifier
from rhip.kit.authz import Authorizer
from rhip.kit.channels import ChannelPool
from rhip.kit.config import ConfigError, Settings
from rhip.kit.dbwatch import DatabaseWatch, WatchMetrics
from rhip.kit.interceptors import AccessLog
from rhip.kit.metrics import Metrics
from rhip.kit.modules import Built, CellContext, Registry
from rhip.kit.peers import cell_keys, remote_keys
from rhip.kit.routing import RoutingError, RoutingTable
from rhip.kit.server import RhipServer, ServiceSpec
from rhip.kit.signing_keys import signing_secrets
from rhip.kit.telemetry import build_meter, build_tracer_provider
from rhip.kit.transport import CELL, Transport
from rhip.kit.trust import CellKeys, single_cell
from rhip.modules import REGISTRY

log = logging.getLogger(__name__)

AVAILABLE_SERVICES = REGISTRY.names
# The service that signs this cell's tokens and publishes their keys.
ISSUER = "identity"


def resolve_services(names: str) -> tuple[str, ...]:
    """``all`` or a comma-separated list → the service names in build order, validated."""
    return REGISTRY.resolve(names)


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


def migrate_cell(
    settings: Settings, services: Sequence[str], registry: Registry = REGISTRY
) -> None:
    for name in registry.resolve(",".join(services)):
        registry.modules[name].migrate(settings)


@dataclass
class Cell:
    settings: Settings
    services: tuple[str, ...]
    server: RhipServer
    tracer_provider: TracerProvider
    peers: ChannelPool
    built: dict[str, Built]
    # Every service that another service of this process calls, served again on a loopback
    # port with a thread pool of its own, for those calls. Served from the public pool they
    # starved: with every worker busy in an archives call waiting on identity, none was left
    # to answer identity, and each call ran into its deadline.
    internal: dict[str, RhipServer] = field(default_factory=dict)
    registry: Registry = REGISTRY
    port: int = 0
    # Each service's database, checked in the background: its health NOT_SERVING and a
    # WARNING while it does not answer (rhip.kit.dbwatch).
    watches: list[DatabaseWatch] = field(default_factory=list)
    # Purges audit events past the retention from each service's log (rhip.kit.audit_purge).
    audit_purge: AuditPurgeWorker | None = None
    # Prometheus metrics, served on RHIP_METRICS_LISTEN when set (rhip.kit.metrics).
    metrics: Metrics = field(default_factory=Metrics)
    _addresses: dict[str, str] = field(default_factory=dict, repr=False)
    _closed: bool = field(default=False, repr=False)

    def part(self, name: str) -> Any:
        """A service's own objects (its use cases, database…), for the CLI, the demo and tests."""
        if name not in self.built:
            raise ConfigError(f"this process does not run the {name} service")
        return self.built[name].parts

    def address_of(self, service: str) -> str:
        """Where ``service`` answers for this cell's own calls: its configured address when it
        runs elsewhere, its loopback port, or this cell's port; known once the cell serves."""
        configured = self.settings.address_of(service)
        if configured:
            return configured
        if service in self._addresses:
            return self._addresses[service]
        raise ConfigError(f"{service} has no address: set RHIP_{service.upper()}_ADDRESS")

    def start(self, address: str | None = None, *, serving: bool = True) -> int:
        address = address or self.settings.listen
        for name, internal in self.internal.items():
            self._addresses[name] = f"127.0.0.1:{internal.start('127.0.0.1:0')}"
            # Our own listener presents our own certificate, which need not name 127.0.0.1.
            self.peers.expect_name(self._addresses[name], self.peers.transport.own_name)
        self.port = self.server.start(
            address, serving=serving, health_address=self.settings.health_listen
        )
        for watch in self.watches:
            watch.start()
        if self.settings.metrics_listen:
            self.metrics.serve(self.settings.metrics_listen)
        host = address.rsplit(":", 1)[0]
        host = "127.0.0.1" if host in ("", "0.0.0.0", "[::]") else host  # noqa: S104
        for name in self.built:
            self._addresses.setdefault(name, f"{host}:{self.port}")
        log.info("cell %s serving on port %d", self.settings.cell, self.port)
        for service in self.built.values():  # resident changes, the transfer sweep…
            for worker in service.workers:
                worker.start()
        if self.audit_purge is not None:
            self.audit_purge.start()
        return self.port

    def seed_demo(self) -> list[str]:
        """Each service's demo data, in registry order (development only); lines to print."""
        lines = []
        for name in self.services:
            seed = self.registry.modules[name].seed_demo
            line = seed(self.built, self.settings) if seed is not None else None
            if line:
                lines.append(line)
        return lines

    def stop(self, grace: float = 2.0) -> None:
        if self._closed:
            return
        self._closed = True
        self.metrics.stop()
        for watch in self.watches:
            watch.stop()
        if self.audit_purge is not None:
            self.audit_purge.stop()
        for service in reversed(self.built.values()):  # before what they call stops answering
            for worker in service.workers:
                worker.stop()
        self.server.stop(grace)
        for internal in self.internal.values():  # after the calls in flight that need them
            internal.stop(grace)
        self.peers.close()
        for service in reversed(self.built.values()):
            service.close()
        self.tracer_provider.shutdown()


def missing_addresses(
    settings: Settings, names: Sequence[str], registry: Registry = REGISTRY
) -> list[str]:
    """The services that ``names`` require (identity always: it signs the tokens) which run
    neither in this process nor at a configured ``RHIP_<SERVICE>_ADDRESS``."""
    needed = {ISSUER, *(r for n in names for r in registry.modules[n].requires)}
    return sorted(n for n in needed if n not in names and not settings.address_of(n))


def build_cell(
    settings: Settings,
    services: Sequence[str] = AVAILABLE_SERVICES,
    *,
    tracer_provider: TracerProvider | None = None,
    meter: Meter | None = None,
    registry: Registry = REGISTRY,
) -> Cell:
    names = registry.resolve(",".join(services))
    for needed in missing_addresses(settings, names, registry):
        raise ConfigError(f"RHIP_{needed.upper()}_ADDRESS is required when {needed} runs elsewhere")
    # Every listener of the cell requires a client certificate (mutual TLS) when TLS is on;
    # its calls (identity, other cells' JWKS, the gateway) present its own.
    transport = Transport.from_settings(settings, CELL)
    peers = ChannelPool(transport)
    holder: list[Cell] = []
    built = _build_services(
        registry, settings, names, peers, lambda name: holder[0].address_of(name)
    )
    tracer_provider = tracer_provider or build_tracer_provider(
        settings.traces_exporter, f"rhip-cell-{settings.cell}"
    )
    own_keys: KeySource = next(
        (b.token_keys for b in built.values() if b.token_keys is not None),
        None,
    ) or remote_keys(lambda: peers.get(settings.address_of(ISSUER)), settings.cell)
    verifier = TokenVerifier(_trust(settings, own_keys, peers))
    authorizer = _first_authorizer(built)
    access_log = AccessLog(settings.access_log, settings.access_log_slow_ms)
    meter = meter or build_meter(f"rhip-cell-{settings.cell}")
    metrics = Metrics()

    def server(specs: list[ServiceSpec], meter: Meter, name: str = "public") -> RhipServer:
        return RhipServer(
            specs,
            verifier=verifier,
            authorizer=authorizer,
            tracer_provider=tracer_provider,
            meter=meter,
            transport=transport,
            workers=settings.grpc_workers,
            access_log=access_log,
            metrics=metrics,
            metrics_name=name,
        )

    public = server([spec for b in built.values() for spec in b.specs], meter)
    internal = {
        name: server(
            built[name].specs,
            build_meter(f"rhip-cell-{settings.cell}-internal-{name}"),
            "internal" if name == ISSUER else f"internal-{name}",
        )
        for name in registry.required_in_process(names)
        if not settings.address_of(name)
    }
    cell = Cell(
        settings, names, public, tracer_provider, peers, built, internal, registry, metrics=metrics
    )
    cell.watches = _database_watches(settings, public, meter, built)
    _count(metrics, cell)
    # Every service database holds that service's audit log (the kit's tables).
    logs = {name: db for b in built.values() for name, db in b.databases.items()}
    cell.audit_purge = AuditPurgeWorker(
        cell_purges(settings, cell_secret(settings), logs), settings.audit_purge_interval_seconds
    )
    holder.append(cell)
    return cell


def _build_services(
    registry: Registry,
    settings: Settings,
    names: Sequence[str],
    peers: ChannelPool,
    address_of: Callable[[str], str],
) -> dict[str, Built]:
    """Each module in build order, given those built before it; on a failure the services
    already built are closed again."""
    built: dict[str, Built] = {}
    try:
        for name in names:
            context = CellContext(
                settings,
                peers,
                lambda: cell_secret(settings),
                address_of,
                _first_authorizer(built),
                dict(built),
                tuple(names),
                lambda: signing_secrets(settings, cell_secret(settings)),
            )
            built[name] = registry.modules[name].build(context)
    except BaseException:
        for service in reversed(built.values()):
            service.close()
        raise
    return built


def _first_authorizer(built: Mapping[str, Built]) -> Authorizer | None:
    return next((b.authorizer for b in built.values() if b.authorizer is not None), None)


def _count(metrics: Metrics, cell: Cell) -> None:
    """Pool, database-watch, read-audit and outbox gauges of the cell's services."""
    for service in cell.built.values():
        for name, database in service.databases.items():
            metrics.database(name, database.pools())
        for name, writer in service.audit_writers.items():
            writer.on_flush = metrics.audit_writer(name, writer.depth)
        for name, delivery in service.outboxes.items():
            metrics.outbox(name, delivery.backlog)
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
    settings: Settings, server: RhipServer, meter: Meter, built: Mapping[str, Built]
) -> list[DatabaseWatch]:
    """One watch per service database; while one does not answer, that service (and the
    cell as a whole, the readiness probe) reports NOT_SERVING."""
    watches: list[DatabaseWatch] = []
    metrics = WatchMetrics(meter)
    for service in built.values():
        names = [spec.full_name for spec in service.specs]
        for db_name, database in service.databases.items():

            def on_change(
                ok: bool, part: str = f"database:{db_name}", names: list[str] = names
            ) -> None:
                server.readiness.set_ready(part, names, ok)

            watches.append(
                DatabaseWatch(
                    db_name, database, on_change, metrics, timeout=settings.db_check_timeout_seconds
                )
            )
    return watches
