"""``make bench``: run the benchmarks and write ``tests/perf/RESULTS.md``.

    .venv/bin/python tests/perf/run_all.py [--quick] [--sqlite] [--only authz|transport|gateway]

PostgreSQL comes from ``RHIP_BENCH_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); each benchmark creates its own scratch
database next to it and drops it afterwards. ``--quick`` shortens every measurement (a smoke
run, a few minutes); ``--sqlite`` stores the authorization policy in SQLite instead (the
transport benchmark always needs PostgreSQL; the gateway benchmark runs on both).

RESULTS.md keeps one section (and its summary bullets) per benchmark, each stamped with when
and on which code it was measured: ``--only X`` replaces X's and keeps the others' latest.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_authz  # noqa: E402
import bench_gateway  # noqa: E402
import bench_transport  # noqa: E402
import gateway_report  # noqa: E402
from _common import log, postgres_url, table  # noqa: E402

RESULTS = HERE / "RESULTS.md"
PARTS = ("authz", "transport", "gateway")
TITLES = {
    "authz": "Authorization (`bench_authz.py`)",
    "transport": "Transport: sync vs async on the real path (`bench_transport.py`)",
    "gateway": "Gateway: an identity read through the real processes (`bench_gateway.py`)",
}
TRANSPORT_NOTE = (
    "Reading the table: every server process runs at about one core (the server cores "
    "column; Python holds the GIL), so its calls/s is about 1,000,000 ÷ its CPU µs per "
    "call; the load generator and PostgreSQL share the machine's other core (2 CPUs "
    "here), so compare the server CPU per call first. `new DB connections` counts "
    "connections the server's pool opened during the measured window; the pool keeps one "
    "connection per worker thread, because with fewer (an earlier run: 10 for 16 "
    "workers) SQLAlchemy closes every overflow connection that comes back to a full "
    "pool and PostgreSQL's CPU per call doubled from reconnecting."
)


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
    """The commit measured, and which files of the library differed from it
    (``RHIP_BENCH_COMMIT`` names it when the benchmark runs from a clean export)."""
    import subprocess

    if os.environ.get("RHIP_BENCH_COMMIT"):
        return os.environ["RHIP_BENCH_COMMIT"]
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
        ("py-spy", version("py-spy")),
        ("PostgreSQL", postgres_version(pg_url)),
    ]
    return table(["", ""], rows)


def _transport_row(res: dict, scenario: str, c: int) -> dict | None:
    return next(
        (r for r in res["rows"] if r["scenario"] == scenario and r["concurrency"] == c), None
    )


def summary(authz: dict | None, transport: dict | None) -> list[str]:
    return summary_authz(authz) + summary_transport(transport)


def summary_authz(authz: dict | None) -> list[str]:
    out: list[str] = []
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
    return out


def summary_transport(transport: dict | None) -> list[str]:
    out: list[str] = []
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


# -- RESULTS.md: one marked block per part, merged with the previous file -------------------------
def _markers(kind: str, part: str) -> tuple[str, str]:
    return f"<!-- bench:{kind}:{part} -->", f"<!-- /bench:{kind}:{part} -->"


def _blocks(text: str, kind: str) -> dict[str, str]:
    out = {}
    for part in PARTS:
        begin, end = _markers(kind, part)
        match = re.search(re.escape(begin) + r"\n(.*?)\n?" + re.escape(end), text, re.S)
        if match:
            out[part] = match.group(1).rstrip("\n")
    return out


def _legacy_blocks(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """Sections and summary bullets of a RESULTS.md written before the markers existed,
    stamped with the date and code of that whole file."""
    when = re.search(r"on (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", text)
    code = re.search(r"^\| code measured\s*\|\s*(.*?)\s*\|$", text, re.M)
    stamp = (
        f"Measured on {when.group(1) if when else 'an unknown date'} UTC by "
        f"`tests/perf/run_all.py` (code {code.group(1) if code else 'unknown'})."
    )
    headings = {"## Authorization": "authz", "## Transport": "transport", "## Gateway": "gateway"}
    sections: dict[str, str] = {}
    bullets: dict[str, list[str]] = {}
    current, in_summary, bullet_part = None, False, None
    for line in text.splitlines():
        if line.startswith("## "):
            current = next((p for h, p in headings.items() if line.startswith(h)), None)
            in_summary = line.startswith("## Summary")
            if current:
                sections[current] = ""
            continue
        if current:
            sections[current] += line + "\n"
        elif in_summary and line.strip():
            if line.startswith("- "):
                if line.startswith(("- Authorization", "- The rejected")):
                    bullet_part = "authz"
                elif re.match(r"- \d+ calls in flight: real-", line):
                    bullet_part = "transport"
                else:
                    bullet_part = None
            if bullet_part:
                bullets.setdefault(bullet_part, []).append(line)
    return (
        {p: f"{stamp}\n\n{body.strip()}" for p, body in sections.items()},
        {p: "\n".join(lines) for p, lines in bullets.items()},
    )


def previous_results() -> tuple[dict[str, str], dict[str, str]]:
    """(sections, summaries) by part from the current RESULTS.md, if any."""
    try:
        text = RESULTS.read_text(encoding="utf-8")
    except OSError:
        return {}, {}
    sections, summaries = _blocks(text, "section"), _blocks(text, "summary")
    if not sections:
        return _legacy_blocks(text)
    return sections, summaries


def part_section(part: str, res: dict) -> str:
    if part == "authz":
        return bench_authz.report(res)
    if part == "transport":
        return bench_transport.report(res) + "\n\n" + TRANSPORT_NOTE
    return bench_gateway.report(res)


def part_summary(part: str, res: dict) -> list[str]:
    if part == "authz":
        return summary_authz(res)
    if part == "transport":
        return summary_transport(res)
    return gateway_report.summary(res)


def write_results(
    args: argparse.Namespace,
    started: datetime,
    elapsed: dict[str, float],
    results: dict[str, dict],
) -> None:
    pg = postgres_url()
    sections, summaries = previous_results()
    command = (
        f"tests/perf/run_all.py{' --quick' if args.quick else ''}"
        f"{' --sqlite' if args.sqlite else ''}{f' --only {args.only}' if args.only else ''}"
    )
    code = code_state()
    for part, res in results.items():
        sections[part] = (
            f"Measured on {started:%Y-%m-%d %H:%M} UTC in {elapsed[part] / 60:.1f} min by "
            f"`{command}` (code {code}).\n\n{part_section(part, res)}"
        )
        summaries[part] = "\n".join(part_summary(part, res))
    lines = [
        "# rhip benchmarks",
        "",
        "Written by `make bench` (`tests/perf/run_all.py`); `--only authz|transport|gateway` "
        "re-measures one part and keeps the others' latest results, so each section says when "
        f"and on which code it was measured. Last written on {started:%Y-%m-%d %H:%M} UTC by "
        f"`{command}`. Re-run to refresh; numbers from a shared 2-core machine move by 10-30 % "
        "between runs.",
        "",
        "## Machine",
        "",
        machine_section(pg),
        "",
        "## Summary",
        "",
    ]
    for part in PARTS:
        if summaries.get(part):
            begin, end = _markers("summary", part)
            lines += [begin, summaries[part], end]
    for part in PARTS:
        if part in sections:
            begin, end = _markers("section", part)
            lines += ["", f"## {TITLES[part]}", "", begin, sections[part], end]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log(f"wrote {RESULTS}")


def main() -> None:
    parser = argparse.ArgumentParser(description="run the rhip benchmarks, write RESULTS.md")
    parser.add_argument("--quick", action="store_true", help="short measurements (smoke run)")
    parser.add_argument("--sqlite", action="store_true", help="authz policy in SQLite")
    parser.add_argument("--only", choices=list(PARTS))
    args = parser.parse_args()

    started = datetime.now(UTC)
    results: dict[str, dict] = {}
    elapsed: dict[str, float] = {}
    runners = {
        "authz": lambda: bench_authz.run(
            sqlite=args.sqlite, quick=args.quick, postgres_url=postgres_url()
        ),
        "transport": lambda: bench_transport.run(quick=args.quick, postgres_url=postgres_url()),
        "gateway": lambda: bench_gateway.run(quick=args.quick, postgres_url=postgres_url()),
    }
    for part in PARTS:
        if args.only not in (None, part):
            continue
        log(f"== {part} benchmark ==")
        t0 = time.perf_counter()
        results[part] = runners[part]()
        elapsed[part] = time.perf_counter() - t0
        print(part_section(part, results[part]), flush=True)
    write_results(args, started, elapsed, results)
    for part, res in results.items():
        print("\n".join(part_summary(part, res)))


if __name__ == "__main__":
    main()
