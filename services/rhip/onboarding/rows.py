"""What an onboarding sheet says, checked row by row before anything is sent: institutions
(机构) and users (用户), with every problem named where a person finds it: sheet, row, column
(as the sheet spells it) and why. The platform checks everything again (this is for a useful
report before a 1,600-row import, not a second line of defence).

Columns may be written in English or Chinese (``ALIASES``); a sheet is read as institutions
or users by its columns; an unknown column is a problem (a misspelt optional column would
otherwise be dropped without a word). Importable by the console as it is by the command."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from rhip.api.common.v1 import common_pb2
from rhip.api.identity.v1 import tenant_pb2
from rhip.kit.tenancy import catalog
from rhip.onboarding.sheet import Row, Table
from stdnum.cn import uscc

ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "institutions": {
        "display_name": ("display_name", "机构名称", "名称"),
        "type": ("type", "机构类型", "类型"),
        "level": ("level", "等级", "医院等级"),
        "region_code": ("region_code", "区划代码", "行政区划代码"),
        "credit_code": ("credit_code", "统一社会信用代码", "信用代码"),
    },
    "users": {
        "username": ("username", "用户名", "登录名"),
        "display_name": ("display_name", "姓名"),
        "kind": ("kind", "role", "角色", "用户类型"),
        "institution": ("institution", "所属机构", "机构"),
        "region_code": ("region_code", "区划代码", "行政区划代码"),
        "password": ("password", "初始密码"),
    },
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "institutions": ("display_name", "type", "region_code"),
    "users": ("username", "display_name", "kind"),
}
TYPES = {
    "村卫生室": tenant_pb2.TENANT_TYPE_VILLAGE_CLINIC,
    "乡镇卫生院": tenant_pb2.TENANT_TYPE_TOWNSHIP_HOSPITAL,
    "社区卫生服务中心": tenant_pb2.TENANT_TYPE_COMMUNITY_HEALTH_CENTER,
    "社区卫生服务站": tenant_pb2.TENANT_TYPE_COMMUNITY_HEALTH_STATION,
    "县级医院": tenant_pb2.TENANT_TYPE_COUNTY_HOSPITAL,
    "妇幼保健院": tenant_pb2.TENANT_TYPE_MCH_HOSPITAL,
    "疾病预防控制中心": tenant_pb2.TENANT_TYPE_CDC,
    "三级医院": tenant_pb2.TENANT_TYPE_TERTIARY_HOSPITAL,
    "其他": tenant_pb2.TENANT_TYPE_OTHER,
    # Not a health institution: identity gives its service accounts the verifier role only.
    "公安机关": tenant_pb2.TENANT_TYPE_PUBLIC_SECURITY,
}
LEVELS = {
    "": tenant_pb2.TENANT_LEVEL_UNSPECIFIED,
    "一级": tenant_pb2.TENANT_LEVEL_PRIMARY,
    "二级": tenant_pb2.TENANT_LEVEL_SECONDARY,
    "三级": tenant_pb2.TENANT_LEVEL_TERTIARY,
}
KINDS = {
    "practitioner": common_pb2.PRINCIPAL_KIND_PRACTITIONER,
    "医务人员": common_pb2.PRINCIPAL_KIND_PRACTITIONER,
    "医生": common_pb2.PRINCIPAL_KIND_PRACTITIONER,
    "regional_admin": common_pb2.PRINCIPAL_KIND_REGIONAL_ADMIN,
    "管理员": common_pb2.PRINCIPAL_KIND_REGIONAL_ADMIN,
    "auditor": common_pb2.PRINCIPAL_KIND_AUDITOR,
    "审计员": common_pb2.PRINCIPAL_KIND_AUDITOR,
}
_USERNAME = re.compile(r"[a-z0-9._-]{3,64}")
_PASSWORD_RULE = "at least 12 characters with letters and digits"


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int  # as Excel numbers it (1: the header row)
    column: str  # as the sheet spells it ("机构名称"); "" for the whole row
    reason: str

    def __str__(self) -> str:
        where = f"{self.sheet} row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class Institution:
    sheet: str
    row: int
    display_name: str
    type: int  # tenant_pb2.TenantType
    level: int  # tenant_pb2.TenantLevel
    region_code: str
    credit_code: str  # "" when the sheet gives none

    @property
    def key(self) -> str:
        """What makes it the same institution on a re-run: its credit code, else its county
        and name."""
        return self.credit_code or f"{self.region_code}/{self.display_name}"


@dataclass(frozen=True)
class Person:
    sheet: str
    row: int
    username: str
    display_name: str
    kind: int  # common_pb2.PrincipalKind
    institution: str  # a practitioner's institution: its credit code or its name
    region_code: str  # a regional administrator's or auditor's region
    password: str = field(default="", repr=False)  # "" : one is generated


@dataclass
class Parsed:
    institutions: list[Institution] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    columns: dict[tuple[str, str], str] = field(default_factory=dict)  # (sheet, field) → header

    def column(self, sheet: str, name: str) -> str:
        return self.columns.get((sheet, name), name)


def parse(tables: list[Table]) -> Parsed:
    """Every row of every table checked; the rows without problems parsed."""
    parsed = Parsed()
    for table in tables:
        kind = _kind_of(table)
        if kind is None:
            parsed.problems.append(
                Problem(
                    table.name, 1, "",
                    "neither institutions (机构名称, 机构类型, 区划代码) nor users (用户名, 姓名, 角色)",
                )
            )  # fmt: skip
            continue
        fields = _columns(table, kind, parsed)
        if fields is None:
            continue
        for row in table.rows:
            one = _Row(table.name, row, fields, parsed)
            if kind == "institutions":
                institution = _institution(one)
                if institution is not None and one.ok:
                    parsed.institutions.append(institution)
            else:
                person = _person(one)
                if person is not None and one.ok:
                    parsed.people.append(person)
    _duplicates(parsed)
    return parsed


def _kind_of(table: Table) -> str | None:
    names = set(table.headers)
    for kind in ("users", "institutions"):  # users first: both have a region code
        if set(ALIASES[kind][REQUIRED[kind][0]]) & names:
            return kind
    return None


def _columns(table: Table, kind: str, parsed: Parsed) -> dict[str, str] | None:
    """field → the header naming it; unknown or missing columns are problems (None)."""
    by_alias = {alias: name for name, aliases in ALIASES[kind].items() for alias in aliases}
    fields: dict[str, str] = {}
    bad = False
    for header in table.headers:
        if not header:
            continue
        name = by_alias.get(header) or by_alias.get(header.lower())
        if name is None:
            known = ", ".join(a[0] for a in ALIASES[kind].values())
            parsed.problems.append(
                Problem(table.name, 1, header, f"not a column of {kind} (known: {known})")
            )
            bad = True
            continue
        fields[name] = header
        parsed.columns[(table.name, name)] = header
    for name in REQUIRED[kind]:
        if name not in fields:
            aliases = " or ".join(ALIASES[kind][name])
            parsed.problems.append(Problem(table.name, 1, aliases, "required column missing"))
            bad = True
    return None if bad else fields


class _Row:
    """One row's values by field, and the problems found in it."""

    def __init__(self, sheet: str, row: Row, fields: dict[str, str], parsed: Parsed) -> None:
        self.sheet, self.row, self.fields, self.parsed = sheet, row, fields, parsed
        self.ok = True

    def get(self, name: str) -> str:
        header = self.fields.get(name)
        return self.row.values.get(header, "") if header else ""

    def problem(self, name: str, reason: str) -> None:
        self.ok = False
        self.parsed.problems.append(
            Problem(self.sheet, self.row.number, self.fields.get(name, name), reason)
        )

    def required(self, name: str, longest: int = 100) -> str:
        value = self.get(name)
        if not value:
            self.problem(name, "required")
        elif len(value) > longest:
            self.problem(name, f"at most {longest} characters")
        return value

    def region(self, name: str, required: bool) -> str:
        code = self.get(name)
        if not code:
            if required:
                self.problem(name, "required")
        elif not re.fullmatch(r"\d{6}", code):
            self.problem(name, "a 6-digit GB/T 2260 code, e.g. 320311")
        elif catalog().get(code) is None:
            self.problem(name, f"{code} is not a GB/T 2260 code in force")
        return code


