"""The regional administrator in the console (headless Chromium against the demo platform):
signing in (and the server's refusal and lockout shown), the indicator chart with the numbers
the API answers, the ranking with the bottom three marked, creating an institution, the refusal
of another region shown as the server's reason, English, and signing out."""

from __future__ import annotations

from typing import Any

from console.browser import Page

XUZHOU = "320300"
# A Shandong county: outside the Xuzhou administrator's subtree (and in another cell).
SHIZHONG = "370402"
RATES = (
    "INDICATOR_KIND_USAGE_RATE",
    "INDICATOR_KIND_QUALIFIED_RATE",
    "INDICATOR_KIND_FOLLOW_UP_RATE",
    "INDICATOR_KIND_TIMELY_FOLLOW_UP_RATE",
)


def _as_admin(page: Page) -> str:
    page.sign_in("xz-admin", XUZHOU)
    page.signed_in()
    return str(page.session()["accessToken"])


def test_sign_in_page_in_chinese_and_a_wrong_password_refused(page: Page) -> None:
    page.shot("01-sign-in")
    assert page.find("login-submit").text == "登录"
    page.sign_in("xz-admin", XUZHOU, password="not-the-password")
    error = page.find("error")
    assert error.get_attribute("data-reason") == "INVALID_CREDENTIALS"
    assert "用户名或密码错误" in error.text and "wrong username or password" in error.text
    page.shot("02-sign-in-refused")


def test_lockout_shows_the_servers_reason(page: Page) -> None:
    # Five failures lock an account (identity's default); the sixth answer says so.
    for _ in range(6):
        page.sign_in("xz-doctor-3", XUZHOU, password="not-the-password")
        page.find("error")
    page.sign_in("xz-doctor-3", XUZHOU)
    error = page.find("error")
    page.until(lambda: error.get_attribute("data-reason") == "ACCOUNT_LOCKED")
    assert "账号已被锁定" in error.text and "locked" in error.text
    page.shot("03-sign-in-locked")


def test_indicator_chart_shows_the_numbers_the_api_answers(page: Page) -> None:
    token = _as_admin(page)
    page.go("indicators")
    answer = page.platform.get(f"/archives/v1/regions/{XUZHOU}/indicators", token)
    kinds = {i["kind"]: i for i in answer["indicators"]}
    chart = page.find("region-chart")
    page.until(lambda: chart.find_elements("css selector", "canvas"), "the chart draws on a canvas")
    # ECharts' aria component describes the plotted data in the chart's aria-label.
    label = page.until(lambda: chart.get_attribute("aria-label"))
    for kind in RATES:
        percent = round(kinds[kind].get("rate", 0) * 100, 2)
        assert f"{percent:g}" in label, (kind, percent, label)
        if kinds[kind].get("denominator"):
            shown = page.find(f"rate-{kind}").text
            assert shown == f"{kinds[kind].get('rate', 0) * 100:.2f}%"
    table = page.find("region-indicators").text
    usage = kinds["INDICATOR_KIND_USAGE_RATE"]
    assert f"{usage.get('numerator', '0')} / {usage['denominator']}" in table
    page.find("institution-chart")
    # Over time: the last point is today, the same answer as above.
    over_time = page.find("time-chart")
    series = page.until(lambda: over_time.get_attribute("aria-label"))
    usage_today = round(usage.get("rate", 0) * 100, 2)
    assert f"{usage_today:g}" in series
    page.until(lambda: page.find("ranking").text)
    page.shot("04-indicators")


def test_ranking_marks_the_bottom_three(page: Page) -> None:
    token = _as_admin(page)
    page.go("indicators")
    kind = "INDICATOR_KIND_USAGE_RATE"
    answer = page.platform.get(
        f"/archives/v1/regions/{XUZHOU}/institutionRanking?kind={kind}", token
    )
    names = {
        tenant["name"]: tenant["displayName"]
        for tenant in page.platform.get(f"/identity/v1/regions/{XUZHOU}/tenants", token)["tenants"]
    }
    bottom = {names[score["tenant"]] for score in answer["bottom"]}
    ranking = page.find("ranking")
    page.until(lambda: "…" not in ranking.text, "institution names resolved")
    marked = {row.find_elements("css selector", "td")[1].text for row in page.all("tr.bottom")}
    assert marked == bottom and 0 < len(marked) <= 3
    first = page.all('[data-test="ranking"] tbody tr')[0].text
    assert names[answer["best"][0]["tenant"]] in first  # names, not ids


