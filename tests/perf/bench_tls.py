"""What TLS costs on the gateway path (`make bench`; alone:
``.venv/bin/python tests/perf/bench_tls.py [--quick] [--sqlite]``).

Two platforms of ``bench_gateway`` side by side in one run, each a real cell process
(``rhip serve --services all --demo``) behind a real gateway process (``rhip gateway``): one
in plaintext, one on TLS throughout (the client → gateway over TLS with no client
certificate, gateway → cell over mutual TLS; certificates from a CA made for the run with
``cryptography``, tests/support/tls.py). The load generator (its own process, ``grpc.aio``)
runs scenario (c) of bench_gateway (``GetTenant`` as a practitioner, through the gateway) at
8 and 64 calls in flight against each in turn, plaintext then TLS at each concurrency, on
one long-lived connection (the handshake is paid once; what is measured is the record
layer). Reported: calls/s, p50, p99, the servers' CPU µs per call, and TLS ÷ plaintext.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _common import commit, log, machine, scratch_database, stop_children, table  # noqa: E402
from gateway_load import _plan, finish_load, start_load  # noqa: E402
from gateway_platform import Platform  # noqa: E402
from support.tls import LocalCA  # noqa: E402

RESULTS = HERE / "RESULTS-tls.md"
CONCURRENCIES = (8, 64)


def _tls_env(folder: Path) -> dict:
    ca = LocalCA(folder / "ca")
    return {
        "ca": str(ca.ca_file),
        "cell": ca.env(ca.issue("cell")),
        "gateway": ca.env(ca.issue("gateway")),
    }


def measure(backend: str, db_urls: dict[str, str | None], seconds: float, warmup: float) -> list:
    rows = []
    with tempfile.TemporaryDirectory(prefix="rhip-bench-tls-") as tmp:
        folder = Path(tmp)
        platforms: dict[str, Platform] = {}
        try:
            for mode in ("plaintext", "TLS"):
                work = folder / mode
                work.mkdir()
                tls = _tls_env(work) if mode == "TLS" else None
                log(f"{backend}: starting the {mode} platform")
                platforms[mode] = Platform(f"{backend}-{mode}", db_urls[mode], work, tls)
            for concurrency in CONCURRENCIES:
                results = {}
                for mode, platform in platforms.items():
                    log(f"{backend} {mode}: (c) at {concurrency} in flight for {seconds:g} s")
                    plan = _plan(platform, "c", concurrency, seconds, warmup)
                    results[mode] = finish_load(start_load(plan, folder), seconds + warmup + 120)
                for mode, res in results.items():
                    base = results["plaintext"]
                    rows.append(
                        [
                            backend, concurrency, mode,
                            res["calls_per_s"], res["p50_ms"], res["p99_ms"],
                            res["server_cpu_us_per_call"], sum(res["errors"].values()),
                            res["calls_per_s"] / base["calls_per_s"],
                            res["p50_ms"] / base["p50_ms"],
                        ]
                    )  # fmt: skip
        finally:
            for platform in platforms.values():
                platform.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s per measurement, no file")
    parser.add_argument("--sqlite", action="store_true", help="SQLite only (no PostgreSQL)")
    args = parser.parse_args()
    seconds, warmup = (3.0, 1.0) if args.quick else (12.0, 3.0)
    started = datetime.now(UTC)
    rows = []
    try:
        rows += measure("SQLite", {"plaintext": None, "TLS": None}, seconds, warmup)
        if not args.sqlite:
            with scratch_database() as plain_db, scratch_database() as tls_db:
                rows += measure(
                    "PostgreSQL", {"plaintext": plain_db, "TLS": tls_db}, seconds, warmup
                )
    finally:
        stop_children()
    headers = [
        "backend", "in flight", "transport", "calls/s", "p50 ms", "p99 ms",
        "server CPU µs/call", "errors", "calls/s ÷ plaintext", "p50 ÷ plaintext",
    ]  # fmt: skip
    text = "\n".join(
        [
            "# TLS on the gateway path (`bench_tls.py`)",
            "",
            f"Written by `tests/perf/bench_tls.py` (`make bench`) on {started:%Y-%m-%d %H:%M}"
            f" UTC{' with --quick' if args.quick else ''}, commit {commit()}, on {machine()}. "
            "The machine is shared: compare the rows of one run, not runs.",
            "",
            "GetTenant through the gateway (bench_gateway's (c)), plaintext and TLS platforms "
            f"side by side, {seconds:g} s per row after {warmup:g} s of warm-up.",
            "",
            table(headers, rows),
            "",
        ]
    )
    print(text)
    if not args.quick:
        RESULTS.write_text(text, encoding="utf-8")
        log(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
