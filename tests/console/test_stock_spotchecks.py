"""The Xuzhou administrator's birth-certificate stock page (mch's stock report: one row per level
and holder, by name, the numbers the API answers) and spot-check page (archives' spot checks:
draw a sample, mark a finding, the qualified count and the list as the API answers them), in
headless Chromium against the demo platform."""

from __future__ import annotations

from console.browser import Page

XUZHOU = "320300"
COUNTS = (
    "received",
    "transferredOut",
    "inTransit",
    "inStock",
    "issued",
    "voidBlank",
    "voidIssued",
    "lost",
    "destroyed",
)


def _as_admin(page: Page) -> str:
    page.sign_in("xz-admin", XUZHOU)
    page.signed_in()
    return str(page.session()["accessToken"])


def test_stock_per_level_and_holder_by_name(page: Page) -> None:
    token = _as_admin(page)
    page.click("nav-stock")
    table = page.find("stock")
    page.until(lambda: "…" not in table.text, "holder names resolved")
    report = page.platform.get(f"/mch/v1/regions/{XUZHOU}/stockReport", token)
    rows = page.all('[data-test="stock"] tbody tr')
    assert len(rows) == len(report["holders"]) >= 3  # the city, the county, the MCH hospital
    levels = []
    for row, holder in zip(rows, report["holders"], strict=True):
        cells = row.find_elements("css selector", "td")
        levels.append(cells[0].text)
        assert "tenants/" not in cells[1].text and "regions/" not in cells[1].text  # names
        for key in COUNTS:
            shown = row.find_element("css selector", f'[data-count="{key}"]').text
            assert shown == str(int(holder.get(key, 0))), (holder["holder"], key)
        assert ("late" in row.get_attribute("class")) != holder.get("balanced", False)
    assert levels[:3] == ["市级", "县级", "签发机构"]
    assert "徐州市 (320300)" in rows[0].text
    assert "徐州市妇幼保健院" in page.find("stock").text
    page.shot("23-stock")


def test_spot_check_sample_finding_and_list(page: Page) -> None:
    token = _as_admin(page)
    page.click("nav-spotchecks")
    page.find("spotcheck-form")
    page.fill("spotcheck-size", "3")
    page.click("spotcheck-create")
    assert "已抽取档案份数: 3" in page.find("notice").text
    detail = page.find("spotcheck-detail")
    records = page.find("spotcheck-records")
    page.until(lambda: "…" not in records.text, "record labels resolved")
    listed = page.platform.get(f"/archives/v1/regions/{XUZHOU}/spotChecks", token)["spotChecks"]
    newest = listed[0]
    assert len(newest["records"]) == 3
    # Records by resident name and record number, not ids.
    first_row = page.all('[data-test="spotcheck-records"] tbody tr')[0]
    assert " · " in first_row.text and newest["records"][0].split("/")[1] not in first_row.text
    page.find("finding-item", first_row).send_keys("既往史")
    page.find("finding-description", first_row).send_keys("漏填高血压病史")
    page.find("finding-save", first_row).click()
    page.until(lambda: "漏填高血压病史" in page.find("spotcheck-records").text, "finding shown")
    assert "待整改" in page.find("spotcheck-records").text
    page.until(lambda: page.find("spotcheck-qualified").text.endswith("2 / 3"))
    after = page.platform.get(f"/archives/v1/{newest['name']}", token)
    assert after["qualified"] == 2 and after["findings"][0]["description"] == "漏填高血压病史"
    # The list shows it first, with the open finding and the rate the API's numbers give.
    table = page.find("spotchecks")
    page.until(lambda: "66.67%" in page.all('[data-test="spotchecks"] tbody tr')[0].text)
    first = page.all('[data-test="spotchecks"] tbody tr')[0].text
    assert "徐州市 (320300)" in first
    assert detail.is_displayed() and table.is_displayed()
    page.shot("24-spot-check")
