"""The isolation matrix over the gateway's HTTP/JSON listener, exactly as over gRPC
(security.matrix): the same principals, requests and expectations, for every RPC with a
``google.api.http`` binding, each request sent as a client would write it from its binding
(security.http_caller). Over HTTP also: every error is JSON ``google.rpc.Status`` with the
HTTP status AIP-193 gives its code and readable details (never base64), checked on every
answer.

SQLite only: the transcoding is the gateway's and the same whatever database the cells use;
test_isolation runs the same matrix over gRPC on SQLite and PostgreSQL. A module of its own
(and so a world of its own): the matrix's replays may change what a second run would see."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from security.conftest import report
from security.http_caller import HttpCaller
from security.matrix import run_matrix
from security.platform import Platform, running_platform
from security.rpcs import Rpc
from security.world import World


@pytest.fixture(scope="module", params=["sqlite"])
def platform(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Platform]:  # type: ignore[no-untyped-def]
    """This module's platform: SQLite only (the conftest's runs PostgreSQL too)."""
    with running_platform(request.param, "", tmp_path_factory.mktemp("sec")) as made:
        yield made


@pytest.fixture(scope="module")
def http_caller(platform: Platform) -> HttpCaller:
    return HttpCaller(platform.http_port)


def test_no_principal_reaches_a_target_outside_its_scope_over_http(
    world: World, rpcs: list[Rpc], http_caller: HttpCaller
) -> None:
    run_matrix(world, rpcs, http_caller)
    report("isolation-http", world.platform.backend, http_caller.counts)
