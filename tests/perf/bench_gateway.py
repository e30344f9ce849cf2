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
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import audit_ab
import grpc
from _common import (
    Child,
    context_switches,
    dies_with_parent,
    drive_load,
    free_port,
    log,
    proc_cpu_split,
    scratch_database,
    serve_sync_forever,
    stop_children,
    table,
)

IDENTITY = "/rhip.api.identity.v1.IdentityService/"
READ_METHOD = IDENTITY + "GetTenant"
WRITE_METHOD = IDENTITY + "UpdateTenant"
RESIDENT_METHOD = "/rhip.api.identity.v1.ResidentService/GetResident"
RESIDENTS_PER_DOCTOR = 8
DEMO_PASSWORD = "Demo-Passw0rd-2026"
DOCTORS = tuple(f"xz-doctor-{i}" for i in range(1, 6))
WRITER = "xz-admin"
LOGIN_REGION = "320300"
WRITE_TENANTS = 64  # one per load worker at the highest concurrency
WRITE_SHARE = 0.2
CONCURRENCIES = (8, 64)
PROFILE_CONCURRENCY = 64

# (c) against these (PostgreSQL, same run)
TARGETS = {"share_of_pk_read": 0.35, "p99_ms_at_8": 30.0, "cpu_us_per_call": 1e6 / 450}

SCENARIOS = {
    "a": "(a) echo, bare sync gRPC",
    "a'": "(a') raw psycopg PK read, bare sync gRPC",
    "b": "(b) GetTenant → cell",
    "c": "(c) GetTenant → gateway → cell",
    "d": "(d) 80 % GetTenant + 20 % UpdateTenant → gateway → cell",
}


# -- (a'): a bare server reading the tenant row with raw psycopg ---------------------------------
PK_READ = (
    "SELECT id, display_name, type, level, region_code, scope_path, credit_code, state, "
    "suspend_reason, create_time, update_time, version FROM tenant WHERE id = %s"
)


def serve_pk(db_url: str) -> None:

    import psycopg
    from bench_transport import SYNC_WORKERS, _handler

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


# -- load generator (its own process) ----------------------------------------------------------
async def generate_load(plan: dict) -> dict:
    """Reads drawn at random from ``plan["reads"]``; with ``write_share``, a write instead:
    worker k always writes slot k (mod the slots), alternating its two requests."""
    options = [("grpc.so_reuseport", 0)]
    if plan.get("tls_ca"):  # a public client of a gateway on TLS: trusts its CA, no certificate
        ca = Path(plan["tls_ca"]).read_bytes()
        credentials = grpc.ssl_channel_credentials(root_certificates=ca)
        channel = grpc.aio.secure_channel(plan["target"], credentials, options=options)
    else:
        channel = grpc.aio.insecure_channel(plan["target"], options=options)
    await asyncio.wait_for(channel.channel_ready(), 30)
    calls: dict[str, grpc.aio.UnaryUnaryMultiCallable] = {}

    def prepared(item: dict) -> tuple:
        method = item["method"]
        if method not in calls:
            calls[method] = channel.unary_unary(method)
        md = tuple((k, v) for k, v in item["metadata"])
        return calls[method], base64.b64decode(item["request"]), md

    reads = [prepared(item) for item in plan["reads"]]
    writes = [[prepared(item) for item in slot] for slot in plan.get("writes", [])]
    share = plan.get("write_share", 0.0) if writes else 0.0
    turns: Counter[int] = Counter()

    def next_call(worker: int, rng: random.Random):  # type: ignore[no-untyped-def]
        if share and rng.random() < share:
            slot = writes[worker % len(writes)]
            turns[worker] += 1
            call, request, md = slot[turns[worker] % len(slot)]
            return "write", call(request, metadata=md, timeout=30)
        call, request, md = reads[rng.randrange(len(reads))]
        return "read", call(request, metadata=md, timeout=30)

    try:
        return await drive_load(
            next_call,
            concurrency=plan["concurrency"],
            duration=plan["duration"],
            warmup=plan["warmup"],
            server_pids=plan["server_pids"],
            postgres_database=plan.get("postgres_database"),
            measure_postgres=plan.get("measure_postgres", True),
            snapshot=audit_ab.flush_counters(plan["metrics"]) if plan.get("metrics") else None,
        )
    finally:
        await channel.close()


