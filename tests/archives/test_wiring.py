"""How archives joins the cell: its permission catalogue next to identity's, and archives in a
process of its own (policy from the identity database, residents and keys over gRPC)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from archives.helpers import Archives, complete_form
from conftest import make_settings
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.archives.roles import ARCHIVES
from rhip.cell import build_cell, resolve_services
from rhip.identity.roles import IDENTITY
from support.errors import expect_error


def _catalogs(a: Archives) -> tuple[set[str], set[str]]:
    _, rules = a.running.cell.part("identity").authorizer.store.load("p")
    actions = {r.values[1] for r in rules}
    return {x for x in actions if x.startswith(IDENTITY)}, {
        x for x in actions if x.startswith(ARCHIVES)
    }


def test_both_permission_catalogues_survive_each_others_start(archives: Archives) -> None:
    a = archives
    identity_before, archives_before = _catalogs(a)
    assert identity_before and archives_before
    # identity restarting (its sync) keeps archives' rows, and archives' sync keeps identity's.
    a.running.cell.part("identity").usecases.sync_role_catalog()
    assert _catalogs(a) == (identity_before, archives_before)
    from rhip.archives.usecases import sync_role_catalog

    sync_role_catalog(a.running.cell.part("identity").authorizer)
    assert _catalogs(a) == (identity_before, archives_before)


def test_services_all_includes_archives() -> None:
    assert resolve_services("all") == ("identity", "archives", "referral", "mch", "emr")
    assert resolve_services("archives") == ("archives",)


def test_archives_in_its_own_process_reaches_identity_over_grpc(
    archives: Archives, tmp_path: Path, database_url: str, archives_url: str
) -> None:
    """A second cell process hosting only archives, on the same databases: tokens verify with
    identity's JWKS, the policy comes from the identity database, residents over gRPC."""
    a = archives
    identity_address = f"127.0.0.1:{a.running.cell.port}"
    settings = make_settings(
        tmp_path / "second",
        database_url,
        RHIP_ARCHIVES_DATABASE_URL=archives_url,
        RHIP_IDENTITY_ADDRESS=identity_address,
    )
    cell = build_cell(settings, ("archives",))
    port = cell.start("127.0.0.1:0")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            api = archives_service_pb2_grpc.ArchivesServiceStub(channel)
            created = api.CreateHealthRecord(
                apb.CreateHealthRecordRequest(
                    resident=a.residents["man"], township_code="001", village_code="001"
                ),
                metadata=a.md("qs-doctor"),
            )
            got = a.api.GetHealthRecord(
                apb.GetHealthRecordRequest(name=created.name), metadata=a.md("qs-doctor")
            )
            assert got.record_number == created.record_number
            expect_error(
                lambda: api.GetHealthRecord(
                    apb.GetHealthRecordRequest(name=created.name), metadata=a.md("nj-doctor")
                ),
                grpc.StatusCode.PERMISSION_DENIED,
            )
    finally:
        cell.stop(0)


def test_an_id_shaped_number_in_a_log_line_is_caught() -> None:
    from support.logs import ID_SHAPED

    assert ID_SHAPED.search("looked up 320311195001010028 today")
    assert ID_SHAPED.search("old card 320311500101002")
    assert not ID_SHAPED.search("record 32031100110100001 moved")  # a 17-digit record number


@pytest.mark.cell_env(RHIP_GRPC_WORKERS="2")
def test_an_all_in_one_cell_answers_more_archives_calls_than_it_has_workers(
    archives: Archives,
) -> None:
    """Each CreateHealthRecord asks identity (over gRPC) for the resident. With identity
    answering from the same thread pool, calls beyond the pool's size left no worker for
    identity and all ran into their deadline; identity's own loopback server answers them."""
    a = archives
    request = apb.CreateHealthRecordRequest(
        resident=a.residents["man"], township_code="001", village_code="101",
        basic_info=complete_form(),
    )  # fmt: skip

    def create() -> grpc.StatusCode:
        try:
            a.api.CreateHealthRecord(request, metadata=a.md("qs-doctor"), timeout=20)
        except grpc.RpcError as error:
            return error.code()
        return grpc.StatusCode.OK

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: create(), range(8)))
    assert sorted(c.name for c in codes) == ["ALREADY_EXISTS"] * 7 + ["OK"]


def test_archives_in_its_own_process_feeds_emr_at_its_configured_address(
    archives: Archives, tmp_path: Path, database_url: str, archives_url: str
) -> None:
    """The chart runs every service in pods of its own: archives feeds emr's timeline when the
    cell has emr elsewhere (RHIP_EMR_ADDRESS), not only when emr runs in the same process."""
    identity_address = f"127.0.0.1:{archives.running.cell.port}"
    common = {
        "RHIP_ARCHIVES_DATABASE_URL": archives_url,
        "RHIP_IDENTITY_ADDRESS": identity_address,
        "RHIP_CELL_CLIENT_ID": "cell-320000",
        "RHIP_CELL_CLIENT_SECRET": "s" * 43,
    }
    for emr_address, feeds in (("127.0.0.1:1", True), ("", False)):
        env = {**common, "RHIP_EMR_ADDRESS": emr_address} if emr_address else common
        cell = build_cell(
            make_settings(tmp_path / f"split-{feeds}", database_url, **env), ("archives",)
        )
        try:
            assert ("archives-timeline" in cell.built["archives"].outboxes) is feeds
        finally:
            cell.stop(0)
