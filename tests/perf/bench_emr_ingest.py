"""EMR bulk ingest into PostgreSQL (issue 16; `make bench`; alone:
``python tests/perf/bench_emr_ingest.py``).

Loads N residents (default 20,000, valid ID numbers, sealed and keyed-hashed as identity
stores them) into identity's scratch PostgreSQL database with COPY, starts a real cell (identity,
archives and emr each on a scratch PostgreSQL database), creates a Quanshan hospital with its
HIS service account, and streams N outpatient summaries, each for a different resident, with
``SubmitDocuments`` (streams of 1,000 documents, one after the other, over loopback gRPC with
the real interceptor chain): each document matched through identity's ``LookupResidents``,
stored, put on the timeline and audited. It reports documents/s and rows/s (every row the
ingest wrote in emr's database: documents, timeline entries, audit events and their resident
index), the CPU the cell's process spent meanwhile, and, in the same run, a raw psycopg COPY
of those very rows into empty tables of the same shape and indexes
(``CREATE TABLE … (LIKE … INCLUDING ALL)``).

Where things run: the cell (every service of it, in one Python process, as ``start_cell``
runs it for the tests) is this script's process. The streaming client, the hospital system,
runs by default in a process of its own (``--client process``: this script started again with
the same interpreter, connecting to the cell's port), as a hospital system is a separate
program; ``--client thread`` streams from this process instead (the client's Python shares
the cell's interpreter lock: the figure the page reported before), and ``--client both``
(the default for the page) measures both, each on its own fresh databases.

``--old-python PATH`` first runs this script with another interpreter (another checkout's
``.venv/bin/python``, e.g. a worktree of main whose ``.venv`` links to the same environment),
with ``PYTHONPATH`` set to that checkout's ``libs`` and ``services`` (found as the folder
holding ``.venv``): its ``rhip`` is that checkout's code, the code before a change, and the
report names the commit it found it at. The benchmark itself and the test helpers it uses
(``tests/``) are this checkout's. ``--rounds N`` alternates old and new N times.

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
from collections.abc import Callable
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


def _client(spec: dict) -> dict:
    """The hospital system: builds the documents, warms its channel with the warm-up
    document (answered UNCHANGED: the cell stored it before), then streams them and times the
    streams, then resends the first stream.
    Runs in this process (``--client thread``) or in a process of its own (``--client-child``);
    ``on_start`` is called as the first stream begins, ``on_done`` as the last is answered
    (and the resend waits for it to return)."""
    import grpc
    from emr.helpers import summary
    from rhip.api.emr.v1 import emr_service_pb2 as pb
    from rhip.api.emr.v1 import emr_service_pb2_grpc

    numbers: list[str] = spec["numbers"]
    docs = [summary(n, document_id=f"MZ-{i:08d}") for i, n in enumerate(numbers)]
    md = [("authorization", f"Bearer {spec['token']}")]
    with grpc.insecure_channel(spec["address"]) as channel:
        api = emr_service_pb2_grpc.EmrServiceStub(channel)
        warm = pb.SubmitDocumentsRequest(document=summary(spec["warm"], "MZ-WARM"))
        api.SubmitDocuments(iter([warm]), metadata=md)
        spec.get("on_start", lambda: None)()
        started = time.perf_counter()
        stored = not_stored = 0
        for start in range(0, len(docs), STREAM):
            reply = api.SubmitDocuments(
                (pb.SubmitDocumentsRequest(document=d) for d in docs[start : start + STREAM]),
                metadata=md,
                timeout=3600,
            )
            stored += reply.stored
            not_stored += reply.rejected + reply.parked + reply.unchanged
            log(f"streamed {min(len(docs), start + STREAM):,} documents")
        seconds = time.perf_counter() - started
        spec.get("on_done", lambda: None)()
        # resend one stream: every document UNCHANGED, nothing written
        resent = api.SubmitDocuments(
            (pb.SubmitDocumentsRequest(document=d) for d in docs[:STREAM]), metadata=md
        )
    return {
        "ingest_seconds": seconds,
        "stored": stored,
        "not_stored": not_stored,
        "resent_unchanged": resent.unchanged,
    }


def client_child() -> None:
    """``--client-child``: the client in a process of its own; its spec as a line on stdin,
    "started" on stdout as the first stream begins, "done" as the last is answered (then it
    waits for a line on stdin before the resend), then its result as one JSON line."""
    spec = json.loads(sys.stdin.readline())

    def done() -> None:
        print("done", flush=True)
        sys.stdin.readline()

    spec["on_start"] = lambda: print("started", flush=True)
    spec["on_done"] = done
    print(json.dumps(_client(spec)), flush=True)


def _stream_from_process(spec: dict, on_done: Callable[[], None]) -> tuple[dict, float]:
    """Run the client as a process of its own (``on_done`` once its last stream is answered,
    before its resend); (its result, the CPU seconds this process, the cell, spent from its
    first stream to the answer of its last)."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--client-child"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(json.dumps(spec) + "\n")
    child.stdin.flush()
    line = child.stdout.readline()
    if line.strip() != "started":
        child.wait()
        raise RuntimeError(f"the client process failed before streaming: {line!r}")
    cpu = time.process_time()
    line = child.stdout.readline()
    cpu = time.process_time() - cpu
    if line.strip() == "done":
        on_done()
    child.stdin.write("go\n")
    child.stdin.close()
    result = json.loads(child.stdout.readline()) if line.strip() == "done" else None
    if child.wait() != 0 or result is None:
        raise RuntimeError("the client process failed")
    return result, cpu


