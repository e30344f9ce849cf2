"""Sync vs async gRPC on the real path of a call.

Each server runs in its own process on 127.0.0.1 (port 0) and serves one unary method with
the generic handler API (bytes in, bytes out, no generated stubs):

* ``echo-sync`` / ``echo-async``: returns the request (the transport baseline);
* ``real-sync``: grpcio server on a ThreadPoolExecutor (16 workers, as ``RhipServer``) +
  SQLAlchemy Core sync engine (psycopg 3);
* ``real-async``: ``grpc.aio`` server + SQLAlchemy async engine (psycopg 3 async).

The real path is what a service does for a read: verify the EdDSA bearer token
(``rhip.kit.authn.TokenVerifier``), read one row by primary key from PostgreSQL in its own
transaction, and ask ``rhip.kit.authz.Authorizer`` whether the caller may read a record owned
by that row's scope (a 100,000-row policy). It runs with the verifier's cache (production) and
without it (``cache_size=0``: every call verifies the signature, as with a fresh token per call).

A load generator in a separate process (``grpc.aio`` client) keeps 8, then 64 calls in flight
for a fixed time and reports calls/s, p50, p99, and the CPU time per call of the server
process (``/proc/<pid>/stat`` utime+stime), of the PostgreSQL processes and of itself.

Run alone: ``.venv/bin/python tests/perf/bench_transport.py [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import grpc
from _common import (
    drive_load,
    log,
    percentile,
    scratch_database,
    table,
)
from sqlalchemy import (
    insert,
)
from transport_servers import (
    ACTION,
    GET_RECORD,
    ISSUER,
    KID,
    METHOD,
    POOL_SIZE,
    SCENARIOS,
    SERVICE,
    bench_record,
    make_verifier,
    metadata,
    serve_async,
    serve_sync,
)


# -- load generator --------------------------------------------------------------------------
async def generate_load(
    target: str, concurrency: int, duration: float, warmup: float, work: list, server_pid: int
) -> dict:
    channel = grpc.aio.insecure_channel(target, options=[("grpc.so_reuseport", 0)])
    await asyncio.wait_for(channel.channel_ready(), 30)
    call = channel.unary_unary(METHOD)
    stats_call = channel.unary_unary(f"/{SERVICE}/Stats")
    items = [
        ((("authorization", "Bearer " + w["token"]),), [str(i).encode() for i in w["ids"]])
        for w in work
    ]

    def next_call(_worker: int, rng: random.Random):  # type: ignore[no-untyped-def]
        md, ids = items[rng.randrange(len(items))]
        return "", call(ids[rng.randrange(len(ids))], metadata=md, timeout=30)

    async def stats() -> dict:
        return json.loads(await stats_call(b""))

    res = await drive_load(
        next_call,
        concurrency=concurrency,
        duration=duration,
        warmup=warmup,
        server_pids={"server": server_pid},
        snapshot=stats,
    )
    await channel.close()
    res["db_connects"] = res["counters"]["db_connects"]
    return res


# -- orchestration ---------------------------------------------------------------------------
def prepare(db_url: str, folder: Path) -> tuple[Path, Path, dict]:
    """Policy, records and tokens in the scratch database; returns the config and work files."""
    import jwt
    from bench_authz import build_policy, store_policy
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    t0 = time.perf_counter()
    policy = build_policy(100_000, 20_000)
    db = store_policy(db_url, policy)
    tenants = len(policy.tenant_county)
    try:
        metadata.create_all(db.engine)
        n_records = 100_000
        rng = random.Random(1)
        rows = [
            {
                "id": i,
                "scope_path": policy.scope((i - 1) % tenants + 1),
                "payload": rng.randbytes(200),
            }
            for i in range(1, n_records + 1)
        ]
        with db.engine.begin() as conn:
            for k in range(0, n_records, 10_000):
                conn.execute(insert(bench_record), rows[k : k + 10_000])
            conn.exec_driver_sql("ANALYZE bench_record")
    finally:
        db.dispose()
    log(
        f"transport: policy (100,000 rows) and {n_records:,} records stored in {time.perf_counter() - t0:.1f} s"
    )

    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    now = int(time.time())
    work = []
    candidates = [t for t in range(1, tenants + 1) if t not in policy.blocked_tenants]
    for n, tenant in enumerate(rng.sample(candidates, 256)):
        user = next(
            (u for u in policy.tenant_users[tenant - 1] if u not in policy.blocked_users), None
        )
        if user is None:
            continue
        claims = {
            "iss": ISSUER,
            "aud": "rhip",
            "sub": user,
            "kind": "practitioner",
            "tid": str(tenant),
            "reg": policy.tenant_county[tenant - 1],
            "iat": now,
            "exp": now + 3600,
            "jti": f"bench-{n}",
        }
        token = jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": KID})
        ids = list(range(tenant, n_records + 1, tenants))
        work.append({"token": token, "ids": ids})
    cfg_path = folder / "server.json"
    cfg_path.write_text(json.dumps({"db_url": db_url, "public_key": public}))
    work_path = folder / "work.json"
    work_path.write_text(json.dumps(work))
    return cfg_path, work_path, {"records": n_records, "users": len(work)}


def path_breakdown(cfg_path: Path, work_path: Path, n: int) -> dict:
    """Each step of the real path alone, in this process, one call at a time (wall µs)."""
    from rhip.kit.authz import Authorizer, PolicyStore
    from rhip.kit.db import Database, make_engine
    from sqlalchemy.ext.asyncio import create_async_engine

    cfg = json.loads(cfg_path.read_text())
    work = json.loads(work_path.read_text())
    rng = random.Random(2)
    calls = [(w["token"], rng.choice(w["ids"])) for w in (rng.choice(work) for _ in range(n))]
    cached, uncached = make_verifier(cfg, True), make_verifier(cfg, False)
    db = Database(make_engine(cfg["db_url"], pool_size=POOL_SIZE))
    authz = Authorizer(PolicyStore(db))
    authz.refresh(force=True)
    clock = time.perf_counter_ns
    out: dict[str, list[float]] = {}

    def timed(name: str, fn, args_list) -> list:  # type: ignore[no-untyped-def]
        lat, results = [], []
        for args in args_list:
            t0 = clock()
            results.append(fn(*args))
            lat.append((clock() - t0) / 1000)
        out[name] = lat
        return results

    def read_sync(rid: int):  # type: ignore[no-untyped-def]
        with db.engine.connect() as conn:
            return conn.execute(GET_RECORD, {"id": rid}).first()

    try:
        for token, _ in calls:
            cached.verify(token)
        principals = timed("verify token, cached", cached.verify, [(t,) for t, _ in calls])
        timed("verify token, uncached (EdDSA)", uncached.verify, [(t,) for t, _ in calls[: n // 2]])
        rows = timed("PK read, sync engine", read_sync, [(rid,) for _, rid in calls])
        requests = [
            (p.subject, r.scope_path, ACTION) for p, r in zip(principals, rows, strict=True)
        ]
        for req in requests:
            assert authz.enforce(*req)
        timed("authz decision, warm", authz.enforce, requests)

        async def read_async() -> None:
            engine = create_async_engine(cfg["db_url"], pool_size=POOL_SIZE, max_overflow=POOL_SIZE)
            lat = []
            try:
                for _, rid in calls:
                    t0 = clock()
                    async with engine.connect() as conn:
                        (await conn.execute(GET_RECORD, {"id": rid})).first()
                    lat.append((clock() - t0) / 1000)
            finally:
                await engine.dispose()
            out["PK read, async engine"] = lat

        if async_engine_available():
            asyncio.run(read_async())
    finally:
        authz.stop()
        db.dispose()
    summary = {}
    for name, lat in out.items():
        lat.sort()
        summary[name] = {
            "n": len(lat),
            "p50_us": percentile(lat, 50),
            "p99_us": percentile(lat, 99),
            "mean_us": sum(lat) / len(lat),
        }
    return summary


class ServerProcess:
    def __init__(self, kind: str, cfg: Path, token_cache: bool) -> None:
        cmd = [sys.executable, os.path.abspath(__file__), "--serve", kind, "--config", str(cfg)]
        if not token_cache:
            cmd.append("--no-token-cache")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"server {kind} did not start (got {line!r})")
        self.port = int(line.split()[1])
        self.pid = self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run_load(
    port: int, pid: int, concurrency: int, duration: float, warmup: float, work: Path
) -> dict:
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--load",
        f"127.0.0.1:{port}",
        "--server-pid",
        str(pid),
        "--concurrency",
        str(concurrency),
        "--duration",
        str(duration),
        "--warmup",
        str(warmup),
        "--work",
        str(work),
    ]
    out = subprocess.run(
        cmd, check=True, capture_output=True, text=True, timeout=duration + warmup + 120
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def async_engine_available() -> bool:
    """SQLAlchemy's asyncio extension needs greenlet (``sqlalchemy[asyncio]``)."""
    import importlib.util

    return importlib.util.find_spec("greenlet") is not None


