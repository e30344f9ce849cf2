"""Bulk onboarding in the console (headless Chromium against the demo platform): the Xuzhou
administrator uploads a CSV of institutions and one of users, runs a dry run (the report names
sheet, row, column and what is wrong, and nothing is created), imports (the platform creates
what Xuzhou covers, refuses a Shandong institution, and hands a generated password over once),
and imports the same files again (nothing changes, and the page says so). The importer is the
one ``rhip admin import`` runs (rhip.onboarding), run by the gateway."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from console.browser import Page

XUZHOU = "320300"

INSTITUTIONS = """\
机构名称,机构类型,等级,区划代码,统一社会信用代码
铜山区控制台导入卫生室,村卫生室,,320312,
泉山区控制台导入卫生院,乡镇卫生院,一级,320311,
鼓楼区控制台导入卫生室,村卫生室,,32030X,
市中区控制台导入卫生室,村卫生室,,370402,
铜山区控制台导入诊所,诊所,,320312,
"""
USERS = """\
用户名,姓名,角色,所属机构,区划代码,初始密码
console-doc-1,控制台导入医生甲,医务人员,铜山区控制台导入卫生室,,Console-Passw0rd-1
console-doc-2,控制台导入医生乙,医务人员,泉山区控制台导入卫生院,,
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = Path(tmp_path_factory.mktemp("upload"))
    (folder / "徐州机构.csv").write_text(INSTITUTIONS, encoding="utf-8")
    (folder / "徐州用户.csv").write_text(USERS, encoding="utf-8")
    # Chromium's file input takes several paths separated by new lines.
    return "\n".join(str(folder / name) for name in ("徐州机构.csv", "徐州用户.csv"))


def _report(page: Page) -> dict[tuple[str, str], dict[str, str]]:
    """The report table by (sheet, row): its cells by column."""
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for tr in page.all('[data-test="import-report"] tbody tr'):
        sheet, row, what, status, column, reason = (
            td.text for td in tr.find_elements("css selector", "td")
        )
        status_code = tr.find_element("css selector", "[data-status]").get_attribute("data-status")
        rows[(sheet, row)] = {
            "what": what,
            "status": status,
            "code": status_code,
            "column": column,
            "reason": reason,
            "class": tr.get_attribute("class"),
        }
    return rows


def _run(page: Page, files: str, button: str) -> Any:
    chooser = page.find("import-files")
    # A fresh choice each run (chromedriver adds to a multiple input's files otherwise).
    page.driver.execute_script("arguments[0].value = ''", chooser)
    chooser.send_keys(files)
    page.click(button)
    job = page.find("import-job")
    page.until(lambda: page.find("import-job").get_attribute("data-state") == "DONE", "run done")
    page.find("import-report")
    return job


def _tenant_names(page: Page, token: str) -> set[str]:
    listed = page.platform.get(f"/identity/v1/regions/{XUZHOU}/tenants?pageSize=1000", token)
    return {t["displayName"] for t in listed["tenants"]}