def test_mch_and_referral_pages_show_the_services_numbers(page: Page) -> None:
    token = _as_admin(page)
    for fragment, test, path in (
        ("mch", "mch-indicators", f"/mch/v1/regions/{XUZHOU}/indicators"),
        ("referrals", "referral-indicators", f"/referral/v1/regions/{XUZHOU}/referralIndicators"),
    ):
        page.go(fragment)
        table = page.find(test)
        page.find(f"{test}-chart")
        for indicator in page.platform.get(path, token)["indicators"]:
            count = f"{indicator.get('numerator', '0')} / {indicator.get('denominator', '0')}"
            assert count in table.text, (indicator, table.text)
        page.shot(f"04-{fragment}")


def test_administrator_creates_an_institution(page: Page) -> None:
    token = _as_admin(page)
    page.go("institutions")
    page.find("tenants")
    page.click("tenant-new")
    page.fill("tenant-name", "铜山区棠张镇李庄村卫生室")
    page.choose("tenant-type", "TENANT_TYPE_VILLAGE_CLINIC")
    page.choose("tenant-level", "TENANT_LEVEL_UNSPECIFIED")
    page.fill("tenant-region", "320312")
    page.click("tenant-save")
    notice = page.find("notice")
    assert "机构已创建" in notice.text and "李庄村卫生室" in notice.text
    page.until(lambda: "铜山区棠张镇李庄村卫生室" in page.find("tenants").text)
    listed = page.platform.get(f"/identity/v1/regions/{XUZHOU}/tenants?pageSize=100", token)
    created = [t for t in listed["tenants"] if t["displayName"] == "铜山区棠张镇李庄村卫生室"]
    assert created and created[0]["regionCode"] == "320312"
    assert "铜山区 (320312)" in page.find("tenants").text  # region labels with their codes
    page.shot("05-institution-created")


def _row(page: Page, text: str) -> Any:
    """The one row of the institutions table holding ``text``, waiting out a reload."""

    def one() -> Any:
        rows = [r for r in page.all('[data-test="tenants"] tbody tr') if text in r.text]
        return rows[0] if len(rows) == 1 else None

    return page.until(one, f"one row with {text}")


def test_administrator_edits_suspends_and_qualifies_an_institution(page: Page) -> None:
    token = _as_admin(page)
    page.go("institutions")
    page.find("tenants")
    page.click("tenant-new")
    page.fill("tenant-name", "铜山区棠张镇王庄村卫生室")
    page.choose("tenant-type", "TENANT_TYPE_VILLAGE_CLINIC")
    page.fill("tenant-region", "320312")
    page.click("tenant-save")
    page.until(lambda: "王庄村卫生室" in page.find("tenants").text)
    page.find("tenant-edit", _row(page, "王庄村卫生室")).click()
    page.fill("tenant-name", "铜山区棠张镇王庄村卫生室（新址）")
    page.click("tenant-save")
    page.until(lambda: "王庄村卫生室（新址）" in page.find("tenants").text)
    page.find("tenant-suspend", _row(page, "新址")).click()
    page.fill("suspend-reason", "执业许可证过期")
    page.click("suspend-confirm")
    page.until(lambda: "已停用 · 执业许可证过期" in _row(page, "新址").text)
    listed = page.platform.get(f"/identity/v1/regions/{XUZHOU}/tenants?pageSize=100", token)
    (tenant,) = [t for t in listed["tenants"] if "新址" in t["displayName"]]
    assert tenant["state"] == "TENANT_STATE_SUSPENDED"
    assert tenant["suspendReason"] == "执业许可证过期"
    page.shot("05-institution-suspended")
    page.find("tenant-reactivate", _row(page, "新址")).click()
    page.until(lambda: "正常" in _row(page, "新址").text)
    page.find("tenant-qualifications", _row(page, "新址")).click()
    page.choose("qualification-kind", "QUALIFICATION_KIND_SCHOOL_HEALTH")
    page.fill("qualification-number", "XZ-2026-0042")
    page.click("qualification-grant")
    page.until(lambda: "XZ-2026-0042" in page.find("qualification-list").text)
    assert "学校卫生" in page.find("qualification-list").text
    granted = page.platform.get(f"/identity/v1/{tenant['name']}/qualifications", token)
    assert [q["licenceNumber"] for q in granted["qualifications"]] == ["XZ-2026-0042"]
    page.shot("05-institution-qualifications")


