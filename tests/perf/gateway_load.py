"""The load generator of the gateway benchmarks, run in a process of its own: reads and
writes drawn from a plan, driven by ``_common.drive_load`` (``grpc.aio``)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import audit_ab
import grpc
from _common import (
    dies_with_parent,
    drive_load,
)
from gateway_platform import WRITE_SHARE, Platform


# -- load generator (its own process) ----------------------------------------------------------
async def generate_load(plan: dict) -> dict:
    """Reads drawn at random from ``plan["reads"]``; with ``write_share``, a write instead:
    worker k always writes slot k (mod the slots), alternating its two requests."""
    options = [("grpc.so_reuseport", 0)]
    if plan.get("tls_ca"):  # a public client of a gateway on TLS: trusts its CA, no certificate
        ca = Path(plan["tls_ca"]).read_bytes()
        credentials = grpc.ssl_channel_credentials(root_certificates=ca)
        channel = grpc.aio.secure_channel(plan["target"], credentials, options=options)
    else:
        channel = grpc.aio.insecure_channel(plan["target"], options=options)
    await asyncio.wait_for(channel.channel_ready(), 30)
    calls: dict[str, grpc.aio.UnaryUnaryMultiCallable] = {}

    def prepared(item: dict) -> tuple:
        method = item["method"]
        if method not in calls:
            calls[method] = channel.unary_unary(method)
        md = tuple((k, v) for k, v in item["metadata"])
        return calls[method], base64.b64decode(item["request"]), md

    reads = [prepared(item) for item in plan["reads"]]
    writes = [[prepared(item) for item in slot] for slot in plan.get("writes", [])]
    share = plan.get("write_share", 0.0) if writes else 0.0
    turns: Counter[int] = Counter()

    def next_call(worker: int, rng: random.Random):  # type: ignore[no-untyped-def]
        if share and rng.random() < share:
            slot = writes[worker % len(writes)]
            turns[worker] += 1
            call, request, md = slot[turns[worker] % len(slot)]
            return "write", call(request, metadata=md, timeout=30)
        call, request, md = reads[rng.randrange(len(reads))]
        return "read", call(request, metadata=md, timeout=30)

    try:
        return await drive_load(
            next_call,
            concurrency=plan["concurrency"],
            duration=plan["duration"],
            warmup=plan["warmup"],
            server_pids=plan["server_pids"],
            postgres_database=plan.get("postgres_database"),
            measure_postgres=plan.get("measure_postgres", True),
            snapshot=audit_ab.flush_counters(plan["metrics"]) if plan.get("metrics") else None,
        )
    finally:
        await channel.close()


def start_load(plan: dict, folder: Path, script: Path | None = None) -> subprocess.Popen:
    """``script --load plan.json`` (this file's generator by default) in its own process."""
    path = folder / f"plan-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(plan))
    script = script or Path(__file__).resolve()
    return subprocess.Popen(
        [*dies_with_parent(), sys.executable, str(script), "--load", str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )


def finish_load(proc: subprocess.Popen, timeout: float) -> dict:
    try:
        out, _ = proc.communicate(timeout=timeout)
    finally:  # a timeout, or SIGTERM to the benchmark while waiting
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed (exit {proc.returncode})")
    return json.loads(out.strip().splitlines()[-1])


def _plan(
    platform: Platform | None,
    scenario: str,
    concurrency: int,
    duration: float,
    warmup: float,
    *,
    target: str | None = None,
    pid: int | None = None,
    reads: list | None = None,
    pg_database: str | None = None,
) -> dict:
    plan: dict = {"concurrency": concurrency, "duration": duration, "warmup": warmup}
    if scenario in ("a", "a'"):
        plan.update(target=target, server_pids={"server": pid}, reads=reads)
        plan["postgres_database"] = pg_database
        return plan
    assert platform is not None and platform.gateway is not None
    plan["reads"] = platform.read_items
    plan["tls_ca"] = platform.tls_ca
    plan["postgres_database"] = platform.pg_database
    plan["measure_postgres"] = platform.pg_database is not None
    if scenario == "b":
        plan.update(target=platform.cell_address, server_pids={"cell": platform.cell.pid})
    else:
        plan.update(
            target=platform.gateway_address,
            server_pids={"gateway": platform.gateway.pid, "cell": platform.cell.pid},
        )
    if scenario == "d":
        plan.update(writes=platform.write_slots, write_share=WRITE_SHARE)
    if scenario == "e":
        plan["reads"] = platform.resident_items
    return plan


if __name__ == "__main__":  # ``start_load``: ``gateway_load.py --load plan.json``
    print(json.dumps(asyncio.run(generate_load(json.loads(Path(sys.argv[2]).read_text())))))
