"""The gateway benchmark's tables: rows, ratios, targets, the summary and the profile."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import audit_ab
from _common import (
    table,
)
from gateway_platform import CONCURRENCIES

# (c) against these (PostgreSQL, same run)
TARGETS = {"share_of_pk_read": 0.35, "p99_ms_at_8": 30.0, "cpu_us_per_call": 1e6 / 450}

SCENARIOS = {
    "a": "(a) echo, bare sync gRPC",
    "a'": "(a') raw psycopg PK read, bare sync gRPC",
    "b": "(b) GetTenant → cell",
    "c": "(c) GetTenant → gateway → cell",
    "d": "(d) 80 % GetTenant + 20 % UpdateTenant → gateway → cell",
}


def _row(rows: list[dict], scenario: str, backend: str, c: int) -> dict | None:
    return next(
        (
            r
            for r in rows
            if r["scenario"] == scenario and r["backend"] == backend and r["concurrency"] == c
        ),
        None,
    )


def ratios(rows: list[dict]) -> list[dict]:
    out = []
    for r in rows:
        a = _row(rows, "a", "postgresql", r["concurrency"])
        ap = _row(rows, "a'", "postgresql", r["concurrency"])
        if r["scenario"] == "a" or a is None:
            continue
        out.append(
            {
                "scenario": r["scenario"],
                "backend": r["backend"],
                "concurrency": r["concurrency"],
                "calls_vs_a": r["calls_per_s"] / a["calls_per_s"],
                "calls_vs_ap": r["calls_per_s"] / ap["calls_per_s"] if ap else float("nan"),
                "cpu_vs_a": r["total_cpu_us_per_call"] / a["total_cpu_us_per_call"],
                "cpu_vs_ap": r["total_cpu_us_per_call"] / ap["total_cpu_us_per_call"]
                if ap
                else float("nan"),
            }
        )
    return out


def targets(rows: list[dict]) -> list[dict]:
    """The gateway issue's targets for (c), on PostgreSQL; SQLite shown for comparison."""
    out = []
    for backend in ("postgresql", "sqlite"):
        for c in CONCURRENCIES:
            row, ap = _row(rows, "c", backend, c), _row(rows, "a'", "postgresql", c)
            if row is None or ap is None:
                continue
            share = row["calls_per_s"] / ap["calls_per_s"]
            out.append(
                {
                    "backend": backend,
                    "concurrency": c,
                    "calls_per_s": row["calls_per_s"],
                    "share_of_pk_read": share,
                    "share_met": share >= TARGETS["share_of_pk_read"],
                    "p99_ms": row["p99_ms"],
                    "p99_met": row["p99_ms"] < TARGETS["p99_ms_at_8"] if c == 8 else None,
                    "cpu_us_per_call": row["total_cpu_us_per_call"],
                    "reads_per_cpu_s": 1e6 / row["total_cpu_us_per_call"],
                    "cpu_met": row["total_cpu_us_per_call"] <= TARGETS["cpu_us_per_call"],
                }
            )
    return out


# -- report ------------------------------------------------------------------------------------
def _met(flag: bool | None) -> str:
    return "—" if flag is None else ("met" if flag else "**missed**")