def test_another_region_is_refused_with_the_servers_reason(page: Page) -> None:
    _as_admin(page)
    page.go("institutions")
    page.click("tenant-new")
    page.fill("tenant-name", "市中区测试社区卫生服务站")
    page.fill("tenant-region", SHIZHONG)
    page.click("tenant-save")
    error = page.find("error")
    assert error.get_attribute("data-reason") == "PERMISSION_DENIED"
    assert "无权访问该地区或机构的数据" in error.text
    # What was typed stays, for the person to correct.
    assert page.find("tenant-region").get_attribute("value") == SHIZHONG
    assert page.find("tenant-name").get_attribute("value") == "市中区测试社区卫生服务站"
    page.shot("06-other-region-refused-create")
    # Browsing the other region's institutions is refused the same way.
    page.click("tenant-cancel")
    page.until(lambda: not page.all('[data-test="error"]'), "the form and its error are gone")
    page.fill("region-jump", "370400")
    page.click("region-go")
    error = page.find("error")
    assert error.get_attribute("data-reason") == "PERMISSION_DENIED"
    assert not page.all('[data-test="tenants"]')
    page.shot("07-other-region-refused-list")


def test_administrator_creates_a_practitioner_who_can_sign_in(page: Page) -> None:
    token = _as_admin(page)
    tenants = page.platform.get(f"/identity/v1/regions/{XUZHOU}/tenants", token)["tenants"]
    (township,) = [t for t in tenants if t["displayName"] == "铜山区棠张镇卫生院"]
    page.go("users")
    page.find("users")
    page.click("user-new")
    page.fill("user-username", "xz-nurse-1")
    page.fill("user-name", "棠张镇卫生院护士")
    page.choose("user-kind", "PRINCIPAL_KIND_PRACTITIONER")
    page.choose("user-tenant", township["tenantId"])
    page.fill("user-password", "Nurse-Passw0rd-2026")
    page.click("user-save")
    assert "用户已创建: xz-nurse-1" in page.find("notice").text
    page.until(lambda: "xz-nurse-1" in page.find("users").text)
    row = next(r for r in page.all('[data-test="users"] tbody tr') if "xz-nurse-1" in r.text)
    assert "铜山区棠张镇卫生院" in row.text  # the institution by name
    page.shot("08-user-created")
    page.sign_out()
    page.sign_in("xz-nurse-1", XUZHOU, password="Nurse-Passw0rd-2026")
    assert "棠张镇卫生院护士" in page.find("who").text
    page.find("find-form")  # a practitioner lands on the resident search
    # A password set by an administrator: the banner asks for a change when the login says so.
    required = page.session()["passwordChangeRequired"]
    assert bool(page.all('[data-test="password-banner"]')) == required
    page.click("nav-password")
    form = page.find("password-form")
    for field, value in (
        ("currentPassword", "Nurse-Passw0rd-2026"),
        ("newPassword", "Nurse-Passw0rd-2027"),
        ("again", "Nurse-Passw0rd-2027"),
    ):
        form.find_element("css selector", f'[name="{field}"]').send_keys(value)
    form.find_element("css selector", "button").click()
    assert "密码已修改" in page.find("notice").text
    assert not page.all('[data-test="password-banner"]')
    page.sign_out()
    page.sign_in("xz-nurse-1", XUZHOU, password="Nurse-Passw0rd-2027")
    page.find("find-form")


def test_a_refused_access_token_is_refreshed(page: Page) -> None:
    _as_admin(page)
    before = page.session()
    # As if the access token had expired: the gateway answers 401 and the console exchanges
    # its refresh token (which rotates) for a new pair, then repeats the call.
    page.driver.execute_script(
        "const s = JSON.parse(sessionStorage.getItem('rhip.session'));"
        "s.accessToken = 'expired.' + s.accessToken;"
        "sessionStorage.setItem('rhip.session', JSON.stringify(s));"
    )
    page.driver.refresh()
    page.go("users")
    page.until(lambda: "xz-doctor-1" in page.find("users").text)
    after = page.session()
    assert after["accessToken"] != before["accessToken"]
    assert after["refreshToken"] != before["refreshToken"]
    assert after["principal"]["displayName"] == "xz-admin"


def test_english_and_sign_out(page: Page) -> None:
    token = _as_admin(page)
    page.go("users")
    page.find("users")
    page.click("lang")
    page.until(lambda: page.find("nav-institutions").text == "Institutions")
    assert "Regional administrator" in page.find("who").text
    assert "Xuzhou (320300)" in page.find("who").text
    page.shot("09-users-english")
    page.sign_out()
    assert page.find("login-submit").text == "Sign in"
    assert page.driver.execute_script("return sessionStorage.getItem('rhip.session')") is None
    page.shot("10-signed-out")
    # The platform ended the session (SignOut): the old access token is refused from now on,
    # not merely forgotten by the tab.
    path = f"/identity/v1/regions/{XUZHOU}/tenants"

    def refused() -> Any:
        status, body = page.platform.request("GET", path, token=token)
        return body if status == 401 else None

    body = page.until(refused, "the signed-out token is still accepted")
    reasons = [d.get("reason") for d in body["error"]["details"]]
    assert "TOKEN_REVOKED" in reasons, body
