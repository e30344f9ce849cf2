"""Region codes become paths; subtree checks compare whole segments."""

from __future__ import annotations

import pytest
from rhip.kit.errors import InvalidArgument
from rhip.kit.tenancy import (
    RegionLevel,
    ancestors,
    catalog,
    is_within,
    level_of,
    parent_code,
    region_path,
    tenant_scope,
)


def test_paths_by_level() -> None:
    assert region_path("320000") == "86/32"
    assert region_path("320300") == "86/32/3203"
    assert region_path("320311") == "86/32/3203/320311"
    assert region_path("659001") == "86/65/6590/659001"  # county-level unit under the region
    assert tenant_scope("320311", "t1") == "86/32/3203/320311/t-t1"
    assert [level_of(c) for c in ("540000", "542500", "540102")] == [
        RegionLevel.PROVINCE,
        RegionLevel.PREFECTURE,
        RegionLevel.COUNTY,
    ]
    assert parent_code("320311") == "320300" and parent_code("320300") == "320000"
    assert parent_code("320000") == ""


def test_subtree_compares_whole_segments() -> None:
    t1 = "86/32/3203/320311/t-1"
    assert is_within(t1, "86/32/3203")
    assert is_within(t1, t1)
    assert not is_within("86/32/3203/320311/t-10", t1)
    assert not is_within("86/32/3203/3203110", "86/32/3203/320311")
    assert not is_within("86/32", "86/32/3203")
    assert ancestors(t1) == [t1, "86/32/3203/320311", "86/32/3203", "86/32", "86"]


def test_catalog_has_the_domain_regions_and_rejects_unknown_codes() -> None:
    regions = catalog()
    for code in ("540100", "320300", "220600", "370400", "650000", "370402", "110105", "659001"):
        assert regions.get(code) is not None, code
    assert regions.get("320311").name == "泉山区"  # type: ignore[union-attr]
    assert {r.code for r in regions.children("320300")} >= {"320302", "320311", "320322"}
    assert len(regions.children("")) == 34
    with pytest.raises(InvalidArgument) as unknown:
        regions.require("329999", "region")
    assert unknown.value.reason == "UNKNOWN_REGION"
    with pytest.raises(InvalidArgument) as malformed:
        regions.require("32031x", "region")
    assert malformed.value.reason == "REGION_CODE_FORMAT"
    with pytest.raises(ValueError):
        region_path("0123")


def test_catalog_is_the_full_tree_from_python_stdnum() -> None:
    import stdnum
    from rhip.kit.tenancy import data_version

    regions = catalog()
    assert data_version() == f"python-stdnum {stdnum.__version__}"
    assert len(regions) > 3000  # every current province, prefecture and county
    for code, name in [("370685", "招远市"), ("654002", "伊宁市"), ("542526", "改则县")]:
        region = regions.require(code, "region")
        assert (region.name, region.level, region.current) == (name, RegionLevel.COUNTY, True)
    # The parent chain is complete: every current division's parent is a current division.
    assert all(regions.get(r.parent_code) for r in regions if r.parent_code)
    # The demo regions keep their names (and their English names, which GB/T 2260 lacks).
    for code, name in [("320000", "江苏省"), ("320300", "徐州市"), ("320311", "泉山区"),
                       ("370000", "山东省"), ("370400", "枣庄市"), ("370402", "市中区")]:  # fmt: skip
        assert regions.get(code).name == name  # type: ignore[union-attr]
    assert regions.get("320311").english_name == "Quanshan District"  # type: ignore[union-attr]


def test_codes_no_longer_in_force_are_known_but_create_nothing() -> None:
    regions = catalog()
    # 110103 崇文区 merged into 东城区 (2010); 320301 is the statistical 市辖区 grouping.
    for code in ("110103", "320323", "320301"):
        assert regions.get(code) is None and regions.ever_existed(code)
        assert regions.former(code).current is False  # type: ignore[union-attr]
        with pytest.raises(InvalidArgument) as refused:
            regions.require(code, "region")
        assert refused.value.reason == "UNKNOWN_REGION"
        assert regions.require_known(code, "region").code == code
    assert "110103" not in {r.code for r in regions.children("110100")}
    assert not regions.ever_existed("329999")