def report(results: dict) -> str:
    rows = []
    for r in results["rows"]:
        cpu = r["process_cpu_us_per_call"]
        kinds = r["by_kind"]
        rows.append(
            (
                SCENARIOS[r["scenario"]],
                r["backend"],
                r["concurrency"],
                r["calls_per_s"],
                r["p50_ms"],
                r["p99_ms"],
                r["total_cpu_us_per_call"],
                cpu.get("gateway", float("nan")),
                cpu.get("cell", cpu.get("server", float("nan"))),
                r["postgres_cpu_us_per_call"],
                r["client_cpu_us_per_call"],
                r["server_switches_per_call"],
                f"{r['machine_busy_pct']:.0f} %",
                f"{kinds['write']['p99_ms']:.1f}" if "write" in kinds else "",
            )
        )
    ratio_rows = [
        (
            SCENARIOS[r["scenario"]],
            r["backend"],
            r["concurrency"],
            f"{r['calls_vs_a']:.2f}",
            f"{r['calls_vs_ap']:.2f}",
            f"{r['cpu_vs_a']:.2f}",
            f"{r['cpu_vs_ap']:.2f}",
        )
        for r in results["ratios"]
    ]
    target_rows = [
        (
            t["backend"],
            t["concurrency"],
            f"{t['share_of_pk_read']:.2f} ({_met(t['share_met'])})",
            f"{t['p99_ms']:.1f} ({_met(t['p99_met'])})" if t["p99_met"] is not None else "—",
            f"{t['cpu_us_per_call']:,.0f} µs = {t['reads_per_cpu_s']:,.0f} reads/CPU-s "
            f"({_met(t['cpu_met'])})",
        )
        for t in results["targets"]
    ]
    lines = [
        f"{results['duration_s']:g} s measured per row after {results['warmup_s']:g} s of "
        "warm-up, by a load generator in its own process (grpc.aio, closed loop). Reads: "
        f"`GetTenant` of their own tenant by the five demo doctors (tokens from `Login` through "
        f"the gateway); writes in (d): {results['write_share']:.0%} of calls, `UpdateTenant` "
        f"(mask `display_name`) by `xz-admin` on {results['write_tenants']} Xuzhou tenants "
        "created for the run, one per load worker. Any failed call fails the run. Server "
        "CPU = utime+stime of the gateway + the cell (or the bare server) + the PostgreSQL "
        "processes (the backends of the scratch database, the postmaster and the background "
        "writers) ÷ calls; client = the load generator; context switches = voluntary + involuntary, all threads "
        "of the gateway + the cell (or the bare server); machine busy = share of all CPUs busy. "
        "Cell and gateway run as configured for production apart from the rate limit "
        "(raised to 1,000,000/s) and log one line per call to a file.",
        "",
        table(
            [
                "scenario",
                "database",
                "in flight",
                "calls/s",
                "p50 ms",
                "p99 ms",
                "server CPU µs/call",
                "gateway µs",
                "cell / server µs",
                "PostgreSQL µs",
                "client µs",
                "server context switches/call",
                "machine busy",
                "write p99 ms",
            ],
            rows,
        ),
        "",
        "Ratios to the bare servers at the same number of calls in flight ((a) and (a') are "
        "measured once, in the PostgreSQL part, with the cell and gateway started but idle; "
        "the SQLite rows are compared with the same):",
        "",
        table(
            [
                "scenario",
                "database",
                "in flight",
                "calls/s ÷ (a)",
                "calls/s ÷ (a')",
                "CPU/call ÷ (a)",
                "CPU/call ÷ (a')",
            ],
            ratio_rows,
        ),
        "",
        "Targets for (c): calls/s ≥ 35 % of (a') in the same run, p99 < 30 ms at 8 in flight, "
        "≥ 450 reads per second of server CPU (≤ 2,222 µs per call, gateway + cell + "
        "PostgreSQL). PostgreSQL is the target; SQLite is shown for comparison.",
        "",
        table(
            ["database", "in flight", "calls/s ÷ (a')", "p99 ms", "server CPU per call"],
            target_rows,
        ),
    ]
    for backend, a in results.get("audit", {}).items():
        lines += [
            "",
            f"Audit ({backend}): {a['reads_b_c']:,} successful `GetTenant` calls in (b)+(c) "
            f"added {a['audit_rows_added_by_reads']:,} audit rows"
            + (
                " — `GetTenant` is not audited today (no audit row for a read)"
                if a["audit_rows_added_by_reads"] == 0
                else ""
            )
            + f"; {a['writes_d']:,} successful `UpdateTenant` calls in (d) added "
            f"{a['audit_rows_added_by_d']:,} rows; hash chain "
            + ("verifies." if a["chain_intact"] else f"BROKEN ({a['chain_problem']})."),
        ]
    probes = results.get("probes", {})
    if probes.get("sqlite_reads_take_write_lock"):
        lines += [
            "",
            "SQLite: a read-only transaction on rhip's SQLite engine holds the database's write "
            "lock (probed: `rhip.kit.db` begins every transaction with `BEGIN IMMEDIATE`, reads "
            "included), so concurrent `GetTenant` calls run one at a time and the others wait "
            "in SQLite's busy handler, which sleeps 1-100 ms between retries: hence p99 far "
            "above p50 on the SQLite rows, and writes in (d) queue behind reads.",
        ]
    if probes.get("spans_recorded_without_exporter"):
        lines += [
            "",
            "Tracing: with no exporter configured (`RHIP_TRACES_EXPORTER` unset, as here) the "
            "tracer provider still records every span (probed: `is_recording()` is true), so "
            "the gateway and the cell each build and end a full span per call that nobody "
            "reads (OpenTelemetry's share in the profile below).",
        ]
    lines += ["", *audit_ab.report(results.get("audit_ab"), results["duration_s"])]
    lines += ["", *profile_report(results.get("profile"))]
    return "\n".join(lines)


