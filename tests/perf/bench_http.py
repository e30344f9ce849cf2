"""Server CPU per call: an HTTP/JSON GET of a tenant (``GET /identity/v1/tenants/{id}``) against
the same ``GetTenant`` over gRPC, both through the real gateway to the real cell.

A demo cell (``rhip serve --services all --demo``, SQLite) and a gateway (``rhip gateway``
with ``RHIP_GATEWAY_HTTP_LISTEN``) run as separate processes on 127.0.0.1; this process keeps
``--concurrency`` calls in flight from as many threads (one keep-alive HTTP/1.1 connection
per thread; one gRPC channel shared), alternating gRPC and HTTP rounds, and reads the
gateway's and the cell's CPU time (``/proc``) around each round. The cell does the same work
for both (the same bytes arrive), so the difference is the gateway's: transcoding, JSON and
the HTTP server against grpc's C core. Issue 18's target: HTTP ≤ 1.5× the server CPU per call
(gateway + cell) of gRPC.

Run: ``.venv/bin/python tests/perf/bench_http.py [--quick]`` (writes tests/perf/RESULTS-http.md).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import grpc
from _common import Child, commit, free_port, log, machine, proc_cpu_seconds, table

REGION = "320300"
DOCTOR = "xz-doctor-1"
TARGET = 1.5
RESULTS = Path(__file__).with_name("RESULTS-http.md")


class Bench:
    def __init__(self, folder: Path) -> None:
        self.cell_address = f"127.0.0.1:{free_port()}"
        self.gateway_address = f"127.0.0.1:{free_port()}"
        self.http_port = free_port()
        routes = folder / "routes.json"
        routes.write_text(
            json.dumps(
                {
                    "cells": [
                        {"name": "jiangsu", "regions": ["320000"], "address": self.cell_address}
                    ]
                }
            )
        )
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("RHIP_", "OTEL_"))}
        env = {
            **inherited,
            "RHIP_CELL": "320000",
            "RHIP_DATA_DIR": str(folder / "data"),
            "RHIP_ROUTES": str(routes),
            "RHIP_ACCESS_TOKEN_TTL_SECONDS": "3600",
        }
        python = sys.executable
        self.cell = Child(
            "cell",
            [python, "-m", "rhip.cli", "serve", "--services", "all", "--demo"],
            folder,
            {**env, "RHIP_LISTEN": self.cell_address},
        )
        self.cell.wait_serving(self.cell_address)
        self.gateway = Child(
            "gateway",
            [python, "-m", "rhip.cli", "gateway", "--listen", self.gateway_address],
            folder,
            {
                **env,
                "RHIP_RATE_LIMIT_PER_SECOND": "1000000",
                "RHIP_RATE_LIMIT_BURST": "1000000",
                "RHIP_GATEWAY_HTTP_LISTEN": f"127.0.0.1:{self.http_port}",
            },
        )
        self.gateway.wait_serving(self.gateway_address)
        self.gateway.wait_for_line("rhip gateway serving HTTP/JSON")
        from rhip.api.identity.v1 import identity_service_pb2 as pb
        from rhip.api.identity.v1 import identity_service_pb2_grpc as pb_grpc
        from rhip.demo import DEMO_PASSWORD

        self.pb = pb
        self.channel = grpc.insecure_channel(self.gateway_address)
        self.stub = pb_grpc.IdentityServiceStub(self.channel)
        session = self.stub.Login(
            pb.LoginRequest(
                password=pb.PasswordCredentials(username=DOCTOR, password=DEMO_PASSWORD)
            ),
            metadata=[("x-rhip-region", REGION)],
            timeout=30,
        )
        self.token = session.access_token
        self.tenant = f"tenants/{session.principal.tenant_id}"

    def stop(self) -> None:
        self.channel.close()
        self.gateway.stop()
        self.cell.stop()

    # -- one caller thread per in-flight call -----------------------------------------------
    def _grpc_caller(self, stop: threading.Event, counts: list[int], i: int) -> None:
        request = self.pb.GetTenantRequest(name=self.tenant)
        metadata = [("authorization", f"Bearer {self.token}")]
        while not stop.is_set():
            self.stub.GetTenant(request, metadata=metadata, timeout=10)
            counts[i] += 1

    def _http_caller(self, stop: threading.Event, counts: list[int], i: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=10)
        headers = {"Authorization": f"Bearer {self.token}"}
        path = f"/identity/v1/{self.tenant}"
        try:
            while not stop.is_set():
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                body = response.read()
                if response.status != 200:
                    raise RuntimeError(f"HTTP {response.status}: {body[:200]!r}")
                counts[i] += 1
        finally:
            connection.close()

    def round(self, mode: str, seconds: float, concurrency: int) -> dict[str, float]:
        caller = self._grpc_caller if mode == "grpc" else self._http_caller
        stop = threading.Event()
        counts = [0] * concurrency
        threads = [
            threading.Thread(target=caller, args=(stop, counts, i), daemon=True)
            for i in range(concurrency)
        ]
        for thread in threads:
            thread.start()
        time.sleep(min(1.0, seconds / 4))  # warm: connections, caches
        warm = sum(counts)
        gw0, cell0, t0 = (
            proc_cpu_seconds(self.gateway.pid),
            proc_cpu_seconds(self.cell.pid),
            time.monotonic(),
        )
        time.sleep(seconds)
        calls = sum(counts) - warm
        gw1, cell1, t1 = (
            proc_cpu_seconds(self.gateway.pid),
            proc_cpu_seconds(self.cell.pid),
            time.monotonic(),
        )
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        return {
            "calls": calls,
            "rate": calls / (t1 - t0),
            "gateway_us": (gw1 - gw0) / calls * 1e6,
            "cell_us": (cell1 - cell0) / calls * 1e6,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one short round of each")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    seconds, rounds = (4.0, 1) if args.quick else (15.0, 3)
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(Path(tmp))
        try:
            measured: dict[str, list[dict[str, float]]] = {"grpc": [], "http": []}
            for n in range(rounds):
                for mode in ("grpc", "http"):
                    result = bench.round(mode, seconds, args.concurrency)
                    log(f"round {n + 1} {mode}: {result}")
                    measured[mode].append(result)
        finally:
            bench.stop()

    def mean(mode: str, key: str) -> float:
        return sum(r[key] for r in measured[mode]) / len(measured[mode])

    rows = []
    for mode, label in (("grpc", "gRPC GetTenant"), ("http", "HTTP GET /identity/v1/tenants/{id}")):
        gateway, cell = mean(mode, "gateway_us"), mean(mode, "cell_us")
        rows.append([label, f"{mean(mode, 'rate'):.0f}", f"{gateway:.0f}", f"{cell:.0f}",
                     f"{gateway + cell:.0f}"])  # fmt: skip
    total = {m: mean(m, "gateway_us") + mean(m, "cell_us") for m in measured}
    ratio = total["http"] / total["grpc"]
    gateway_ratio = mean("http", "gateway_us") / mean("grpc", "gateway_us")
    verdict = "met" if ratio <= TARGET else "NOT met"
    report = "\n".join(
        [
            "# HTTP/JSON vs gRPC through the gateway (tests/perf/bench_http.py)",
            "",
            f"{machine()}; commit {commit()}; {'--quick' if args.quick else 'full'} run: "
            f"{rounds} round(s) of {seconds:.0f} s each, {args.concurrency} calls in flight; "
            "SQLite demo cell; practitioner token; CPU read from /proc.",
            "",
            table(
                [
                    "call",
                    "calls/s",
                    "gateway µs CPU/call",
                    "cell µs CPU/call",
                    "server µs CPU/call",
                ],
                rows,
            ),
            "",
            f"Server CPU per call, HTTP / gRPC: **{ratio:.2f}×** (target ≤ {TARGET}×: {verdict}); "
            f"the gateway's alone: {gateway_ratio:.2f}×.",
            "",
        ]
    )
    RESULTS.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