def run(*, quick: bool = False, postgres_url: str | None = None) -> dict:
    duration = 2.0 if quick else 10.0
    warmup = 0.5 if quick else 2.0
    concurrencies = (8, 64)
    results: dict = {"duration_s": duration, "warmup_s": warmup, "rows": [], "skipped": []}
    scenarios = SCENARIOS
    if not async_engine_available():
        scenarios = [s for s in SCENARIOS if s[1] != "real-async"]
        results["skipped"] = [s[0] for s in SCENARIOS if s[1] == "real-async"]
        log(
            "transport: greenlet is not installed, so SQLAlchemy's async engine cannot run: "
            "skipping the real-async rows (pip install 'sqlalchemy[asyncio]')"
        )
    with (
        scratch_database(base_url=postgres_url) as url,
        tempfile.TemporaryDirectory(prefix="rhip-bench-") as tmp,
    ):
        cfg, work, info = prepare(url, Path(tmp))
        results.update(info)
        log("transport: timing each step of the real path alone, in process")
        results["steps"] = path_breakdown(cfg, work, 1_000 if quick else 4_000)
        for name, st in results["steps"].items():
            log(f"transport:   {name}: p50 {st['p50_us']:.1f} µs, mean {st['mean_us']:.1f} µs")
        for label, kind, token_cache in scenarios:
            log(f"transport: starting server {label}")
            server = ServerProcess(kind, cfg, token_cache)
            try:
                for c in concurrencies:
                    log(
                        f"transport: {label}: {c} in flight for {duration:g} s (+{warmup:g} s warm-up)"
                    )
                    res = run_load(server.port, server.pid, c, duration, warmup, work)
                    res.update({"scenario": label, "kind": kind, "token_cache": token_cache})
                    results["rows"].append(res)
                    log(
                        f"transport: {label} @{c}: {res['calls_per_s']:,.0f} calls/s, "
                        f"p50 {res['p50_ms']:.2f} ms, p99 {res['p99_ms']:.2f} ms, "
                        f"server CPU {res['server_cpu_us_per_call']:.0f} µs/call, errors {res['errors'] or 0}"
                    )
                    if res["errors"]:
                        raise RuntimeError(f"{label}: calls failed: {res['errors']}")
            finally:
                server.stop()
    results["ratios"] = ratios(results["rows"])
    return results