def summary(results: dict) -> list[str]:
    """Bullets for RESULTS.md's summary: the targets, the ratios, the audit and the profile."""
    rows = results["rows"]
    out = []
    for t in (t for t in results["targets"] if t["backend"] == "postgresql"):
        c = t["concurrency"]
        p99 = (
            f", p99 {t['p99_ms']:.1f} ms ({'met' if t['p99_met'] else 'missed'}, < 30 ms)"
            if t["p99_met"] is not None
            else f", p99 {t['p99_ms']:.0f} ms"
        )
        out.append(
            f"- Gateway target (c) on PostgreSQL at {c} in flight: "
            f"{t['calls_per_s']:,.0f} calls/s = "
            f"{t['share_of_pk_read']:.2f} × (a') ({'met' if t['share_met'] else 'missed'}, ≥ 0.35)"
            f"{p99}; {t['cpu_us_per_call']:,.0f} µs server CPU per call = "
            f"{t['reads_per_cpu_s']:,.0f} reads per CPU-second "
            f"({'met' if t['cpu_met'] else 'missed'}, ≥ 450)."
        )
    for c in CONCURRENCIES:
        found = [_row(rows, k, "postgresql", c) for k in ("a", "a'", "b", "c", "d")]
        present = [r for r in found if r is not None]
        if len(present) < len(found):
            continue
        a, ap, b, cc, d = present
        out.append(
            f"  At {c} in flight, calls/s (server CPU µs per call): (a) echo "
            f"{a['calls_per_s']:,.0f} ({a['total_cpu_us_per_call']:,.0f}), (a') raw PK read "
            f"{ap['calls_per_s']:,.0f} ({ap['total_cpu_us_per_call']:,.0f}), (b) cell "
            f"{b['calls_per_s']:,.0f} ({b['total_cpu_us_per_call']:,.0f}), (c) gateway "
            f"{cc['calls_per_s']:,.0f} ({cc['total_cpu_us_per_call']:,.0f}), (d) 20 % writes "
            f"{d['calls_per_s']:,.0f} ({d['total_cpu_us_per_call']:,.0f}); (c) ÷ (a) = "
            f"{cc['calls_per_s'] / a['calls_per_s']:.2f}, (c) ÷ (a') = "
            f"{cc['calls_per_s'] / ap['calls_per_s']:.2f}; the gateway process itself uses "
            f"{cc['process_cpu_us_per_call']['gateway']:,.0f} µs of CPU per call in (c)."
        )
    audit = results.get("audit", {}).get("postgresql")
    if audit and audit["audit_rows_added_by_reads"] == 0:
        out.append(
            "  `GetTenant` writes no audit row today (checked: 0 rows for "
            f"{audit['reads_b_c']:,} reads); every `UpdateTenant` writes one (chain "
            f"{'verifies' if audit['chain_intact'] else 'BROKEN'})."
        )
    probes = results.get("probes", {})
    if probes.get("sqlite_reads_take_write_lock"):
        out.append(
            "  On SQLite every transaction, reads included, takes the write lock (`BEGIN "
            "IMMEDIATE`): reads run one at a time, hence p99 ≫ p50 on the SQLite rows."
        )
    out += audit_ab.summary(results.get("audit_ab"))
    profile = results.get("profile") or {}
    for name, p in profile.get("processes", {}).items():
        if "categories" not in p:
            continue
        top = ", ".join(f"{r['what']} {r['share']:.0%}" for r in p["categories"][:5])
        out.append(
            f"  {name.capitalize()} under (c): {profile['cpu_us_per_call'][name]:,.0f} µs CPU "
            f"per call, {p['gil_us_per_call']:,.0f} µs of it Python with the GIL held "
            f"({top}); {profile['switches_per_call'][name]:.0f} context switches per call."
        )
    return out


def profile_report(profile: dict | None) -> list[str]:
    if not profile:
        return []
    if "skipped" in profile:
        return [f"Profile skipped: {profile['skipped']}."]
    lines = [
        f"Where the time goes: py-spy `--gil` samples ({profile['rate']}/s for "
        f"{profile['seconds']:g} s) of the gateway and the cell during (c) on PostgreSQL at "
        f"{profile['concurrency']} in flight ({profile['calls_per_s']:,.0f} calls/s while "
        "sampled). Shares are of the samples in which a thread held the GIL, i.e. of the "
        "process's Python time; µs/call = share × GIL-busy time per call (C work done without "
        "the GIL, e.g. gRPC core's I/O, is not in them).",
    ]
    for name, p in profile["processes"].items():
        cpu = profile["cpu_us_per_call"].get(name, float("nan"))
        if "error" in p:
            lines += ["", f"{name}: py-spy failed: {p['error']}"]
            continue
        lines += [
            "",
            f"**{name}**: process CPU {cpu:,.0f} µs per call "
            f"({profile['system_share'][name]:.0%} of it in the kernel), of which "
            f"{p['gil_us_per_call']:,.0f} µs with the GIL held (GIL busy {p['gil_busy']:.0%} of "
            f"the time; {p['samples']:,} samples); {profile['threads'][name]} threads, "
            f"{profile['switches_per_call'][name]:.0f} context switches per call.",
            "",
            table(
                ["innermost frame's library", "share", "µs/call"],
                [(r["what"], f"{r['share']:.1%}", r["us_per_call"]) for r in p["categories"]],
            ),
            "",
            table(
                ["function (self)", "share", "µs/call"],
                [(r["what"], f"{r['share']:.1%}", r["us_per_call"]) for r in p["self"]],
            ),
            "",
            table(
                ["rhip / grpc server function (inclusive)", "share", "µs/call"],
                [(r["what"], f"{r['share']:.1%}", r["us_per_call"]) for r in p["inclusive"]],
            ),
        ]
    return lines
