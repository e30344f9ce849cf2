"""``rhip admin import`` as an administrator runs it, against the real platform on loopback
(a gateway and the Jiangsu and Shandong cells on SQLite): a dry run that changes nothing,
an import that creates what the caller's region covers and reports, per row, what the
platform refused (an institution in Shandong, an administrator for Nanjing), users whose
generated passwords log in, and a second run of the same file that changes nothing and says
so. Everything goes through the gateway's public RPCs with the caller's own token."""

from __future__ import annotations

import csv
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from onboarding.test_rows import credit
from openpyxl import Workbook
from rhip.api.identity.v1 import identity_service_pb2 as ipb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.cli import main
from rhip.demo import DEMO_PASSWORD
from support.two_cells import cells_behind_gateway

XUZHOU = "320300"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = Path(tmp_path_factory.mktemp("import"))
    with cells_behind_gateway(work, lambda name: f"sqlite:///{work / name}.db") as (address, _):
        yield address


def _login(gateway: str, username: str, password: str, region: str = XUZHOU) -> ipb.LoginResponse:
    with grpc.insecure_channel(gateway) as channel:
        return identity_service_pb2_grpc.IdentityServiceStub(channel).Login(
            ipb.LoginRequest(
                password=ipb.PasswordCredentials(username=username, password=password)
            ),
            metadata=[("x-rhip-region", region)],
            timeout=15,
        )


def _tenants(gateway: str, token: str) -> list[str]:
    with grpc.insecure_channel(gateway) as channel:
        listed = identity_service_pb2_grpc.IdentityServiceStub(channel).ListTenants(
            ipb.ListTenantsRequest(parent=f"regions/{XUZHOU}", page_size=1000),
            metadata=[("authorization", f"Bearer {token}")],
            timeout=15,
        )
    return sorted(t.display_name for t in listed.tenants)


def _workbook(path: Path) -> Path:
    book = Workbook()
    units = book.active
    units.title = "机构"
    units.append(["机构名称", "机构类型", "等级", "区划代码", "统一社会信用代码"])
    units.append(["泉山区导入测试卫生院", "乡镇卫生院", "一级", 320311, credit("11")])  # row 2
    units.append(["铜山区导入测试卫生室", "村卫生室", None, "320312", None])  # row 3
    units.append(["市中区导入测试卫生室", "村卫生室", None, "370402", None])  # row 4: Shandong
    units.append(
        ["泉山区永安街道社区卫生服务中心", "社区卫生服务中心", "一级", "320311", None]
    )  # demo
    people = book.create_sheet("用户")
    people.append(["用户名", "姓名", "角色", "所属机构", "区划代码"])
    people.append(["import-doc-1", "导入医生甲", "医务人员", credit("11"), None])  # row 2
    people.append(["import-doc-2", "导入医生乙", "医务人员", "铜山区导入测试卫生室", None])
    people.append(["import-doc-3", "导入医生丙", "医务人员", "沛县人民医院", None])  # demo unit
    people.append(["import-qs-admin", "泉山导入管理员", "管理员", None, "320311"])
    people.append(["import-nj-admin", "南京导入管理员", "管理员", None, "320100"])  # row 6: Nanjing
    people.append(["import-doc-4", "导入医生丁", "医务人员", "不存在的卫生院", None])  # row 7
    book.save(path)
    return path


def _run(gateway: str, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["admin", "import", "--gateway", gateway, "--username", "xz-admin",
                 "--region", XUZHOU, *args])  # fmt: skip
    out, err = capsys.readouterr()
    return code, out, err


def test_dry_run_import_and_rerun(
    gateway: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RHIP_PASSWORD", DEMO_PASSWORD)
    book = _workbook(tmp_path / "徐州第一批.xlsx")
    admin = _login(gateway, "xz-admin", DEMO_PASSWORD).access_token
    before = _tenants(gateway, admin)

    code, out, err = _run(gateway, "--dry-run", str(book), capsys=capsys)
    assert code == 1  # two rows will be refused and one names no institution
    assert "dry run: nothing was changed" in out
    assert "institutions: 4/4 (100%)" in err and "users: 6/6 (100%)" in err  # progress
    assert (
        "机构 row 4, column 区划代码 (市中区导入测试卫生室): refused: 370402 is outside the region "
        "your account administers (PERMISSION_DENIED" in out
    )
    assert "机构 row 2 (泉山区导入测试卫生院): would create" in out
    assert _tenants(gateway, admin) == before

    passwords = tmp_path / "passwords.csv"
    report = tmp_path / "report.csv"
    code, out, err = _run(
        gateway, "--passwords-out", str(passwords), "--report", str(report), str(book),
        capsys=capsys,
    )  # fmt: skip
    assert code == 1
    assert "import finished; 6 created, 1 invalid, 2 refused, 1 unchanged" in out, out
    assert "用户 row 6, column 区划代码 (import-nj-admin): refused: 320100 is outside" in out
    assert "用户 row 7, column 所属机构 (import-doc-4): invalid: no institution" in out
    after = _tenants(gateway, admin)
    assert set(after) - set(before) == {"泉山区导入测试卫生院", "铜山区导入测试卫生室"}
    rows = list(csv.DictReader(report.open(encoding="utf-8-sig")))
    assert {(r["sheet"], r["row"], r["status"]) for r in rows} >= {("机构", "5", "unchanged")}
    # Generated passwords: in a file only the caller reads, and they log in.
    assert stat.S_IMODE(os.stat(passwords).st_mode) == 0o600
    made = dict(list(csv.reader(passwords.open(encoding="utf-8")))[1:])
    assert set(made) == {"import-doc-1", "import-doc-2", "import-doc-3", "import-qs-admin"}
    doctor = _login(gateway, "import-doc-1", made["import-doc-1"]).principal
    assert doctor.tenant_id and doctor.region_code == "320311"
    assert made["import-doc-1"] not in out + err  # printed nowhere else

    code, out, _ = _run(gateway, "--passwords-out", str(passwords), str(book), capsys=capsys)
    assert "nothing changed (every importable row was already there)" in out
    assert "created" not in out and "1 invalid, 2 refused, 7 unchanged" in out, out
    assert _tenants(gateway, admin) == after


def test_a_file_that_cannot_be_read_is_a_usage_error(
    gateway: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert main(["admin", "import", "--gateway", gateway, str(text)]) == 2
    assert "a .csv or .xlsx file is expected" in capsys.readouterr().err
    sheet = tmp_path / "empty.csv"
    sheet.write_text("用户名,姓名,角色\n", encoding="utf-8")
    missing_ca = ["--tls-ca", str(tmp_path / "no-ca.pem"), str(sheet)]
    assert main(["admin", "import", "--gateway", gateway, *missing_ca]) == 2
    assert "--tls-ca" in capsys.readouterr().err
