"""The county's designated birth-certificate institution (DOMAIN §4.2, §4.3): a county's
administration designates one qualified institution of the county; it then reissues, replaces
and voids the county's certificates another institution issued, and only it issues those of
births outside an institution. Audited; within the administrator's subtree."""

from __future__ import annotations

import grpc
import pytest
from mch.bmc_support import COUNTY, Bmc, deliver, issue, make_bmc, refused
from mch.conftest import Mch, add_hospital, rid
from rhip.api.identity.v1 import qualification_service_pb2 as qpb
from rhip.api.mch.v1 import birth_certificate_pb2 as bpb
from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb
from rhip.identity.directory.domain import TenantType
from rhip.kit.schema import audit_event
from sqlalchemy import select

C = grpc.StatusCode
DOCUMENT = "泉卫妇幼〔2026〕12号"


@pytest.fixture
def bmc(mch: Mch) -> Bmc:
    """qs-hosp issues (stock X…); the county's MCH hospital qs-mch is qualified and holds stock
    Y… but issued nothing."""
    made = make_bmc(mch)
    made.down_to_hospital("X320101001", 10)
    add_hospital(mch.running, mch.world, short="qs-mch", name="泉山区妇幼保健院",
                 kind=TenantType.MCH_HOSPITAL)  # fmt: skip
    mch.grant("qs-mch", qpb.QUALIFICATION_KIND_BIRTH_CERTIFICATE)
    made.receive("Y320101001", 10)
    for source, target, who in (("regions/320000", "regions/320300", "xz-admin"),
                                ("regions/320300", COUNTY, "qs-admin"),
                                (COUNTY, mch.tenant("qs-mch"), "qs-mch-doctor")):  # fmt: skip
        made.confirm(made.transfer(source, target, "Y320101001", 10).name, who)
    return made


def designate(bmc: Bmc, short: str, who: str = "qs-admin", region: str = COUNTY, **fields):  # type: ignore[no-untyped-def]
    values = {"region": region, "issuer": bmc.mch.tenant(short), "document_ref": DOCUMENT,
              "request_id": rid()}  # fmt: skip
    values.update(fields)
    return bmc.api.DesignateBirthCertificateIssuer(
        spb.DesignateBirthCertificateIssuerRequest(**values), metadata=bmc.md(who)
    )


def designated(bmc: Bmc, who: str = "qs-admin") -> bpb.BirthCertificateIssuerDesignation:
    return bmc.api.GetBirthCertificateIssuerDesignation(
        spb.GetBirthCertificateIssuerDesignationRequest(region=COUNTY), metadata=bmc.md(who)
    )


def test_a_county_designates_a_qualified_institution_of_its_own_and_it_is_audited(
    bmc: Bmc,
) -> None:
    for fields, field in (({"region": "regions/320300"}, "region"),
                          ({"issuer": "hospital"}, "issuer"),
                          ({"document_ref": " "}, "document_ref"),
                          ({"request_id": "x"}, "request_id")):  # fmt: skip
        _, violations = refused(lambda f=fields: designate(bmc, "qs-mch", **f),
                                C.INVALID_ARGUMENT)  # fmt: skip
        assert [v for v, _ in violations] == [field]
    refused(lambda: designate(bmc, "qs-mch", region="regions/320300"), C.INVALID_ARGUMENT,
            "BMC_COUNTY_REQUIRED")  # fmt: skip
    refused(lambda: designated(bmc), C.NOT_FOUND)  # nothing written
    for who in ("qs-doctor", "qs-mch-doctor", "nj-admin", "js-auditor"):
        refused(lambda w=who: designate(bmc, "qs-mch", who=w), C.PERMISSION_DENIED)
    refused(lambda: designate(bmc, "qs-chc"), C.PERMISSION_DENIED, "QUALIFICATION_REQUIRED")
    refused(lambda: designate(bmc, "ts-th", who="xz-admin"), C.FAILED_PRECONDITION,
            "BMC_ISSUER_OUTSIDE_COUNTY")  # fmt: skip
    refused(lambda: designated(bmc), C.NOT_FOUND)
    done = designate(bmc, "qs-mch")
    assert (done.region, done.issuer, done.document_ref) == (
        COUNTY, bmc.mch.tenant("qs-mch"), DOCUMENT)  # fmt: skip
    for who in ("qs-admin", "xz-admin", "js-auditor"):
        assert designated(bmc, who).issuer == bmc.mch.tenant("qs-mch")
    for who in ("nj-admin", "qs-doctor"):
        refused(lambda w=who: designated(bmc, w), C.PERMISSION_DENIED)
    # The city above the county designates too; the later designation replaces the first.
    assert designate(bmc, "qs-hosp", who="xz-admin").issuer == bmc.hosp
    assert designated(bmc).issuer == bmc.hosp
    db = bmc.mch.running.cell.part("mch").db
    with db.read() as tx:
        rows = tx.execute(
            select(audit_event.c.detail).where(audit_event.c.action == "bmc.issuer.designate")
        ).scalars()
        issuers = sorted(str(d.get("issuer") if isinstance(d, dict) else d) for d in rows)
    assert len(issuers) == 2


