"""The resident locator in the path of registration and record creation (`make bench`; alone:
``python tests/perf/bench_locator.py``).

Two Jiangsu cells on one scratch PostgreSQL database (a schema each): one set up for the
platform (a cell account and a gateway that serves the resident locator), one standalone (no
gateway: its archives asks no locator). A Quanshan clinician of each calls its own cell over
gRPC on loopback, one call in flight, alternating between the two cells call by call so that
the machine's noise falls on both alike:

* ``RegisterResident`` of a new person (a fresh valid ID number each time);
* ``CreateHealthRecord`` for that resident (the locator-set-up cell claims the person's one
  open record at the locator, through the gateway, with its cell account, in the same step).

Target (issue 13): the locator adds at most 2 ms to either call's p99.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
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
def _cells(url: str, work: Path) -> Iterator[dict[str, object]]:
    """``{"locator": RunningCell, "standalone": RunningCell}``, demo accounts seeded, the
    first behind a gateway serving the locator."""
    from conftest import make_settings
    from rhip.gateway.server import build_gateway
    from rhip.identity.demo import seed_demo
    from rhip.kit.routing import RoutingTable
    from support.cells import start_cell
    from support.platform import free_port, write_routes

    names = ["id_loc", "arc_loc", "id_solo", "arc_solo", "gateway", "locator"]
    with _schemas(url, names) as urls, ExitStack() as stack:
        gateway_address = f"127.0.0.1:{free_port()}"
        cell_address = f"127.0.0.1:{free_port()}"
        routes = write_routes(work / "routes.json", {CELL: cell_address})
        located = start_cell(
            make_settings(
                work / "loc", urls["id_loc"], cell=CELL,
                RHIP_ARCHIVES_DATABASE_URL=urls["arc_loc"],
                RHIP_CELL_CLIENT_ID=f"cell-{CELL}",
                RHIP_CELL_CLIENT_SECRET=f"inprocess-cell-secret-{CELL}",
                RHIP_GATEWAY_ADDRESS=gateway_address, RHIP_ROUTES=str(routes),
            ),
            cell_address,
        )  # fmt: skip
        stack.callback(located.cell.stop, 0)
        standalone = start_cell(
            make_settings(
                work / "solo",
                urls["id_solo"],
                cell=CELL,
                RHIP_ARCHIVES_DATABASE_URL=urls["arc_solo"],
            )
        )
        stack.callback(standalone.cell.stop, 0)
        for running in (located, standalone):
            seed_demo(running.usecases)
        gateway = build_gateway(
            make_settings(work / "gw", urls["gateway"], RHIP_LOCATOR_DATABASE_URL=urls["locator"]),
            RoutingTable.from_file(routes),
        )
        gateway.start(gateway_address)
        stack.callback(gateway.stop, 0)
        yield {"locator": located, "standalone": standalone}


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


def run(calls: int) -> dict[str, list[float]]:
    import time

    from archives.helpers import complete_form
    from rhip.api.archives.v1 import archives_service_pb2 as apb
    from rhip.api.archives.v1 import archives_service_pb2_grpc
    from support.residents import register_request
    from support.residents import stub as resident_stub

    timings: dict[str, list[float]] = {}
    with (
        scratch_database() as url,
        tempfile.TemporaryDirectory() as work,
        _cells(url, Path(work)) as cells,
    ):
        clients = {
            name: (
                resident_stub(running.channel),  # type: ignore[attr-defined]
                archives_service_pb2_grpc.ArchivesServiceStub(running.channel),  # type: ignore[attr-defined]
                _token(running),
            )
            for name, running in cells.items()
        }
        people = _people(2 * (calls + 20))
        for i in range(calls + 20):  # the first 20 of each warm up the paths
            for j, (name, (residents, archives, md)) in enumerate(clients.items()):
                number = people[2 * i + j]
                t0 = time.perf_counter()
                reply = residents.RegisterResident(
                    register_request(number, name="测试", region=COUNTY),
                    metadata=md, timeout=TIMEOUT,
                )  # fmt: skip
                t1 = time.perf_counter()
                archives.CreateHealthRecord(
                    apb.CreateHealthRecordRequest(
                        resident=reply.resident.name, township_code="001",
                        village_code="101", basic_info=complete_form(),
                        request_id=str(uuid.uuid4()),
                    ),
                    metadata=md, timeout=TIMEOUT,
                )  # fmt: skip
                t2 = time.perf_counter()
                if i >= 20:
                    timings.setdefault(f"register {name}", []).append((t1 - t0) * 1000)
                    timings.setdefault(f"create {name}", []).append((t2 - t1) * 1000)
            if i % 100 == 0:
                log(f"{i} of {calls + 20} people")
    return {k: sorted(v) for k, v in timings.items()}


def report(timings: dict[str, list[float]]) -> list[list[object]]:
    rows = []
    for call in ("register", "create"):
        solo, located = timings[f"{call} standalone"], timings[f"{call} locator"]
        row: list[object] = ["RegisterResident" if call == "register" else "CreateHealthRecord"]
        for q in (50, 99):
            row += [percentile(solo, q), percentile(located, q)]
        row.append(percentile(located, 99) - percentile(solo, 99))
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="people registered per cell")
    parser.add_argument("--quick", action="store_true", help="200 people, results not written")
    args = parser.parse_args()
    started = datetime.now(UTC)
    calls = 200 if args.quick else args.calls
    timings = run(calls)
    text = "\n".join(
        [
            "# Benchmark: the resident locator in the path (issue 13)",
            "",
            f"Written by `tests/perf/bench_locator.py` (`make bench`) on {started:%Y-%m-%d %H:%M}"
            f" UTC{' with --quick' if args.quick else ''}, commit {commit()}, on {machine()}. "
            "The machine is shared: compare the rows of one run, not runs.",
            "",
            f"{calls} people per cell, each registered and given a health record, one call in"
            " flight, the two cells alternating call by call; milliseconds at the client on"
            " loopback. Target: the locator adds at most 2 ms to p99.",
            "",
            table(
                [
                    "call",
                    "p50 standalone",
                    "p50 with locator",
                    "p99 standalone",
                    "p99 with locator",
                    "p99 added",
                ],
                report(timings),
            ),
            "",
        ]
    )
    print(text)
    if not args.quick:
        RESULTS.write_text(text, encoding="utf-8")
        log(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
