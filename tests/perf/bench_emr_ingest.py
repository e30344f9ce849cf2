"""EMR bulk ingest into PostgreSQL (issue 16; `make bench`; alone:
``python tests/perf/bench_emr_ingest.py``).

Loads N residents (default 20,000, valid ID numbers, sealed and keyed-hashed as identity
stores them) into identity's scratch PostgreSQL database with COPY, starts a real cell (identity,
archives and emr each on a scratch PostgreSQL database), creates a Quanshan hospital with its
HIS service account, and streams N outpatient summaries, each for a different resident, with
``SubmitDocuments`` (streams of 1,000 documents, one after the other, over loopback gRPC with
the real interceptor chain): each document matched through identity's ``LookupResident``,
stored, put on the timeline and audited. It reports documents/s and rows/s (every row the
ingest wrote in emr's database: documents, timeline entries, audit events and their resident
index), and, in the same run, a raw psycopg COPY of those very rows into empty tables of the
same shape and indexes (``CREATE TABLE … (LIKE … INCLUDING ALL)``).

``--old-python PATH`` first runs this script with another interpreter (another checkout's
``.venv/bin/python``, whose ``rhip`` is that checkout's code: the code before a change) on
the same number of documents, and reports both runs side by side.

Target (issue 16): ≥ 1,000 documents/s and ≥ 40 % of the COPY's documents/s.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import psycopg  # noqa: E402
from _common import commit, log, machine, scratch_database, table  # noqa: E402

RESULTS = HERE / "RESULTS-emr-ingest.md"
COUNTY = "320311"  # Quanshan: the hospital's county, so its HIS account sees the residents
STREAM = 1000  # documents per SubmitDocuments stream
# emr's tables an ingested document writes to (with the audit log in emr's database).
TABLES = ("emr_document", "emr_timeline", "audit_event", "audit_resident")


def _dsn(url: str) -> str:
    from rhip.kit.db import normalise_url
    from sqlalchemy.engine import make_url

    return make_url(normalise_url(url)).set(drivername="postgresql").render_as_string(False)


def _people(count: int) -> list[tuple[str, str, str, date, str]]:
    """(resident id, ID number, name, birth date, county): distinct Quanshan residents."""
    from bench_residents import SURNAMES, _id_number
    from rhip.kit.ids import new_id

    rng = random.Random(20261206)
    seen: set[str] = set()
    out = []
    start = date(1930, 1, 1).toordinal()
    while len(out) < count:
        born = date.fromordinal(start + rng.randrange(365 * 90))
        number = _id_number(rng, COUNTY, born, rng.randrange(1, 999))
        if number not in seen:
            seen.add(number)
            out.append((new_id(), number, rng.choice(SURNAMES) + "某", born, COUNTY))
    return out


def _counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # type: ignore[index]


def copy_same_rows(dsn: str) -> dict:
    """COPY the rows the ingest wrote into empty look-alike tables (same columns, keys and
    indexes), one transaction; the reading of the rows is not timed."""
    rows: dict[str, tuple[list[str], list[tuple]]] = {}
    with psycopg.connect(dsn) as conn:
        for name in TABLES:
            cur = conn.execute(f"SELECT * FROM {name}")
            rows[name] = ([d.name for d in cur.description or []], cur.fetchall())
            conn.execute(f"CREATE TABLE copy_{name} (LIKE {name} INCLUDING ALL)")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cur:
            for name, (cols, values) in rows.items():
                with cur.copy(f"COPY copy_{name} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
        conn.commit()
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": sum(len(v) for _, v in rows.values())}


def run(documents: int) -> dict:
    from bench_residents import load as load_residents
    from conftest import make_settings
    from emr.conftest import _hospitals
    from emr.helpers import summary
    from rhip.api.emr.v1 import emr_service_pb2 as pb
    from rhip.api.emr.v1 import emr_service_pb2_grpc
    from rhip.identity.server import MIGRATIONS
    from rhip.kit.db import Database, migrate
    from support.cells import build_world, start_cell

    res: dict = {"documents": documents}
    with (
        scratch_database() as identity_url,
        scratch_database() as archives_url,
        scratch_database() as emr_url,
    ):
        tmp = Path(tempfile.mkdtemp(prefix="rhip-bench-emr-"))
        secret = os.urandom(32)
        settings = make_settings(
            tmp, identity_url, RHIP_SECRET_KEY=base64.b64encode(secret).decode(),
            RHIP_GRPC_WORKERS="4", RHIP_ARCHIVES_DATABASE_URL=archives_url,
            RHIP_EMR_DATABASE_URL=emr_url,
        )  # fmt: skip
        db = Database.connect(identity_url)
        migrate(db.engine, MIGRATIONS)
        db.dispose()
        people = _people(documents)
        res["resident_load_seconds"] = load_residents(identity_url, secret, people)
        log(f"loaded {documents:,} residents; starting the cell")
        running = start_cell(settings)
        try:
            world = build_world(running)
            md = [("authorization", f"Bearer {_hospitals(running, world)}")]
            api = emr_service_pb2_grpc.EmrServiceStub(running.channel)
            docs = [summary(p[1], document_id=f"MZ-{i:08d}") for i, p in enumerate(people)]
            # warm the channel, the token cache and the connections: one document of its own
            warm = _people(documents + 1)[-1]
            load_residents(identity_url, secret, [warm])
            api.SubmitDocuments(
                iter([pb.SubmitDocumentsRequest(document=summary(warm[1], "MZ-WARM"))]),
                metadata=md,
            )
            dsn = _dsn(emr_url)
            before = _counts(dsn)
            started = time.perf_counter()
            stored = rejected = 0
            for start in range(0, documents, STREAM):
                reply = api.SubmitDocuments(
                    (pb.SubmitDocumentsRequest(document=d) for d in docs[start : start + STREAM]),
                    metadata=md,
                    timeout=3600,
                )
                stored += reply.stored
                rejected += reply.rejected + reply.parked + reply.unchanged
                log(f"streamed {min(documents, start + STREAM):,} documents")
            res["ingest_seconds"] = time.perf_counter() - started
            after = _counts(dsn)
            res["stored"], res["not_stored"] = stored, rejected
            res["rows_by_table"] = {t: after[t] - before[t] for t in TABLES}
            res["rows"] = sum(res["rows_by_table"].values())
            # resend one stream: every document UNCHANGED, nothing written
            resent = api.SubmitDocuments(
                (pb.SubmitDocumentsRequest(document=d) for d in docs[:STREAM]), metadata=md
            )
            res["resent_unchanged"] = resent.unchanged
            res["copy"] = copy_same_rows(dsn)
            res["copy_documents"] = res["rows_by_table"]["emr_document"] + 1  # with the warm one
        finally:
            running.channel.close()
            running.cell.stop(0)
    return res


def figures(res: dict) -> dict:
    ingest_dps = res["documents"] / res["ingest_seconds"]
    copy = res["copy"]
    # the COPY carries the warm-up document's rows too: per document, over all it copied
    copy_dps = res["copy_documents"] / copy["seconds"]
    return {
        "ingest_docs_per_s": ingest_dps,
        "ingest_rows_per_s": res["rows"] / res["ingest_seconds"],
        "copy_docs_per_s": copy_dps,
        "copy_rows_per_s": copy["rows"] / copy["seconds"],
        "share": ingest_dps / copy_dps,
    }


def report(runs: list[tuple[str, dict]]) -> str:
    lines = []
    for label, res in runs:
        f = figures(res)
        lines.append(
            [
                label, res["documents"], res["stored"], f"{res['ingest_seconds']:.1f}",
                f"{f['ingest_docs_per_s']:,.0f}", f"{f['ingest_rows_per_s']:,.0f}",
                f"{f['copy_docs_per_s']:,.0f}", f"{f['copy_rows_per_s']:,.0f}",
                f"{100 * f['share']:.1f} %",
            ]
        )  # fmt: skip
    per_doc = runs[-1][1]["rows_by_table"]
    return (
        "Rows written per ingest run in emr's database: "
        + ", ".join(f"{t} {n:,}" for t, n in per_doc.items())
        + ". COPY: the same rows into empty tables of the same shape and indexes, one"
        " transaction, in the same run.\n\n"
        + table(
            [
                "code",
                "documents",
                "stored",
                "ingest s",
                "docs/s",
                "rows/s",
                "COPY docs/s",
                "COPY rows/s",
                "ingest / COPY",
            ],
            lines,
        )
        + "\n\n"
        + "\n".join(
            f"- {label}: a resent stream of {STREAM:,} → {res['resent_unchanged']:,} UNCHANGED."
            for label, res in runs
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--documents", type=int, default=20_000, help="documents to stream")
    parser.add_argument("--quick", action="store_true", help="2,000 documents")
    parser.add_argument("--old-python", help="also run this script with this interpreter first")
    parser.add_argument("--json", help="write the raw results to this file (no report)")
    args = parser.parse_args()
    documents = min(args.documents, 2000) if args.quick else args.documents
    started = datetime.now(UTC)
    runs: list[tuple[str, dict]] = []
    if args.old_python:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            subprocess.run(
                [args.old_python, __file__, "--documents", str(documents), "--json", out.name],
                check=True,
            )
            old = subprocess.run(
                [args.old_python, "-c", "import rhip.emr, pathlib; print(pathlib.Path(list(rhip.emr.__path__)[0]).parents[2])"],
                capture_output=True, text=True, check=True,
            ).stdout.strip()  # fmt: skip
            tree = subprocess.run(
                ["git", "-C", old, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
            ).stdout.strip()
            runs.append((f"before ({tree})", json.loads(Path(out.name).read_text())))
    res = run(documents)
    if args.json:
        Path(args.json).write_text(json.dumps(res))
        return
    runs.append((f"this ({commit()})", res))
    f = figures(res)
    verdict = (
        f"{f['ingest_docs_per_s']:,.0f} documents/s (target ≥ 1,000: "
        f"{'met' if f['ingest_docs_per_s'] >= 1000 else 'missed'}), "
        f"{100 * f['share']:.1f} % of the COPY (target ≥ 40 %: "
        f"{'met' if f['share'] >= 0.4 else 'missed'})"
    )
    text = "\n".join(
        [
            "# EMR ingest benchmark",
            "",
            f"Written by `tests/perf/bench_emr_ingest.py` (`make bench`) on {started:%Y-%m-%d %H:%M}"
            f" UTC{' with --quick' if args.quick else ''}, commit {commit()}, on {machine()}. "
            "The machine is shared: compare the rows of one run, not runs.",
            "",
            f"- EMR streaming ingest on PostgreSQL, {documents:,} documents: {verdict}.",
            "",
            report(runs),
            "",
        ]
    )
    print(text)
    if not args.quick:
        RESULTS.write_text(text, encoding="utf-8")
        log(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
