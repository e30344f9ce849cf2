"""Residents linked across cells, against real processes (two `rhip serve --demo` cells and
`rhip gateway`, default link interval): the same ID number registered in Xuzhou and Zaozhuang
links the two residents on both sides, and a death recorded in Zaozhuang reaches the Xuzhou
resident through the change feeds, as a user would see it through the gateway."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc
from e2e.test_residents_across_cells import _bearer, _login
from rhip.api.identity.v1 import resident_pb2
from support.platform import Platform
from support.residents import pb, register_request, stub, with_check

NUMBER = with_check("54010219700505123")  # synthetic, valid check character
NAME = "卓玛"


def _eventually(check: Callable[[], Any], seconds: float = 60.0) -> Any:
    deadline = time.monotonic() + seconds
    while not (answer := check()):
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.5)
    return answer


def test_one_person_in_two_cells_is_linked_and_a_death_reaches_the_other(
    platform: Platform,
) -> None:
    xz = _bearer(_login(platform, "xz-doctor-1", "320300"))
    zz = _bearer(_login(platform, "zz-doctor-1", "370400"))
    api = stub(grpc.insecure_channel(platform.gateway))

    def register(md: list[tuple[str, str]], region: str) -> str:
        request = register_request(NUMBER, name=NAME, region=region)
        return api.RegisterResident(request, metadata=md, timeout=10).resident.name

    def get(md: list[tuple[str, str]], name: str) -> resident_pb2.Resident:
        return api.GetResident(pb.GetResidentRequest(name=name), metadata=md, timeout=10)

    js, sd = register(xz, "320311"), register(zz, "370402")
    _eventually(lambda: [(r.cell, r.resident) for r in get(xz, js).linked_residents]
                == [("370000", sd)])  # fmt: skip
    _eventually(lambda: [(r.cell, r.resident) for r in get(zz, sd).linked_residents]
                == [("320000", js)])  # fmt: skip
    api.MarkResidentDeceased(
        pb.MarkResidentDeceasedRequest(name=sd, death_date="2026-11-28"), metadata=zz, timeout=10
    )
    died = _eventually(
        lambda: (r := get(xz, js)).state == resident_pb2.RESIDENT_STATE_DECEASED and r
    )
    assert died.death_date == "2026-11-28"
