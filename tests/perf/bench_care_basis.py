"""What it costs emr to find no care relationship (issue 16): a hospital reads a resident it has
no relationship with, so all four reasons are asked — managing (archives), then a card scan
(identity), an open referral and an open teleconsultation (referral). Asked one after another
(as before) beside the last three asked at once (``CareRelationships.basis``), alternating call
by call in one run, on one cell (SQLite, loopback gRPC).

    PYTHONPATH=libs:services:tests .venv/bin/python tests/perf/bench_care_basis.py [calls]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from conftest import make_settings  # noqa: E402
from emr.conftest import _hospitals  # noqa: E402
from perf._common import percentile  # noqa: E402
from rhip.emr.care import CareRelationships  # noqa: E402
from rhip.emr.clients import (  # noqa: E402
    ask_card_seen_here,
    ask_open_referral,
    ask_open_teleconsultation,
)
from rhip.kit.authn import Principal, PrincipalKind, acting_as  # noqa: E402
from support.cells import build_world, start_cell  # noqa: E402
from support.residents import register_request, with_check  # noqa: E402
from support.residents import stub as resident_stub  # noqa: E402


def one_after_another(care: CareRelationships, tenant_id: str, resident_id: str) -> str:
    """The basis as it was asked before: each reason after the previous one answered."""
    if care._archives.manages(tenant_id, resident_id):
        return "managing"
    if ask_card_seen_here(care._pool, care._identity(), resident_id)():
        return "card_scan"
    for ask in (ask_open_referral, ask_open_teleconsultation):
        name = ask(care._pool, care._referral(), tenant_id, resident_id)()
        if name:
            return name
    return ""


def main(calls: int) -> None:
    folder = Path(tempfile.mkdtemp())
    settings = make_settings(folder, f"sqlite:///{folder / 'cell.db'}")
    running = start_cell(settings)
    try:
        world = build_world(running)
        _hospitals(running, world)
        reply = resident_stub(running.channel).RegisterResident(
            register_request(with_check("32031119800101001"), name="张三", region="320311"),
            metadata=running.md("qs-doctor"),
        )
        resident_id = reply.resident.name.removeprefix("residents/")
        hospital = world.tenants["hosp"]
        doctor = Principal(
            f"user:{world.users['hosp-doctor']}", PrincipalKind.PRACTITIONER, hospital, "320311"
        )
        token = running.login("hosp-doctor")
        care = running.cell.part("emr").usecases.care
        timings: dict[str, list[float]] = {"one after another": [], "three at once": []}
        with acting_as(doctor, token):
            for _ in range(20):  # warm channels and caches
                assert one_after_another(care, hospital, resident_id) == ""
                assert care.basis(hospital, resident_id) == ""
            for _ in range(calls):
                for label, ask in (
                    ("one after another", lambda: one_after_another(care, hospital, resident_id)),
                    ("three at once", lambda: care.basis(hospital, resident_id)),
                ):
                    started = time.perf_counter()
                    assert ask() == ""
                    timings[label].append((time.perf_counter() - started) * 1000)
        print(f"no care relationship, {calls} calls each, alternating (ms)")
        print("| asked | p50 | p99 |")
        print("|---|---:|---:|")
        for label, values in timings.items():
            values.sort()
            print(f"| {label} | {percentile(values, 50):.2f} | {percentile(values, 99):.2f} |")
    finally:
        running.channel.close()
        running.cell.stop(0)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
