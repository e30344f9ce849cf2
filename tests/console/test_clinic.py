"""The clinic and the auditor in the console (headless Chromium against the demo platform): a
practitioner registers a resident and finds them by ID number, sees the institution's overdue
list, finds a resident by name, opens the health record and records a follow-up (the
classification and next due date the platform set are shown and match the API); an auditor
verifies the audit chain and sees who viewed that resident."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from console.browser import Page
from rhip.identity.residents.documents import id_check_char
from rhip.kit.timestamps import clinical_day

XUZHOU, JIANGSU = "320300", "320000"
QUANSHAN = "320311"
DOCTOR = "xz-doctor-1"  # the community health centre: demo plans, one of them overdue
DIABETIC = "陈秀兰"  # demo resident with the type 2 diabetes plan


def _id_number(birth: str, sequence: str) -> str:
    body = f"{QUANSHAN}{birth.replace('-', '')}{sequence}"
    return body + id_check_char(body)


def _as_doctor(page: Page) -> str:
    page.sign_in(DOCTOR, XUZHOU)
    page.signed_in()
    return str(page.session()["accessToken"])


def test_register_a_resident_and_find_them_by_id_number(page: Page) -> None:
    _as_doctor(page)
    page.find("find-form")
    page.shot("11-clinic-residents")
    number = _id_number("1990-03-07", "518")
    page.click("register-open")
    page.fill("reg-name", "赵小燕")
    page.choose("reg-sex", "SEX_FEMALE")
    page.set_value("reg-birth", "1990-03-07")
    page.fill("reg-id", number)
    page.fill("reg-region", QUANSHAN)
    page.click("reg-save")
    assert "居民已登记" in page.find("notice").text
    page.go("overdue")  # away and back: the search starts afresh
    page.go("residents")
    page.choose("find-mode", "byId")
    page.fill("find-query", number)
    page.click("find-submit")
    found = page.find("residents")
    page.until(lambda: "赵小燕" in found.text)
    assert "泉山区 (320311)" in found.text and "1990-03-07" in found.text
    page.shot("12-clinic-found-by-id")
    page.click("open-record")
    page.find("no-record")  # registered today: no health record yet


def test_a_wrong_check_digit_shows_the_field_to_correct(page: Page) -> None:
    _as_doctor(page)
    number = _id_number("1990-03-07", "518")
    wrong = "1" if number[-1] != "1" else "2"
    page.fill("find-query", number[:-1] + wrong)
    page.click("find-submit")
    error = page.find("error")
    assert error.get_attribute("data-reason") == "ID_CHECK_DIGIT"
    assert "身份证号校验位错误" in error.text
    assert "document.number" in page.find("violation").text
    page.shot("14-clinic-id-check-digit")


def test_find_by_a_scanned_e_health_card(page: Page) -> None:
    token = _as_doctor(page)
    status, found = page.platform.request(
        "POST", "/identity/v1/residents:search", {"displayName": "王建国"}, token=token
    )
    assert status == 200, found
    resident = found["matches"][0]["resident"]["name"]
    status, card = page.platform.request("POST", f"/identity/v1/{resident}/healthCard", {}, token)
    assert status == 200, card
    status, qr = page.platform.request(
        "POST",
        f"/identity/v1/{resident}/healthCard:createQrCode",
        {"type": "QR_CODE_TYPE_STATIC"},
        token,
    )
    assert status == 200, qr
    # A scanner types what it reads into the focused field, then Enter.
    page.choose("find-mode", "byCard")
    page.fill("find-query", qr["payload"] + "\n")
    page.until(lambda: "王建国" in page.find("residents").text)
    page.shot("13-clinic-found-by-card")
    page.fill("find-query", qr["payload"][:-6] + "AAAAAA\n")  # a damaged code
    error = page.find("error")
    assert error.get_attribute("data-reason") == "QR_VERIFY_OUTCOME_FORGED"
    assert "二维码签名无效" in error.text


def test_overdue_list_of_the_institution(page: Page) -> None:
    token = _as_doctor(page)
    tenant = page.session()["principal"]["tenantId"]
    page.go("overdue")
    table = page.find("overdue")
    answer = page.platform.get(f"/archives/v1/tenants/{tenant}/overdueFollowUpPlans", token)
    assert answer["plans"], "the demo leaves one plan overdue"
    page.until(lambda: "社区卫生服务中心" in table.text)  # the institution's name, not its id
    for plan in answer["plans"]:
        assert plan["nextDueDate"] in table.text
    assert "2型糖尿病" in table.text
    page.until(lambda: DIABETIC in table.text, "the resident's name, not the record's id")
    page.shot("15-clinic-overdue")


def test_find_by_name_and_record_a_follow_up(page: Page) -> None:
    token = _as_doctor(page)
    page.choose("find-mode", "byName")
    page.fill("find-query", DIABETIC)
    page.click("find-submit")
    page.until(lambda: DIABETIC in page.find("residents").text)
    page.click("open-record")
    assert DIABETIC in page.find("record-title").text
    page.choose("fu-program", "PROGRAM_TYPE2_DIABETES")
    page.fill("fu-systolic", "150")
    page.fill("fu-diastolic", "95")
    page.fill("fu-glucose", "8.1")
    page.fill("fu-heart", "72")
    page.click("fu-save")
    result = page.find("fu-result")
    record = page.driver.current_url  # #/record/resident/<id>: ask the API for the same record
    resident = record.rsplit("/", 1)[1]
    records = page.platform.get(f"/archives/v1/healthRecords?resident=residents/{resident}", token)
    name = records["records"][0]["name"]
    latest = page.platform.get(f"/archives/v1/{name}/followUps", token)["followUps"][-1]
    assert result.get_attribute("data-classification") == latest["classification"]
    assert result.get_attribute("data-next-due") == latest["nextDueDate"]
    assert latest["nextDueDate"] in result.text
    assert "控制不满意" in result.text  # glucose 8.1 and 150/95: not controlled
    page.until(lambda: latest["nextDueDate"] in page.find("follow-ups").text)
    page.shot("16-clinic-follow-up-recorded")


def test_auditor_verifies_the_chain_and_sees_who_viewed_the_resident(page: Page) -> None:
    doctor = page.platform.login(DOCTOR, XUZHOU)["accessToken"]
    status, found = page.platform.request(
        "POST", "/identity/v1/residents:search", {"displayName": DIABETIC}, token=doctor
    )
    assert status == 200, found
    resident = found["matches"][0]["resident"]["residentId"]
    page.sign_in("js-auditor", JIANGSU)
    page.signed_in()
    page.click("verify-chain")
    report = page.find("chain-report")
    assert report.get_attribute("data-intact") == "true"
    assert "审计链完整" in report.text
    page.fill("audit-resident", resident)
    page.click("audit-search")
    events = page.find("audit-events")
    page.until(lambda: DOCTOR in events.text, "actors by username, not id")
    assert "社区卫生服务中心" in events.text
    page.shot("17-auditor-who-viewed")


# The browser's clock moved to a given moment (it keeps running from there): the console's
# own script, not ours, reads it through Date.
_MOVED_CLOCK = """
(() => {
  const Real = Date;
  const offset = %d - Real.now();
  class Moved extends Real {
    constructor(...args) { if (args.length === 0) { super(Real.now() + offset); } else { super(...args); } }
    static now() { return Real.now() + offset; }
  }
  window.Date = Moved;
})();
"""


def test_a_follow_up_is_dated_today_in_china_at_dawn(page: Page) -> None:
    """At 06:30 in China (22:30 UTC the day before) the follow-up form offers China's date,
    the day the services call today, not the browser's UTC date."""
    china_day = clinical_day(datetime.now(UTC))
    dawn = datetime.combine(china_day - timedelta(days=1), time(22, 30), UTC)
    script = page.driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {"source": _MOVED_CLOCK % int(dawn.timestamp() * 1000)},
    )
    try:
        page.reset()
        _as_doctor(page)
        page.choose("find-mode", "byName")
        page.fill("find-query", DIABETIC)
        page.click("find-submit")
        page.until(lambda: DIABETIC in page.find("residents").text)
        page.click("open-record")
        moved = page.driver.execute_script("return new Date().toISOString()")
        assert moved.startswith((china_day - timedelta(days=1)).isoformat())  # UTC lags
        assert page.find("fu-date").get_attribute("value") == china_day.isoformat()
    finally:
        page.driver.execute_cdp_cmd(
            "Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]}
        )
        page.reset()
