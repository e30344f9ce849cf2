"""An identity read through the real processes: bare gRPC → cell → gateway → cell.

Every server is a separate process on 127.0.0.1; a load generator in its own process
(``_common.drive_load``, ``grpc.aio``) keeps 8, then 64 calls in flight for a fixed time and
reports calls/s, p50, p99 and the server CPU time per call, read from ``/proc``: the gateway
+ the cell + the PostgreSQL processes serving the scratch database, added together (and the
servers' context switches per call).

* ``(a)`` bare sync gRPC echo server (``bench_transport``'s ``echo-sync``): the transport
  limit;
* ``(a')`` bare sync gRPC server whose handler reads the same tenant row by primary key with
  raw psycopg (a connection per worker thread, autocommit; no SQLAlchemy, no token, no
  authorization): the limit of a database-backed read;
* ``(b)`` ``GetTenant`` as a practitioner (token from ``Login``) straight to the real cell
  (``rhip serve --services all --demo``): token verification, authorization, one transaction;
* ``(c)`` the same through the real gateway (``rhip gateway`` with a routing file);
* ``(d)`` through the gateway, 80 % ``GetTenant`` as above and 20 % ``UpdateTenant``
  (update_mask ``display_name``) by the regional administrator ``xz-admin`` on tenants of
  Xuzhou created for the run, one tenant per load worker, so two writes never race for the
  same row's version (each write is audited, hash-chained).

* ``(e)`` the read-audit A/B (``audit_ab``): ``GetResident``, an audited read, through the
  gateway with reads that wait for their audit event to be committed (the default) and, in
  the same run, reads that do not (``RHIP_AUDIT_READS_WAIT=false``) and the writer's former
  one-round-trip-per-statement commit (``RHIP_AUDIT_PIPELINE=false``).

(a)-(e) on PostgreSQL (a scratch database, dropped afterwards); (b)-(d) also on SQLite.
While (c) runs on PostgreSQL at 64 in flight once more (not measured), py-spy samples the
gateway and the cell (``--gil``: where the interpreter's time goes).

Run alone: ``.venv/bin/python tests/perf/bench_gateway.py [--quick] [--no-sqlite]
[--audit-ab-only]``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import audit_ab
import grpc
from _common import (
    Child,
    log,
    scratch_database,
    serve_sync_forever,
    stop_children,
)
from gateway_load import _plan, finish_load, generate_load, start_load
from gateway_platform import (
    CONCURRENCIES,
    PROFILE_CONCURRENCY,
    WRITE_SHARE,
    WRITE_TENANTS,
    Platform,
)
from gateway_profile import profile_c
from gateway_report import ratios, report, targets

# -- (a'): a bare server reading the tenant row with raw psycopg ---------------------------------
PK_READ = (
    "SELECT id, display_name, type, level, region_code, scope_path, credit_code, state, "
    "suspend_reason, create_time, update_time, version FROM tenant WHERE id = %s"
)


def serve_pk(db_url: str) -> None:

    import psycopg
    from transport_servers import SYNC_WORKERS, _handler

    conninfo = db_url.replace("postgresql+psycopg://", "postgresql://", 1)
    local = threading.local()
    counters = {"db_connects": 0}

    def connection() -> psycopg.Connection:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = psycopg.connect(conninfo, autocommit=True)
            counters["db_connects"] += 1
        return conn

    def get(request: bytes, context: grpc.ServicerContext) -> bytes:
        row = connection().execute(PK_READ, (request.decode(),)).fetchone()
        if row is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "no such tenant")
            raise AssertionError  # abort raises
        return "\x1f".join(map(str, row)).encode()

    def stats(request: bytes, context: grpc.ServicerContext) -> bytes:
        return json.dumps(counters).encode()

    serve_sync_forever(_handler(get, stats), SYNC_WORKERS)


# -- probes of the configuration the numbers depend on -------------------------------------------
def probe_sqlite_read_lock(folder: Path) -> bool:
    """Does a read (``Database.read()``) on rhip's SQLite engine hold the database's write
    lock (so that concurrent reads queue behind each other)?"""
    import sqlite3

    from rhip.kit.db import Database, make_engine

    path = folder / "probe.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE probe (x INTEGER)")
        with Database(engine).read() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM probe").scalar()  # opens a transaction
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                return False
            except sqlite3.OperationalError:  # database is locked
                return True
            finally:
                other.close()
    finally:
        engine.dispose()


def probe_spans_recorded() -> bool:
    """With no trace exporter (the default), are server spans still recorded?"""
    from rhip.kit.telemetry import build_tracer_provider

    provider = build_tracer_provider("none", "rhip-bench-probe")
    try:
        span = provider.get_tracer("probe").start_span("probe")
        recording = span.is_recording()
        span.end()
        return bool(recording)
    finally:
        provider.shutdown()


# -- orchestration -----------------------------------------------------------------------------
def measure(plan: dict, folder: Path) -> dict:
    res = finish_load(start_load(plan, folder), plan["duration"] + plan["warmup"] + 120)
    pg = res["postgres_cpu_us_per_call"] if plan.get("measure_postgres", True) else 0.0
    res["total_cpu_us_per_call"] = res["server_cpu_us_per_call"] + pg
    if not plan.get("measure_postgres", True):
        res["postgres_cpu_us_per_call"] = float("nan")
    return res


def _log_row(row: dict) -> None:
    kinds = "; ".join(
        f"{k} p99 {v['p99_ms']:.1f} ms ({v['calls']:,})" for k, v in row["by_kind"].items()
    )
    log(
        f"gateway: {row['scenario']} {row['backend']} @{row['concurrency']}: "
        f"{row['calls_per_s']:,.0f} calls/s, p50 {row['p50_ms']:.2f} ms, p99 {row['p99_ms']:.2f} ms, "
        f"server CPU {row['total_cpu_us_per_call']:,.0f} µs/call, {kinds}, "
        f"errors {row['errors'] or 0}"
    )


@contextmanager
def _terminate_on_sigterm() -> Iterator[None]:
    """SIGTERM to the benchmark → SystemExit, so every ``finally`` stops its children."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):  # type: ignore[no-untyped-def]
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(
    *,
    quick: bool = False,
    postgres_url: str | None = None,
    sqlite: bool = True,
    profile: bool = True,
    only_audit_ab: bool = False,
) -> dict:
    duration = 2.0 if quick else 10.0
    warmup = 0.5 if quick else 2.0
    profile_s = 3.0 if quick else 10.0
    results: dict = {
        "duration_s": duration,
        "warmup_s": warmup,
        "rows": [],
        "audit": {},
        "profile": None,
        "write_tenants": WRITE_TENANTS,
        "write_share": WRITE_SHARE,
    }

    def record(scenario: str, backend: str, c: int, res: dict) -> None:
        res.update(scenario=scenario, backend=backend)
        results["rows"].append(res)
        _log_row(res)
        if res["errors"]:
            raise RuntimeError(f"{scenario} {backend} @{c}: calls failed: {res['errors']}")

    with (
        _terminate_on_sigterm(),
        tempfile.TemporaryDirectory(prefix="rhip-bench-gw-") as tmp,
    ):
        folder = Path(tmp)
        results["probes"] = {
            "sqlite_reads_take_write_lock": probe_sqlite_read_lock(folder),
            "spans_recorded_without_exporter": probe_spans_recorded(),
        }
        try:
            with scratch_database(base_url=postgres_url) as url:
                pg_folder = folder / "postgresql"
                pg_folder.mkdir()
                t0 = time.perf_counter()
                platform = Platform("postgresql", url, pg_folder)
                log(f"gateway: PostgreSQL cell and gateway up in {time.perf_counter() - t0:.1f} s")
                try:
                    if not only_audit_ab:
                        bare(platform, results, record, duration, warmup, pg_folder)
                        real(platform, results, record, duration, warmup, pg_folder)
                        if profile:
                            log(
                                f"gateway: profiling (c) @{PROFILE_CONCURRENCY} for {profile_s:g} s"
                            )
                            results["profile"] = profile_c(platform, profile_s, warmup, pg_folder)
                        real(platform, results, record, duration, warmup, pg_folder, ("d",))
                        results["audit"]["postgresql"] = audit_check(results, "postgresql")
                    results["audit_ab"] = audit_ab.run(
                        platform,
                        measure,
                        lambda c: _plan(platform, "e", c, duration, warmup),
                        CONCURRENCIES,
                        pg_folder,
                    )
                    results["audit_ab"]["residents"] = len(platform.resident_items)
                finally:
                    platform.stop()
            if sqlite and not only_audit_ab:
                lite_folder = folder / "sqlite"
                lite_folder.mkdir()
                platform = Platform("sqlite", None, lite_folder)
                log("gateway: SQLite cell and gateway up")
                try:
                    real(platform, results, record, duration, warmup, lite_folder, ("b", "c", "d"))
                    results["audit"]["sqlite"] = audit_check(results, "sqlite")
                finally:
                    platform.stop()
        finally:
            stop_children()
    results["ratios"] = ratios(results["rows"])
    results["targets"] = targets(results["rows"])
    return results


