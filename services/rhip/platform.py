"""The embedded platform (``make run``): the gateway in this process and one all-in-one cell
process per demo region, each on its own SQLite files, wired by a routing table under
data_dir. Ctrl-C (or SIGTERM) stops everything."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from rhip.demo import CELLS, DEMO_PASSWORD, DEMO_WORLD_VERSION
from rhip.gateway.server import build_gateway
from rhip.kit.config import ConfigError, Settings
from rhip.kit.routing import RoutingTable
from rhip.kit.server import run_until_signal
from rhip.kit.transport import GATEWAY, Transport
from rhip.modules import REGISTRY

DEMO_HTTP_PORT = 8080


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _demo_http_listen(host: str) -> str:
    """``host:8080``, or any free port when 8080 is taken (the URL is printed either way)."""
    with socket.socket() as sock:
        try:
            sock.bind((host, DEMO_HTTP_PORT))
        except OSError:
            return f"{host}:0"
    return f"{host}:{DEMO_HTTP_PORT}"


def _wait_healthy(
    transport: Transport,
    address: str,
    process: subprocess.Popen[bytes],
    log_path: Path,
    timeout: float = 120,
) -> None:
    deadline = time.monotonic() + timeout
    with transport.channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ConfigError(f"cell process exited ({process.returncode}); see {log_path}")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                time.sleep(0.2)
    raise ConfigError(f"cell at {address} did not become healthy; see {log_path}")


def _next_port(address: str, step: int) -> str:
    """``host:port`` ``step`` ports further (port 0 stays 0; empty stays empty: off)."""
    if not address:
        return ""
    host, _, port = address.rpartition(":")
    return f"{host}:{int(port) + step if int(port) else 0}"


def _set_aside_another_demo_world(data_dir: Path) -> None:
    """Cells seeded under another layout of the demo world (rhip.demo.DEMO_WORLD_VERSION) are
    moved aside, not reseeded: their objects carry other request ids, so seeding them again
    would add a second copy of everything. Nothing is deleted."""
    stamp = data_dir / "demo-world"
    seen = stamp.read_text().strip() if stamp.exists() else "1"
    seeded = [code for code in CELLS if (data_dir / code).exists()]
    if seeded and seen != str(DEMO_WORLD_VERSION):
        aside = data_dir / f"demo-world-{seen}.{time.strftime('%Y%m%d%H%M%S')}"
        aside.mkdir()
        for code in seeded:
            (data_dir / code).rename(aside / code)
        if (data_dir / "platform").exists():  # the locator's claims of those cells' records
            (data_dir / "platform").rename(aside / "platform")
        print(f"demo data of an older layout moved to {aside}; seeding the current one")
    stamp.write_text(f"{DEMO_WORLD_VERSION}\n")


def run_demo_platform(settings: Settings, cell_base_port: int = 50061) -> int:
    if not settings.development:
        raise ConfigError("the demo platform runs in development mode only")
    host = settings.listen.rsplit(":", 1)[0]
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    _set_aside_another_demo_world(data_dir)
    cells = [
        (code, f"{host}:{cell_base_port + i if cell_base_port else _free_port(host)}")
        for i, code in enumerate(CELLS)
    ]
    routes_path = data_dir / "routes.json"
    routes_path.write_text(
        json.dumps(
            {"cells": [{"name": CELLS[code].name.split()[-1].lower(), "regions": [code], "address": address}
                       for code, address in cells]},
            indent=2,
        )
    )  # fmt: skip
    processes: list[subprocess.Popen[bytes]] = []
    gateway = None
    try:
        # The gateway first: it serves the platform's resident locator, which the cells'
        # archives ask while seeding their demo records (through it, as their cell accounts).
        # HTTP/JSON next to gRPC (RHIP_GATEWAY_HTTP_LISTEN; the demo's default: port 8080).
        settings = replace(
            settings, gateway_http_listen=settings.gateway_http_listen or _demo_http_listen(host)
        )
        gateway = build_gateway(settings, RoutingTable.from_file(routes_path))
        port = gateway.start(settings.listen)
        for i, (code, address) in enumerate(cells):
            log_path = data_dir / code / "cell.log"
            log_path.parent.mkdir(parents=True, exist_ok=True)
            env = {
                **os.environ,
                "RHIP_CELL": code,
                "RHIP_LISTEN": address,
                "RHIP_ROUTES": str(routes_path),
                # The cell's own service account, for record migration through the gateway.
                "RHIP_CELL_CLIENT_ID": f"cell-{code}",
                "RHIP_CELL_CLIENT_SECRET": secrets.token_urlsafe(24),
                "RHIP_GATEWAY_ADDRESS": settings.listen,
                # The gateway's metrics on RHIP_METRICS_LISTEN, each cell's on the next ports.
                "RHIP_METRICS_LISTEN": _next_port(settings.metrics_listen, i + 1),
            }
            with log_path.open("ab") as log_file:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "rhip.cli", "serve", "--services", "all", "--demo"],
                        env=env,
                        stdout=log_file,
                        stderr=subprocess.STDOUT,
                    )
                )
            print(f"starting cell {code} on {address} (log: {log_path})", flush=True)
        for (code, address), process in zip(cells, processes, strict=True):
            # As the gateway will call the cell: with its certificate when TLS is on.
            _wait_healthy(
                Transport.from_settings(settings, GATEWAY),
                address,
                process,
                data_dir / code / "cell.log",
            )
        _print_welcome(f"{host}:{port}", cells)
        _print_http_hints(f"{host}:{gateway.http_port}")
        run_until_signal(gateway.server)
    finally:
        if gateway is not None:
            gateway.stop()
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0


def _print_http_hints(http: str) -> None:
    login = json.dumps({"password": {"username": "xz-admin", "password": DEMO_PASSWORD}})
    print(f"\nHTTP/JSON on http://{http} (OpenAPI 3: http://{http}/openapi.json):")
    print(f"  curl -s -H 'x-rhip-region: 320300' -d '{login}' \\")
    print(f"    http://{http}/identity/v1/tokens:login")
    print("  with TOKEN (accessToken) from the reply, the institutions of Xuzhou:")
    print('  curl -s -H "authorization: Bearer $TOKEN" \\')
    print(f"    http://{http}/identity/v1/regions/320300/tenants")
    # Last, where the operator looks first: the console (rhip.gateway.console).
    print(f"\nweb console (中文 / English): http://{http}/console/")
    print("  sign in as xz-admin (region 320300), xz-doctor-1 (320300) or js-auditor (320000)")
    print("Ctrl-C stops the platform.", flush=True)


def _print_welcome(gateway: str, cells: list[tuple[str, str]]) -> None:
    print(f"\nrhip demo platform: gateway on {gateway}")
    for code, address in cells:
        print(
            f"  cell {code} {CELLS[code].name:<14} {address} ({', '.join(REGISTRY.names)}; SQLite)"
        )
    print(f"\ndemo password for every account: {DEMO_PASSWORD}")
    for code, _ in cells:
        demo = CELLS[code]
        for account in demo.accounts:
            scope = account.scope
            if scope.startswith("t"):
                scope = demo.tenants[int(scope[1:])].name
            print(f"  {account.username:<14} {account.kind.value:<15} {scope}")
    login = json.dumps({"password": {"username": "xz-admin", "password": DEMO_PASSWORD}})
    print("\nlog in through the gateway (name your region until you have a token):")
    print("  buf curl --protocol grpc --http2-prior-knowledge -H 'x-rhip-region: 320300' \\")
    print(f"    -d '{login}' http://{gateway}/rhip.api.identity.v1.IdentityService/Login")
    for module in REGISTRY.modules.values():
        if module.demo_hints is not None:
            print()
            print("\n".join(module.demo_hints(gateway, [code for code, _ in cells])))
