"""After the first issue (DOMAIN §4.3, scenario 19): replacement on a ground, reissue only with
a loss declaration, void; the old serial goes VOID_ISSUED linked to the new one and is never
issued again; the page rule is applied and recorded."""

from __future__ import annotations

import grpc
import pytest
from mch.bmc_support import Bmc, assert_balanced, deliver, issue, make_bmc, refused
from mch.conftest import Mch, rid
from rhip.api.mch.v1 import birth_certificate_pb2 as bpb
from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb
from support.residents import pb as rpb
from support.residents import stub as resident_stub

C = grpc.StatusCode


@pytest.fixture
def bmc(mch: Mch) -> Bmc:
    made = make_bmc(mch)
    made.down_to_hospital("X320101001", 10)
    return made


@pytest.fixture
def issued(bmc: Bmc) -> bpb.BirthCertificate:
    return issue(bmc, deliver(bmc.mch).newborns[0].name, "X320101001")


def _reissue(bmc: Bmc, name: str, number: str, **fields) -> bpb.BirthCertificate:  # type: ignore[no-untyped-def]
    return bmc.api.ReissueBirthCertificate(
        spb.ReissueBirthCertificateRequest(name=name, number=number, request_id=rid(), **fields),
        metadata=bmc.md("qs-hosp-doctor"),
    )


def test_scenario_19_a_reissue_needs_a_loss_declaration(
    bmc: Bmc, issued: bpb.BirthCertificate
) -> None:
    _, fields = refused(lambda: _reissue(bmc, issued.name, "X320101002"), C.INVALID_ARGUMENT,
                        "LOSS_DECLARATION_REQUIRED")  # fmt: skip
    assert [f for f, _ in fields] == ["loss_declaration"]
    assert bmc.serial("X320101002").state == bpb.BLANK_SERIAL_STATE_IN_STOCK
    loss = bpb.LossDeclaration(newspaper_notice_ref="徐州日报2026-12-02 B3遗失声明")
    new = _reissue(bmc, issued.name, "X320101002", loss_declaration=loss,
                   child_in_household_register=True)  # fmt: skip
    assert (new.type, new.state, new.supersedes) == (
        bpb.ISSUANCE_TYPE_REISSUE,
        bpb.BIRTH_CERTIFICATE_STATE_VALID,
        issued.name,
    )
    # Same content as the original; main page only, the child being in the household register.
    assert (new.child_name, new.mother, new.father) == (issued.child_name, issued.mother,
                                                        issued.father)  # fmt: skip
    assert new.pages == bpb.CERTIFICATE_PAGES_MAIN_ONLY
    old = bmc.api.GetBirthCertificate(
        spb.GetBirthCertificateRequest(name=issued.name), metadata=bmc.md("qs-hosp-doctor")
    )
    assert old.state == bpb.BIRTH_CERTIFICATE_STATE_REISSUED and old.superseded_by == new.name
    serial = bmc.serial("X320101001")
    assert serial.state == bpb.BLANK_SERIAL_STATE_VOID_ISSUED
    assert serial.history[-1].kind == bpb.STOCK_MOVEMENT_KIND_VOID_ISSUED
    assert serial.history[-1].reference == new.name
    # The original is void: no reissue of it again, and its serial is never printed again.
    refused(lambda: _reissue(bmc, issued.name, "X320101003", loss_declaration=loss),
            C.FAILED_PRECONDITION, "BMC_CERTIFICATE_NOT_VALID")  # fmt: skip
    twin = deliver(bmc.mch, woman="woman2").newborns[0]
    info, _ = refused(lambda: issue(bmc, twin.name, "X320101001"), C.FAILED_PRECONDITION,
                      "BMC_SERIAL_NOT_AVAILABLE")  # fmt: skip
    assert info.metadata["state"] == "VOID_ISSUED"
    rows = assert_balanced(bmc)
    assert (rows[bmc.hosp].issued, rows[bmc.hosp].void_issued) == (1, 1)
    # In the master index the child holds the new number beside the one it reissues.
    child = resident_stub(bmc.mch.running.channel).GetResident(
        rpb.GetResidentRequest(name=issued.child), metadata=bmc.md("qs-hosp-doctor")
    )
    assert sorted(d.origin for d in child.documents) == ["newborn_link", "replaces:X320101001"]