def run(documents: int, client: str) -> dict:
    from bench_residents import load as load_residents
    from conftest import make_settings
    from emr.conftest import _hospitals
    from emr.helpers import summary
    from rhip.api.emr.v1 import emr_service_pb2 as pb
    from rhip.api.emr.v1 import emr_service_pb2_grpc
    from rhip.identity.server import MIGRATIONS
    from rhip.kit.db import Database, migrate
    from support.cells import build_world, start_cell

    res: dict = {"documents": documents, "client": client}
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
        # the warm-up document's resident (its document warms the channels, the token cache
        # and the connections before the clock starts)
        warm = _people(documents + 1)[-1]
        load_residents(identity_url, secret, [warm])
        log(f"loaded {documents:,} residents; starting the cell")
        running = start_cell(settings)
        try:
            world = build_world(running)
            token = _hospitals(running, world)
            # the warm-up document, stored before the clock starts (the client sends it again
            # to warm its own channel: UNCHANGED, nothing written)
            api = emr_service_pb2_grpc.EmrServiceStub(running.channel)
            api.SubmitDocuments(
                iter([pb.SubmitDocumentsRequest(document=summary(warm[1], "MZ-WARM"))]),
                metadata=[("authorization", f"Bearer {token}")],
            )
            spec = {
                "address": running.address,
                "token": token,
                "numbers": [p[1] for p in people],
                "warm": warm[1],
            }
            dsn = _dsn(emr_url)
            before = _counts(dsn)
            counted: list[dict[str, int]] = []
            if client == "process":
                result, cpu = _stream_from_process(spec, lambda: counted.append(_counts(dsn)))
            else:
                cpu_at: list[float] = []

                def done() -> None:
                    cpu_at.append(time.process_time())
                    counted.append(_counts(dsn))

                spec["on_start"] = lambda: cpu_at.append(time.process_time())
                spec["on_done"] = done
                result = _client(spec)
                cpu = cpu_at[1] - cpu_at[0]
            res.update(result)
            res["cell_cpu_seconds"] = cpu
            after = counted[0]
            res["rows_by_table"] = {t: after[t] - before[t] for t in TABLES}
            res["rows"] = sum(res["rows_by_table"].values())
            res["copy"] = copy_same_rows(dsn)
            res["copy_documents"] = res["rows_by_table"]["emr_document"] + 1  # with the warm one
        finally:
            running.channel.close()
            running.cell.stop(0)
    return res


def run_all(documents: int, clients: list[str]) -> dict:
    import rhip.emr

    code = Path(next(iter(rhip.emr.__path__))).resolve().parents[2]
    return {"code": str(code), "runs": [run(documents, c) for c in clients]}


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


CLIENT_WHERE = {"process": "own process", "thread": "cell's process"}  # the table's column
CLIENT_IN = {"process": "its own process", "thread": "the cell's process"}


HEADERS = [
    "code", "client", "documents", "stored", "ingest s", "docs/s", "rows/s", "cell CPU µs/doc",
    "COPY docs/s", "COPY rows/s", "ingest / COPY",
]  # fmt: skip


