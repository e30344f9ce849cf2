"""``make bench``: run the benchmarks and write ``tests/perf/RESULTS.md``.

    .venv/bin/python tests/perf/run_all.py [--quick] [--sqlite] [--only authz|transport]

PostgreSQL comes from ``RHIP_BENCH_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); each benchmark creates its own scratch
database next to it and drops it afterwards. ``--quick`` shortens every measurement (a smoke
run, a few minutes); ``--sqlite`` stores the authorization policy in SQLite instead (the
transport benchmark always needs PostgreSQL).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_authz  # noqa: E402
import bench_transport  # noqa: E402
from _common import log, postgres_url, table  # noqa: E402

RESULTS = HERE / "RESULTS.md"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def postgres_version(url: str) -> str:
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            value = conn.execute(text("SHOW server_version")).scalar_one()
        engine.dispose()
        return str(value)
    except Exception as exc:
        return f"unreachable ({type(exc).__name__})"


def code_state() -> str:
    """The commit measured, and which files of the library differed from it."""
    import subprocess

    root = HERE.parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "libs", "services"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    files = [line[3:] for line in changed if line.strip()]
    return commit + (f" + uncommitted changes to {', '.join(files)}" if files else "")


def machine_section(pg_url: str) -> str:
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    rows = [
        ("CPUs (nproc)", os.cpu_count()),
        ("CPU model", cpu_model()),
        ("memory", f"{mem_kb / 2**20:.1f} GiB"),
        ("kernel", platform.release()),
        ("Python", platform.python_version()),
        ("grpcio", version("grpcio")),
        ("pycasbin", version("pycasbin")),
        ("SQLAlchemy", version("SQLAlchemy")),
        ("psycopg", version("psycopg")),
        ("PyJWT", version("PyJWT")),
        ("cryptography", version("cryptography")),
        ("PostgreSQL", postgres_version(pg_url)),
        ("code measured", code_state()),
    ]
    return table(["", ""], rows)


def _transport_row(res: dict, scenario: str, c: int) -> dict | None:
    return next(
        (r for r in res["rows"] if r["scenario"] == scenario and r["concurrency"] == c), None
    )


def summary(authz: dict | None, transport: dict | None) -> list[str]:
    out = []
    if authz is not None:
        met = authz["met"]
        out.append(
            f"- Authorization targets: policy load {authz['load']['refresh_s_min']:.2f} s "
            f"({'met' if met['load'] else 'missed'}, < 2 s); warm p99 "
            f"{authz['warm']['p99_us']:.2f} µs ({'met' if met['warm_p99'] else 'missed'}, < 20 µs); "
            f"cold p99 {authz['cold']['p99_us']:,.0f} µs ({'met' if met['cold_p99'] else 'missed'}, "
            f"< 300 µs)."
        )
        quarters = authz["cold_by_quarter"]
        by_quarter = ", ".join(f"{q['p99_us']:,.0f}" for q in quarters)
        if quarters[-1]["p50_us"] > 2 * quarters[0]["p50_us"]:
            out.append(
                "  Cold decisions slow down with the number of distinct subjects asked about "
                f"since the last reload (p99 by quarter of the run: {by_quarter} µs): state kept "
                "per subject and scanned per new one (see the profile)."
            )
        elif not met["cold_p99"]:
            out.append(
                f"  Cold latency is flat over the run (p99 by quarter: {by_quarter} µs); the "
                "time is per decision (see the profile)."
            )
        if "prototype" in authz:
            out.append(
                f"  Deciding from indexes built per snapshot instead (prototype in "
                f"bench_authz.py) gives cold p99 {authz['prototype']['p99_us']:.1f} µs with the "
                "same decisions."
            )
        naive = authz["naive"][-1]
        out.append(
            f"- The rejected flat keyMatch model needs {naive['p50_us'] / 1000:,.0f} ms per decision "
            f"(p50) at {naive['rows']:,} rows ({naive['n']} decisions timed)."
        )
    if transport is not None:
        for c in sorted({r["concurrency"] for r in transport["rows"]}):
            echo = _transport_row(transport, "echo-sync", c)
            sync = _transport_row(transport, "real-sync", c)
            asyn = _transport_row(transport, "real-async", c)
            parts = []
            if echo and sync:
                parts.append(
                    f"real-sync ÷ echo-sync calls/s = {sync['calls_per_s'] / echo['calls_per_s']:.2f}"
                )
            if sync and asyn:
                faster = "sync" if sync["calls_per_s"] >= asyn["calls_per_s"] else "async"
                parts.append(
                    f"real-sync ÷ real-async calls/s = {sync['calls_per_s'] / asyn['calls_per_s']:.2f} "
                    f"({faster} faster), server CPU per call "
                    f"{sync['server_cpu_us_per_call']:,.0f} vs {asyn['server_cpu_us_per_call']:,.0f} µs"
                )
            if parts:
                out.append(f"- {c} calls in flight: " + "; ".join(parts) + ".")
    return out


def write_results(
    args: argparse.Namespace,
    started: datetime,
    elapsed: float,
    authz: dict | None,
    transport: dict | None,
) -> None:
    pg = postgres_url()
    lines = [
        "# rhip benchmarks",
        "",
        f"Written by `make bench` (`tests/perf/run_all.py{' --quick' if args.quick else ''}"
        f"{' --sqlite' if args.sqlite else ''}`) on {started:%Y-%m-%d %H:%M} UTC in "
        f"{elapsed / 60:.1f} min. Re-run to refresh; numbers from a shared 2-core machine move "
        "by 10-30 % between runs.",
        "",
        "## Machine",
        "",
        machine_section(pg),
        "",
        "## Summary",
        "",
        *summary(authz, transport),
    ]
    if authz is not None:
        lines += ["", "## Authorization (`bench_authz.py`)", "", bench_authz.report(authz)]
    if transport is not None:
        lines += [
            "",
            "## Transport: sync vs async on the real path (`bench_transport.py`)",
            "",
            bench_transport.report(transport),
            "",
            "Reading the table: every server process runs at about one core (the server cores "
            "column; Python holds the GIL), so its calls/s is about 1,000,000 ÷ its CPU µs per "
            "call; the load generator and PostgreSQL share the machine's other core (2 CPUs "
            "here), so compare the server CPU per call first. `new DB connections` counts "
            "connections the server's pool opened during the measured window; the pool keeps one "
            "connection per worker thread, because with fewer (an earlier run: 10 for 16 "
            "workers) SQLAlchemy closes every overflow connection that comes back to a full "
            "pool and PostgreSQL's CPU per call doubled from reconnecting.",
        ]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log(f"wrote {RESULTS}")


def main() -> None:
    parser = argparse.ArgumentParser(description="run the rhip benchmarks, write RESULTS.md")
    parser.add_argument("--quick", action="store_true", help="short measurements (smoke run)")
    parser.add_argument("--sqlite", action="store_true", help="authz policy in SQLite")
    parser.add_argument("--only", choices=["authz", "transport"])
    args = parser.parse_args()

    started = datetime.now(UTC)
    t0 = time.perf_counter()
    authz = transport = None
    if args.only in (None, "authz"):
        log("== authorization benchmark ==")
        authz = bench_authz.run(sqlite=args.sqlite, quick=args.quick, postgres_url=postgres_url())
        print(bench_authz.report(authz), flush=True)
    if args.only in (None, "transport"):
        log("== transport benchmark ==")
        transport = bench_transport.run(quick=args.quick, postgres_url=postgres_url())
        print(bench_transport.report(transport), flush=True)
    write_results(args, started, time.perf_counter() - t0, authz, transport)
    print("\n".join(summary(authz, transport)))


if __name__ == "__main__":
    main()