def bare(platform, results, record, duration, warmup, folder) -> None:  # type: ignore[no-untyped-def]
    """(a) and (a') with the same payloads as (b): a GetTenant request (echoed) or the tenant
    id (read), each with a doctor's bearer token in the metadata (ignored)."""
    script = os.path.abspath(__file__)
    from transport_servers import METHOD

    echo_reads = [{**item, "method": METHOD} for item in platform.read_items]
    pk_reads = [
        {
            "method": METHOD,
            "metadata": [["authorization", "Bearer " + token]],
            "request": base64.b64encode(tenant_id.encode()).decode(),
        }
        for token, tenant_id in platform.doctors
    ]
    for scenario, cmd, reads in (
        ("a", [sys.executable, script, "--serve", "echo"], echo_reads),
        ("a'", [sys.executable, script, "--serve", "pk", "--db-url", platform.db_url], pk_reads),
    ):
        server = Child(f"bare-{scenario.replace(chr(39), '-prime')}", cmd, folder)
        try:
            port = int(server.wait_for_line("PORT ").split()[1])
            for c in CONCURRENCIES:
                plan = _plan(
                    None,
                    scenario,
                    c,
                    duration,
                    warmup,
                    target=f"127.0.0.1:{port}",
                    pid=server.pid,
                    reads=reads,
                    pg_database=platform.pg_database,
                )
                res = measure(plan, folder)
                res["db_connects"] = None
                record(scenario, "postgresql", c, res)
        finally:
            server.stop()


