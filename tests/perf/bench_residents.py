"""Resident master index at scale (`make bench`; alone: ``python tests/perf/bench_residents.py``).

Loads N synthetic residents (default 1,000,000; valid ID numbers, sealed and keyed-hashed as
the service stores them) into a scratch PostgreSQL database with COPY, starts a real cell on
it, and times over gRPC on loopback, one call in flight, with a Quanshan clinician's token:

* exact lookup by ID number (``LookupResident``: keyed hash → index → visibility → audit);
* ranked name search (``SearchResidents`` by name + birth date, and by name alone);
* a bare echo call on the same channel setup, the transport floor of this run.

Targets (issue 4): exact p99 < 5 ms, name search p99 < 50 ms at the service.
"""

from __future__ import annotations

import base64
import os
import random
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
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

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
COUNTIES = ["320302", "320303", "320305", "320311", "320312", "320321", "320322", "320324", "320381", "320382"]  # fmt: skip
CLINIC_COUNTY = "320311"
RESULTS = HERE / "RESULTS-residents.md"


def _id_number(rng: random.Random, county: str, born: date, seq: int) -> str:
    from rhip.identity.residents.documents import id_check_char

    body = f"{county}{born:%Y%m%d}{seq:03d}"
    return body + id_check_char(body)


def generate(rows: int, seed: int = 20261123) -> list[tuple[str, str, str, date, str]]:
    """(resident_id, id number, name, birth date, county): unique numbers, Xuzhou counties."""
    from rhip.kit.ids import new_id

    rng = random.Random(seed)
    seen: set[str] = set()
    out = []
    start = date(1930, 1, 1).toordinal()
    while len(out) < rows:
        county = rng.choice(COUNTIES)
        born = date.fromordinal(start + rng.randrange(365 * 95))
        number = _id_number(rng, county, born, rng.randrange(1, 999))
        if number in seen:
            continue
        seen.add(number)
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        out.append((new_id(), number, name, born, county))
    return out


def load(url: str, secret: bytes, people: list[tuple[str, str, str, date, str]]) -> float:
    """COPY residents and their documents in, the way the service stores them."""
    from rhip.identity.residents.documents import DocumentType, lookup_key
    from rhip.identity.residents.domain import normalise_name
    from rhip.kit.db import normalise_url
    from rhip.kit.ids import new_id
    from rhip.kit.pii import PiiVault
    from rhip.kit.tenancy import region_path
    from sqlalchemy.engine import make_url

    vault = PiiVault(secret)
    dsn = make_url(normalise_url(url)).set(drivername="postgresql").render_as_string(False)
    now = datetime.now(UTC)
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        for chunk_start in range(0, len(people), 100_000):
            chunk = people[chunk_start : chunk_start + 100_000]
            with cur.copy(
                "COPY resident (id, state, name, name_key, sex, birth_date, region_code, address,"
                " ethnicity, residence_type, home_path, mother_id, sex_override_reason,"
                " merged_into, create_time, update_time, version) FROM STDIN"
            ) as copy:
                for rid, number, name, born, county in chunk:
                    sex = "male" if int(number[16]) % 2 else "female"
                    copy.write_row(
                        (rid, "verified", name, normalise_name(name), sex, born, county, "",
                         "01", "household", region_path(county), "", "", "", now, now, 1)
                    )  # fmt: skip
            with cur.copy(
                "COPY resident_document (id, resident_id, doc_type, lookup_hash, number_sealed,"
                " issuing_country, is_primary, origin, create_time) FROM STDIN"
            ) as copy:
                for rid, number, _, _, _ in chunk:
                    doc_id = new_id()
                    key = vault.lookup_hash(lookup_key(DocumentType.RESIDENT_ID_CARD, number))
                    sealed = vault.seal(number, f"doc:{doc_id}")
                    copy.write_row(
                        (doc_id, rid, "resident_id_card", key, sealed, "", 1, "registered", now)
                    )
            conn.commit()
            log(f"loaded {chunk_start + len(chunk):,} residents")
        cur.execute("ANALYZE resident")
        cur.execute("ANALYZE resident_document")
        conn.commit()
    return time.perf_counter() - started