def start_load(plan: dict, folder: Path, script: Path | None = None) -> subprocess.Popen:
    """``script --load plan.json`` (this file's generator by default) in its own process."""
    path = folder / f"plan-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(plan))
    script = script or Path(__file__).resolve()
    return subprocess.Popen(
        [*dies_with_parent(), sys.executable, str(script), "--load", str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )


def finish_load(proc: subprocess.Popen, timeout: float) -> dict:
    try:
        out, _ = proc.communicate(timeout=timeout)
    finally:  # a timeout, or SIGTERM to the benchmark while waiting
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed (exit {proc.returncode})")
    return json.loads(out.strip().splitlines()[-1])


# -- the real processes ------------------------------------------------------------------------
def _pb():  # type: ignore[no-untyped-def]
    from rhip.api.identity.v1 import identity_service_pb2, identity_service_pb2_grpc

    return identity_service_pb2, identity_service_pb2_grpc


class Platform:
    """A demo cell (``rhip serve --services all --demo``) and a gateway in front of it, with
    tokens for the demo doctors and the Xuzhou administrator and tenants to write to.
    ``tls``: ``RHIP_TLS_*`` of the cell and of the gateway and the CA file clients trust
    (bench_tls.py); both then answer health on a plaintext port of their own."""

    def __init__(
        self, backend: str, db_url: str | None, folder: Path, tls: dict | None = None
    ) -> None:
        self.backend = backend
        self.folder = folder
        self.tls_ca: str | None = tls["ca"] if tls else None
        self.cell_address = f"127.0.0.1:{free_port()}"
        self.gateway_address = f"127.0.0.1:{free_port()}"
        routes = folder / "routes.json"
        routes.write_text(
            json.dumps(
                {
                    "cells": [
                        {"name": "jiangsu", "regions": ["320000"], "address": self.cell_address}
                    ]
                }
            )
        )
        data_dir = folder / "data"
        self.db_url = db_url or f"sqlite:///{data_dir / '320000' / 'identity.db'}"
        self.pg_database = db_url.rsplit("/", 1)[1] if db_url else None
        inherited = {
            k: v for k, v in os.environ.items() if not k.startswith(("RHIP_", "OTEL_"))
        }  # the defaults, whatever the caller's shell sets
        env = {
            **inherited,
            "RHIP_CELL": "320000",
            "RHIP_DATA_DIR": str(data_dir),
            "RHIP_ROUTES": str(routes),
            "RHIP_ACCESS_TOKEN_TTL_SECONDS": "3600",  # tokens outlive any run
        }
        if db_url:
            env["RHIP_IDENTITY_DATABASE_URL"] = db_url
        python = sys.executable
        health = {"cell": self.cell_address, "gateway": self.gateway_address}
        extra: dict[str, dict[str, str]] = {"cell": {}, "gateway": {}}
        if tls:
            for name in extra:
                health[name] = f"127.0.0.1:{free_port()}"
                extra[name] = {**tls[name], "RHIP_HEALTH_LISTEN": health[name]}
        self._health = health
        # The cell's Prometheus endpoint: the audit writer's group commits (audit_ab).
        self.cell_metrics = f"127.0.0.1:{free_port()}"
        self._cell_env = {**env, "RHIP_LISTEN": self.cell_address, **extra["cell"]}
        self._cell_env["RHIP_METRICS_LISTEN"] = self.cell_metrics
        self._cell_cmd = [python, "-m", "rhip.cli", "serve", "--services", "all"]
        self.cell = Child(f"cell-{backend}", [*self._cell_cmd, "--demo"], folder, self._cell_env)
        self.cell_restarts = 0
        self.gateway: Child | None = None
        try:
            self.cell.wait_serving(health["cell"])
            self.gateway_metrics = f"127.0.0.1:{free_port()}"
            self.gateway = Child(
                f"gateway-{backend}",
                [python, "-m", "rhip.cli", "gateway", "--listen", self.gateway_address],
                folder,
                {
                    **env,
                    "RHIP_RATE_LIMIT_PER_SECOND": "1000000",
                    "RHIP_RATE_LIMIT_BURST": "1000000",
                    **extra["gateway"],
                    "RHIP_METRICS_LISTEN": self.gateway_metrics,
                },
            )
            self.gateway.wait_serving(health["gateway"])
            self._prepare()
        except BaseException:
            self.stop()
            raise

    def restart_cell(self, extra_env: dict[str, str]) -> None:
        """The cell again, on the same address and database (demo data already in), with
        ``extra_env`` on top of its settings; the gateway reconnects by itself."""
        self.cell.stop()
        self.cell_restarts += 1
        self.cell = Child(
            f"cell-{self.backend}-{self.cell_restarts}",
            self._cell_cmd,
            self.folder,
            {**self._cell_env, **extra_env},
        )
        self.cell.wait_serving(self._health["cell"])

    def _prepare(self) -> None:
        pb, pb_grpc = _pb()
        from google.protobuf.field_mask_pb2 import FieldMask
        from rhip.api.identity.v1 import tenant_pb2

        if self.tls_ca:
            credentials = grpc.ssl_channel_credentials(Path(self.tls_ca).read_bytes())
            channel = grpc.secure_channel(self.gateway_address, credentials)
        else:
            channel = grpc.insecure_channel(self.gateway_address)
        with channel:
            stub = pb_grpc.IdentityServiceStub(channel)

            def login(username: str):  # type: ignore[no-untyped-def]
                return stub.Login(
                    pb.LoginRequest(
                        password=pb.PasswordCredentials(username=username, password=DEMO_PASSWORD)
                    ),
                    metadata=[("x-rhip-region", LOGIN_REGION)],
                    timeout=30,
                )

            self.doctors = []  # (token, tenant_id)
            for username in DOCTORS:
                session = login(username)
                self.doctors.append((session.access_token, session.principal.tenant_id))
            admin = login(WRITER)
            self.admin_token = admin.access_token
            admin_md = [("authorization", "Bearer " + self.admin_token)]
            self.write_tenants = []
            for i in range(WRITE_TENANTS):
                created = stub.CreateTenant(
                    pb.CreateTenantRequest(
                        tenant=tenant_pb2.Tenant(
                            display_name=f"压测卫生室 {i + 1:02d}",
                            type=tenant_pb2.TENANT_TYPE_VILLAGE_CLINIC,
                            region_code="320312" if i % 2 else "320311",
                        ),
                        request_id=str(uuid.uuid4()),
                    ),
                    metadata=admin_md,
                    timeout=30,
                )
                self.write_tenants.append(created.tenant_id)
            # every read and write of the plans, once, so a misconfiguration fails here
            regions = []
            for token, tenant_id in self.doctors:
                tenant = stub.GetTenant(
                    pb.GetTenantRequest(name=f"tenants/{tenant_id}"),
                    metadata=[("authorization", "Bearer " + token)],
                    timeout=30,
                )
                regions.append(tenant.region_code)
            self.resident_items = register_residents(channel, self.doctors, regions)
        self.read_items = [
            {
                "method": READ_METHOD,
                "metadata": [["authorization", "Bearer " + token]],
                "request": _b64(pb.GetTenantRequest(name=f"tenants/{tenant_id}")),
            }
            for token, tenant_id in self.doctors
        ]
        self.write_slots = [
            [
                {
                    "method": WRITE_METHOD,
                    "metadata": [["authorization", "Bearer " + self.admin_token]],
                    "request": _b64(
                        pb.UpdateTenantRequest(
                            tenant=tenant_pb2.Tenant(
                                name=f"tenants/{tenant_id}",
                                display_name=f"压测卫生室 {i + 1:02d} {variant}",
                            ),
                            update_mask=FieldMask(paths=["display_name"]),
                        )
                    ),
                }
                for variant in ("甲", "乙")
            ]
            for i, tenant_id in enumerate(self.write_tenants)
        ]

    def audit(self) -> dict:
        """Rows in the audit log and whether its hash chain verifies."""
        from rhip.kit.audit import verify
        from rhip.kit.db import make_engine
        from sqlalchemy import text

        engine = make_engine(self.db_url, pool_size=1)
        try:
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one()
                report = verify(conn)
        finally:
            engine.dispose()
        return {"rows": int(rows), "intact": report.intact, "problem": report.problem}

    def stop(self) -> None:
        for child in (self.gateway, self.cell):
            if child is not None:
                child.stop()


def register_residents(
    channel: grpc.Channel, doctors: list[tuple[str, str]], regions: list[str]
) -> list[dict]:
    """Residents for (e): each doctor registers RESIDENTS_PER_DOCTOR synthetic residents of
    its own tenant's region (valid check digits, not real people) and reads them back by
    ``GetResident``, an audited read of personal data."""
    from rhip.api.identity.v1 import resident_pb2, resident_service_pb2, resident_service_pb2_grpc
    from rhip.identity.residents.documents import id_check_char

    stub = resident_service_pb2_grpc.ResidentServiceStub(channel)
    items = []
    for d, ((token, _tenant), region) in enumerate(zip(doctors, regions, strict=True)):
        md = [("authorization", "Bearer " + token)]
        for i in range(RESIDENTS_PER_DOCTOR):
            body = f"{region[:6]}1980{d + 1:02d}{i + 1:02d}{900 + i:03d}"
            reply = stub.RegisterResident(
                resident_service_pb2.RegisterResidentRequest(
                    resident=resident_pb2.Resident(display_name="压测居民", region_code=region),
                    document=resident_pb2.IdentityDocument(
                        type=resident_pb2.DOCUMENT_TYPE_RESIDENT_ID_CARD,
                        number=body + id_check_char(body),
                    ),
                    request_id=str(uuid.uuid4()),
                ),
                metadata=md,
                timeout=30,
            )
            request = resident_service_pb2.GetResidentRequest(name=reply.resident.name)
            stub.GetResident(request, metadata=md, timeout=30)
            items.append(
                {
                    "method": RESIDENT_METHOD,
                    "metadata": [list(pair) for pair in md],
                    "request": _b64(request),
                }
            )
    return items


def _b64(message) -> str:  # type: ignore[no-untyped-def]
    return base64.b64encode(message.SerializeToString()).decode()


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
def _plan(
    platform: Platform | None,
    scenario: str,
    concurrency: int,
    duration: float,
    warmup: float,
    *,
    target: str | None = None,
    pid: int | None = None,
    reads: list | None = None,
    pg_database: str | None = None,
) -> dict:
    plan: dict = {"concurrency": concurrency, "duration": duration, "warmup": warmup}
    if scenario in ("a", "a'"):
        plan.update(target=target, server_pids={"server": pid}, reads=reads)
        plan["postgres_database"] = pg_database
        return plan
    assert platform is not None and platform.gateway is not None
    plan["reads"] = platform.read_items
    plan["tls_ca"] = platform.tls_ca
    plan["postgres_database"] = platform.pg_database
    plan["measure_postgres"] = platform.pg_database is not None
    if scenario == "b":
        plan.update(target=platform.cell_address, server_pids={"cell": platform.cell.pid})
    else:
        plan.update(
            target=platform.gateway_address,
            server_pids={"gateway": platform.gateway.pid, "cell": platform.cell.pid},
        )
    if scenario == "d":
        plan.update(writes=platform.write_slots, write_share=WRITE_SHARE)
    if scenario == "e":
        plan["reads"] = platform.resident_items
    return plan


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
    from bench_transport import METHOD

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
        from bench_transport import serve_sync

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
