"""The gateway's parts alone: routing table, rate limiter, coarse guard, owner lookup."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from rhip.gateway.bulkhead import Bulkheads
from rhip.gateway.guard import Guard
from rhip.gateway.proxy import CellProxy
from rhip.gateway.ratelimit import RateLimiter
from rhip.kit.authn import Principal, PrincipalKind
from rhip.kit.channels import ChannelPool
from rhip.kit.errors import InvalidArgument, PermissionDenied, ResourceExhausted, Unavailable
from rhip.kit.routing import RoutingError, RoutingTable, parse_routes
from rhip.kit.transport import Transport

GET = "/rhip.api.identity.v1.IdentityService/GetTenant"
CREATE = "/rhip.api.identity.v1.IdentityService/CreateTenant"


def test_most_specific_cell_owns_a_region() -> None:
    table = RoutingTable(
        parse_routes(
            {
                "cells": [
                    {"name": "jiangsu", "regions": ["320000"], "address": "127.0.0.1:1"},
                    {"name": "xuzhou", "regions": ["320300"], "address": "127.0.0.1:2"},
                ]
            }
        )
    )
    assert table.owner("320311").name == "xuzhou"  # type: ignore[union-attr]
    assert table.owner("320106").name == "jiangsu"  # type: ignore[union-attr]
    assert table.owner("370400") is None
    with pytest.raises(InvalidArgument) as unserved:
        table.require_owner("370400", "x-rhip-region")
    assert unserved.value.reason == "REGION_NOT_SERVED"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "cells"),
        ({"cells": [{"name": "a", "regions": ["32"], "address": "h:1"}]}, "6-digit"),
        ({"cells": [{"name": "a", "regions": ["320000"], "address": "nohost"}]}, "host:port"),
        (
            {
                "cells": [
                    {"name": "a", "regions": ["320000"], "address": "h:1"},
                    {"name": "b", "regions": ["320000"], "address": "h:2"},
                ]
            },
            "already owned",
        ),
    ],
)
def test_malformed_routes_are_refused(data: object, message: str) -> None:
    with pytest.raises(RoutingError, match=message):
        parse_routes(data)


def test_token_bucket_trips_and_refills() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=2, burst=3, clock=lambda: now[0])
    for _ in range(3):
        limiter.take("tenant:a")
    with pytest.raises(ResourceExhausted) as exhausted:
        limiter.take("tenant:a")
    assert exhausted.value.retry_after_seconds == 0.5
    limiter.take("tenant:b")  # buckets are per tenant
    now[0] = 0.5
    limiter.take("tenant:a")
    with pytest.raises(ResourceExhausted):
        limiter.take("tenant:a")


def test_guard_keeps_callers_in_their_region_and_auditors_to_reads() -> None:
    guard = Guard()
    doctor = Principal("user:1", PrincipalKind.PRACTITIONER, "t", "320311")
    auditor = Principal("user:2", PrincipalKind.AUDITOR, "", "320000")
    assert guard.allows(doctor, "320311", GET)
    assert not guard.allows(doctor, "320300", GET)  # the city above
    assert not guard.allows(doctor, "370402", GET)  # another province
    assert not guard.allows(doctor, "320312", GET)  # a sibling county
    assert guard.allows(auditor, "320311", GET)
    assert not guard.allows(auditor, "320311", CREATE)
    with pytest.raises(PermissionDenied):
        guard.check(doctor, "370402", GET)


def test_remembered_owners_follow_a_routing_reload(tmp_path: Path) -> None:
    routes_file = tmp_path / "routes.json"
    jiangsu = {"name": "jiangsu", "regions": ["320000"], "address": "127.0.0.1:1"}
    routes_file.write_text(json.dumps({"cells": [jiangsu]}))
    routes = RoutingTable.from_file(routes_file)
    proxy = CellProxy(
        routes, ChannelPool(Transport.plaintext()), Guard(), RateLimiter(rate=1, burst=1), 1.0
    )
    assert proxy._owner("320311").name == "jiangsu"
    assert proxy._owner("320311").name == "jiangsu"  # remembered
    xuzhou = {"name": "xuzhou", "regions": ["320300"], "address": "127.0.0.1:2"}
    routes_file.write_text(json.dumps({"cells": [jiangsu, xuzhou]}))
    os.utime(routes_file, ns=(0, routes_file.stat().st_mtime_ns + 1_000_000))
    assert routes.reload_if_changed()
    assert proxy._owner("320311").name == "xuzhou"
    with pytest.raises(InvalidArgument):
        proxy._owner("370400")


def test_a_cells_bulkhead_refuses_beyond_its_limit_at_once_and_frees_on_exit() -> None:
    heads = Bulkheads(2)
    with heads.enter("jiangsu", 2, "gateway.rhip"), heads.enter("jiangsu", 2, "gateway.rhip"):
        with pytest.raises(Unavailable) as refused, heads.enter("jiangsu", 2, "gateway.rhip"):
            pass
        assert refused.value.reason == "CELL_BUSY" and refused.value.retry_after_seconds
        assert refused.value.domain == "gateway.rhip"
        with heads.enter("shandong", 2, "gateway.rhip"):  # another cell is not held up
            assert heads.inflight("shandong") == 1
        # a single routed cell: no other cell to protect, no limit
        with heads.enter("jiangsu", 1, "gateway.rhip"):
            assert heads.inflight("jiangsu") == 3
    assert heads.inflight("jiangsu") == 0
    with pytest.raises(RuntimeError), heads.enter("jiangsu", 2, "gateway.rhip"):
        raise RuntimeError("a forward that failed still leaves the bulkhead")
    assert heads.inflight("jiangsu") == 0
