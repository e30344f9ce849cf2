"""The full GB/T 2260 tree (python-stdnum's data): a tenant can be created in any current county
of the country, in the cell of its province; codes no longer in force create nothing."""

from __future__ import annotations

import dataclasses

import grpc
import pytest
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.identity.directory.usecases import bootstrap_admin
from rhip.kit.config import Settings
from support.cells import PASSWORD, start_cell, tenant_msg
from support.errors import expect_error


@pytest.mark.parametrize(
    ("cell", "county", "name"),
    [
        ("370000", "370685", "招远市"),  # Yantai, refused as unknown by the old 157-row list
        ("650000", "654002", "伊宁市"),  # Ili, Xinjiang
        ("540000", "542526", "改则县"),  # Ngari, Tibet
    ],
)
def test_a_tenant_can_be_created_in_any_county(
    settings: Settings, cell: str, county: str, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    running = start_cell(dataclasses.replace(settings, cell=cell))
    try:
        # The data version is recorded where the tree is loaded.
        assert any("from python-stdnum " in r.getMessage() for r in caplog.records)
        bootstrap_admin(running.usecases, "prov-admin", "省级管理员", PASSWORD)
        md = running.md("prov-admin")
        tenant = running.stub.CreateTenant(
            pb.CreateTenantRequest(tenant=tenant_msg(name="新建卫生院", region=county)), metadata=md
        )
        assert tenant.region_code == county
        assert tenant.scope_path.startswith(f"86/{county[:2]}/{county[:4]}/{county}/t-")
        region = running.stub.GetRegion(pb.GetRegionRequest(name=f"regions/{county}"), metadata=md)
        assert (region.display_name, region.parent_code) == (name, county[:4] + "00")
        # A code no longer in force (Tibet's 542100 昌都地区 became 540300 in 2014; 370685's
        # province has no 370699) creates nothing.
        for code in ("370699", "542100"):
            expect_error(
                lambda c=code: running.stub.CreateTenant(
                    pb.CreateTenantRequest(tenant=tenant_msg(region=c)), metadata=md
                ),
                grpc.StatusCode.INVALID_ARGUMENT,
                "UNKNOWN_REGION",
                "tenant.region_code",
            )
    finally:
        running.channel.close()
        running.cell.stop(0)
