"""Bringing what a sheet says onto the platform, through the gateway's public RPCs with the
administrator's own token: the platform decides what the caller may do, so a row outside the
caller's region is refused by the platform (and reported), never written by this code.

Idempotent: what already exists is found first (institutions by credit code, else by county
and name; users by username) and reported "unchanged"; what is created is created with a
request id derived from the caller and the row's key, so an interrupted run that is started
again replays its own creates instead of doubling them. A dry run lists and compares but
creates nothing. Progress goes to a callback after every row (the command prints it).

Paced by the platform: a call refused RESOURCE_EXHAUSTED (the gateway's rate limit per caller,
which a 1,600-row import reaches within seconds) is retried after the delay the refusal names,
so a long import slows down instead of reporting rows as refused (creates carry request ids:
a retry never doubles one)."""

from __future__ import annotations

import secrets
import string
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
import jwt
from rhip.api.common.v1 import common_pb2
from rhip.api.identity.v1 import identity_service_pb2 as ipb
from rhip.api.identity.v1 import identity_service_pb2_grpc, tenant_pb2, user_pb2
from rhip.kit.errors import RhipError, from_rpc_error
from rhip.onboarding.rows import Institution, Parsed, Person, Problem

# Request ids of import rows: uuid5 of this namespace, the caller and the row's key.
IMPORT_NAMESPACE = uuid.UUID("5d1c6f0e-2f43-4d0a-9a51-3f0a4f4f1b7e")
PAGE = 1000  # the largest page ListTenants / ListUsers give
RATE_LIMIT_RETRIES = 60  # per call: at the platform's default pace, a minute of patience
RATE_LIMIT_PAUSE = (0.05, 5.0)  # seconds: bounds of the pause before a retry
# Field paths the platform names in its violations → the sheet's columns.
FIELDS = {"tenant": "display_name", "user": "username"}


@dataclass(frozen=True)
class RowResult:
    sheet: str
    row: int
    what: str  # the institution's name or the username, as a person reads the report
    status: str  # created | unchanged | would create | refused | invalid
    column: str = ""
    reason: str = ""

    def __str__(self) -> str:
        where = f"{self.sheet} row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where} ({self.what}): {self.status}" + (f": {self.reason}" if self.reason else "")


@dataclass
class Report:
    results: list[RowResult] = field(default_factory=list)
    # Passwords generated for users whose row gave none: (username, password), for the
    # administrator to hand over (the command writes them to a file only the caller reads).
    credentials: list[tuple[str, str]] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        return Counter(r.status for r in self.results)

    @property
    def ok(self) -> bool:
        return not any(r.status in ("refused", "invalid") for r in self.results)


@dataclass(frozen=True)
class Progress:
    kind: str  # "institutions" or "users"
    done: int
    total: int
    counts: Counter[str]


