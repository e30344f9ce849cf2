"""A cell: the services of one region running in one process (all-in-one) or any subset.

For now the cell hosts the identity service; the other services join as they are built.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from opentelemetry.metrics import Meter
from opentelemetry.sdk.trace import TracerProvider
from rhip.identity.server import IdentityService, build_identity, migrate_identity
from rhip.kit.authn import KeySource, TokenVerifier
from rhip.kit.channels import ChannelPool
from rhip.kit.config import ConfigError, Settings
from rhip.kit.peers import chain_keys, remote_keys
from rhip.kit.routing import RoutingError, RoutingTable
from rhip.kit.server import RhipServer
from rhip.kit.telemetry import build_meter, build_tracer_provider

log = logging.getLogger(__name__)

AVAILABLE_SERVICES = ("identity",)


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


@dataclass
class Cell:
    settings: Settings
    identity: IdentityService
    server: RhipServer
    tracer_provider: TracerProvider
    peers: ChannelPool
    port: int = 0
    _closed: bool = field(default=False, repr=False)

    def start(self, address: str | None = None) -> int:
        self.port = self.server.start(address or self.settings.listen)
        log.info("cell %s serving on port %d", self.settings.cell, self.port)
        return self.port

    def stop(self, grace: float = 2.0) -> None:
        if self._closed:
            return
        self._closed = True
        self.server.stop(grace)
        self.peers.close()
        self.identity.close()
        self.tracer_provider.shutdown()


def build_cell(
    settings: Settings,
    services: Sequence[str] = AVAILABLE_SERVICES,
    *,
    tracer_provider: TracerProvider | None = None,
    meter: Meter | None = None,
) -> Cell:
    resolve_services(",".join(services))
    identity = build_identity(settings, cell_secret(settings))
    tracer_provider = tracer_provider or build_tracer_provider(
        settings.traces_exporter, f"rhip-cell-{settings.cell}"
    )
    peers = ChannelPool()
    verifier = TokenVerifier(_key_source(settings, identity, peers))
    server = RhipServer(
        identity.specs,
        verifier=verifier,
        authorizer=identity.authorizer,
        tracer_provider=tracer_provider,
        meter=meter or build_meter(f"rhip-cell-{settings.cell}"),
        workers=settings.grpc_workers,
    )
    return Cell(settings, identity, server, tracer_provider, peers)


def _key_source(settings: Settings, identity: IdentityService, peers: ChannelPool) -> KeySource:
    """This cell's own keys, then (with a routing table) every other cell's: cross-cell calls
    carry the original caller's token, issued by the caller's cell."""
    if not settings.routes_file:
        return identity.keys.public_key
    try:
        routes = RoutingTable.from_file(settings.routes_file)
    except (OSError, RoutingError) as error:
        raise ConfigError(f"RHIP_ROUTES {settings.routes_file}: {error}") from None
    own = routes.owner(settings.cell)

    def other_cells() -> dict[str, grpc.Channel]:
        routes.reload_if_changed()
        return {c.name: peers.get(c.address) for c in routes.cells if c != own}

    return chain_keys(identity.keys.public_key, remote_keys(other_cells))