def report(runs: list[tuple[str, dict]]) -> str:
    lines = []
    for label, res in runs:
        f = figures(res)
        cpu = res.get("cell_cpu_seconds")
        lines.append(
            [
                label, CLIENT_WHERE[res["client"]], res["documents"], res["stored"],
                f"{res['ingest_seconds']:.2f}", f"{f['ingest_docs_per_s']:,.0f}",
                f"{f['ingest_rows_per_s']:,.0f}",
                f"{1e6 * cpu / res['documents']:,.0f}" if cpu is not None else "",
                f"{f['copy_docs_per_s']:,.0f}", f"{f['copy_rows_per_s']:,.0f}",
                f"{100 * f['share']:.1f} %",
            ]
        )  # fmt: skip
    per_doc = runs[-1][1]["rows_by_table"]
    return (
        "Rows written per ingest run in emr's database: "
        + ", ".join(f"{t} {n:,}" for t, n in per_doc.items())
        + ". COPY: the same rows into empty tables of the same shape and indexes, one"
        " transaction, in the same run. Cell CPU: CPU time of the cell's process (every"
        " thread) from the first stream to the last answer, per document; with the client in"
        " the cell's process it includes the client's.\n\n"
        + table(HEADERS, lines)
        + "\n\n"
        + "\n".join(
            f"- {label}, client in {CLIENT_IN[res['client']]}: a resent stream of"
            f" {STREAM:,} → {res['resent_unchanged']:,} UNCHANGED."
            for label, res in runs
        )
    )


def _old_tree(python: str) -> Path:
    """The checkout an interpreter path belongs to: the folder holding its ``.venv`` (the
    path as given, not resolved: a worktree's ``.venv`` is a link to another's)."""
    path = Path(os.path.abspath(python))
    for parent in path.parents:
        if parent.name == ".venv":
            return parent.parent
    raise SystemExit(f"--old-python {python}: not inside a checkout's .venv")


def run_old(python: str, documents: int, client: str) -> tuple[str, dict]:
    """This script with ``python`` and that checkout's code; (label, its results)."""
    tree = _old_tree(python)
    if not (tree / "libs" / "rhip").is_dir() or not (tree / "services" / "rhip").is_dir():
        raise SystemExit(f"--old-python {python}: {tree} has no libs/ and services/")
    env = {**os.environ, "PYTHONPATH": f"{tree / 'libs'}{os.pathsep}{tree / 'services'}"}
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            [python, __file__, "--documents", str(documents), "--client", client,
             "--json", out.name],
            check=True, env=env,
        )  # fmt: skip
        old = json.loads(Path(out.name).read_text())
    if Path(old["code"]) != tree.resolve():
        raise SystemExit(f"the old run imported rhip from {old['code']}, not from {tree}")
    commit_ = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return f"before ({commit_})", old


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--documents", type=int, default=20_000, help="documents to stream")
    parser.add_argument("--quick", action="store_true", help="2,000 documents")
    parser.add_argument("--client", choices=["process", "thread", "both"], default="both",
                        help="where the streaming client runs (default: both, one after the other)")  # fmt: skip
    parser.add_argument("--old-python", help="also run this script with this interpreter first")
    parser.add_argument("--rounds", type=int, default=1, help="old and new alternately, N times")
    parser.add_argument("--json", help="write the raw results to this file (no report)")
    parser.add_argument("--client-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client_child:
        client_child()
        return
    documents = min(args.documents, 2000) if args.quick else args.documents
    clients = ["process", "thread"] if args.client == "both" else [args.client]
    if args.json:
        Path(args.json).write_text(json.dumps(run_all(documents, clients)))
        return
    here = HERE.parents[1].resolve()
    started = datetime.now(UTC)
    runs: list[tuple[str, dict]] = []
    for round_ in range(args.rounds):
        suffix = f", round {round_ + 1}" if args.rounds > 1 else ""
        if args.old_python:
            label, old = run_old(args.old_python, documents, args.client)
            runs.extend((label + suffix, r) for r in old["runs"])
        this = run_all(documents, clients)
        if Path(this["code"]) != here:
            raise SystemExit(f"this run imported rhip from {this['code']}, not from {here}")
        runs.extend((f"this ({commit()}){suffix}", r) for r in this["runs"])
    mine = [r for label, r in runs if label.startswith("this")]
    headline = next((r for r in mine if r["client"] == "process"), mine[0])["client"]
    chosen = [r for r in mine if r["client"] == headline]
    dps = sum(figures(r)["ingest_docs_per_s"] for r in chosen) / len(chosen)
    share = sum(figures(r)["share"] for r in chosen) / len(chosen)
    verdict = (
        f"{dps:,.0f} documents/s (target ≥ 1,000: {'met' if dps >= 1000 else 'missed'}), "
        f"{100 * share:.1f} % of the COPY (target ≥ 40 %: {'met' if share >= 0.4 else 'missed'})"
        f"; client in {CLIENT_IN[headline]}"
        + (f", mean of {len(chosen)} rounds" if len(chosen) > 1 else "")
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
