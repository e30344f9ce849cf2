"""(e) What the read-audit group commit costs: ``GetResident`` (an audited read of personal
data) through the gateway to the PostgreSQL cell of ``bench_gateway``, in the same run and on
the same database, the cell restarted with each variant:

* ``no wait`` — ``RHIP_AUDIT_READS_WAIT=false`` (development only): a read answers once its
  audit event is queued, as before issue 12; the A side;
* ``wait`` — the default: a read answers once its event is committed (group commit);
* further variants of the writer's settings, when given (``VARIANTS``).

Variants run in the order A B … then … B A, each at every concurrency, so that a drift of the
shared machine weighs on each alike; every row is the mean of its two runs. The writer's group
commits (events per flush, milliseconds per flush) are read from the cell's Prometheus endpoint
(``rhip_audit_flush_events`` / ``_seconds``) before and after each measured interval.
"""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from _common import commit, log, machine, table

RESULTS = Path(__file__).resolve().parent / "RESULTS-audit-ab.md"

# (label, the cell's extra settings)
VARIANTS: list[tuple[str, dict[str, str]]] = [
    ("no wait", {"RHIP_AUDIT_READS_WAIT": "false"}),
    ("wait, one round trip per statement", {"RHIP_AUDIT_PIPELINE": "false"}),
    ("wait", {}),
]
FLUSH_SERIES = (
    "rhip_audit_flush_events_sum",
    "rhip_audit_flush_events_count",
    "rhip_audit_flush_seconds_sum",
)


def flush_counters(address: str) -> Callable[[], Awaitable[Mapping[str, float]]]:
    """For ``drive_load``'s snapshot: the cell's group-commit counters, read over HTTP."""

    def read() -> dict[str, float]:
        from prometheus_client.parser import text_string_to_metric_families

        url = f"http://{address}/metrics"
        with urllib.request.urlopen(url, timeout=10) as reply:
            text = reply.read().decode()
        found = {name: 0.0 for name in FLUSH_SERIES}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name in found and sample.labels.get("service") == "identity":
                    found[sample.name] += sample.value
        return found

    async def snapshot() -> Mapping[str, float]:
        return await asyncio.to_thread(read)

    return snapshot


def run(
    platform: Any,
    measure: Callable[[dict, Path], dict],
    plan: Callable[[int], dict],
    concurrencies: tuple[int, ...],
    folder: Path,
    variants: list[tuple[str, dict[str, str]]] = VARIANTS,
) -> dict:
    """Measure every variant (A B … B A) at every concurrency; ``plan(c)`` is the load plan."""
    runs: dict[tuple[str, int], list[dict]] = {}
    order = [*variants, *reversed(variants)]
    for label, env in order:
        platform.restart_cell(env)
        for c in concurrencies:
            res = measure({**plan(c), "metrics": platform.cell_metrics}, folder)
            if res["errors"]:
                raise RuntimeError(f"(e) {label} @{c}: calls failed: {res['errors']}")
            runs.setdefault((label, c), []).append(res)
            flushes = res["counters"]
            log(
                f"gateway: (e) {label} @{c}: {res['calls_per_s']:,.0f} calls/s, "
                f"p50 {res['p50_ms']:.2f} ms, p99 {res['p99_ms']:.2f} ms, "
                f"server CPU {res['total_cpu_us_per_call']:,.0f} µs/call, "
                f"{_per_flush(flushes):.1f} events/flush"
            )
    platform.restart_cell({})  # as configured for production again
    rows = []
    for label, _env in variants:
        for c in concurrencies:
            both = runs[(label, c)]
            rows.append(_mean_row(label, c, both))
    return {"variants": [label for label, _ in variants], "rows": rows}


def _per_flush(counters: Mapping[str, float]) -> float:
    flushes = counters.get("rhip_audit_flush_events_count", 0.0)
    return counters.get("rhip_audit_flush_events_sum", 0.0) / flushes if flushes else float("nan")


def _ms_per_flush(counters: Mapping[str, float]) -> float:
    flushes = counters.get("rhip_audit_flush_events_count", 0.0)
    return counters.get("rhip_audit_flush_seconds_sum", 0.0) / flushes * 1000 if flushes else 0.0


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _mean_row(label: str, c: int, runs: list[dict]) -> dict:
    cpu = [r["process_cpu_us_per_call"] for r in runs]
    return {
        "variant": label,
        "concurrency": c,
        "calls_per_s": _mean([r["calls_per_s"] for r in runs]),
        "calls_per_s_runs": [r["calls_per_s"] for r in runs],
        "p50_ms": _mean([r["p50_ms"] for r in runs]),
        "p99_ms": _mean([r["p99_ms"] for r in runs]),
        "cpu_us_per_call": _mean([r["total_cpu_us_per_call"] for r in runs]),
        "gateway_us": _mean([x.get("gateway", 0.0) for x in cpu]),
        "cell_us": _mean([x.get("cell", 0.0) for x in cpu]),
        "postgres_us": _mean([r["postgres_cpu_us_per_call"] for r in runs]),
        "events_per_flush": _mean([_per_flush(r["counters"]) for r in runs]),
        "ms_per_flush": _mean([_ms_per_flush(r["counters"]) for r in runs]),
        "machine_busy_pct": _mean([r["machine_busy_pct"] for r in runs]),
    }