def _replace(bmc: Bmc, name: str, number: str, **fields) -> bpb.BirthCertificate:  # type: ignore[no-untyped-def]
    return bmc.api.ReplaceBirthCertificate(
        spb.ReplaceBirthCertificateRequest(name=name, number=number, request_id=rid(), **fields),
        metadata=bmc.md("qs-hosp-doctor"),
    )


def test_a_replacement_needs_its_ground_and_recalls_the_old_one(
    bmc: Bmc, issued: bpb.BirthCertificate
) -> None:
    _, fields = refused(lambda: _replace(bmc, issued.name, "X320101002"), C.INVALID_ARGUMENT,
                        "GROUND_REQUIRED")  # fmt: skip
    assert [f for f, _ in fields] == ["ground"]
    refused(
        lambda: _replace(bmc, issued.name, "X320101002",
                         ground=bpb.REPLACEMENT_GROUND_PARENTAGE_CHANGE),
        C.INVALID_ARGUMENT,
    )  # fmt: skip
    refused(
        lambda: _replace(bmc, issued.name, "X320101002", ground=bpb.REPLACEMENT_GROUND_DAMAGED,
                         mother=bpb.CertificateParent(name="别人")),
        C.INVALID_ARGUMENT, "PARENT_CHANGE_GROUND",
    )  # fmt: skip
    new = _replace(bmc, issued.name, "X320101002", ground=bpb.REPLACEMENT_GROUND_ISSUER_ERROR,
                   child_name="王晓明")  # fmt: skip
    assert (new.type, new.ground, new.child_name) == (
        bpb.ISSUANCE_TYPE_REPLACEMENT,
        bpb.REPLACEMENT_GROUND_ISSUER_ERROR,
        "王晓明",
    )
    assert new.pages == bpb.CERTIFICATE_PAGES_MAIN_AND_SECONDARY  # not yet in the register
    assert new.father == issued.father
    old = bmc.api.GetBirthCertificate(
        spb.GetBirthCertificateRequest(name=issued.name), metadata=bmc.md("qs-admin")
    )
    assert old.state == bpb.BIRTH_CERTIFICATE_STATE_REPLACED and old.superseded_by == new.name
    # A replacement of the replacement, for a parentage test, changes the father.
    father = bpb.CertificateParent(
        name="李刚", nationality="中国", address="徐州", document_number="320311199001010011",
        document_type=bpb.PARENT_DOCUMENT_TYPE_RESIDENT_ID,
    )  # fmt: skip
    third = _replace(bmc, new.name, "X320101003", ground=bpb.REPLACEMENT_GROUND_PARENTAGE_CHANGE,
                     parentage_test_ref="苏亲鉴字2026-7", father=father)  # fmt: skip
    assert third.father.name == "李刚" and third.supersedes == new.name
    assert_balanced(bmc)


def test_a_void_ends_the_certificate_and_its_serial(bmc: Bmc, issued: bpb.BirthCertificate) -> None:
    void = spb.VoidBirthCertificateRequest(name=issued.name, reason="", request_id=rid())
    refused(lambda: bmc.api.VoidBirthCertificate(void, metadata=bmc.md("qs-hosp-doctor")),
            C.INVALID_ARGUMENT)  # fmt: skip
    void.reason = "副页被私自撕下"
    for who in ("qs-admin", "qs-doctor", "nj-doctor"):
        refused(lambda w=who: bmc.api.VoidBirthCertificate(void, metadata=bmc.md(w)),
                C.PERMISSION_DENIED)  # fmt: skip
    done = bmc.api.VoidBirthCertificate(void, metadata=bmc.md("qs-hosp-doctor"))
    assert done.state == bpb.BIRTH_CERTIFICATE_STATE_VOID and done.void_reason == void.reason
    assert bmc.api.VoidBirthCertificate(void, metadata=bmc.md("qs-hosp-doctor")).state == (
        bpb.BIRTH_CERTIFICATE_STATE_VOID
    )  # a retry
    assert bmc.serial("X320101001").state == bpb.BLANK_SERIAL_STATE_VOID_ISSUED
    refused(
        lambda: _replace(bmc, issued.name, "X320101002", ground=bpb.REPLACEMENT_GROUND_DAMAGED),
        C.FAILED_PRECONDITION, "BMC_CERTIFICATE_NOT_VALID",
    )  # fmt: skip
    rows = assert_balanced(bmc)
    assert rows[bmc.hosp].void_issued == 1
