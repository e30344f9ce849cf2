"""Where the time goes under load: py-spy samples of the gateway and the cell, grouped by the
innermost frame's file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (
    context_switches,
    proc_cpu_split,
)
from gateway_load import _plan, finish_load, start_load
from gateway_platform import PROFILE_CONCURRENCY, Platform

# -- profiling ---------------------------------------------------------------------------------
CATEGORIES = (  # (label, substring of the innermost frame's file), first match wins
    ("logging (stdlib)", "/logging/"),
    ("OpenTelemetry", "opentelemetry"),
    ("SQLAlchemy", "sqlalchemy"),
    ("psycopg", "psycopg"),
    ("sqlite3", "sqlite3"),
    ("protobuf", "google/protobuf"),
    ("grpc (Python layer)", "/grpc/"),
    ("grpc health/reflection", "grpc_"),
    ("casbin", "casbin"),
    ("JWT / cryptography", "jwt"),
    ("rhip.kit.authn", "rhip/kit/authn"),
    ("rhip.kit.authz", "rhip/kit/authz"),
    ("rhip.kit.interceptors", "rhip/kit/interceptors"),
    ("rhip.kit.telemetry", "rhip/kit/telemetry"),
    ("rhip.gateway", "rhip/gateway"),
    ("rhip.identity", "rhip/identity"),
    ("rhip (other)", "/rhip/"),
    ("threads / futures (stdlib)", "threading.py"),
    ("threads / futures (stdlib)", "concurrent/futures"),
    ("contextlib (stdlib)", "contextlib.py"),
    ("uuid (stdlib)", "uuid.py"),
    ("json (stdlib)", "/json/"),
)


def _frame_parts(frame: str) -> tuple[str, str]:
    """``"func (path/file.py)"`` → (func, path)."""
    name, _, rest = frame.partition(" (")
    return name, rest.rstrip(")")


def _short(path: str) -> str:
    for marker in ("site-packages/", "/libs/", "/services/", "/lib/python3"):
        if marker in path:
            tail = path.split(marker, 1)[1]
            return tail.split("/", 1)[1] if marker == "/lib/python3" else tail
    return path.rsplit("/", 1)[-1]


def analyse_profile(raw: str, seconds: float, rate: int, calls_per_s: float) -> dict:
    """Shares of py-spy's ``--gil`` samples by the innermost frame's library and by function
    (self), the inclusive share of the busiest rhip functions, and the GIL's busy share."""
    samples: list[tuple[list[str], int]] = []
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            samples.append((stack.split(";"), int(count)))
    total = sum(n for _, n in samples)
    by_category: Counter[str] = Counter()
    by_self: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, n in samples:
        frames = [f for f in frames if " (" in f]  # drop the "process"/"thread" roots
        if not frames:
            continue
        name, path = _frame_parts(frames[-1])
        by_self[f"{name} ({_short(path)})"] += n
        by_category[next((label for label, key in CATEGORIES if key in path), "other")] += n
        seen = set()
        for frame in frames:
            name, path = _frame_parts(frame)
            if "/rhip/" in path or "/grpc/_server" in path:
                key = f"{name} ({_short(path)})"
                if key not in seen:
                    seen.add(key)
                    inclusive[key] += n
    gil_busy = total / max(1.0, seconds * rate)
    us_per_call = gil_busy * 1e6 / calls_per_s if calls_per_s else float("nan")

    def rows(counter: Counter[str], top: int) -> list[dict]:
        return [
            {"what": k, "share": v / total, "us_per_call": v / total * us_per_call}
            for k, v in counter.most_common(top)
        ]

    return {
        "samples": total,
        "gil_busy": gil_busy,
        "gil_us_per_call": us_per_call,
        "categories": rows(by_category, 14) if total else [],
        "self": rows(by_self, 12) if total else [],
        "inclusive": rows(inclusive, 12) if total else [],
    }


def profile_c(platform: Platform, seconds: float, warmup: float, folder: Path) -> dict:
    """Run (c) at PROFILE_CONCURRENCY and sample the gateway and the cell with py-spy."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not os.path.exists(spy):
        return {"skipped": "py-spy is not installed (.venv/bin/pip install py-spy)"}
    assert platform.gateway is not None
    pids = {"gateway": platform.gateway.pid, "cell": platform.cell.pid}
    rate = 100
    plan = _plan(platform, "c", PROFILE_CONCURRENCY, seconds + 1.0, warmup + 0.5)
    load = start_load(plan, folder)
    spies = {}
    try:
        time.sleep(warmup + 1.0)  # the load generator's start-up + warm-up
        cpu0 = {name: proc_cpu_split(pid) for name, pid in pids.items()}
        switches0 = {name: context_switches(pid) for name, pid in pids.items()}
        for name, pid in pids.items():
            raw_path = folder / f"profile-{name}.txt"
            spies[name] = (
                raw_path,
                subprocess.Popen(
                    [
                        spy,
                        "record",
                        "--pid",
                        str(pid),
                        "--duration",
                        f"{seconds:g}",
                        "--rate",
                        str(rate),
                        "--format",
                        "raw",
                        "--gil",
                        "--nolineno",
                        "--full-filenames",
                        "--output",
                        str(raw_path),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
        errors = {}
        for name, (_, proc) in spies.items():
            _, err = proc.communicate(timeout=seconds + 60)
            if proc.returncode != 0:
                errors[name] = err.strip().splitlines()[-1:] or ["failed"]
        cpu1 = {name: proc_cpu_split(pid) for name, pid in pids.items()}
        switches1 = {name: context_switches(pid) for name, pid in pids.items()}
        res = finish_load(load, seconds + warmup + 120)
    finally:
        for _, proc in spies.values():
            if proc.poll() is None:
                proc.kill()
        if load.poll() is None:
            load.kill()
    out: dict = {
        "concurrency": PROFILE_CONCURRENCY,
        "seconds": seconds,
        "rate": rate,
        "calls_per_s": res["calls_per_s"],
        "cpu_us_per_call": res["process_cpu_us_per_call"],
        "processes": {},
    }
    user = {name: cpu1[name][0] - cpu0[name][0] for name in pids}
    system = {name: cpu1[name][1] - cpu0[name][1] for name in pids}
    out["system_share"] = {
        name: system[name] / max(1e-9, user[name] + system[name]) for name in pids
    }
    # per call over the sampling window (py-spy's start and stop make it approximate)
    out["switches_per_call"] = {
        name: (switches1[name] - switches0[name]) / (res["calls_per_s"] * seconds) for name in pids
    }
    out["threads"] = {name: len(os.listdir(f"/proc/{pid}/task")) for name, pid in pids.items()}
    for name, (path, _) in spies.items():
        if name in errors or not path.exists():
            out["processes"][name] = {"error": " ".join(errors.get(name, ["no output"]))}
            continue
        out["processes"][name] = analyse_profile(
            path.read_text(errors="replace"), seconds, rate, res["calls_per_s"]
        )
    return out