def _institution(one: _Row) -> Institution | None:
    name = one.required("display_name")
    raw_type = one.get("type")
    kind = _enum(raw_type, TYPES, tenant_pb2.TenantType, "TENANT_TYPE_")
    if not raw_type:
        one.problem("type", "required")
    elif kind is None:
        one.problem("type", f"one of {', '.join(TYPES)} (or VILLAGE_CLINIC …)")
    level = _enum(one.get("level"), LEVELS, tenant_pb2.TenantLevel, "TENANT_LEVEL_")
    if level is None:
        one.problem("level", "一级, 二级, 三级 or empty")
    region = one.region("region_code", required=True)
    credit = one.get("credit_code").upper()
    if credit and not uscc.is_valid(credit):
        one.problem("credit_code", "not a valid unified social credit code (GB 32100: check digit)")
    if not one.ok:
        return None
    return Institution(one.sheet, one.row.number, name, kind or 0, level or 0, region, credit)


def _person(one: _Row) -> Person | None:
    username = one.required("username", 64).lower()
    if username and not _USERNAME.fullmatch(username):
        one.problem("username", "3–64 characters of a-z 0-9 . _ -")
    name = one.required("display_name")
    raw_kind = one.get("kind")
    kind = KINDS.get(raw_kind.lower()) if raw_kind else None
    if raw_kind and kind is None:
        one.problem("kind", f"one of {', '.join(KINDS)}")
    elif not raw_kind:
        one.problem("kind", "required")
    institution, region = one.get("institution"), ""
    if kind == common_pb2.PRINCIPAL_KIND_PRACTITIONER and not institution:
        one.problem("institution", "a practitioner's institution (its credit code or name)")
    if kind is not None and kind != common_pb2.PRINCIPAL_KIND_PRACTITIONER:
        if institution:
            one.problem("institution", "only practitioners belong to an institution")
        region = one.region("region_code", required=True)
    password = one.get("password")
    if password and not (
        len(password) >= 12 and re.search(r"[A-Za-z]", password) and re.search(r"\d", password)
    ):
        one.problem("password", _PASSWORD_RULE)
    if not one.ok or kind is None:
        return None
    return Person(one.sheet, one.row.number, username, name, kind, institution, region, password)