def run(*, rows: int = 1_000_000, quick: bool = False) -> dict:
    sys.path.insert(0, str(HERE.parent))
    from conftest import make_settings
    from rhip.api.identity.v1 import resident_pb2, resident_service_pb2_grpc
    from rhip.api.identity.v1 import resident_service_pb2 as pb
    from rhip.kit.db import Database, migrate
    from support.cells import build_world, start_cell

    if quick:
        rows = min(rows, 50_000)
    samples = 300 if quick else 2000
    results: dict = {"rows": rows}
    with scratch_database() as url:
        tmp = Path(tempfile.mkdtemp(prefix="rhip-bench-mpi-"))
        secret = os.urandom(32)
        settings = make_settings(
            tmp, url, RHIP_SECRET_KEY=base64.b64encode(secret).decode(), RHIP_GRPC_WORKERS="4"
        )
        from rhip.identity.server import MIGRATIONS

        db = Database.connect(url)
        migrate(db.engine, MIGRATIONS)
        db.dispose()
        log(f"generating {rows:,} residents")
        people = generate(rows)
        results["load_seconds"] = load(url, secret, people)
        log(f"loaded in {results['load_seconds']:.0f} s; starting the cell")
        running = start_cell(settings)
        try:
            build_world(running)  # tenants, a Quanshan clinician (qs-doctor)
            md = running.md("qs-doctor")
            api = resident_service_pb2_grpc.ResidentServiceStub(running.channel)
            rng = random.Random(7)
            mine = [p for p in people if p[4] == CLINIC_COUNTY]
            lookups = [rng.choice(mine) for _ in range(samples)]

            def lookup(person) -> None:  # type: ignore[no-untyped-def]
                doc = resident_pb2.IdentityDocument(
                    type=resident_pb2.DOCUMENT_TYPE_RESIDENT_ID_CARD, number=person[1]
                )
                reply = api.LookupResident(pb.LookupResidentRequest(document=doc), metadata=md)
                assert reply.resident_id == person[0]

            def search_full(person) -> None:  # type: ignore[no-untyped-def]
                reply = api.SearchResidents(
                    pb.SearchResidentsRequest(
                        display_name=person[2], birth_date=person[3].isoformat()
                    ),
                    metadata=md,
                )
                assert reply.matches[0].resident.resident_id == person[0]

            def search_name(person) -> None:  # type: ignore[no-untyped-def]
                api.SearchResidents(pb.SearchResidentsRequest(display_name=person[2]), metadata=md)

            from grpc_health.v1 import health_pb2, health_pb2_grpc

            health = health_pb2_grpc.HealthStub(running.channel)
            for fn in (lookup, search_full, search_name):  # warm caches and connections
                timed(lookups[:50], fn)
            results["echo"] = timed(
                lookups, lambda _: health.Check(health_pb2.HealthCheckRequest())
            )
            results["lookup"] = timed(lookups, lookup)
            results["search_full"] = timed(lookups[: samples // 2], search_full)
            results["search_name"] = timed(lookups[: samples // 2], search_name)
            results["visible_rows"] = len(mine)
            # The same calls at the service itself: the use case under the clinician's
            # principal, without client, transport and interceptors.
            from rhip.identity.residents.documents import DocumentType, Sex
            from rhip.kit.authn import TokenVerifier, acting_as
            from rhip.kit.trust import single_cell

            residents = running.cell.part("identity").residents
            token = md[0][1].split()[1]
            principal = TokenVerifier(
                single_cell(
                    running.cell.settings.cell, running.cell.part("identity").keys.public_key
                )
            ).verify(token)
            with acting_as(principal, token):
                results["lookup_service"] = timed(
                    lookups,
                    lambda p: residents.lookup(DocumentType.RESIDENT_ID_CARD, p[1], ""),
                )
                results["search_service"] = timed(
                    lookups[: samples // 2],
                    lambda p: residents.search(p[2], p[3].isoformat(), Sex.UNKNOWN, 10),
                )
            with ThreadPoolExecutor(8) as pool:  # 8 in flight: throughput of exact lookups
                t0 = time.perf_counter()
                list(pool.map(lookup, lookups))
                results["lookup_8_per_s"] = len(lookups) / (time.perf_counter() - t0)
        finally:
            running.channel.close()
            running.cell.stop(0)
    return results


def report(res: dict) -> str:
    rows = []
    for key, label, target in (
        ("echo", "bare call (grpc.health Check), transport floor", None),
        ("lookup", "LookupResident by ID number", 5.0),
        ("search_full", "SearchResidents name + birth date", 50.0),
        ("search_name", "SearchResidents name only", 50.0),
        ("lookup_service", "at the service: lookup use case", 5.0),
        ("search_service", "at the service: name + birth-date search use case", 50.0),
    ):
        values = res[key]
        p99 = percentile(values, 99)
        verdict = "" if target is None else ("met" if p99 < target else "missed")
        rows.append(
            [label, len(values), f"{percentile(values, 50):.2f}", f"{p99:.2f}",
             f"< {target:g}" if target else "", verdict]
        )  # fmt: skip
    return (
        f"{res['rows']:,} residents in PostgreSQL (COPY in {res['load_seconds']:.0f} s), "
        f"{res['visible_rows']:,} of them in the clinician's county; one call in flight over "
        "loopback gRPC with the real interceptor chain (token, Casbin, audit row per read).\n\n"
        + table(["call", "n", "p50 ms", "p99 ms", "target p99", ""], rows)
        + f"\n\nExact lookups at 8 in flight: {res['lookup_8_per_s']:,.0f} calls/s."
    )


def summary(res: dict) -> list[str]:
    lookup, search = res["lookup"], res["search_full"]
    return [
        f"- Resident index, {res['rows']:,} residents on PostgreSQL, over gRPC: exact lookup "
        f"p50 {percentile(lookup, 50):.2f} / p99 {percentile(lookup, 99):.2f} ms (target p99 "
        f"< 5), name + birth-date search p99 {percentile(search, 99):.2f} ms (target < 50); "
        f"bare call p99 {percentile(res['echo'], 99):.2f} ms in the same run. At the service "
        f"(use case): lookup p99 {percentile(res['lookup_service'], 99):.2f} ms, search p99 "
        f"{percentile(res['search_service'], 99):.2f} ms."
    ]


def main() -> None:
    data_bench_main(
        __doc__ or "",
        title="Resident index benchmark",
        script="bench_residents.py",
        results=RESULTS,
        what="residents",
        run=run,
        summary=summary,
        report=report,
    )


if __name__ == "__main__":
    main()
