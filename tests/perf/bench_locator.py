"""The resident locator in the path of registration and record creation (`make bench`; alone:
``python tests/perf/bench_locator.py``).

Two Jiangsu cells on one scratch PostgreSQL database (a schema each): one set up for the
platform (a cell account and a gateway that serves the resident locator), one standalone (no
gateway: its archives asks no locator). A Quanshan clinician of each calls its own cell over
gRPC on loopback, one call in flight, alternating between the two cells call by call so that
the machine's noise falls on both alike:

* ``RegisterResident`` of a new person (a fresh valid ID number each time);
* ``CreateHealthRecord`` for that resident (the locator-set-up cell claims the person's one
  open record at the locator, through the gateway, with its cell account, in the same step:
  the claim is sent first and answered while the cell writes the record, which it commits
  once the claim is made).

Target (issue 13): the locator adds at most 2 ms to either call's p99.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import psycopg  # noqa: E402
from _common import commit, log, machine, percentile, scratch_database, table  # noqa: E402
from locator_report import MODES, breakdown, overlap, reading, report, verdict  # noqa: E402

RESULTS = HERE / "RESULTS-locator.md"
CELL = "320000"
COUNTY = "320311"
TIMEOUT = 15


@contextmanager
def _schemas(url: str, names: list[str]) -> Iterator[dict[str, str]]:
    """One schema per name in the scratch database, as URLs (the tests' postgres_schema)."""
    from sqlalchemy.engine import make_url

    base = make_url(url)
    dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in names:
            conn.execute(f"CREATE SCHEMA {name}")
    yield {
        name: base.update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(
            hide_password=False
        )
        for name in names
    }


@contextmanager
def _cells(url: str, work: Path, gateway_process: bool = False) -> Iterator[dict[str, object]]:
    """``{"locator": RunningCell, "standalone": RunningCell, "gateway": Gateway,
    "gateway_spans": InMemorySpanExporter}``, demo accounts seeded, the first cell behind a
    gateway serving the locator. Both cells have their cell account, so both run the same
    background workers (the timeline delivery to emr and its institution names, which need
    it); only the gateway address differs: the standalone cell asks no locator and announces
    nobody (its link worker's passes find no gateway and do nothing). ``gateway_process``:
    the gateway (and the locator it serves) runs in a process of its own (``rhip gateway``),
    as in production, instead of in this one; its timings are then not seen here (None)."""
    from conftest import make_settings
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from rhip.gateway.server import build_gateway
    from rhip.identity.demo import seed_demo
    from rhip.kit.routing import RoutingTable
    from rhip.kit.telemetry import build_tracer_provider
    from support.cells import start_cell
    from support.platform import free_port, write_routes

    names = ["id_loc", "arc_loc", "id_solo", "arc_solo", "gateway", "locator"]
    account = {
        "RHIP_CELL_CLIENT_ID": f"cell-{CELL}",
        "RHIP_CELL_CLIENT_SECRET": f"inprocess-cell-secret-{CELL}",
    }
    with _schemas(url, names) as urls, ExitStack() as stack:
        gateway_address = f"127.0.0.1:{free_port()}"
        cell_address = f"127.0.0.1:{free_port()}"
        routes = write_routes(work / "routes.json", {CELL: cell_address})
        located = start_cell(
            make_settings(
                work / "loc", urls["id_loc"], cell=CELL,
                RHIP_ARCHIVES_DATABASE_URL=urls["arc_loc"], **account,
                RHIP_GATEWAY_ADDRESS=gateway_address, RHIP_ROUTES=str(routes),
            ),
            cell_address,
        )  # fmt: skip
        stack.callback(located.cell.stop, 0)
        standalone = start_cell(
            make_settings(
                work / "solo", urls["id_solo"], cell=CELL,
                RHIP_ARCHIVES_DATABASE_URL=urls["arc_solo"], **account,
            )
        )  # fmt: skip
        stack.callback(standalone.cell.stop, 0)
        for running in (located, standalone):
            seed_demo(running.usecases)
        gateway_settings = make_settings(
            work / "gw", urls["gateway"], RHIP_LOCATOR_DATABASE_URL=urls["locator"]
        )
        if gateway_process:
            yield {
                "locator": located, "standalone": standalone,
                "gateway": _gateway_process(gateway_settings.env, routes, gateway_address, stack),
                "gateway_spans": None,
            }  # fmt: skip
            return
        spans = InMemorySpanExporter()
        gateway = build_gateway(
            gateway_settings,
            RoutingTable.from_file(routes),
            tracer_provider=build_tracer_provider("memory", "rhip-gateway", memory=spans),
        )
        gateway.start(gateway_address)
        stack.callback(gateway.stop, 0)
        yield {
            "locator": located, "standalone": standalone,
            "gateway": gateway, "gateway_spans": spans,
        }  # fmt: skip


def _gateway_process(env, routes: Path, address: str, stack: ExitStack) -> None:  # type: ignore[no-untyped-def]
    """``rhip gateway`` on ``address`` in a process of its own, stopped when ``stack`` closes;
    its output in ``gateway.log`` beside the routes."""
    from support.platform import wait_healthy

    output = (routes.parent / "gateway.log").open("wb")
    stack.callback(output.close)
    process = subprocess.Popen(
        [sys.executable, "-m", "rhip.cli", "gateway", "--routes", str(routes), "--listen", address],
        env={**os.environ, **env},
        stdout=output,
        stderr=subprocess.STDOUT,
    )

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()

    stack.callback(stop)
    wait_healthy(address, process)


def _token(running) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    from rhip.api.identity.v1 import identity_service_pb2 as id_pb
    from rhip.demo import DEMO_PASSWORD

    login = running.stub.Login(
        id_pb.LoginRequest(
            password=id_pb.PasswordCredentials(username="xz-doctor-1", password=DEMO_PASSWORD)
        ),
        timeout=TIMEOUT,
    )
    return [("authorization", f"Bearer {login.access_token}")]


def _people(count: int, seed: int = 20261206) -> list[str]:
    """``count`` distinct valid Quanshan ID numbers."""
    from rhip.identity.residents.documents import id_check_char

    rng, seen = random.Random(seed), set()
    while len(seen) < count:
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 80))
        body = f"{COUNTY}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
        seen.add(body + id_check_char(body))
    return sorted(seen, key=lambda _: rng.random())