def real(  # type: ignore[no-untyped-def]
    platform, results, record, duration, warmup, folder, scenarios=("b", "c")
) -> None:
    audit = results.setdefault("audit_counts", {}).setdefault(platform.backend, {})
    for scenario in scenarios:
        audit[f"before {scenario}"] = platform.audit()
        for c in CONCURRENCIES:
            res = measure(_plan(platform, scenario, c, duration, warmup), folder)
            record(scenario, platform.backend, c, res)
        audit[f"after {scenario}"] = platform.audit()


def audit_check(results: dict, backend: str) -> dict:
    """GetTenant writes no audit row; every UpdateTenant writes one; the chain verifies."""
    counts = results["audit_counts"][backend]
    writes = sum(
        r["completed"].get("write", 0)
        for r in results["rows"]
        if r["backend"] == backend and r["scenario"] == "d"
    )
    reads = sum(
        r["completed"].get("read", 0)
        for r in results["rows"]
        if r["backend"] == backend and r["scenario"] in ("b", "c")
    )
    return {
        "reads_b_c": reads,
        "audit_rows_added_by_reads": counts["after c"]["rows"] - counts["before b"]["rows"],
        "writes_d": writes,
        "audit_rows_added_by_d": counts["after d"]["rows"] - counts["before d"]["rows"],
        "chain_intact": counts["after d"]["intact"],
        "chain_problem": counts["after d"]["problem"],
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 s per row (smoke run)")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL rows only")
    parser.add_argument("--no-profile", action="store_true", help="skip py-spy")
    parser.add_argument(
        "--audit-ab-only", action="store_true", help="only (e), the read-audit A/B (PostgreSQL)"
    )
    parser.add_argument("--serve", choices=["echo", "pk"], help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)
    parser.add_argument("--load", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve == "echo":
        from transport_servers import serve_sync

        serve_sync("echo-sync", {}, True)
        return
    if args.serve == "pk":
        serve_pk(args.db_url)
        return
    if args.load:
        print(json.dumps(asyncio.run(generate_load(json.loads(args.load.read_text())))))
        return
    from _common import postgres_url

    results = run(
        quick=args.quick,
        postgres_url=postgres_url(),
        sqlite=not args.no_sqlite,
        profile=not args.no_profile,
        only_audit_ab=args.audit_ab_only,
    )
    if args.audit_ab_only:
        given = list(argv) if argv is not None else sys.argv[1:]
        text = audit_ab.write_results(results, " ".join(["tests/perf/bench_gateway.py", *given]))
        print(text)
        return
    print(report(results))


if __name__ == "__main__":
    main()
