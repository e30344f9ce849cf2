"""Soak: mixed load through the gateway against a PostgreSQL cell for ``RHIP_SOAK_MINUTES``
(30 in ``make bench``), reporting p99 latency and the resident memory (RSS) of every process
per window: 5 minutes, or 1 minute when the run is shorter than 15 minutes. Growth beyond
noise is flagged.

The platform is ``bench_gateway``'s: a demo cell (``rhip serve --services all --demo``) on a
scratch PostgreSQL database and a gateway in front of it, each a process of its own with its
Prometheus endpoint on. A load generator in its own process keeps ``--concurrency`` calls in
flight (closed loop), drawn at random:

* reads (50 %): ``GetTenant`` by the five demo doctors, ``GetResident`` of residents they
  registered (each read audited before it answers);
* lists (15 %): ``ListTenants`` of Xuzhou by its administrator;
* searches (15 %): ``SearchResidents`` by name and birth date (audited per resident returned);
* writes (20 %): ``UpdateTenant`` by the Xuzhou administrator, one tenant per load worker.

Every 10 s it reads each server's RSS and CPU time from ``/proc`` and the gauges of both
``/metrics`` endpoints (gRPC workers busy, calls queued, database connections checked out,
audit queue depth). Any failed call is counted and shown per window.

Run alone: ``RHIP_SOAK_MINUTES=4 .venv/bin/python tests/perf/bench_soak.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import commit, log, machine, percentile, postgres_url, scratch_database, table

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS-soak.md"
MIX = (("read", 0.50), ("list", 0.15), ("search", 0.15), ("write", 0.20))
SAMPLE_SECONDS = 10.0
WARMUP_SECONDS = 20.0
# Flags: RSS of the last window above the second's by more than both of these (the first
# window grows caches and pools); p99 of the last window above this many times the median.
RSS_GROWTH_MIB = 20.0
RSS_GROWTH_SHARE = 0.10
P99_GROWTH = 1.5
GAUGES = (
    "rhip_grpc_workers_busy",
    "rhip_grpc_queued",
    "rhip_db_pool_checked_out",
    "rhip_audit_queue_depth",
)


def window_seconds(minutes: float) -> float:
    return 300.0 if minutes >= 15 else 60.0


# -- the load generator (its own process) -------------------------------------------------------
def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _gauges(address: str) -> dict[str, float]:
    """The sum over labels of each of GAUGES on one /metrics endpoint (-1 when unreachable)."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as reply:
            text = reply.read().decode()
    except OSError:
        return {name: -1.0 for name in GAUGES}
    found: dict[str, float] = {}  # only the gauges this process has (a gateway has no pools)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in GAUGES:
                found[sample.name] = found.get(sample.name, 0.0) + sample.value
    return found