def _get(rows: list[dict], scenario: str, c: int) -> dict:
    return next(r for r in rows if r["scenario"] == scenario and r["concurrency"] == c)


def ratios(rows: list[dict]) -> list[dict]:
    out = []
    for c in sorted({r["concurrency"] for r in rows}):
        pairs = [
            ("real-sync ÷ echo-sync", "real-sync", "echo-sync"),
            ("real-async ÷ echo-async", "real-async", "echo-async"),
            ("real-sync ÷ real-async", "real-sync", "real-async"),
            (
                "real-sync ÷ real-async, no token cache",
                "real-sync, no token cache",
                "real-async, no token cache",
            ),
            ("echo-sync ÷ echo-async", "echo-sync", "echo-async"),
        ]
        for name, a, b in pairs:
            try:
                ra, rb = _get(rows, a, c), _get(rows, b, c)
            except StopIteration:  # a skipped scenario
                continue
            out.append(
                {
                    "ratio": name,
                    "concurrency": c,
                    "calls_per_s": ra["calls_per_s"] / rb["calls_per_s"],
                    "p99": ra["p99_ms"] / rb["p99_ms"],
                    "server_cpu_per_call": ra["server_cpu_us_per_call"]
                    / rb["server_cpu_us_per_call"],
                }
            )
    return out


