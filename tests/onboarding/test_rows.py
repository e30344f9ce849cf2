"""Reading and checking an onboarding file without a platform (rhip.onboarding.sheet and
.rows): CSV in UTF-8 or GB18030, Excel with numbers typed as numbers, Chinese or English
columns, and a problem per bad cell naming the sheet, the row as Excel numbers it, the
column as the sheet spells it, and why."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from rhip.api.common.v1 import common_pb2
from rhip.api.identity.v1 import tenant_pb2
from rhip.onboarding.rows import parse
from rhip.onboarding.sheet import read_tables
from stdnum.cn import uscc


def credit(serial: str) -> str:
    """A valid unified social credit code for a Xuzhou institution."""
    body = f"12320311MB{serial:0>7}"
    return body + uscc.calc_check_digit(body)


def test_a_workbook_with_institutions_and_users(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "机构"
    sheet.append(["机构名称", "机构类型", "等级", "区划代码", "统一社会信用代码"])
    sheet.append(["泉山区测试卫生院", "乡镇卫生院", "一级", 320311, credit("1")])  # a number
    sheet.append([None, None, None, None, None])  # blank rows are skipped
    sheet.append(["泉山区测试卫生室", "VILLAGE_CLINIC", None, "320311", None])
    users = book.create_sheet("用户")
    users.append(["username", "display_name", "kind", "institution", "region_code"])
    users.append(["qs-test-doc", "测试医生", "医务人员", credit("1"), None])
    users.append(["qs-test-admin", "测试管理员", "regional_admin", None, 320311])
    path = tmp_path / "onboarding.xlsx"
    book.save(path)

    parsed = parse(read_tables(path))
    assert parsed.problems == []
    first, second = parsed.institutions
    assert (first.row, first.region_code, first.level) == (
        2,
        "320311",
        tenant_pb2.TENANT_LEVEL_PRIMARY,
    )
    assert second.row == 4 and second.type == tenant_pb2.TENANT_TYPE_VILLAGE_CLINIC
    assert second.key == "320311/泉山区测试卫生室"  # no credit code: county and name
    doctor, admin = parsed.people
    assert doctor.kind == common_pb2.PRINCIPAL_KIND_PRACTITIONER and doctor.institution == credit(
        "1"
    )
    assert admin.region_code == "320311" and admin.institution == ""


def test_every_problem_names_its_row_column_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "第一批.csv"
    good = credit("2")
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    path.write_text(
        "机构名称,机构类型,区划代码,统一社会信用代码\n"
        f"正确的卫生院,乡镇卫生院,320311,{good}\n"
        f",乡镇卫生院,320311,\n"  # row 3: no name
        f"类型错误,诊所,320311,\n"  # row 4: unknown type
        f"区划错误,村卫生室,329999,\n"  # row 5: no such county
        f"代码错误,村卫生室,320311,{bad_check}\n"  # row 6: check digit
        f"重复的卫生院,乡镇卫生院,320311,{good}\n",  # row 7: the same credit code as row 2
        encoding="gb18030",  # as Excel on a Chinese Windows saves CSV
    )
    parsed = parse(read_tables(path))
    found = {(p.row, p.column): p.reason for p in parsed.problems}
    assert found[(3, "机构名称")] == "required"
    assert "乡镇卫生院" in found[(4, "机构类型")]
    assert "329999" in found[(5, "区划代码")]
    assert "check digit" in found[(6, "统一社会信用代码")]
    assert found[(7, "统一社会信用代码")] == "the same institution as 第一批 row 2"
    assert [i.row for i in parsed.institutions] == [2]
    assert str(parsed.problems[0]).startswith("第一批 row 3, column 机构名称: ")


def test_users_are_checked_by_kind(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text(
        "用户名,姓名,角色,所属机构,区划代码,初始密码\n"
        "Bad Name,甲,医务人员,某卫生院,,\n"  # row 2: username
        "doc-no-unit,乙,医务人员,,,\n"  # row 3: practitioner without institution
        "admin-no-region,丙,管理员,,,\n"  # row 4: admin without region
        "admin-with-unit,丁,管理员,某卫生院,320311,\n"  # row 5: admin with an institution
        "weak-pass,戊,审计员,,320311,short\n"  # row 6: password policy
        "who,己,院长,,,\n"  # row 7: unknown kind
        "fine-auditor,庚,审计员,,320311,\n"
        "fine-auditor,辛,审计员,,320311,\n",  # row 9: duplicate username
        encoding="utf-8-sig",
    )
    parsed = parse(read_tables(path))
    found = {(p.row, p.column) for p in parsed.problems}
    assert found == {
        (2, "用户名"), (3, "所属机构"), (4, "区划代码"), (5, "所属机构"), (6, "初始密码"),
        (7, "角色"), (9, "用户名"),
    }  # fmt: skip
    assert [p.username for p in parsed.people] == ["fine-auditor"]
    assert not any("short" in str(p) for p in parsed.problems)  # a password is never echoed


def test_unknown_columns_and_sheets_are_named(tmp_path: Path) -> None:
    path = tmp_path / "typo.csv"
    path.write_text("机构名称,机构类型,区划代玛\n卫生院,乡镇卫生院,320311\n", encoding="utf-8")
    problems = [str(p) for p in parse(read_tables(path)).problems]
    assert "typo row 1, column 区划代玛: not a column of institutions" in problems[0]
    assert "required column missing" in problems[1]
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    assert "neither institutions" in str(parse(read_tables(other)).problems[0])