def test_dry_run_import_and_re_run(page: Page, files: str) -> None:
    page.sign_in("xz-admin", XUZHOU)
    page.signed_in()
    token = str(page.session()["accessToken"])
    page.click("nav-imports")
    page.find("import-files")

    # Dry run: every row checked and compared, nothing created.
    _run(page, files, "import-dry-run")
    assert page.find("import-job").get_attribute("data-dry-run") == "true"
    assert "试运行完成：未做任何修改" in page.find("import-summary").text
    report = _report(page)
    bad_region = report[("徐州机构", "4")]
    assert bad_region["code"] == "invalid" and bad_region["column"] == "区划代码"
    assert "6-digit" in bad_region["reason"] and bad_region["class"] == "late"
    bad_type = report[("徐州机构", "6")]
    assert bad_type["code"] == "invalid" and bad_type["column"] == "机构类型"
    shandong = report[("徐州机构", "5")]
    assert shandong["code"] == "refused" and shandong["column"] == "区划代码"
    assert "outside the region your account administers" in shandong["reason"]
    assert report[("徐州机构", "2")]["code"] == "would create"
    assert report[("徐州机构", "2")]["status"] == "将创建"
    assert report[("徐州用户", "3")]["what"] == "console-doc-2"
    assert len(page.all('[data-test="import-report"] tbody tr')) == 7  # a line per row
    assert "铜山区控制台导入卫生室" not in _tenant_names(page, token)
    page.shot("20-import-dry-run")

    # The import: created, with the same refusals, and the generated password shown once.
    _run(page, files, "import-run")
    assert "导入完成" in page.find("import-summary").text
    report = _report(page)
    assert {report[("徐州机构", r)]["code"] for r in ("2", "3")} == {"created"}
    assert {report[("徐州用户", r)]["code"] for r in ("2", "3")} == {"created"}
    assert report[("徐州机构", "5")]["code"] == "refused"
    progress = page.find("import-progress").text
    assert "用户 2/2 (100%)" in progress
    names = _tenant_names(page, token)
    assert {"铜山区控制台导入卫生室", "泉山区控制台导入卫生院"} <= names
    assert "市中区控制台导入卫生室" not in names
    passwords = page.find("import-passwords").text
    assert "console-doc-2" in passwords and "console-doc-1" not in passwords
    generated = page.find("import-passwords").find_element("css selector", "code").text
    page.shot("21-import-done")
    status, login = page.platform.request(
        "POST",
        "/identity/v1/tokens:login",
        {"password": {"username": "console-doc-2", "password": generated}},
        region=XUZHOU,
    )
    assert status == 200 and login["principal"]["displayName"] == "控制台导入医生乙"

    # The same files again: nothing changes, and the page says so.
    _run(page, files, "import-run")
    assert "没有任何变化" in page.find("import-summary").text
    report = _report(page)
    for key in (("徐州机构", "2"), ("徐州机构", "3"), ("徐州用户", "2"), ("徐州用户", "3")):
        assert report[key]["code"] == "unchanged", (key, report[key])
    assert not page.all('[data-test="import-passwords"]')
    assert len([n for n in _tenant_names(page, token) if "控制台导入" in n]) == 2
    page.shot("22-import-re-run")


def test_imports_are_for_administrators_and_read_only_by_their_owner(page: Page) -> None:
    doctor = page.platform.login("xz-doctor-1", XUZHOU)["accessToken"]
    upload = {"files": [{"fileName": "a.csv", "content": "YQ=="}], "dryRun": True}
    status, body = page.platform.request("POST", "/onboarding/v1/imports", upload, token=doctor)
    assert status == 403 and body["error"]["details"][0]["reason"] == "IMPORT_NOT_ALLOWED"
    admin = page.platform.login("xz-admin", XUZHOU)["accessToken"]
    status, body = page.platform.request(
        "POST",
        "/onboarding/v1/imports",
        {"files": [{"fileName": "a.txt", "content": "YQ=="}]},
        token=admin,
    )
    assert status == 400, body
    violation = body["error"]["details"][-1]["fieldViolations"][0]
    assert violation["field"] == "files[0].content" and "a.txt" in violation["description"]
    status, body = page.platform.request("POST", "/onboarding/v1/imports", upload, token=admin)
    assert status == 200, body
    # Another administrator (of a county below) cannot read it, nor can an anonymous caller.
    other = page.platform.login("qs-admin", "320311")["accessToken"]
    path = f"/onboarding/v1/imports/{body['id']}"
    assert page.platform.request("GET", path, token=other)[0] == 404
    assert page.platform.request("GET", path)[0] == 401
    assert page.platform.request("GET", path, token=admin)[0] == 200


def test_a_signed_out_session_neither_starts_nor_reads_an_import(page: Page) -> None:
    """The gateway keeps no session list: it asks the administrator's cell, which refuses
    the token of a session ended by SignOut though its signature is still good."""
    session = page.platform.login("xz-admin", XUZHOU)
    token = session["accessToken"]
    upload = {"files": [{"fileName": "a.csv", "content": "YQ=="}], "dryRun": True}
    status, body = page.platform.request("POST", "/onboarding/v1/imports", upload, token=token)
    assert status == 200, body
    path = f"/onboarding/v1/imports/{body['id']}"
    status, _ = page.platform.request(
        "POST",
        "/identity/v1/tokens:signOut",
        {"refreshToken": session["refreshToken"]},
        region=XUZHOU,
    )
    assert status == 200
    for verb, where, sent in (("GET", path, None), ("POST", "/onboarding/v1/imports", upload)):
        status, body = page.platform.request(verb, where, sent, token=token)
        assert status == 401, body
        assert body["error"]["details"][0]["reason"] == "TOKEN_REVOKED"