class Importer:
    """One import run by one caller."""

    def __init__(
        self,
        channel: grpc.Channel,
        token: str,
        *,
        dry_run: bool = False,
        progress: Callable[[Progress], None] | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._stub = identity_service_pb2_grpc.IdentityServiceStub(channel)
        self._md = (("authorization", f"Bearer {token}"),)
        # Only to know where to look first and to key request ids: the platform verifies it.
        claims = jwt.decode(token, options={"verify_signature": False})
        self._caller = str(claims.get("sub", ""))
        self._caller_region = str(claims.get("reg", ""))
        self._dry_run = dry_run
        self._progress = progress
        self._timeout = timeout
        self._tenants: dict[str, list[tenant_pb2.Tenant]] = {}  # region listed → its tenants
        self._refused_regions: dict[str, RhipError] = {}
        # The file's institutions and their tenant ids ("": still to be created, in a dry run).
        self._planned: list[tuple[Institution, str]] = []
        self._users: dict[str, set[str]] = {}  # parent listed → usernames
        self._parsed = Parsed()

    def run(self, parsed: Parsed) -> Report:
        report = Report()
        self._parsed = parsed
        for problem in parsed.problems:
            report.results.append(_invalid(problem))
        self._each("institutions", parsed.institutions, self._institution, report)
        self._each("users", parsed.people, self._person, report)
        report.results.sort(key=lambda r: (r.sheet, r.row))
        return report

    def _each(self, kind: str, items: list, step: Callable, report: Report) -> None:
        counts: Counter[str] = Counter()
        for done, item in enumerate(items, start=1):
            result = step(item, report)
            counts[result.status] += 1
            report.results.append(result)
            if self._progress is not None:
                self._progress(Progress(kind, done, len(items), counts))

    # -- institutions ------------------------------------------------------------------------
    def _institution(self, row: Institution, report: Report) -> RowResult:
        def result(status: str, reason: str = "", column: str = "") -> RowResult:
            header = self._parsed.column(row.sheet, column) if column else ""
            return RowResult(row.sheet, row.row, row.display_name, status, header, reason)

        try:
            existing = self._find(row)
        except RhipError as error:
            return result("refused", _outside(row.region_code, error), "region_code")
        if existing is not None:
            self._planned.append((row, existing.tenant_id))
            return result("unchanged", _differences(existing, row))
        if self._dry_run:
            self._planned.append((row, ""))
            return result("would create")
        request = ipb.CreateTenantRequest(
            tenant=tenant_pb2.Tenant(
                display_name=row.display_name, type=row.type, level=row.level,  # type: ignore[arg-type]
                region_code=row.region_code, credit_code=row.credit_code,
            ),
            request_id=self._request_id("tenant", row.key),
        )  # fmt: skip
        try:
            made = self._call(self._stub.CreateTenant, request)
        except grpc.RpcError as rpc_error:
            refused = from_rpc_error(rpc_error)
            return result("refused", _why(refused), _column(refused, "tenant."))
        self._planned.append((row, made.tenant_id))
        self._tenants.setdefault(row.region_code, []).append(made)
        return result("created")

    def _find(self, row: Institution) -> tenant_pb2.Tenant | None:
        for tenant in self._listed(row.region_code):
            if row.credit_code and tenant.credit_code == row.credit_code:
                return tenant
            same_place = (tenant.region_code, tenant.display_name) == (
                row.region_code,
                row.display_name,
            )
            if same_place and not (row.credit_code and tenant.credit_code):
                return tenant
        return None

    def _listed(self, region: str) -> list[tenant_pb2.Tenant]:
        """The tenants of a region subtree, listed once per run; a region the caller may not
        list raises the platform's refusal (again for every row in it)."""
        if region in self._refused_regions:
            raise self._refused_regions[region]
        if region not in self._tenants:
            found: list[tenant_pb2.Tenant] = []
            token = ""
            while True:
                request = ipb.ListTenantsRequest(
                    parent=f"regions/{region}", page_size=PAGE, page_token=token
                )
                try:
                    page = self._call(self._stub.ListTenants, request)
                except grpc.RpcError as rpc_error:
                    self._refused_regions[region] = from_rpc_error(rpc_error)
                    raise self._refused_regions[region] from None
                found.extend(page.tenants)
                token = page.next_page_token
                if not token:
                    break
            self._tenants[region] = found
        return self._tenants[region]

    # -- users ---------------------------------------------------------------------------------
    def _person(self, row: Person, report: Report) -> RowResult:
        def result(status: str, reason: str = "", column: str = "") -> RowResult:
            header = self._parsed.column(row.sheet, column) if column else ""
            return RowResult(row.sheet, row.row, row.username, status, header, reason)

        tenant_id = ""
        if row.kind == common_pb2.PRINCIPAL_KIND_PRACTITIONER:
            found = self._institution_of(row.institution)
            if isinstance(found, str) and found.startswith("!"):
                return result("invalid", found[1:], "institution")
            tenant_id = found
        parent = f"tenants/{tenant_id}" if tenant_id else f"regions/{row.region_code}"
        if tenant_id or row.kind != common_pb2.PRINCIPAL_KIND_PRACTITIONER:
            try:
                if row.username in self._usernames(parent):
                    return result("unchanged")
            except RhipError as error:
                if tenant_id:
                    return result("refused", _why(error), "institution")
                return result("refused", _outside(row.region_code, error), "region_code")
        if self._dry_run:
            return result("would create")
        password = row.password or _new_password()
        request = ipb.CreateUserRequest(
            user=user_pb2.User(
                username=row.username, display_name=row.display_name, kind=row.kind,  # type: ignore[arg-type]
                tenant_id=tenant_id, region_code=row.region_code,
            ),
            password=password,
            request_id=self._request_id("user", row.username),
        )  # fmt: skip
        try:
            self._call(self._stub.CreateUser, request)
        except grpc.RpcError as rpc_error:
            refused = from_rpc_error(rpc_error)
            return result("refused", _why(refused), _column(refused, "user."))
        if not row.password:
            report.credentials.append((row.username, password))
        return result("created")

    def _institution_of(self, reference: str) -> str:
        """The tenant id a practitioner's institution cell names (credit code or name): one
        of this file's institutions, or one the caller's region already has; "" in a dry run
        when it is still to be created; "!why" when none or several match."""
        planned = {
            tenant_id
            for row, tenant_id in self._planned
            if reference.upper() == row.credit_code or reference == row.display_name
        }
        if len(planned) == 1:
            return planned.pop()
        if len(planned) > 1:
            return f"!{len(planned)} institutions of this file are named {reference}: give its credit code"
        try:
            tenants = self._listed(self._caller_region) if self._caller_region else []
        except RhipError as error:
            return "!" + _why(error)
        matches = [
            t for t in tenants if reference.upper() == t.credit_code or reference == t.display_name
        ]
        if not matches:
            return f"!no institution with this credit code or name in region {self._caller_region}"
        if len(matches) > 1:
            return f"!{len(matches)} institutions are named {reference}: give its credit code"
        return str(matches[0].tenant_id)

    def _usernames(self, parent: str) -> set[str]:
        if parent not in self._users:
            names: set[str] = set()
            token = ""
            while True:
                request = ipb.ListUsersRequest(parent=parent, page_size=PAGE, page_token=token)
                try:
                    page = self._call(self._stub.ListUsers, request)
                except grpc.RpcError as rpc_error:
                    raise from_rpc_error(rpc_error) from None
                names.update(u.username for u in page.users)
                token = page.next_page_token
                if not token:
                    break
            self._users[parent] = names
        return self._users[parent]

    def _call(self, method: Callable[..., Any], request: object) -> Any:
        """``method(request)`` with the caller's token, retried while the platform answers
        RESOURCE_EXHAUSTED (its rate limit), after the pause its RetryInfo asks for."""
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            try:
                return method(request, metadata=self._md, timeout=self._timeout)
            except grpc.RpcError as rpc_error:
                limited = rpc_error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
                if not limited or attempt == RATE_LIMIT_RETRIES:
                    raise
                wait = from_rpc_error(rpc_error).retry_after_seconds or RATE_LIMIT_PAUSE[0]
                time.sleep(min(max(wait, RATE_LIMIT_PAUSE[0]), RATE_LIMIT_PAUSE[1]))
        raise AssertionError("unreachable")  # the last attempt returned or raised

    def _request_id(self, kind: str, key: str) -> str:
        return str(uuid.uuid5(IMPORT_NAMESPACE, "/".join((self._caller, kind, key))))


def _invalid(problem: Problem) -> RowResult:
    return RowResult(problem.sheet, problem.row, "", "invalid", problem.column, problem.reason)


def _why(error: RhipError) -> str:
    """The platform's answer as the report shows it: code, reason and the first violation."""
    detail = error.violations[0].description if error.violations else error.message
    reason = f" {error.reason}" if error.reason != error.code.name else ""
    return f"{error.code.name}{reason}: {detail}"


def _outside(region: str, error: RhipError) -> str:
    """A region the platform would not let the caller look into: most likely not theirs."""
    if error.code is grpc.StatusCode.PERMISSION_DENIED:
        return f"{region} is outside the region your account administers ({_why(error)})"
    return _why(error)


def _column(error: RhipError, prefix: str) -> str:
    """The sheet column the platform's first violation names (``tenant.credit_code``)."""
    if not error.violations:
        return ""
    return error.violations[0].field.removeprefix(prefix)


def _differences(existing: tenant_pb2.Tenant, row: Institution) -> str:
    """What the sheet says differently from the platform (not applied: an import creates)."""
    changed = [
        name
        for name, theirs, ours in (
            ("display_name", existing.display_name, row.display_name),
            ("type", existing.type, row.type),
            ("level", existing.level, row.level),
        )
        if theirs != ours
    ]
    return f"exists; differs in {', '.join(changed)} (not changed)" if changed else "exists"


def _new_password() -> str:
    """16 characters with letters and digits (the platform's default policy)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(16))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password
