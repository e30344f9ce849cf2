"""Helpers shared by the benchmark scripts: a throw-away database, percentiles, tables.

Not a test module: ``make bench`` runs ``tests/perf/run_all.py``; pytest never collects
this folder (``norecursedirs``).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import math
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_url() -> str:
    return os.environ.get("RHIP_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def log(message: str) -> None:
    """Progress on stderr with a timestamp, flushed at once (the scripts run for minutes)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextmanager
def scratch_database(*, sqlite: bool = False, base_url: str | None = None) -> Iterator[str]:
    """A fresh, empty database for one run, dropped afterwards: a new PostgreSQL database
    next to the one in ``base_url`` (or a SQLite file in a temporary folder)."""
    if sqlite:
        folder = tempfile.mkdtemp(prefix="rhip-bench-")
        try:
            yield f"sqlite:///{folder}/bench.db"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    from rhip.kit.db import normalise_url

    base = make_url(normalise_url(base_url or postgres_url()))
    name = f"rhip_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            _drop_orphans(conn, base)
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        log(f"created scratch database {name}")
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            log(f"dropped scratch database {name}")
    finally:
        admin.dispose()


def _drop_orphans(conn, base) -> None:  # type: ignore[no-untyped-def]
    """Drop scratch databases left by a benchmark killed before its cleanup (SIGKILL): their
    name carries the pid, which no longer runs. Only for a server on this machine."""
    if base.host not in ("127.0.0.1", "localhost", "::1", None):
        return
    names = conn.execute(
        text("SELECT datname FROM pg_database WHERE datname LIKE 'rhip\\_bench\\_%'")
    ).scalars()
    for name in list(names):
        match = re.fullmatch(r"rhip_bench_(\d+)_[0-9a-f]{6}", name)
        if match and not os.path.exists(f"/proc/{match.group(1)}"):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            log(f"dropped orphaned scratch database {name}")


def migrate_kit(engine) -> None:  # type: ignore[no-untyped-def]
    """Create the kit's tables (authz_rule, authz_version, audit) with its real migration."""
    from rhip.kit.db import migrate

    with tempfile.TemporaryDirectory(prefix="rhip-bench-versions-") as empty:
        migrate(engine, Path(empty))


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def timed(calls: Sequence[Any], fn: Callable[[Any], object]) -> list[float]:
    """Milliseconds of ``fn(arg)`` for each of ``calls``, one at a time, sorted."""
    out = []
    for arg in calls:
        t0 = time.perf_counter()
        fn(arg)
        out.append((time.perf_counter() - t0) * 1000)
    return sorted(out)


def machine() -> str:
    """The CPU model and count, for a results page."""
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} × {model}"


