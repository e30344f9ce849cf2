"""emr at scale (`make bench`; alone: ``python tests/perf/bench_emr.py``).

Issue 16: streaming document ingest into PostgreSQL, documents/s and rows/s beside a raw
psycopg COPY of the same rows in the same run (targets: ≥ 40 % of COPY, ≥ 1,000
documents/s); the lifetime timeline's first page, p50/p99, for a resident with 500 entries
among N residents (default 1,000,000; target p99 < 20 ms at the service).

Against a real all-in-one cell (every service, identity, archives and emr each on a scratch
PostgreSQL database), over gRPC on loopback with the real interceptor chain (token, Casbin,
an audit row per call):

* ingest: the county hospital's HIS account streams outpatient summaries and lab reports
  (``SubmitDocuments``, 500 per stream, one stream in flight) for residents registered
  through the API, each matched through identity's index by document; rows are every row the
  ingest added to emr's database (documents, timeline entries, audit…). The COPY baseline
  writes exactly those rows again, with psycopg's COPY, into copies of the same tables
  (``CREATE TABLE … (LIKE … INCLUDING ALL)``: the same indexes), in one transaction.
* timeline: ``emr_timeline`` (and ``emr_timeline_scope``) loaded by COPY with two entries per
  resident (an emr document and an archives event) for N residents, plus 500 for the measured
  one (250 of the hospital's documents, 150 archives events of the community centre, 100 mch
  events of the hospital); ``ListTimeline`` first page of 50 by the hospital's clinician
  (its documents and mch's entries; the centre's archives events are not its to read), and
  a bare call (``grpc.health.v1.Health/Check``), the transport floor of this run.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import psycopg  # noqa: E402
from _common import (  # noqa: E402
    data_bench_main,
    log,
    percentile,
    scratch_database,
    table,
    timed,
)

RESULTS = HERE / "RESULTS-emr.md"
TARGET_MS = 20.0
INGEST_TARGET_DOCS = 1000.0
INGEST_TARGET_SHARE = 0.40
STREAM = 500  # documents per SubmitDocuments stream
PATIENTS = 50  # residents registered for the ingest
MEASURED = {"emr": 250, "archives": 150, "mch": 100}  # the measured resident's 500 entries
ARCHIVES_READ = "rhip.api.archives.v1.ArchivesService/GetHealthRecord"
PREGNANCY_READ = "rhip.api.mch.v1.MchService/GetPregnancy"


def _dsn(url: str) -> str:
    from rhip.kit.db import normalise_url
    from sqlalchemy.engine import make_url

    return make_url(normalise_url(url)).set(drivername="postgresql").render_as_string(False)


def _tables(conn: psycopg.Connection) -> list[str]:
    return [
        row[0]
        for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            " AND table_type = 'BASE TABLE' AND table_name <> 'alembic_version'"
            " AND table_name NOT LIKE 'bench_copy_%' ORDER BY 1"
        )
    ]


def _counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {
            t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]  # type: ignore[index]
            for t in _tables(conn)
        }


def copy_baseline(dsn: str, before: dict[str, int]) -> dict:
    """COPY the rows the ingest added (every table that grew) into same-shaped copies of the
    tables, in one transaction; the rows are read first, only the COPY is timed."""
    added: dict[str, tuple[list[str], list[tuple]]] = {}
    with psycopg.connect(dsn) as conn:
        for name in _tables(conn):
            with conn.cursor() as cur:
                cur.execute(f'SELECT * FROM "{name}"')
                rows = cur.fetchall()
                cols = [d.name for d in cur.description or ()]
            if len(rows) > before.get(name, 0):
                added[name] = (cols, rows[before.get(name, 0) :])
                conn.execute(f'CREATE TABLE "bench_copy_{name}" (LIKE "{name}" INCLUDING ALL)')
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cur:
            for name, (cols, rows) in added.items():
                quoted = ", ".join(f'"{c}"' for c in cols)
                with cur.copy(f'COPY "bench_copy_{name}" ({quoted}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
        conn.commit()
        seconds = time.perf_counter() - started
    rows = sum(len(r) for _, r in added.values())
    return {"rows": rows, "seconds": seconds, "tables": {n: len(r) for n, (_, r) in added.items()}}


def ingest(running, token: str, numbers: list[str], documents: int, dsn: str) -> dict:  # type: ignore[no-untyped-def]
    """Stream ``documents`` documents (half summaries, half lab reports) for ``numbers``, after
    a warm-up stream; counts the rows of emr's database before the timed part (``before``)."""
    from emr.helpers import lab_report, summary
    from rhip.api.emr.v1 import emr_service_pb2 as pb
    from rhip.api.emr.v1 import emr_service_pb2_grpc

    api = emr_service_pb2_grpc.EmrServiceStub(running.channel)
    md = [("authorization", f"Bearer {token}")]

    def doc(i: int):  # type: ignore[no-untyped-def]
        number = numbers[i % len(numbers)]
        if i % 2:
            return lab_report(number, f"LIS-{i}")
        return summary(number, f"MZ-{i}")

    def stream(first: int, count: int) -> int:
        reply = api.SubmitDocuments(
            (pb.SubmitDocumentsRequest(document=doc(i)) for i in range(first, first + count)),
            metadata=md,
        )
        assert reply.stored == count, (reply.stored, reply.parked, reply.rejected)
        return count

    stream(10_000_000, 100)  # warm: connections, the identity cache of the stream
    before = _counts(dsn)
    started = time.perf_counter()
    sent = 0
    while sent < documents:
        sent += stream(sent, min(STREAM, documents - sent))
    seconds = time.perf_counter() - started
    return {"documents": sent, "seconds": seconds, "before": before}