def report(ab: dict | None, duration: float) -> list[str]:
    if not ab:
        return []
    rows = [
        (
            r["variant"],
            r["concurrency"],
            r["calls_per_s"],
            " / ".join(f"{x:,.0f}" for x in r["calls_per_s_runs"]),
            r["p50_ms"],
            r["p99_ms"],
            r["cpu_us_per_call"],
            r["gateway_us"],
            r["cell_us"],
            r["postgres_us"],
            r["events_per_flush"],
            r["ms_per_flush"],
            f"{r['machine_busy_pct']:.0f} %",
        )
        for r in ab["rows"]
    ]
    return [
        "### (e) What the read-audit group commit costs (same run, A/B)",
        "",
        f"`GetResident` of {_count(ab)} synthetic residents by the five demo doctors, through "
        "the gateway to the PostgreSQL cell; every read writes one hash-chained audit event. "
        "The cell is restarted for each variant on the same database and address; variants run "
        f"A B … B A, {duration:g} s each at each concurrency, and each row is the mean of its "
        "two runs (both runs' calls/s shown). Server CPU = gateway + cell + PostgreSQL, as "
        "above. Events and time per flush: the audit writer's group commits during the "
        "measured interval, from the cell's `/metrics` (`rhip_audit_flush_events`, "
        "`rhip_audit_flush_seconds`).",
        "",
        "* `no wait`: `RHIP_AUDIT_READS_WAIT=false` (development only) — a read answers once its "
        "event is queued; a process killed then loses the events of reads already answered.",
        "* `wait`: the default — a read answers once its event is committed (the writer's "
        "group commit in two round trips on PostgreSQL).",
        "* `wait, one round trip per statement`: `RHIP_AUDIT_PIPELINE=false`, the writer as it "
        "was before: seven round trips per group commit through SQLAlchemy.",
        "",
        "Why the batches stay small: the gateway forwards synchronously on its 4 workers and the "
        "cell serves on 4, so at most 4 reads are in the cell at once, and a group commit holds "
        "at most the events of the reads that were waiting when it began (about half of them, "
        "the others' commit being under way). A collection window (the writer waiting 0.5 or 2 "
        "ms after a batch's first event for more) was measured in a `--quick` run of this A/B "
        "and lowered calls/s (every reader waits through the window), so the writer does not "
        "wait; each commit was made cheaper instead (two round trips, `rhip.kit.audit_pipeline`). "
        "The rest of the gap to `no wait` is partly CPU (more and smaller commits, and waking "
        "each reader: see events/flush and the cell's and PostgreSQL's µs) and partly a gRPC "
        "worker of the cell and of the gateway held by each reader while it waits.",
        "",
        table(
            [
                "variant",
                "in flight",
                "calls/s",
                "calls/s (runs)",
                "p50 ms",
                "p99 ms",
                "server CPU µs/call",
                "gateway µs",
                "cell µs",
                "PostgreSQL µs",
                "events/flush",
                "ms/flush",
                "machine busy",
            ],
            rows,
        ),
    ]


def _count(ab: dict) -> str:
    return str(ab.get("residents", "the"))


def summary(ab: dict | None) -> list[str]:
    """One bullet: what waiting for the audit costs at 8 in flight, and the writer's batches."""
    if not ab:
        return []
    at8 = {r["variant"]: r for r in ab["rows"] if r["concurrency"] == 8}
    free, wait = at8.get("no wait"), at8.get("wait")
    if not free or not wait:
        return []
    line = (
        f"  Audited reads (`GetResident`, 8 in flight): {free['calls_per_s']:,.0f} calls/s "
        f"answering before the audit is durable, {wait['calls_per_s']:,.0f} waiting for it "
        f"({wait['events_per_flush']:.1f} events per group commit, "
        f"{wait['cpu_us_per_call']:,.0f} vs {free['cpu_us_per_call']:,.0f} µs server CPU per call)"
    )
    before = at8.get("wait, one round trip per statement")
    if before:
        line += (
            f"; the former statement-per-round-trip writer: {before['calls_per_s']:,.0f} calls/s"
        )
    return [line + "."]


def write_results(results: dict, command: str) -> str:
    """``RESULTS-audit-ab.md`` from a ``--audit-ab-only`` run (a full run puts (e) in the
    gateway section of RESULTS.md instead)."""
    lines = [
        "# Read-audit group commit: what waiting costs",
        "",
        f"Machine: {machine()}. Code: {commit()}. Command: `{command}` (PostgreSQL part of "
        "`bench_gateway.py`, (e) only).",
        "",
        *(line.strip() for line in summary(results.get("audit_ab"))),
        *report(results.get("audit_ab"), results["duration_s"])[1:],
    ]
    text = "\n".join(lines) + "\n"
    RESULTS.write_text(text, encoding="utf-8")
    log(f"wrote {RESULTS}")
    return text
