"""The fed cell of mch's timeline tests (tests/mch/test_timeline.py, test_child_transfer_timeline
.py): mch's cell with emr and the cell account (the timeline is fed), each service on a database
of its own, built once per backend for a module (a cell takes seconds); and the helpers that read
the timeline, wait for it, and speak to emr as the cell."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import POSTGRES_URL, REQUIRE_POSTGRES, make_settings, postgres_schema
from mch.conftest import Mch, make_mch
from rhip.api.emr.v1 import emr_internal_service_pb2_grpc, emr_service_pb2_grpc
from rhip.api.emr.v1 import emr_service_pb2 as epb
from rhip.api.identity.v1 import identity_service_pb2 as idpb
from rhip.kit.outbox_delivery import OutboxDelivery
from support.cells import RunningCell, start_cell

CELL_ID, CELL_SECRET = "cell-320000", "cell-secret-0123456789"


def _url(backend: str, tmp_path: Path, name: str, stack: list) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / name}.db"
    schema = postgres_schema(name[0])
    stack.append(schema)
    return schema.__enter__()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fed_cell(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningCell]:
    if request.param == "postgres" and not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("RHIP_TEST_POSTGRES_URL is not set but RHIP_TEST_REQUIRE_POSTGRES=1")
        pytest.skip("PostgreSQL case: set RHIP_TEST_POSTGRES_URL to run it")
    tmp_path = tmp_path_factory.mktemp("timeline")
    schemas: list = []
    urls = {
        s: _url(request.param, tmp_path, s, schemas) for s in ("identity", "archives", "mch", "emr")
    }
    settings = make_settings(
        tmp_path, urls["identity"],
        RHIP_ARCHIVES_DATABASE_URL=urls["archives"], RHIP_MCH_DATABASE_URL=urls["mch"],
        RHIP_EMR_DATABASE_URL=urls["emr"],
        RHIP_CELL_CLIENT_ID=CELL_ID, RHIP_CELL_CLIENT_SECRET=CELL_SECRET,
    )  # fmt: skip
    cell = start_cell(settings)
    yield cell
    cell.channel.close()
    cell.cell.stop(0)
    for schema in schemas:
        schema.__exit__(None, None, None)


@pytest.fixture(scope="module")
def fed(fed_cell: RunningCell) -> Mch:
    return make_mch(fed_cell)


def timeline(mch: Mch, resident: str, who: str) -> list[epb.TimelineEntry]:
    """mch's entries on the resident's timeline as ``who`` sees them, newest first."""
    api = emr_service_pb2_grpc.EmrServiceStub(mch.running.channel)
    reply = api.ListTimeline(
        epb.ListTimelineRequest(parent=resident, page_size=100), metadata=mch.md(who)
    )
    return [e for e in reply.entries if e.source == "mch"]


def wait(until: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not until():
        assert time.monotonic() < deadline, "the timeline did not catch up"
        time.sleep(0.2)


def delivery(mch: Mch) -> OutboxDelivery:
    """mch's timeline delivery (its sender can be swapped: emr away, answers lost)."""
    found = mch.running.cell.part("mch").timeline
    assert found is not None, "mch runs no timeline delivery"
    return found


def cell_stub(mch: Mch) -> tuple[emr_internal_service_pb2_grpc.EmrInternalServiceStub, list]:
    """emr's internal service and the cell account's metadata."""
    reply = mch.running.stub.Login(
        idpb.LoginRequest(
            client=idpb.ClientCredentials(client_id=CELL_ID, client_secret=CELL_SECRET)
        )
    )
    md = [("authorization", f"Bearer {reply.access_token}")]
    return emr_internal_service_pb2_grpc.EmrInternalServiceStub(mch.running.channel), md