def load_timeline(dsn: str, residents: int, measured: str, tenants: dict[str, tuple[str, str]]) -> dict:  # fmt: skip
    """COPY two entries for each of ``residents`` residents and 500 for ``measured``;
    ``tenants``: short name → (tenant id, scope path)."""
    rng = random.Random(20261206)
    now = datetime.now(UTC)
    started = time.perf_counter()
    cols = (
        "id, resident_id, occur_time, source, kind, target, tenant_id, scope_path, sort_key, "
        "read_method, tenant_name, clinical_date"
    )
    hosp, hosp_scope = tenants["hosp"]
    chc, chc_scope = tenants["qs-chc"]
    loaded = 0

    def entry(resident: str, source: str, when: datetime) -> tuple[tuple, tuple | None]:
        entry_id = str(uuid.uuid4())
        key = f"{when.strftime('%Y%m%d%H%M%S%f')}|{entry_id}"
        if source == "emr":
            return (entry_id, resident, when, "emr", "OUTPATIENT_SUMMARY", f"documents/{uuid.uuid4()}", hosp, hosp_scope, key, "", "", None), None  # fmt: skip
        if source == "archives":
            return (entry_id, resident, when, "archives", "RECORD_FOLLOW_UP", f"healthRecords/{uuid.uuid4()}", chc, chc_scope, key, ARCHIVES_READ, "", when.date()), (entry_id, chc_scope)  # fmt: skip
        return (entry_id, resident, when, "mch", "ANTENATAL_VISIT", f"pregnancies/{uuid.uuid4()}", hosp, hosp_scope, key, PREGNANCY_READ, "徐州市泉山区人民医院", when.date()), (entry_id, hosp_scope)  # fmt: skip

    def when() -> datetime:
        return now - timedelta(days=rng.randrange(1, 3000), seconds=rng.randrange(86400))

    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        batches = [[(measured, s) for s, n in MEASURED.items() for _ in range(n)]]
        for start in range(0, residents, 100_000):
            batch = []
            for _ in range(start, min(residents, start + 100_000)):
                resident = str(uuid.uuid4())
                batch += [(resident, "emr"), (resident, "archives")]
            batches.append(batch)
        for batch in batches:
            rows, scopes = [], []
            for resident, source in batch:
                row, scope = entry(resident, source, when())
                rows.append(row)
                if scope:
                    scopes.append(scope)
            with cur.copy(f"COPY emr_timeline ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            with cur.copy("COPY emr_timeline_scope (entry_id, scope_path) FROM STDIN") as copy:
                for scope in scopes:
                    copy.write_row(scope)
            conn.commit()
            loaded += len(rows)
            log(f"loaded {loaded:,} timeline entries")
    with psycopg.connect(dsn, autocommit=True) as conn:  # what autovacuum does after a load
        for name in ("emr_timeline", "emr_timeline_scope"):
            conn.execute(f"VACUUM ANALYZE {name}")
    return {"entries": loaded, "seconds": time.perf_counter() - started}


def run(*, rows: int = 1_000_000, quick: bool = False) -> dict:
    from conftest import make_settings
    from emr.conftest import _hospitals
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from rhip.api.emr.v1 import emr_service_pb2 as pb
    from rhip.api.emr.v1 import emr_service_pb2_grpc
    from rhip.kit.tenancy import tenant_scope
    from support.cells import build_world, start_cell
    from support.residents import register_request, with_check
    from support.residents import stub as resident_stub

    if quick:
        rows = min(rows, 50_000)
    documents = 2_000 if quick else 10_000
    samples = 300 if quick else 2000
    results: dict = {"rows": rows}
    with (
        scratch_database() as identity_url,
        scratch_database() as archives_url,
        scratch_database() as emr_url,
    ):
        tmp = Path(tempfile.mkdtemp(prefix="rhip-bench-emr-"))
        settings = make_settings(
            tmp, identity_url, RHIP_ARCHIVES_DATABASE_URL=archives_url,
            RHIP_EMR_DATABASE_URL=emr_url, RHIP_GRPC_WORKERS="4",
        )  # fmt: skip
        running = start_cell(settings)
        try:
            world = build_world(running)
            token = _hospitals(running, world)
            md = running.md("qs-doctor")
            numbers, residents = [], []
            for i in range(PATIENTS):  # residents of Quanshan, registered by the centre
                number = with_check(f"32031119800101{i:03d}")
                reply = resident_stub(running.channel).RegisterResident(
                    register_request(number, name="张三", region="320311"), metadata=md
                )
                numbers.append(number)
                residents.append(reply.resident.name)
            dsn = _dsn(emr_url)
            log(f"streaming {documents:,} documents")
            results["ingest"] = ingest(running, token, numbers, documents, dsn)
            before = results["ingest"].pop("before")
            after = _counts(dsn)
            results["ingest"]["rows"] = sum(after.values()) - sum(before.values())
            results["copy"] = copy_baseline(dsn, before)
            log("ingest and COPY done")

            measured = residents[0]
            tenants = {
                short: (world.tenants[short], tenant_scope("320311", world.tenants[short]))
                for short in ("hosp", "qs-chc")
            }
            results["loaded"] = load_timeline(
                dsn, rows, measured.removeprefix("residents/"), tenants
            )
            with psycopg.connect(dsn) as conn:
                results["measured_entries"] = conn.execute(
                    "SELECT count(*) FROM emr_timeline WHERE resident_id = %s",
                    (measured.removeprefix("residents/"),),
                ).fetchone()[0]  # type: ignore[index]
            api = emr_service_pb2_grpc.EmrServiceStub(running.channel)
            health = health_pb2_grpc.HealthStub(running.channel)
            hosp = running.md("hosp-doctor")
            request = pb.ListTimelineRequest(parent=measured, page_size=50)

            def echo(_: object) -> None:
                health.Check(health_pb2.HealthCheckRequest())

            def first_page(_: object) -> None:
                reply = api.ListTimeline(request, metadata=hosp)
                assert len(reply.entries) == 50 and reply.next_page_token
                assert not any(e.source == "archives" for e in reply.entries)

            calls = list(range(samples))
            for fn in (echo, first_page):  # warm caches, connections
                timed(calls[:50], fn)
            results["echo"] = timed(calls, echo)
            results["timeline"] = timed(calls, first_page)
            with psycopg.connect(dsn) as conn:
                results["plan"] = "\n".join(
                    row[0]
                    for row in conn.execute(
                        "EXPLAIN ANALYZE SELECT id FROM emr_timeline WHERE resident_id = %s"
                        " ORDER BY sort_key DESC LIMIT 51",
                        (measured.removeprefix("residents/"),),
                    )
                )
        finally:
            running.channel.close()
            running.cell.stop(0)
    return results


def _ingest_rates(res: dict) -> tuple[float, float, float, float]:
    i, c = res["ingest"], res["copy"]
    docs_s = i["documents"] / i["seconds"]
    rows_s = i["rows"] / i["seconds"]
    copy_rows_s = c["rows"] / c["seconds"] if c["seconds"] else float("nan")
    return docs_s, rows_s, copy_rows_s, rows_s / copy_rows_s


def report(res: dict) -> str:
    docs_s, rows_s, copy_rows_s, share = _ingest_rates(res)
    i, c = res["ingest"], res["copy"]
    ingest_rows = [
        [
            "SubmitDocuments, 500 per stream, one stream in flight", i["documents"], i["rows"],
            f"{i['seconds']:.1f}", f"{docs_s:,.0f}", f"{rows_s:,.0f}",
            f"≥ {INGEST_TARGET_DOCS:,.0f} docs/s: {'met' if docs_s >= INGEST_TARGET_DOCS else 'missed'}",
        ],
        [
            "psycopg COPY of the same rows (same tables and indexes)", "", c["rows"],
            f"{c['seconds']:.2f}", "", f"{copy_rows_s:,.0f}",
            f"ingest ≥ 40 % of COPY: {share:.1%} "
            f"{'met' if share >= INGEST_TARGET_SHARE else 'missed'}",
        ],
    ]  # fmt: skip
    calls = []
    for key, label, target in (
        ("echo", "bare call (grpc.health Check), transport floor", None),
        ("timeline", "ListTimeline, first page of 50, the hospital's clinician", TARGET_MS),
    ):
        values = res[key]
        p99 = percentile(values, 99)
        verdict = "" if target is None else ("met" if p99 < target else "missed")
        calls.append(
            [label, len(values), f"{percentile(values, 50):.2f}", f"{p99:.2f}",
             f"< {target:g}" if target else "", verdict]
        )  # fmt: skip
    loaded = res["loaded"]
    tables = ", ".join(f"{n} {k:,}" for n, k in sorted(c["tables"].items()))
    return (
        f"Ingest: {i['documents']:,} documents (half outpatient summaries, half lab reports) for "
        f"{PATIENTS} residents, each matched through identity by document; the rows it added "
        f"by table: {tables}.\n\n"
        + table(["", "documents", "rows", "s", "documents/s", "rows/s", "target"], ingest_rows)
        + f"\n\nTimeline: {loaded['entries']:,} entries in emr_timeline ({res['rows']:,} "
        f"residents, two each, and {res['measured_entries']} for the measured one: 500 loaded, "
        f"{', '.join(f'{n} {s}' for s, n in MEASURED.items())}, and its documents of the "
        "ingest); COPY in "
        f"{loaded['seconds']:.0f} s. One call in flight over loopback gRPC with the real "
        "interceptor chain (token, Casbin, the identity visibility check and the care-"
        "relationship basis over gRPC, audit row per call).\n\n"
        + table(["call", "n", "p50 ms", "p99 ms", "target p99", ""], calls)
        + "\n\nThe index read's plan:\n\n```\n"
        + res["plan"]
        + "\n```"
    )


def summary(res: dict) -> list[str]:
    docs_s, rows_s, copy_rows_s, share = _ingest_rates(res)
    t = res["timeline"]
    return [
        f"- emr ingest into PostgreSQL: {docs_s:,.0f} documents/s, {rows_s:,.0f} rows/s "
        f"({share:.1%} of a raw COPY of the same rows, {copy_rows_s:,.0f} rows/s).",
        f"- emr ListTimeline first page (50 of 500 entries, {res['rows']:,} residents): "
        f"p50 {percentile(t, 50):.2f} / p99 {percentile(t, 99):.2f} ms "
        f"(bare call p50 {percentile(res['echo'], 50):.2f} ms).",
    ]


def main() -> None:
    data_bench_main(
        __doc__ or "",
        title="emr benchmark",
        script="bench_emr.py",
        results=RESULTS,
        what="residents on the timeline",
        default_rows=1_000_000,
        run=run,
        summary=summary,
        report=report,
    )


if __name__ == "__main__":
    main()
