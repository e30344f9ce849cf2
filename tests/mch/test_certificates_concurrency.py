"""No serial that left IN_STOCK is ever issued again, under any concurrency: 16 issue attempts
for 16 different children race for 4 serials (4 attempts per serial, all at once) → exactly 4
certificates, every other attempt a clean BMC_SERIAL_NOT_AVAILABLE, and the stock report adds
up afterwards (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import grpc
from mch.bmc_support import assert_balanced, deliver, issue, make_bmc
from mch.conftest import Mch, error_reason
from rhip.api.mch.v1 import birth_certificate_pb2 as bpb

SERIALS = [f"X32010100{i}" for i in range(1, 5)]


def test_sixteen_racing_issues_on_four_serials_make_exactly_four_certificates(mch: Mch) -> None:
    bmc = make_bmc(mch)
    bmc.down_to_hospital("X320101001", 8)
    babies = [
        n.name for woman in ("woman", "woman2", "woman3") for n in deliver(mch, 6, woman).newborns
    ][:16]
    start = threading.Barrier(16)

    def attempt(i: int) -> tuple[str, str]:
        start.wait()
        try:
            return "OK", issue(bmc, babies[i], SERIALS[i % 4]).number
        except grpc.RpcError as error:
            return error.code().name, error_reason(error)

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(attempt, range(16)))
    won = sorted(number for code, number in outcomes if code == "OK")
    assert won == SERIALS, outcomes
    lost = [o for o in outcomes if o[0] != "OK"]
    assert lost == [("FAILED_PRECONDITION", "BMC_SERIAL_NOT_AVAILABLE")] * 12, outcomes
    for number in SERIALS:
        assert bmc.serial(number).state == bpb.BLANK_SERIAL_STATE_ISSUED
    rows = assert_balanced(bmc)
    assert (rows[bmc.hosp].issued, rows[bmc.hosp].in_stock) == (4, 4)