def commit() -> str:
    """The short commit measured: ``RHIP_BENCH_COMMIT`` (set it when running a clean export),
    else the checkout's HEAD."""
    if os.environ.get("RHIP_BENCH_COMMIT"):
        return os.environ["RHIP_BENCH_COMMIT"]
    found = subprocess.run(
        ["git", "-C", str(Path(__file__).parent), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() or "unknown"


def data_bench_main(
    doc: str,
    *,
    title: str,
    script: str,
    results: Path,
    what: str,
    run: Callable[..., dict],
    summary: Callable[[dict], list[str]],
    report: Callable[[dict], str],
    default_rows: int = 1_000_000,
) -> tuple[dict, bool]:
    """The command line of the benchmarks that load a table of ``what`` (``--rows``,
    ``--quick``): run, print the results page and write it to ``results`` (not with
    ``--quick``). Returns the results and whether the run was quick."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--rows", type=int, default=default_rows, help=f"{what} to load")
    parser.add_argument("--quick", action="store_true", help="50,000 rows, fewer samples")
    args = parser.parse_args()
    started = datetime.now(UTC)
    res = run(rows=args.rows, quick=args.quick)
    text = "\n".join(
        [
            f"# {title}",
            "",
            f"Written by `tests/perf/{script}` (`make bench`) on {started:%Y-%m-%d %H:%M}"
            f" UTC{' with --quick' if args.quick else ''}, commit {commit()}, on {machine()}. "
            "The machine is shared: compare the rows of one run, not runs.",
            "",
            *summary(res),
            "",
            report(res),
            "",
        ]
    )
    print(text)
    if not args.quick:
        results.write_text(text, encoding="utf-8")
        log(f"wrote {results}")
    return res, args.quick


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table (also readable on a terminal)."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells[1:]:
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "n/a"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


# -- CPU accounting from /proc ---------------------------------------------------------------
CLK_TCK = os.sysconf("SC_CLK_TCK")
_CLIENT_BACKEND = re.compile(r"\(\d+\)|\[local\]")  # "... 127.0.0.1(51234) idle"


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_cpu_split(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


def context_switches(pid: int) -> int:
    """Voluntary + involuntary context switches of all the threads of a process so far."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                total += sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)
        except OSError:  # the thread ended
            continue
    return total


def postgres_cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two ``postgres_cpu_by_process`` readings: per process, so a
    backend that exits in between is missed (never subtracted: a sum of totals went negative
    when one did) and a backend started in between counts from its start."""
    return sum(max(0.0, spent - before.get(pid, 0.0)) for pid, spent in after.items())


def postgres_cpu_by_process(database: str | None = None) -> dict[int, float]:
    """CPU seconds of each local PostgreSQL process, by pid.

    Without ``database``: every live postgres process plus what the postmaster has reaped
    from exited backends (cutime+cstime), so backends that a churning pool opens and closes
    during the window are counted too. With ``database``: the postmaster, the background
    processes (WAL writer, checkpointer, ...) and only the client backends connected to that
    database, so other databases' clients on a shared server do not count (backends of that
    database that exit during the window are then missed)."""
    spent: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as f:
                if f.read().strip() != "postgres":
                    continue
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{fields[1]}/comm") as f:
                parent_is_postgres = f.read().strip() == "postgres"
            if database is not None and parent_is_postgres:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
                if _CLIENT_BACKEND.search(cmdline) and f" {database} " not in cmdline:
                    continue  # a client of another database
        except OSError:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / CLK_TCK
        if not parent_is_postgres and database is None:  # the postmaster: its reaped children
            seconds += (int(fields[13]) + int(fields[14])) / CLK_TCK
        spent[int(entry)] = seconds
    return spent


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return total - idle, total


# -- closed-loop load generator ----------------------------------------------------------------
# next_call(worker, rng) -> (kind, awaitable): one call to make; the kind labels its latency.
NextCall = Callable[[int, random.Random], tuple[str, Awaitable[object]]]


async def drive_load(
    next_call: NextCall,
    *,
    concurrency: int,
    duration: float,
    warmup: float,
    server_pids: Mapping[str, int],
    postgres_database: str | None = None,
    measure_postgres: bool = True,
    snapshot: Callable[[], Awaitable[Mapping[str, float]]] | None = None,
) -> dict:
    """Keep ``concurrency`` gRPC calls in flight (``grpc.aio``, in the calling process) for
    ``warmup`` + ``duration`` seconds and measure the ``duration`` part: calls/s, p50/p99
    (overall and per kind), gRPC errors by code, and CPU time per call of each server process
    (``/proc``) and their context switches per call, of PostgreSQL (unless ``measure_postgres`` is false; see
    ``postgres_cpu_by_process`` for ``postgres_database``), of this process, and the machine's busy share. ``snapshot``
    (optional) reads server-side counters before and after; their differences are returned
    under ``counters``. Failed calls are counted, not timed."""
    import resource

    import grpc

    state = {"measuring": False, "stop": False}
    latencies: dict[str, list[float]] = {}
    completed: dict[str, int] = {}  # successful calls of each kind, warm-up included
    errors: dict[str, int] = {}
    clock = time.perf_counter

    async def worker(k: int) -> None:
        rng = random.Random(k)
        while not state["stop"]:
            kind, call = next_call(k, rng)
            t0 = clock()
            try:
                await call
                ok = True
            except grpc.aio.AioRpcError as exc:
                ok = False
                code = exc.code().name
            if ok:
                completed[kind] = completed.get(kind, 0) + 1
            if state["measuring"]:
                if ok:
                    latencies.setdefault(kind, []).append(clock() - t0)
                else:
                    key = f"{kind} {code}" if kind else code
                    errors[key] = errors.get(key, 0) + 1

    def cpu() -> dict[str, float]:
        return {name: proc_cpu_seconds(pid) for name, pid in server_pids.items()}

    def switches() -> int:
        return sum(context_switches(pid) for pid in server_pids.values())

    tasks = [asyncio.create_task(worker(k)) for k in range(concurrency)]
    await asyncio.sleep(warmup)
    counters0 = dict(await snapshot()) if snapshot else {}
    pg0 = postgres_cpu_by_process(postgres_database) if measure_postgres else {}
    busy0 = machine_busy()
    srv0 = cpu()
    sw0 = switches()
    me0 = resource.getrusage(resource.RUSAGE_SELF)
    t_start = clock()
    state["measuring"] = True
    await asyncio.sleep(duration)
    state["measuring"] = False
    elapsed = clock() - t_start
    srv1 = cpu()
    sw1 = switches()
    me1 = resource.getrusage(resource.RUSAGE_SELF)
    busy1 = machine_busy()
    pg1 = postgres_cpu_by_process(postgres_database) if measure_postgres else {}
    counters1 = dict(await snapshot()) if snapshot else {}
    state["stop"] = True
    await asyncio.gather(*tasks)

    everything = sorted(x for lat in latencies.values() for x in lat)
    n = len(everything)

    def per_call(seconds: float) -> float:
        return seconds / n * 1e6 if n else float("nan")

    server = {name: srv1[name] - srv0[name] for name in server_pids}
    pg = postgres_cpu_between(pg0, pg1) if measure_postgres else float("nan")
    me = (me1.ru_utime + me1.ru_stime) - (me0.ru_utime + me0.ru_stime)
    by_kind = {}
    for kind, lat in sorted(latencies.items()):
        lat.sort()
        by_kind[kind] = {
            "calls": len(lat),
            "p50_ms": percentile(lat, 50) * 1000,
            "p99_ms": percentile(lat, 99) * 1000,
        }
    return {
        "concurrency": concurrency,
        "seconds": elapsed,
        "calls": n,
        "errors": errors,
        "completed": completed,
        "calls_per_s": n / elapsed,
        "p50_ms": percentile(everything, 50) * 1000,
        "p99_ms": percentile(everything, 99) * 1000,
        "by_kind": by_kind,
        "process_cpu_us_per_call": {name: per_call(s) for name, s in server.items()},
        "server_cpu_us_per_call": per_call(sum(server.values())),
        "server_cpu_cores": sum(server.values()) / elapsed,
        "server_switches_per_call": (sw1 - sw0) / n if n else float("nan"),
        "postgres_cpu_us_per_call": per_call(pg),
        "client_cpu_us_per_call": per_call(me),
        "machine_busy_pct": 100 * (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]),
        "counters": {k: counters1[k] - counters0.get(k, 0) for k in counters1},
    }


# -- child processes ---------------------------------------------------------------------------
_children: set[Child] = set()


def dies_with_parent() -> list[str]:
    """A command prefix that makes the command get SIGTERM when this process dies, even by
    SIGKILL (``setpriv --pdeathsig``, util-linux); empty where setpriv is missing."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []


class Child:
    """A server process started by a benchmark, output to ``<log_dir>/<name>.log``. It gets
    SIGTERM when this process dies, even by SIGKILL (``setpriv --pdeathsig``, util-linux),
    and ``stop_children`` (also run at exit) stops whatever is still running."""

    def __init__(
        self,
        name: str,
        cmd: Sequence[str],
        log_dir: Path,
        env: Mapping[str, str] | None = None,
    ) -> None:
        import subprocess

        self.name = name
        self.log_path = Path(log_dir) / f"{name}.log"
        prefix = dies_with_parent()
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(
                [*prefix, *cmd],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
            )
        self.pid = self.proc.pid
        _children.add(self)

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_for_line(self, prefix: str, timeout: float = 60.0) -> str:
        """The first output line starting with ``prefix`` (the process must print it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log_path.read_text(errors="replace").splitlines():
                if line.startswith(prefix):
                    return line
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not print {prefix!r}:\n{self.tail()}")

    def wait_serving(self, address: str, timeout: float = 90.0) -> None:
        """Wait until ``grpc.health.v1`` Check (the whole server) answers SERVING."""
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        deadline = time.monotonic() + timeout
        with grpc.insecure_channel(address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} not SERVING on {address}:\n{self.tail()}")

    def stop(self, timeout: float = 15.0) -> None:
        import signal
        import subprocess

        _children.discard(self)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def stop_children() -> None:
    for child in list(_children):
        child.stop()


atexit.register(stop_children)


def free_port() -> int:
    """A TCP port on 127.0.0.1 free right now (for a server that needs it up front)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_sync_forever(handler: Any, workers: int) -> None:
    """Run a bare sync gRPC server (a benchmark baseline) on a free loopback port until
    SIGTERM; prints ``PORT <n>`` for the parent to read."""
    import signal
    from concurrent.futures import ThreadPoolExecutor

    import grpc

    server = grpc.server(
        ThreadPoolExecutor(max_workers=workers),
        handlers=[handler],
        options=[("grpc.so_reuseport", 0)],
        maximum_concurrent_rpcs=workers * 8,
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    signal.signal(signal.SIGTERM, lambda *_: server.stop(0))
    print(f"PORT {port}", flush=True)
    server.wait_for_termination()
