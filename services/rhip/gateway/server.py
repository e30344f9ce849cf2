"""Composition root of the gateway: routing table → channels → trust (every cell's JWKS,
each key for its own cell's principals) → guard and rate limiter → the forwarding handler on
a RhipServer, with health and reflection for every service it forwards."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from opentelemetry.metrics import Meter
from opentelemetry.sdk.trace import TracerProvider
from rhip.gateway.bulkhead import Bulkheads
from rhip.gateway.cors import Cors
from rhip.gateway.guard import Guard
from rhip.gateway.http import HttpGateway
from rhip.gateway.import_peers import load_replicas
from rhip.gateway.openapi import load as load_openapi
from rhip.gateway.proxy import CellProxy
from rhip.gateway.ratelimit import RateLimiter
from rhip.kit.apis import public_methods, service_names
from rhip.kit.authn import TokenVerifier
from rhip.kit.channels import ChannelPool
from rhip.kit.config import Settings
from rhip.kit.interceptors import AccessLog
from rhip.kit.metrics import Metrics
from rhip.kit.peers import cell_keys
from rhip.kit.routing import RoutingTable
from rhip.kit.server import RhipServer, ServiceSpec
from rhip.kit.telemetry import build_meter, build_tracer_provider
from rhip.kit.transport import GATEWAY, Transport
from rhip.kit.workers import PeriodicWorker
from rhip.locator.server import Locator, build_locator

log = logging.getLogger(__name__)


@dataclass
class Gateway:
    server: RhipServer
    routes: RoutingTable
    channels: ChannelPool
    tracer_provider: TracerProvider
    port: int = 0
    health_listen: str = ""  # health on a port and thread pool of its own (rhip.kit.health)
    # Where cells call the gateway for cross-cell work: mutual TLS (rhip.kit.transport).
    internal_listen: str = ""
    metrics: Metrics = field(default_factory=Metrics)
    metrics_listen: str = ""  # Prometheus metrics on a port of their own (rhip.kit.metrics)
    # HTTP/JSON transcoding and /openapi.json (rhip.gateway.http); empty: off.
    http: HttpGateway | None = None
    http_listen: str = ""
    http_port: int = 0
    # The platform-level resident locator this process serves itself (rhip.locator).
    locator: Locator | None = None
    # How this process calls (its own gRPC listener, for the console's imports).
    transport: Transport | None = None

    def __post_init__(self) -> None:
        self._routes_watcher = PeriodicWorker("routes-watcher", self._reload_routes, 1.0)

    def start(self, address: str) -> int:
        self.port = self.server.start(
            address, health_address=self.health_listen, internal_address=self.internal_listen
        )
        if self.metrics_listen:
            self.metrics.serve(self.metrics_listen)
        if self.http is not None and self.http_listen:
            # The console's imports call this gateway's own listener, as the command would.
            host = address.rpartition(":")[0]
            wildcard = ("", "0.0.0.0", "[::]", "::")  # noqa: S104 (read, not bound)
            host = "127.0.0.1" if host in wildcard else host
            transport, own = self.transport or Transport.plaintext(), f"{host}:{self.port}"
            self.http.imports.channel = lambda: transport.channel(
                own, server_name=transport.own_name
            )
            self.http_port = self.http.start(self.http_listen)
        self._routes_watcher.start()
        log.info(
            "gateway serving on port %d for cells %s",
            self.port,
            [c.name for c in self.routes.cells],
        )
        return self.port

    def _reload_routes(self) -> None:
        if self.routes.reload_if_changed():
            self.channels.retain(self.routes.addresses())

    def stop(self, grace: float = 2.0) -> None:
        self._routes_watcher.stop(timeout=2.0)
        if self.http is not None:
            self.http.stop()
        self.metrics.stop()
        self.server.stop(grace)
        self.channels.close()
        if self.locator is not None:
            self.locator.close()
        self.tracer_provider.shutdown()


def build_gateway(
    settings: Settings,
    routes: RoutingTable,
    *,
    tracer_provider: TracerProvider | None = None,
    meter: Meter | None = None,
) -> Gateway:
    # TLS on the public port (no client certificate asked), mutual TLS on the internal port
    # and towards the cells.
    transport = Transport.from_settings(settings, GATEWAY)
    channels = ChannelPool(transport)
    metrics = Metrics()
    # Every cell's keys, each vouching for its own cell's principals only; the routes
    # watcher (Gateway.start) reloads the table they follow.
    trust = cell_keys(routes, channels)
    # One slow cell keeps at most this many workers (by default all but one).
    bulkheads = Bulkheads(settings.gateway_cell_inflight or max(1, settings.grpc_workers - 1))
    metrics.bulkheads(bulkheads.snapshot, bulkheads.limit)
    proxy = CellProxy(
        routes,
        channels,
        Guard(),
        RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst),
        settings.upstream_timeout_seconds,
        bulkheads,
    )
    names = service_names()
    # One generic handler serves every forwarded service; each still gets its own health
    # status and reflection entry.
    specs = [
        ServiceSpec(
            name,
            (lambda server: server.add_generic_rpc_handlers((proxy,)))
            if i == 0
            else (lambda server: None),
            public_methods(name),
        )
        for i, name in enumerate(names)
    ]
    # Platform-level APIs are served here, not forwarded: the resident locator.
    locator = build_locator(settings, routes)
    specs.append(locator.spec)
    tracer_provider = tracer_provider or build_tracer_provider(
        settings.traces_exporter, "rhip-gateway"
    )
    verifier = TokenVerifier(trust)
    access_log = AccessLog(settings.access_log, settings.access_log_slow_ms)
    http = (
        HttpGateway(
            proxy,
            verifier,
            tracer_provider,
            load_openapi,
            workers=settings.grpc_workers,
            access_log=access_log,
            observer=metrics.server("gateway-http", settings.grpc_workers),
            cors=Cors(settings.gateway_cors_origins),
            console_dir=settings.gateway_console_dir,
            # A bad RHIP_GATEWAY_REPLICA or RHIP_GATEWAY_PEERS fails before anything starts.
            replicas=load_replicas(settings.env),
        )
        if settings.gateway_http_listen
        else None
    )
    server = RhipServer(
        specs,
        verifier=verifier,
        authorizer=None,
        tracer_provider=tracer_provider,
        meter=meter or build_meter("rhip-gateway"),
        transport=transport,
        workers=settings.grpc_workers,
        access_log=access_log,
        metrics=metrics,
    )
    return Gateway(
        server,
        routes,
        channels,
        tracer_provider,
        health_listen=settings.health_listen,
        internal_listen=settings.internal_listen,
        metrics=metrics,
        metrics_listen=settings.metrics_listen,
        http=http,
        http_listen=settings.gateway_http_listen,
        locator=locator,
        transport=transport,
    )
