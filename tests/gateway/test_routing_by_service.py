"""The routing table names an address per service of a cell; the gateway picks the address of
the called method's service, and the cells and the gateway fetch JWKS from identity's."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from rhip.gateway.guard import Guard
from rhip.gateway.proxy import CellProxy
from rhip.gateway.ratelimit import RateLimiter
from rhip.kit.apis import methods
from rhip.kit.channels import ChannelPool
from rhip.kit.peers import identity_channel
from rhip.kit.routing import RoutingError, RoutingTable, parse_routes
from rhip.kit.transport import Transport

LOGIN = "/rhip.api.identity.v1.IdentityService/Login"
REGISTER = "/rhip.api.identity.v1.ResidentService/RegisterResident"
LIST_RECORDS = "/rhip.api.archives.v1.ArchivesService/ListHealthRecords"

SPLIT = {
    "name": "jiangsu",
    "regions": ["320000"],
    "address": "identity.js:50051",
    "services": {"archives": "archives.js:50051"},
}
ALL_IN_ONE = {"name": "shandong", "regions": ["370000"], "address": "cell.sd:50051"}


def test_a_cell_names_an_address_per_service_and_a_default_for_the_rest() -> None:
    jiangsu, shandong = parse_routes({"cells": [SPLIT, ALL_IN_ONE]})
    assert jiangsu.address_of("archives") == "archives.js:50051"
    assert jiangsu.address_of("identity") == "identity.js:50051"
    assert jiangsu.address_of("emr") == "identity.js:50051"  # not listed: the default
    assert shandong.address_of("archives") == "cell.sd:50051"
    assert jiangsu.addresses == {"identity.js:50051", "archives.js:50051"}
    table = RoutingTable((jiangsu, shandong))
    assert table.addresses() == {"identity.js:50051", "archives.js:50051", "cell.sd:50051"}


@pytest.mark.parametrize(
    ("services", "message"),
    [
        (["archives"], r"cells\[0\]\.services must map service names to host:port"),
        (
            {"archive": "h:1"},
            r"cells\[0\]\.services: 'archive' is not a service; services: archives, emr, identity, mch, referral$",
        ),
        ({"archives": "nohost"}, r"cells\[0\]\.services\.archives must be host:port"),
        ({"archives": ":50051"}, r"cells\[0\]\.services\.archives must be host:port"),
        ({"archives": "h:port"}, r"cells\[0\]\.services\.archives must be host:port"),
        ({"archives": "h:70000"}, r"cells\[0\]\.services\.archives must be host:port"),
        ({"archives": 50051}, r"cells\[0\]\.services\.archives must be host:port"),
    ],
)
def test_malformed_service_addresses_are_refused(services: object, message: str) -> None:
    with pytest.raises(RoutingError, match=message):
        parse_routes({"cells": [{**SPLIT, "services": services}]})


def test_the_default_address_stays_required() -> None:
    cell = {k: v for k, v in SPLIT.items() if k != "address"}
    with pytest.raises(RoutingError, match=r"cells\[0\]\.address must be host:port"):
        parse_routes({"cells": [cell]})


def _proxy(routes: RoutingTable, pool: ChannelPool) -> CellProxy:
    return CellProxy(routes, pool, Guard(), RateLimiter(rate=1, burst=1), 1.0)


def _target(proxy: CellProxy, pool: ChannelPool, region: str, path: str) -> str:
    """The address the proxy sends ``path`` to for ``region``: the pool's channel it used."""
    info = methods()[path]
    kind = "unary_stream" if info.server_streaming else "unary_unary"
    proxy._calls.clear()
    proxy._call(proxy._owner(region), info, kind)
    [(channel, _)] = proxy._calls.values()
    return next(address for address, c in pool._channels.items() if c is channel)


def test_each_call_goes_to_the_address_of_its_methods_service() -> None:
    pool = ChannelPool(Transport.plaintext())
    proxy = _proxy(RoutingTable(parse_routes({"cells": [SPLIT, ALL_IN_ONE]})), pool)
    try:
        assert methods()[LIST_RECORDS].api == "archives"
        assert methods()[REGISTER].api == "identity"  # ResidentService belongs to identity
        assert _target(proxy, pool, "320311", LIST_RECORDS) == "archives.js:50051"
        assert _target(proxy, pool, "320311", LOGIN) == "identity.js:50051"
        assert _target(proxy, pool, "320311", REGISTER) == "identity.js:50051"
        assert _target(proxy, pool, "370402", LIST_RECORDS) == "cell.sd:50051"
    finally:
        pool.close()


def test_a_reload_moves_a_service_to_its_new_address(tmp_path: Path) -> None:
    path = tmp_path / "routes.json"
    path.write_text(json.dumps({"cells": [ALL_IN_ONE]}))
    routes = RoutingTable.from_file(path)
    pool = ChannelPool(Transport.plaintext())
    proxy = _proxy(routes, pool)
    try:
        assert _target(proxy, pool, "370402", LIST_RECORDS) == "cell.sd:50051"
        moved = {**ALL_IN_ONE, "services": {"archives": "archives.sd:50051"}}
        path.write_text(json.dumps({"cells": [moved]}))
        os.utime(path, ns=(0, path.stat().st_mtime_ns + 1_000_000))
        assert routes.reload_if_changed()
        assert _target(proxy, pool, "370402", LIST_RECORDS) == "archives.sd:50051"
        assert _target(proxy, pool, "370402", LOGIN) == "cell.sd:50051"
        # A broken service entry keeps the last good table.
        path.write_text(json.dumps({"cells": [{**moved, "services": {"archives": "x"}}]}))
        os.utime(path, ns=(0, path.stat().st_mtime_ns + 2_000_000))
        assert not routes.reload_if_changed()
        assert routes.cells[0].address_of("archives") == "archives.sd:50051"
    finally:
        pool.close()


def test_keys_are_fetched_from_each_cells_identity_address() -> None:
    routes = RoutingTable(parse_routes({"cells": [SPLIT, ALL_IN_ONE]}))
    pool = ChannelPool(Transport.plaintext())
    try:
        assert identity_channel(routes, pool, "jiangsu")() == pool.get("identity.js:50051")
        assert set(pool._channels) == {"identity.js:50051"}
        assert identity_channel(routes, pool, "anhui")() is None  # not a cell of the table
    finally:
        pool.close()