# ``settled``: like with like; ``series``: settled, the claim awaited as soon as it is sent,
# before any of the cell's own work (the order before the claim ran beside that work);
# ``overlapping``: as the bench measured before (the create right after the registration,
# while the locator cell announces the new resident).
CLAIM = "rhip.api.locator.v1.LocatorService/ClaimOpenRecord"
ANNOUNCE = "rhip.api.locator.v1.LocatorService/AnnounceResident"
CREATE = "rhip.api.archives.v1.ArchivesService/CreateHealthRecord"


def _timed(obj: object, attr: str, sink: dict[str, list[float]], label: str, mode: list[str]):  # type: ignore[no-untyped-def]
    """Wraps ``obj.attr`` (an instance's bound method) to add its milliseconds, per mode, to
    ``sink[f"{label} {mode}"]``: instrumentation of the real call, which it calls through."""
    inner = getattr(obj, attr)

    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            sink.setdefault(f"{label} {mode[0]}", []).append((time.perf_counter() - t0) * 1000)

    setattr(obj, attr, timed)


def _claims_timed(locator, sink: dict[str, list[float]], mode: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Wraps archives' ``LocatorClient.send_claim``: per mode, how long each claim took from
    sent to answered (``claim at archives``) and how long archives waited for it once its own
    work was done (``claim waited``, the part added to the creation). In the ``series`` mode it
    waits for the answer right away, before the cell's own work, as before the overlap."""
    inner = locator.send_claim

    def send(*args, **kwargs):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        key = mode[0]
        pending = inner(*args, **kwargs)
        # The gRPC future under the PendingClaim (instrumentation only): its answer's time.
        pending._sent.add_done_callback(
            lambda _: sink.setdefault(f"claim at archives {key}", []).append(
                (time.perf_counter() - t0) * 1000
            )
        )
        wait, waited = pending.wait, []

        def timed_wait():  # type: ignore[no-untyped-def]
            t1 = time.perf_counter()
            try:
                return wait()
            finally:
                if not waited:  # the first wait blocks; any later one has the answer
                    waited.append((time.perf_counter() - t1) * 1000)
                    sink.setdefault(f"claim waited {key}", []).append(waited[0])

        pending.wait = timed_wait
        if key == "series":
            pending.wait()
        return pending

    locator.send_claim = send


def _settle(conn: psycopg.Connection) -> None:
    """Waits (untimed) until the locator cell's link worker has announced every registered
    resident to the locator: the background work a registration starts there, which the
    standalone cell has no counterpart of."""
    deadline = time.monotonic() + 10
    while conn.execute("SELECT count(*) FROM id_loc.resident_announcement").fetchone()[0]:
        if time.monotonic() > deadline:
            log("the link worker did not drain its queue in 10 s")
            return
        time.sleep(0.001)


def _durations(spans, name: str) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """(start, end) in ns of the finished server spans called ``name``."""
    return [(s.start_time, s.end_time) for s in spans.get_finished_spans() if s.name == name]


def run(calls: int, gateway_process: bool = False) -> dict[str, list[float]]:
    from archives.helpers import complete_form
    from rhip.api.archives.v1 import archives_service_pb2 as apb
    from rhip.api.archives.v1 import archives_service_pb2_grpc
    from sqlalchemy.engine import make_url
    from support.residents import register_request
    from support.residents import stub as resident_stub

    timings: dict[str, list[float]] = {}
    mode = [MODES[0]]
    with (
        scratch_database() as url,
        tempfile.TemporaryDirectory() as work,
        _cells(url, Path(work), gateway_process) as cells,
        psycopg.connect(
            make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
            autocommit=True,
        ) as conn,
    ):
        cells_by_name = {name: cells[name] for name in ("locator", "standalone")}
        clients = {
            name: (
                resident_stub(running.channel),  # type: ignore[attr-defined]
                archives_service_pb2_grpc.ArchivesServiceStub(running.channel),  # type: ignore[attr-defined]
                _token(running),
            )
            for name, running in cells_by_name.items()
        }
        # The claim as archives sees it (the gRPC call through the gateway) and as the
        # locator's use case runs it (its transaction), beside the gateway's server span.
        archives = cells["locator"].cell.part("archives").usecases  # type: ignore[attr-defined]
        _claims_timed(archives.locator, timings, mode)
        if cells["gateway"] is not None:
            _timed(cells["gateway"].locator.usecases, "claim", timings, "claim use case", mode)  # type: ignore[attr-defined]
        gateway_spans = cells["gateway_spans"]
        people = _people(2 * (calls + 20))
        for i in range(calls + 20):  # the first 20 of each warm up the paths
            # Person by person: the create right after the registration (the old bench:
            # the locator cell's announcement of the new resident runs meanwhile), or once
            # the announcement is done (``settled``, like with like).
            mode[0] = MODES[i % 3]
            order = list(clients.items())
            if (i // 3) % 2:
                order.reverse()
            for name, (residents, archives_stub, md) in order:
                number = people[2 * i + (name == "standalone")]
                t0 = time.perf_counter()
                reply = residents.RegisterResident(
                    register_request(number, name="测试", region=COUNTY),
                    metadata=md, timeout=TIMEOUT,
                )  # fmt: skip
                t1 = time.perf_counter()
                if mode[0] != "overlapping":
                    _settle(conn)
                t2 = time.perf_counter()
                window = time.time_ns()
                archives_stub.CreateHealthRecord(
                    apb.CreateHealthRecordRequest(
                        resident=reply.resident.name, township_code="001",
                        village_code="101", basic_info=complete_form(),
                        request_id=str(uuid.uuid4()),
                    ),
                    metadata=md, timeout=TIMEOUT,
                )  # fmt: skip
                t3 = time.perf_counter()
                window_end = time.time_ns()
                _settle(conn)  # nothing of this cell's spills into the other cell's calls
                running = cells_by_name[name]
                created = _durations(running.spans, CREATE)  # type: ignore[attr-defined]
                running.spans.clear()  # type: ignore[attr-defined]
                if name == "locator" and gateway_spans is not None:
                    claims = _durations(gateway_spans, CLAIM)
                    announced = _durations(gateway_spans, ANNOUNCE)
                    gateway_spans.clear()  # type: ignore[attr-defined]
                if i < 20:
                    continue
                key = f"{name} {mode[0]}"
                timings.setdefault(f"register {key}", []).append((t1 - t0) * 1000)
                timings.setdefault(f"create {key}", []).append((t3 - t2) * 1000)
                timings.setdefault(f"create at the cell {key}", []).extend(
                    (end - start) / 1e6 for start, end in created
                )
                if name == "locator" and gateway_spans is not None:
                    timings.setdefault(f"claim span {mode[0]}", []).extend(
                        (end - start) / 1e6 for start, end in claims
                    )
                    overlapped = any(s < window_end and e > window for s, e in announced)
                    timings.setdefault(f"overlapped {mode[0]}", []).append(float(overlapped))
            if i == 20 - 1:
                for key in [k for k in timings if k.startswith("claim ")]:
                    timings[key].clear()  # the warm-up's claims
            if i % 100 == 0:
                log(f"{i} of {calls + 20} people")
    return {k: sorted(v) for k, v in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="people registered per cell")
    parser.add_argument("--quick", action="store_true", help="200 people, results not written")
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help=f"the page to write (default {RESULTS.name})"
    )
    parser.add_argument("--raw", type=Path, help="also write every timing (ms) as JSON here")
    parser.add_argument(
        "--gateway-process",
        action="store_true",
        help="run the gateway (and the locator it serves) in a process of its own, as in"
        " production, rather than in the benchmark's process beside the cells",
    )
    args = parser.parse_args()
    started = datetime.now(UTC)
    calls = 200 if args.quick else args.calls
    timings = run(calls, args.gateway_process)
    if args.raw:
        args.raw.write_text(json.dumps(timings), encoding="utf-8")
    headers = [
        "call", "p50 standalone", "p50 with locator", "p99 standalone", "p99 with locator",
        "p99 added", "p50 added", "p99 added, 90 % interval",
    ]  # fmt: skip
    settled, series, overlapping = (report(timings, mode) for mode in MODES)

    def claim(mode: str, key: str, q: float = 50) -> float:
        return percentile(timings.get(f"{key} {mode}", []), q)

    text = "\n".join(
        [
            "# Benchmark: the resident locator in the path (issue 13)",
            "",
            f"Written by `tests/perf/bench_locator.py` (`make bench`) on {started:%Y-%m-%d %H:%M}"
            f" UTC{' with --quick' if args.quick else ''}"
            f"{'' if args.quick or calls == 1000 else f' with --calls {calls}'}"
            f"{' --gateway-process' if args.gateway_process else ''},"
            f" commit {commit()}, on {machine()}. "
            "The machine is shared: compare the rows of one run, not runs.",
            "",
            f"{calls} people per cell, each registered and given a health record, one call in"
            " flight, the two cells alternating call by call (which goes first alternates"
            " too); milliseconds at the client on loopback. Both cells have their cell"
            " account and run the same background workers (the timeline delivery to emr);"
            " only the locator cell has a gateway, so only it claims at the locator and"
            " announces its new residents there (the link worker, woken by each"
            " registration)."
            + (
                " The gateway, serving the locator, runs in a process of its own (as in"
                " production); the two cells run in the benchmark's process, on a 2-core"
                " machine."
                if args.gateway_process
                else " Everything runs in one Python process on a 2-core machine."
            )
            + " Target: the locator adds at most 2 ms to p99.",
            "",
            f"- Like with like, the claim beside the cell's work: {verdict(settled)}.",
            f"- Like with like, the claim awaited first (the order before): {verdict(series)}.",
            f"- As measured before (the create overlapping the announcement): {verdict(overlapping)}.",
            f"- The claim at p50: {claim('settled', 'claim at archives'):.2f} ms from sent to"
            f" answered, of which archives waited {claim('settled', 'claim waited'):.2f} ms"
            f" (p99 {claim('settled', 'claim waited', 99):.2f} ms) once its own work was done;"
            f" in series it waited the whole claim ({claim('series', 'claim waited'):.2f} ms).",
            "",
            f"**Like with like, the claim beside the cell's work** ("
            f"{len(timings['create locator settled'])} people per cell): the record is created"
            " once the locator cell's link worker has announced the new resident (waited for,"
            " untimed), so each timed call runs with only the background work both cells have.",
            "",
            table(headers, settled),
            "",
            f"**Like with like, the claim awaited first** ({len(timings['create locator series'])}"
            " people per cell, alternating person by person with the rows above): the same, but"
            " archives waits for the claim's answer as soon as it is sent, before its own work,"
            " as it did before the claim ran beside that work.",
            "",
            table(headers, series),
            "",
            f"**As measured before** ({len(timings['create locator overlapping'])} people per"
            " cell, in turn with the rows above): the record is created right after the"
            " registration, while the locator cell announces the resident.",
            "",
            table(headers, overlapping),
            "",
            "The locator cell's CreateHealthRecord, the claim beside the cell's work against"
            " the claim awaited first (the first two tables' people, ms):",
            "",
            table(
                [
                    "",
                    "p50 awaited first",
                    "p50 beside",
                    "p99 awaited first",
                    "p99 beside",
                    "p50 beside − first",
                    "p99 beside − first",
                    "p99 beside − first, 90 % interval",
                ],
                overlap(timings),
            ),
            "",
            reading(args.gateway_process),
            "",
            "Where the locator cell's record creation spends its time (ms; the first two rows"
            " at the cells' gRPC server spans):",
            "",
            table(
                [
                    "",
                    "p50 like with like",
                    "p99 like with like",
                    "p50 awaited first",
                    "p99 awaited first",
                    "p50 as before",
                    "p99 as before",
                ],
                breakdown(timings),
            ),
            "",
        ]
    )
    print(text)
    if not args.quick:
        args.out.write_text(text, encoding="utf-8")
        log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