def _reissue(bmc: Bmc, name: str, number: str, who: str):  # type: ignore[no-untyped-def]
    return bmc.api.ReissueBirthCertificate(
        spb.ReissueBirthCertificateRequest(
            name=name, number=number, request_id=rid(),
            loss_declaration=bpb.LossDeclaration(written_declaration_ref="书面遗失声明"),
        ),
        metadata=bmc.md(who),
    )  # fmt: skip


def _replace(bmc: Bmc, name: str, number: str, who: str):  # type: ignore[no-untyped-def]
    return bmc.api.ReplaceBirthCertificate(
        spb.ReplaceBirthCertificateRequest(
            name=name, number=number, ground=bpb.REPLACEMENT_GROUND_DAMAGED, request_id=rid()
        ),
        metadata=bmc.md(who),
    )


def _void(bmc: Bmc, name: str, who: str):  # type: ignore[no-untyped-def]
    return bmc.api.VoidBirthCertificate(
        spb.VoidBirthCertificateRequest(name=name, reason="印章不规范", request_id=rid()),
        metadata=bmc.md(who),
    )


def test_the_designated_institution_reissues_replaces_and_voids_the_countys_certificates(
    bmc: Bmc,
) -> None:
    babies = deliver(bmc.mch, babies=3).newborns
    a, b, c = (issue(bmc, n.name, f"X32010100{i + 1}") for i, n in enumerate(babies))
    get = spb.GetBirthCertificateRequest(name=a.name)
    # Not designated: another institution of the county neither sees nor touches them.
    refused(lambda: _reissue(bmc, a.name, "Y320101001", "qs-mch-doctor"), C.PERMISSION_DENIED)
    refused(lambda: bmc.api.GetBirthCertificate(get, metadata=bmc.md("qs-mch-doctor")),
            C.PERMISSION_DENIED)  # fmt: skip
    designate(bmc, "qs-mch")
    assert bmc.api.GetBirthCertificate(get, metadata=bmc.md("qs-mch-doctor")).number == a.number
    new = _reissue(bmc, a.name, "Y320101001", "qs-mch-doctor")
    assert (new.issuer, new.supersedes, new.type) == (
        bmc.mch.tenant("qs-mch"), a.name, bpb.ISSUANCE_TYPE_REISSUE)  # fmt: skip
    old = bmc.api.GetBirthCertificate(get, metadata=bmc.md("qs-hosp-doctor"))
    assert old.state == bpb.BIRTH_CERTIFICATE_STATE_REISSUED
    assert bmc.serial("X320101001").state == bpb.BLANK_SERIAL_STATE_VOID_ISSUED
    replaced = _replace(bmc, b.name, "Y320101002", "qs-mch-doctor")
    assert replaced.supersedes == b.name and replaced.issuer == bmc.mch.tenant("qs-mch")
    assert _void(bmc, c.name, "qs-mch-doctor").state == bpb.BIRTH_CERTIFICATE_STATE_VOID
    # The new certificate is the designated institution's: the original issuer no longer
    # acts on it; a serial of the original issuer's stock is not the designated one's.
    refused(lambda: _void(bmc, new.name, "qs-hosp-doctor"), C.PERMISSION_DENIED)
    d = issue(bmc, deliver(bmc.mch, woman="woman2").newborns[0].name, "X320101004")
    refused(lambda: _reissue(bmc, d.name, "X320101005", "qs-mch-doctor"),
            C.FAILED_PRECONDITION, "BMC_SERIAL_NOT_AVAILABLE")  # fmt: skip
    # Another designation ends this one's reach.
    designate(bmc, "qs-hosp")
    refused(lambda: _reissue(bmc, d.name, "Y320101003", "qs-mch-doctor"), C.PERMISSION_DENIED)
    assert bmc.serial("Y320101003").state == bpb.BLANK_SERIAL_STATE_IN_STOCK
