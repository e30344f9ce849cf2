"""The full GB/T 2260 tree (python-stdnum's data): a tenant can be created in any current county
of the country, in the cell of its province; codes no longer in force create nothing."""

from __future__ import annotations

import dataclasses

import grpc
import pytest
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.identity.directory.usecases import bootstrap_admin
from rhip.kit import tenancy
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


def test_region_changes_are_a_data_update(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newer data package renames one county and abolishes another: tenants keep their code,
    show the current name, and stay listed under a code no longer in force."""
    running = start_cell(dataclasses.replace(settings, cell="370000"))
    try:
        bootstrap_admin(running.usecases, "prov-admin", "省级管理员", PASSWORD)
        md = running.md("prov-admin")
        made = {
            code: running.stub.CreateTenant(
                pb.CreateTenantRequest(tenant=tenant_msg(name="新建卫生院", region=code)),
                metadata=md,
            )
            for code in ("370685", "370686")
        }
        regions, version = tenancy._stdnum_regions()
        changed = [
            dataclasses.replace(r, name="招远区")
            if r.code == "370685"
            else dataclasses.replace(r, current=False)
            if r.code == "370686"
            else r
            for r in regions
        ]
        monkeypatch.setattr(tenancy, "_stdnum_regions", lambda: (changed, version + "+next"))
        tenancy.catalog.cache_clear()
        region = running.stub.GetRegion(pb.GetRegionRequest(name="regions/370685"), metadata=md)
        assert region.display_name == "招远区"
        for code, tenant in made.items():
            assert (
                running.stub.GetTenant(
                    pb.GetTenantRequest(name=tenant.name), metadata=md
                ).region_code
                == code
            )
            listed = running.stub.ListTenants(
                pb.ListTenantsRequest(parent=f"regions/{code}"), metadata=md
            )
            assert [t.tenant_id for t in listed.tenants] == [tenant.tenant_id]
        expect_error(
            lambda: running.stub.CreateTenant(
                pb.CreateTenantRequest(tenant=tenant_msg(region="370686")), metadata=md
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "UNKNOWN_REGION",
            "tenant.region_code",
        )
    finally:
        monkeypatch.undo()
        tenancy.catalog.cache_clear()  # the next caller loads the real data again
        running.channel.close()
        running.cell.stop(0)