def _enum(value: str, labels: Mapping[str, int], enum: object, prefix: str) -> int | None:
    """A label (村卫生室), or the enum's name with or without its prefix (VILLAGE_CLINIC)."""
    if value in labels:
        return int(labels[value])
    name = value.upper().replace(" ", "_").replace("-", "_")
    try:
        return int(enum.Value(name if name.startswith(prefix) else prefix + name))  # type: ignore[attr-defined]
    except ValueError:
        return None


def _duplicates(parsed: Parsed) -> None:
    """The same institution or username twice in the file: the later rows are problems."""
    seen: dict[str, Institution] = {}
    for institution in list(parsed.institutions):
        first = seen.setdefault(institution.key, institution)
        if first is not institution:
            parsed.institutions.remove(institution)
            column = "credit_code" if institution.credit_code else "display_name"
            parsed.problems.append(
                Problem(
                    institution.sheet, institution.row,
                    parsed.column(institution.sheet, column),
                    f"the same institution as {first.sheet} row {first.row}",
                )
            )  # fmt: skip
    users: dict[str, Person] = {}
    for person in list(parsed.people):
        first_person = users.setdefault(person.username, person)
        if first_person is not person:
            parsed.people.remove(person)
            parsed.problems.append(
                Problem(
                    person.sheet, person.row, parsed.column(person.sheet, "username"),
                    f"the same username as {first_person.sheet} row {first_person.row}",
                )
            )  # fmt: skip