def report(results: dict) -> str:
    rows = [
        (
            r["scenario"],
            r["concurrency"],
            r["calls_per_s"],
            r["p50_ms"],
            r["p99_ms"],
            r["server_cpu_us_per_call"],
            r["server_cpu_cores"],
            r["postgres_cpu_us_per_call"],
            r["client_cpu_us_per_call"],
            f"{r['machine_busy_pct']:.0f} %",
            r["db_connects"],
        )
        for r in results["rows"]
    ]
    ratio_rows = [
        (
            r["ratio"],
            r["concurrency"],
            f"{r['calls_per_s']:.2f}",
            f"{r['p99']:.2f}",
            f"{r['server_cpu_per_call']:.2f}",
        )
        for r in results["ratios"]
    ]
    return "\n".join(
        [
            f"{results['duration_s']:g} s measured per row after {results['warmup_s']:g} s of warm-up; "
            f"{results['users']} practitioner tokens, each reading the {results['records'] // 20_000} records "
            f"of its own tenant (all calls allowed; any error fails the run). Server CPU = utime+stime "
            f"of the server process (all threads) ÷ calls; PostgreSQL = all postgres processes; client = "
            f"the load generator; machine busy = share of all CPUs busy.",
            "",
            table(
                [
                    "scenario",
                    "in flight",
                    "calls/s",
                    "p50 ms",
                    "p99 ms",
                    "server CPU µs/call",
                    "server cores",
                    "PostgreSQL CPU µs/call",
                    "client CPU µs/call",
                    "machine busy",
                    "new DB connections",
                ],
                rows,
            ),
            "",
            table(["ratio", "in flight", "calls/s", "p99 latency", "server CPU/call"], ratio_rows),
            "",
            "Each step of the real path alone (in one process, one call at a time, wall time):",
            "",
            table(
                ["step", "calls", "p50 µs", "p99 µs", "mean µs"],
                [
                    (k, v["n"], v["p50_us"], v["p99_us"], v["mean_us"])
                    for k, v in results["steps"].items()
                ],
            ),
        ]
        + (
            [
                "",
                "Skipped (greenlet missing, so no SQLAlchemy async engine): "
                + ", ".join(results["skipped"]),
            ]
            if results.get("skipped")
            else []
        )
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 s per row (smoke run)")
    parser.add_argument("--serve", choices=["echo-sync", "echo-async", "real-sync", "real-async"])
    parser.add_argument("--config", type=Path)
    parser.add_argument("--no-token-cache", action="store_true")
    parser.add_argument("--load", metavar="HOST:PORT")
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args(argv)

    if args.serve:
        cfg = json.loads(args.config.read_text()) if args.config else {}
        if args.serve.endswith("-sync"):
            serve_sync(args.serve, cfg, not args.no_token_cache)
        else:
            asyncio.run(serve_async(args.serve, cfg, not args.no_token_cache))
        return
    if args.load:
        work = json.loads(args.work.read_text())
        res = asyncio.run(
            generate_load(
                args.load, args.concurrency, args.duration, args.warmup, work, args.server_pid
            )
        )
        print(json.dumps(res))
        return
    results = run(quick=args.quick)
    print(report(results))


if __name__ == "__main__":
    main()