async def soak_load(plan: dict) -> dict:
    import grpc

    channel = grpc.aio.insecure_channel(plan["target"], options=[("grpc.so_reuseport", 0)])
    await asyncio.wait_for(channel.channel_ready(), 30)
    stubs: dict[str, grpc.aio.UnaryUnaryMultiCallable] = {}

    def prepared(item: dict) -> tuple:
        if item["method"] not in stubs:
            stubs[item["method"]] = channel.unary_unary(item["method"])
        metadata = tuple((k, v) for k, v in item["metadata"])
        return stubs[item["method"]], base64.b64decode(item["request"]), metadata

    items = {
        kind: [prepared(i) for i in plan["items"][kind]] for kind in ("read", "list", "search")
    }
    slots = [[prepared(i) for i in slot] for slot in plan["items"]["write"]]
    kinds = [kind for kind, _ in MIX]
    weights = [share for _, share in MIX]
    window, duration = plan["window"], plan["duration"]
    count = max(1, round(duration / window))
    latencies: list[dict[str, list[float]]] = [{} for _ in range(count)]
    errors: list[Counter[str]] = [Counter() for _ in range(count)]
    samples: list[dict] = []
    state = {"start": 0.0, "stop": False}
    turns: Counter[int] = Counter()

    async def worker(k: int) -> None:
        rng = random.Random(k)
        while not state["stop"]:
            kind = rng.choices(kinds, weights)[0]
            if kind == "write":
                turns[k] += 1
                slot = slots[k % len(slots)]
                call, request, metadata = slot[turns[k] % len(slot)]
            else:
                call, request, metadata = rng.choice(items[kind])
            t0 = time.perf_counter()
            try:
                await call(request, metadata=metadata, timeout=30)
                failed = ""
            except grpc.aio.AioRpcError as error:
                failed = f"{kind} {error.code().name}"
            t1 = time.perf_counter()
            if state["start"] and t1 >= state["start"]:
                index = int((t1 - state["start"]) // window)
                if index < count:
                    if failed:
                        errors[index][failed] += 1
                    else:
                        latencies[index].setdefault(kind, []).append(t1 - t0)

    def sample() -> dict:
        return {
            "t": time.perf_counter() - state["start"],
            "rss_mib": {name: _rss_mib(pid) for name, pid in plan["pids"].items()},
            "cpu_s": {name: _cpu_seconds(pid) for name, pid in plan["pids"].items()},
            "gauges": {name: _gauges(address) for name, address in plan["metrics"].items()},
        }

    tasks = [asyncio.create_task(worker(k)) for k in range(plan["concurrency"])]
    await asyncio.sleep(plan["warmup"])
    state["start"] = time.perf_counter()
    samples.append(await asyncio.to_thread(sample))
    while time.perf_counter() - state["start"] < duration:
        await asyncio.sleep(min(SAMPLE_SECONDS, duration - (time.perf_counter() - state["start"])))
        samples.append(await asyncio.to_thread(sample))
    state["stop"] = True
    await asyncio.gather(*tasks)
    await channel.close()
    return summarise(latencies, errors, samples, window, list(plan["pids"]))


def summarise(
    latencies: list[dict[str, list[float]]],
    errors: list[Counter[str]],
    samples: list[dict],
    window: float,
    processes: list[str],
) -> dict:
    windows = []
    for index, by_kind in enumerate(latencies):
        start, end = index * window, (index + 1) * window
        inside = [s for s in samples if start <= s["t"] <= end + 1]
        everything = sorted(x for values in by_kind.values() for x in values)
        rss = {p: [s["rss_mib"][p] for s in inside] for p in processes}
        cpu = (
            {
                p: (inside[-1]["cpu_s"][p] - inside[0]["cpu_s"][p])
                / max(1e-9, inside[-1]["t"] - inside[0]["t"])
                for p in processes
            }
            if len(inside) > 1
            else {p: float("nan") for p in processes}
        )
        gauges = {
            f"{endpoint} {name}": max(s["gauges"][endpoint].get(name, -1.0) for s in inside)
            for endpoint in (inside[0]["gauges"] if inside else {})
            for name in GAUGES
            if name in inside[0]["gauges"][endpoint]
        }
        windows.append(
            {
                "index": index,
                "minutes": (start / 60, end / 60),
                "calls": len(everything),
                "calls_per_s": len(everything) / window,
                "p50_ms": percentile(everything, 50) * 1000 if everything else float("nan"),
                "p99_ms": percentile(everything, 99) * 1000 if everything else float("nan"),
                "p99_ms_by_kind": {
                    kind: percentile(sorted(values), 99) * 1000
                    for kind, values in sorted(by_kind.items())
                },
                "errors": dict(errors[index]),
                "rss_mib_mean": {p: sum(v) / len(v) if v else float("nan") for p, v in rss.items()},
                "rss_mib_max": {p: max(v) if v else float("nan") for p, v in rss.items()},
                "cpu_cores": cpu,
                "gauges_max": gauges,
            }
        )
    return {"windows": windows, "samples": samples}


# -- orchestration --------------------------------------------------------------------------
def _b64(message) -> str:  # type: ignore[no-untyped-def]
    return base64.b64encode(message.SerializeToString()).decode()


def soak_items(platform) -> dict:  # type: ignore[no-untyped-def]
    """The calls of the mix, as the load generator takes them (bench_gateway's platform)."""
    from rhip.api.identity.v1 import identity_service_pb2 as pb
    from rhip.api.identity.v1 import resident_service_pb2 as rpb

    admin = [["authorization", "Bearer " + platform.admin_token]]
    searches = [
        {
            "method": "/rhip.api.identity.v1.ResidentService/SearchResidents",
            "metadata": [["authorization", "Bearer " + token]],
            "request": _b64(
                rpb.SearchResidentsRequest(
                    display_name="压测居民", birth_date=f"1980-{d + 1:02d}-0{i + 1}", page_size=5
                )
            ),
        }
        for d, (token, _tenant) in enumerate(platform.doctors)
        for i in range(4)
    ]
    lists = [
        {
            "method": "/rhip.api.identity.v1.IdentityService/ListTenants",
            "metadata": admin,
            "request": _b64(pb.ListTenantsRequest(parent=parent, page_size=20)),
        }
        for parent in ("regions/320300", "regions/320311", "regions/320312")
    ]
    return {
        "read": [*platform.read_items, *platform.resident_items],
        "list": lists,
        "search": searches,
        "write": platform.write_slots,
    }


def run(minutes: float, concurrency: int) -> dict:
    from gateway_load import finish_load, start_load
    from gateway_platform import Platform

    window = window_seconds(minutes)
    duration = minutes * 60
    with tempfile.TemporaryDirectory(prefix="rhip-soak-") as tmp:
        folder = Path(tmp)
        with scratch_database(base_url=postgres_url()) as url:
            platform = Platform("postgresql", url, folder)
            try:
                assert platform.gateway is not None
                plan = {
                    "target": platform.gateway_address,
                    "concurrency": concurrency,
                    "duration": duration,
                    "window": window,
                    "warmup": WARMUP_SECONDS,
                    "items": soak_items(platform),
                    "pids": {"gateway": platform.gateway.pid, "cell": platform.cell.pid},
                    "metrics": {"gateway": platform.gateway_metrics, "cell": platform.cell_metrics},
                }
                log(
                    f"soak: {minutes:g} min at {concurrency} in flight, {window / 60:g}-min windows"
                )
                before = platform.audit()
                proc = start_load(plan, folder, HERE / "bench_soak.py")
                result = finish_load(proc, duration + WARMUP_SECONDS + 300)
                result["audit"] = platform.audit()
                result["audit"]["added"] = result["audit"]["rows"] - before["rows"]
            finally:
                platform.stop()
    result.update(minutes=minutes, concurrency=concurrency, window_s=window)
    result["flags"] = flags(result["windows"])
    return result


def flags(windows: list[dict]) -> list[str]:
    """Growth beyond noise: RSS (last window against the second) and p99 (last window against
    the median of all)."""
    out = []
    if len(windows) < 3:
        return ["too few windows to judge growth (at least 3 needed)"]
    base, last = windows[1], windows[-1]
    for process, mib in last["rss_mib_mean"].items():
        grown = mib - base["rss_mib_mean"][process]
        if grown > RSS_GROWTH_MIB and grown > RSS_GROWTH_SHARE * base["rss_mib_mean"][process]:
            out.append(f"{process} RSS grew {grown:.0f} MiB (window 2 → {len(windows)})")
    p99s = sorted(w["p99_ms"] for w in windows)
    median = p99s[len(p99s) // 2]
    if last["p99_ms"] > P99_GROWTH * median:
        out.append(
            f"p99 of the last window {last['p99_ms']:.1f} ms > {P99_GROWTH}× median {median:.1f} ms"
        )
    return out


def report(result: dict) -> str:
    processes = list(result["windows"][0]["rss_mib_mean"])
    rows = []
    for w in result["windows"]:
        rows.append(
            (
                f"{w['minutes'][0]:g}–{w['minutes'][1]:g}",
                w["calls_per_s"],
                w["p50_ms"],
                w["p99_ms"],
                " / ".join(f"{k} {v:.0f}" for k, v in w["p99_ms_by_kind"].items()),
                *(w["rss_mib_mean"][p] for p in processes),
                *(w["rss_mib_max"][p] for p in processes),
                *(w["cpu_cores"][p] for p in processes),
                sum(w["errors"].values()),
            )
        )
    gauge_rows = [
        (
            f"{w['minutes'][0]:g}–{w['minutes'][1]:g}",
            *(w["gauges_max"].get(k, "") for k in sorted(w["gauges_max"])),
        )
        for w in result["windows"]
    ]
    gauge_names = sorted(result["windows"][0]["gauges_max"])
    audit = result["audit"]
    verdict = result["flags"] or ["none: RSS and p99 stayed within noise"]
    return "\n".join(
        [
            "# Soak",
            "",
            f"Machine: {machine()}. Code: {commit()}. Run length: **{result['minutes']:g} min** "
            f"({result['window_s'] / 60:g}-minute windows) after {WARMUP_SECONDS:g} s of warm-up, "
            f"{result['concurrency']} calls in flight through the gateway to a PostgreSQL cell "
            "(`tests/perf/bench_soak.py`; the mix: 50 % reads — `GetTenant`, `GetResident` —, "
            "15 % `ListTenants`, 15 % `SearchResidents`, 20 % `UpdateTenant`). RSS from "
            "`/proc/<pid>/status` every 10 s (mean and max per window); CPU in cores used.",
            "",
            table(
                [
                    "minutes",
                    "calls/s",
                    "p50 ms",
                    "p99 ms",
                    "p99 ms by kind",
                    *(f"{p} RSS MiB" for p in processes),
                    *(f"{p} RSS max" for p in processes),
                    *(f"{p} CPU cores" for p in processes),
                    "errors",
                ],
                rows,
            ),
            "",
            "Largest value of each gauge seen per window (both `/metrics` endpoints, summed over labels):",
            "",
            table(["minutes", *gauge_names], gauge_rows),
            "",
            f"Audit log: {audit['added']:,} rows added during the run, hash chain "
            + ("verifies." if audit["intact"] else f"BROKEN ({audit['problem']})."),
            "",
            "Growth beyond noise (RSS: last window's mean over the second's by more than "
            f"{RSS_GROWTH_MIB:g} MiB and {RSS_GROWTH_SHARE:.0%}; p99: last window over "
            f"{P99_GROWTH}× the median window): " + "; ".join(verdict) + ".",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--minutes", type=float, default=float(os.environ.get("RHIP_SOAK_MINUTES", "30"))
    )
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--load", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        print(json.dumps(asyncio.run(soak_load(json.loads(args.load.read_text())))))
        return
    result = run(args.minutes, args.concurrency)
    text = report(result)
    RESULTS.write_text(text + "\n", encoding="utf-8")
    log(f"wrote {RESULTS}")
    print(text)


if __name__ == "__main__":
    main()
