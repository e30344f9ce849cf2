"""The principals who attack and the targets they attack, built through the gateway with real
tokens: each target by its legitimate owner, each principal as an administrator would make it.

Targets belong to the Quanshan community health centre (tenant T1, county 320311, Xuzhou
320300, Jiangsu 320000) and the regions above it; ``scope`` is the region path (or tenant
scope) that owns each. Principals carry the scope they act in; ``denied`` principals (a
suspended tenant's clinician, a revoked grant) reach nothing."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import grpc
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.api.common.v1 import common_pb2
from rhip.api.identity.v1 import identity_service_pb2 as ipb
from rhip.api.identity.v1 import identity_service_pb2_grpc, tenant_pb2, user_pb2
from rhip.api.identity.v1 import resident_service_pb2 as rpb
from rhip.demo import CELLS, DEMO_PASSWORD
from rhip.demo import request_id as demo_request_id
from security.platform import JIANGSU, SHANDONG, Platform
from security.rpcs import TIMEOUT
from security.world_bmc import build_bmc_world
from security.world_emr import build_emr_targets
from security.world_mch import build_mch_world
from security.world_referral import build_referral_world
from support.residents import register_request, stub, with_check

NEW_PASSWORD = "Security-Suite-Passw0rd-1"
# Marker names: a search that returns them to a foreign caller has leaked.
OWNER_NAMES = ("隔离测试甲", "隔离测试乙")


@dataclass(frozen=True)
class Target:
    value: str  # what goes into the request field
    scopes: tuple[str, ...]  # the scope paths that own it ("86/32/3203/320311/t-…")
    region: str  # the region code a forged x-rhip-region names for it
    # In the resident index: a practitioner reaches it from any institution of its county
    # (residents move between the clinics of a county; rhip.identity.residents.access).
    index: bool = False


@dataclass(frozen=True)
class Caller:
    name: str  # what the principal stands for in the matrix
    md: tuple[tuple[str, str], ...]
    scope: str  # the scope it acts in (region path, or tenant scope)
    auditor: bool = False
    denied: bool = False  # reaches nothing at all (suspended tenant, revoked grant)
    cell_account: bool = False

    def outside(self, target: Target, access: str) -> bool:
        """True when this principal may not do ``access`` on ``target``."""
        if self.denied or access == "cell":
            return True
        if self.auditor and access == "write":
            return True
        reach = self.scope
        if target.index and "/t-" in reach:
            reach = reach.rsplit("/", 1)[0]
        return not any(s == reach or s.startswith(reach + "/") for s in target.scopes)


@dataclass
class World:
    platform: Platform
    callers: dict[str, Caller] = field(default_factory=dict)
    owner: tuple[tuple[str, str], ...] = ()  # xz-doctor-1, of T1
    admin: tuple[tuple[str, str], ...] = ()  # js-admin, of the whole Jiangsu cell
    targets: dict[str, list[Target]] = field(default_factory=dict)  # kind → targets
    # ids and names in the answers of those who may see them only → what they belong to
    markers: dict[str, Target] = field(default_factory=dict)
    residents: list[tuple[str, str]] = field(default_factory=list)  # (display name, ID number)
    # Requests the owners made with a request id, by request type (serialized): another
    # caller's replay of one, the same body and id, sees nothing of the first answer.
    # request type → (its maker: token and scope, the serialized request)
    replays: dict[str, list[tuple[Target, bytes]]] = field(default_factory=dict)

    def add(
        self, kind: str, value: str, scope: str | tuple[str, ...], region: str, marker: bool = True
    ) -> str:
        scopes = (scope,) if isinstance(scope, str) else scope
        index = kind in ("resident", "card", "merge")
        target = Target(value, scopes, region, index)
        self.targets.setdefault(kind, []).append(target)
        if marker:
            self.markers[value.rsplit("/", 1)[-1]] = target
        return value


def _login(platform: Platform, cell: str, **credentials: str) -> ipb.LoginResponse:
    identity = identity_service_pb2_grpc.IdentityServiceStub(platform.channel)
    if "client_id" in credentials:
        request = ipb.LoginRequest(client=ipb.ClientCredentials(**credentials))
    else:
        request = ipb.LoginRequest(password=ipb.PasswordCredentials(**credentials))
    return identity.Login(request, metadata=[("x-rhip-region", cell)], timeout=TIMEOUT)


def _md(login: ipb.LoginResponse) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {login.access_token}"),)


def _path(code: str) -> str:
    """86/32/3203/320311 for 320311 (county), 86/32/3203 for 320300, 86/32 for 320000."""
    parts = ["86", code[:2]]
    if code[2:4] != "00":
        parts.append(code[:4])
    if code[4:] != "00":
        parts.append(code)
    return "/".join(parts)


def _days_ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


def build_world(platform: Platform) -> World:
    world = World(platform)
    channel = platform.channel
    identity = identity_service_pb2_grpc.IdentityServiceStub(channel)
    residents = stub(channel)
    archives = archives_service_pb2_grpc.ArchivesServiceStub(channel)
    logins = {
        u: _login(platform, JIANGSU, username=u, password=DEMO_PASSWORD)
        for u in (
            *("js-admin", "xz-admin", "qs-admin", "js-auditor"),
            *("xz-doctor-1", "xz-doctor-2", "xz-doctor-3", "xz-doctor-5"),
        )
    }
    for u in ("zz-doctor-1", "zz-admin", "sd-admin"):
        logins[u] = _login(platform, SHANDONG, username=u, password=DEMO_PASSWORD)
    md = {u: _md(login) for u, login in logins.items()}
    owner = logins["xz-doctor-1"].principal
    t1 = owner.tenant_id
    t1_scope = f"86/32/3203/320311/t-{t1}"
    world.owner, world.admin = md["xz-doctor-1"], md["js-admin"]

    def call(method, request, who: str):  # type: ignore[no-untyped-def]
        if "request_id" in request.DESCRIPTOR.fields_by_name:
            request.request_id = request.request_id or str(uuid.uuid4())
            kind = request.DESCRIPTOR.full_name
            # Not a registration: another clinician sending the same document and exact name
            # registers (enrolls) the same person, by design (DOMAIN §1.4, one index).
            if kind != rpb.RegisterResidentRequest.DESCRIPTOR.full_name:
                p = logins[who].principal
                scope = _path(p.region_code) + (f"/t-{p.tenant_id}" if p.tenant_id else "")
                index = request.DESCRIPTOR.file.name.endswith("resident_service.proto")
                world.replays.setdefault(kind, []).append(
                    (Target(md[who][0][1], (scope,), "", index), request.SerializeToString())
                )
        return method(request, metadata=md[who], timeout=TIMEOUT)

    def new_user(who: str, username: str, kind: int, region: str = "", tenant: str = "") -> str:
        user = call(
            identity.CreateUser,
            ipb.CreateUserRequest(
                user=user_pb2.User(
                    username=username, display_name=username, kind=kind,
                    region_code=region, tenant_id=tenant,
                ),
                password=NEW_PASSWORD, request_id=str(uuid.uuid4()),
            ),
            who,
        )  # fmt: skip
        return str(user.user_id)

    # -- principals made for the matrix ---------------------------------------------------
    admin = common_pb2.PRINCIPAL_KIND_REGIONAL_ADMIN
    practitioner = common_pb2.PRINCIPAL_KIND_PRACTITIONER
    t2 = logins["xz-doctor-2"].principal.tenant_id
    new_user("js-admin", "nj-admin-sec", admin, region="320100")
    new_user("xz-admin", "ts-admin-sec", admin, region="320312")
    suspended = call(
        identity.CreateTenant,
        ipb.CreateTenantRequest(
            tenant=tenant_pb2.Tenant(
                display_name="泉山区停用测试卫生室",
                type=tenant_pb2.TENANT_TYPE_VILLAGE_CLINIC, region_code="320311",
            ),
            request_id=str(uuid.uuid4()),
        ),
        "qs-admin",
    )  # fmt: skip
    new_user("qs-admin", "suspended-doctor", practitioner, tenant=suspended.tenant_id)
    revoked_id = new_user("xz-admin", "revoked-doctor", practitioner, tenant=t2)
    grant = call(
        identity.GrantRole,
        ipb.GrantRoleRequest(
            grant=user_pb2.RoleGrant(
                subject=f"user:{revoked_id}", role="practitioner", tenant_id=t1
            )
        ),
        "xz-admin",
    )
    account = call(
        identity.CreateServiceAccount,
        ipb.CreateServiceAccountRequest(
            service_account=user_pb2.ServiceAccount(display_name="铜山HIS接口", tenant_id=t2),
            request_id=str(uuid.uuid4()),
        ),
        "xz-admin",
    )
    # A police system (a public-security tenant's service account, role verifier): it may
    # verify birth certificates and must reach nothing else of anyone.
    police = call(
        identity.CreateTenant,
        ipb.CreateTenantRequest(
            tenant=tenant_pb2.Tenant(
                display_name="铜山分局户政科安全测试",
                type=tenant_pb2.TENANT_TYPE_PUBLIC_SECURITY, region_code="320312",
            ),
            request_id=str(uuid.uuid4()),
        ),
        "xz-admin",
    )  # fmt: skip
    police_account = call(
        identity.CreateServiceAccount,
        ipb.CreateServiceAccountRequest(
            service_account=user_pb2.ServiceAccount(
                display_name="户政核验接口", tenant_id=police.tenant_id
            ),
            request_id=str(uuid.uuid4()),
        ),
        "xz-admin",
    )
    for u in ("nj-admin-sec", "ts-admin-sec", "suspended-doctor", "revoked-doctor"):
        logins[u] = _login(platform, JIANGSU, username=u, password=NEW_PASSWORD)
        md[u] = _md(logins[u])
    logins["his"] = _login(
        platform, JIANGSU, client_id=account.client_id, client_secret=account.client_secret
    )
    md["his"] = _md(logins["his"])
    logins["police"] = _login(
        platform, JIANGSU,
        client_id=police_account.client_id, client_secret=police_account.client_secret,
    )  # fmt: skip
    md["police"] = _md(logins["police"])
    # The suspension and the revocation come after their tokens were issued: the tokens stay
    # valid JWTs, and must reach nothing.
    call(
        identity.SuspendTenant,
        ipb.SuspendTenantRequest(name=suspended.name, reason="安全测试停用"),
        "qs-admin",
    )
    call(identity.RevokeRole, ipb.RevokeRoleRequest(name=grant.name), "xz-admin")

    def tenant_scope(u: str) -> str:
        p = logins[u].principal
        return f"{_path(p.region_code)}/t-{p.tenant_id}"

    for name, u, scope, extra in (
        ("sibling tenant (xz-doctor-5)", "xz-doctor-5", tenant_scope("xz-doctor-5"), {}),
        ("sibling county clinician (xz-doctor-2)", "xz-doctor-2", tenant_scope("xz-doctor-2"), {}),
        ("sibling county admin (320312)", "ts-admin-sec", "86/32/3203/320312", {}),
        ("child region admin (qs-admin 320311)", "qs-admin", "86/32/3203/320311", {}),
        ("parent region admin (xz-admin 320300)", "xz-admin", "86/32/3203", {}),
        ("sibling city admin (320100)", "nj-admin-sec", "86/32/3201", {}),
        ("other cell clinician (zz-doctor-1)", "zz-doctor-1", tenant_scope("zz-doctor-1"), {}),
        ("other cell admin (zz-admin)", "zz-admin", "86/37/3704", {}),
        ("other province admin (sd-admin)", "sd-admin", "86/37", {}),
        ("suspended tenant", "suspended-doctor", "", {"denied": True}),
        ("revoked grant", "revoked-doctor", tenant_scope("revoked-doctor"), {}),
        ("auditor writing (js-auditor)", "js-auditor", "86/32", {"auditor": True}),
        ("service account outside its tenant", "his", f"86/32/3203/320312/t-{t2}", {}),
        ("police verifier (public security 320312)", "police", police.scope_path, {}),
    ):
        world.callers[name] = Caller(name, md[u], scope, **extra)

    # -- targets, each made by its legitimate owner ---------------------------------------
    county, city, province = "86/32/3203/320311", "86/32/3203", "86/32"
    # A tenant's id is directory data (an enrollment names it), not a secret: no marker.
    world.add("tenant", f"tenants/{t1}", t1_scope, "320311", marker=False)
    world.add("tenant_id", t1, t1_scope, "320311", marker=False)
    for code, path in (("320311", county), ("320300", city), ("320000", province)):
        world.add("region", f"regions/{code}", path, code, marker=False)
        world.add("region_code", code, path, code, marker=False)
    world.add("cell", "", province, "320000", marker=False)
    for u, scope, code in (
        ("xz-doctor-1", t1_scope, "320311"),
        ("qs-admin", county, "320311"),
        ("xz-admin", city, "320300"),
        ("js-admin", province, "320000"),
    ):
        world.add("user", f"users/{logins[u].principal.subject.split(':', 1)[1]}", scope, code)
    mine = call(
        identity.GrantRole,
        ipb.GrantRoleRequest(
            grant=user_pb2.RoleGrant(
                subject=logins["xz-doctor-1"].principal.subject,
                role="auditor",
                region_code="320311",
            )
        ),
        "qs-admin",
    )
    world.add("grant", mine.name, county, "320311")
    world.add("merge", f"residentMerges/{uuid.uuid4()}", county, "320311", marker=False)

    made = []
    for i, display in enumerate(OWNER_NAMES):
        number = with_check(f"3203111980010{i + 1}00{i + 1}")
        resident = call(
            residents.RegisterResident,
            register_request(number, name=display, region="320311"),
            "xz-doctor-1",
        ).resident
        world.residents.append((display, number))
        record = call(
            archives.CreateHealthRecord,
            apb.CreateHealthRecordRequest(
                resident=resident.name, township_code="001", village_code="101",
                basic_info=_form(),
            ),
            "xz-doctor-1",
        )  # fmt: skip
        call(
            archives.ActivateHealthRecord,
            apb.ActivateHealthRecordRequest(name=record.name),
            "xz-doctor-1",
        )
        made.append((resident, record, number))
    (resident, record, _), (resident2, record2, number2) = made
    world.add("resident", resident.name, county, "320311")
    world.markers[OWNER_NAMES[0]] = world.targets["resident"][-1]
    world.add("record", record.name, t1_scope, "320311")
    world.markers[record.record_number] = world.targets["record"][-1]
    call(
        archives.StartFollowUpPlan,
        apb.StartFollowUpPlanRequest(parent=record.name, program=rec.PROGRAM_HYPERTENSION),
        "xz-doctor-1",
    )
    check_up = call(
        archives.CreateCheckUp,
        apb.CreateCheckUpRequest(
            parent=record.name,
            check_up=rec.CheckUp(
                exam_date=_days_ago(1), bp_left=rec.BloodPressure(systolic=142, diastolic=86),
                weight_kg=70, height_cm=170,
            ),
        ),
        "xz-doctor-1",
    )  # fmt: skip
    world.markers[check_up.name.rsplit("/", 1)[-1]] = world.targets["record"][-1]
    team = call(
        archives.CreateCareTeam,
        apb.CreateCareTeamRequest(
            parent=f"tenants/{t1}", team=rec.CareTeam(display_name="隔离测试团队")
        ),
        "xz-doctor-1",
    )
    world.add("team", team.name, t1_scope, "320311")
    contract = call(
        archives.SignContract,
        apb.SignContractRequest(parent=record.name, team=team.name),
        "xz-doctor-1",
    )
    world.add("contract", contract.name, t1_scope, "320311")
    card = call(
        residents.IssueHealthCard, rpb.IssueHealthCardRequest(parent=resident.name), "xz-doctor-1"
    )
    world.add("card", card.name, county, "320311", marker=False)
    check = call(
        archives.CreateSpotCheck,
        apb.CreateSpotCheckRequest(parent=f"tenants/{t1}", sample_size=2),
        "qs-admin",
    )
    world.add("spot_check", check.name, t1_scope, "320311")
    finding = call(
        archives.RecordSpotCheckFinding,
        apb.RecordSpotCheckFindingRequest(
            parent=check.name,
            finding=apb.SpotCheckFinding(
                record=check.records[0],
                item="basic_info.blood_type_abo",
                description="与化验单不符",
            ),
        ),
        "qs-admin",
    )
    world.add("finding", finding.name, t1_scope, "320311")
    # A transfer of the second record to the Tongshan village clinic (xz-doctor-3, not an
    # attacker): the record's owner is one party, the clinic the other.
    call(
        residents.RegisterResident,
        register_request(number2, name=OWNER_NAMES[1], region="320312"),
        "xz-doctor-3",
    )
    transfer = call(
        archives.RequestRecordTransfer,
        apb.RequestRecordTransferRequest(
            resident=resident2.name,
            consent=apb.TransferConsent(
                method="signed_form", consent_date=_days_ago(1), reference="同意书-安全"
            ),
            reason="迁居铜山", request_id=str(uuid.uuid4()),
        ),
        "xz-doctor-3",
    )  # fmt: skip
    parties = (t1_scope, tenant_scope("xz-doctor-3"))
    world.add("transfer", transfer.name, parties, "320311")
    world.add("transfer_id", transfer.name.rsplit("/", 1)[-1], parties, "320311")
    # The second resident and record: the transfer's parties see them.
    world.markers[resident2.name.rsplit("/", 1)[-1]] = world.markers[OWNER_NAMES[1]] = Target(
        resident2.name, (county, tenant_scope("xz-doctor-3")), "320311", index=True
    )
    world.markers[record2.record_number] = world.markers[record2.name.rsplit("/", 1)[-1]] = Target(
        record2.name, parties, "320311"
    )
    # The demo seed's ids are derived from names anyone can read (rhip.demo): guessable.
    demo = CELLS[JIANGSU]
    for message, names in (
        (ipb.CreateTenantRequest, [("tenant", t.name) for t in demo.tenants]),
        (ipb.CreateUserRequest, [("user", a.username) for a in demo.accounts]),
    ):
        world.replays.setdefault(message.DESCRIPTOR.full_name, []).extend(
            (
                Target("", (province,), ""),
                message(request_id=demo_request_id(JIANGSU, *name)).SerializeToString(),
            )
            for name in names
        )
    build_referral_world(world)
    build_mch_world(
        world, call, t1, t1_scope, logins["xz-doctor-5"].principal.tenant_id,
        tenant_scope("xz-doctor-5"),
    )  # fmt: skip
    build_bmc_world(world, call, t1, t1_scope)
    _await_revocation(world, archives, record.name)
    build_emr_targets(world, t1_scope)
    return world


def _await_revocation(world: World, archives, record: str) -> None:  # type: ignore[no-untyped-def]
    """Policies reach every authorizer by a watcher (within a second): wait until the revoked
    grant no longer reads the record, so the matrix tests the revoked state, not the race."""
    md = world.callers["revoked grant"].md
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            archives.GetHealthRecord(
                apb.GetHealthRecordRequest(name=record), metadata=md, timeout=5
            )
        except grpc.RpcError:
            return
        time.sleep(0.1)
    raise AssertionError("a revoked grant still reads the record after 10 s")


def _form() -> rec.BasicInfo:
    from archives.helpers import complete_form

    return complete_form()
