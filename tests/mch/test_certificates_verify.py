"""Authenticity (DOMAIN §4.6): the printed signed code verifies offline with the published key;
a public-security service account verifies by number and child's name or by the code and
learns authentic / void / replaced / reissued and nothing more; unknown numbers answer like
wrong names; misses are rate-limited; every verification is audited."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from mch.bmc_support import Bmc, deliver, issue, make_bmc, police, refused, service_account
from mch.conftest import Mch, rid
from rhip.api.mch.v1 import birth_certificate_pb2 as bpb
from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb
from rhip.kit import audit
from rhip.kit.schema import audit_event
from rhip.kit.signed_codes import key_from_jwk, verify_code
from sqlalchemy import select

C = grpc.StatusCode
R = bpb


@pytest.fixture
def mch_env() -> dict[str, str]:
    return {"RHIP_MCH_BMC_VERIFY_MISSES": "5"}


@pytest.fixture
def bmc(mch: Mch) -> Bmc:
    made = make_bmc(mch)
    made.down_to_hospital("X320101001", 10)
    return made


def _verify(bmc: Bmc, md, **fields) -> bpb.BirthCertificateVerification:  # type: ignore[no-untyped-def]
    return bmc.api.VerifyBirthCertificate(spb.VerifyBirthCertificateRequest(**fields), metadata=md)


def test_the_printed_code_verifies_offline_with_the_published_key(bmc: Bmc) -> None:
    c = issue(bmc, deliver(bmc.mch).newborns[0].name, "X320101001")
    keys = bmc.api.GetBirthCertificateKeys(spb.GetBirthCertificateKeysRequest())
    published = {k["kid"]: key_from_jwk(k) for k in map(json.loads, keys.keys_json)}
    fields = verify_code(c.signed_code, published, 4)
    assert fields is not None and fields[:2] == ["BMC1", "X320101001"] and fields[3] == "320000"
    tampered = c.signed_code.replace("X320101001", "X320101002")
    assert verify_code(tampered, published, 4) is None


def test_police_verify_by_number_and_name_or_by_code_and_learn_only_the_answer(
    bmc: Bmc,
) -> None:
    verifier = police(bmc.mch)
    c = issue(bmc, deliver(bmc.mch).newborns[0].name, "X320101001")
    ok = _verify(bmc, verifier, number=c.number, child_name=" 王小明 ")
    assert (ok.result, ok.number, ok.issue_date, ok.current_number) == (
        R.VERIFICATION_RESULT_AUTHENTIC,
        c.number,
        c.issue_date,
        "",
    )
    assert (
        _verify(bmc, verifier, signed_code=c.signed_code).result == R.VERIFICATION_RESULT_AUTHENTIC
    )
    # An unknown number and a wrong name give the same answer.
    wrong = _verify(bmc, verifier, number=c.number, child_name="王小红")
    unknown = _verify(bmc, verifier, number="X320101009", child_name="王小明")
    assert wrong.result == unknown.result == R.VERIFICATION_RESULT_NOT_FOUND
    assert not wrong.issue_date and not unknown.issue_date
    # Reissued: the old number says so and names the current one; the old code too.
    new = bmc.api.ReissueBirthCertificate(
        spb.ReissueBirthCertificateRequest(
            name=c.name, number="X320101002", request_id=rid(),
            loss_declaration=bpb.LossDeclaration(written_declaration_ref="遗失声明书-1"),
        ),
        metadata=bmc.md("qs-hosp-doctor"),
    )  # fmt: skip
    old = _verify(bmc, verifier, number=c.number, child_name="王小明")
    assert (old.result, old.current_number) == (R.VERIFICATION_RESULT_REISSUED, new.number)
    assert (
        _verify(bmc, verifier, signed_code=c.signed_code).result == R.VERIFICATION_RESULT_REISSUED
    )
    assert _verify(bmc, verifier, number=new.number, child_name="王小明").result == (
        R.VERIFICATION_RESULT_AUTHENTIC
    )
    forged = c.signed_code[:-4] + ("AAAA" if not c.signed_code.endswith("AAAA") else "BBBB")
    assert _verify(bmc, verifier, signed_code=forged).result == R.VERIFICATION_RESULT_NOT_FOUND
    db = bmc.mch.running.cell.part("mch").db
    with db.read() as tx:
        rows = tx.execute(
            select(audit_event.c.detail).where(audit_event.c.action == "bmc.certificate.verify")
        ).all()
    assert len(rows) == 8
    assert all("王" not in str(r.detail) for r in rows)  # the name is never in the audit


def test_verification_is_for_permitted_accounts_and_misses_are_rate_limited(bmc: Bmc) -> None:
    verifier = police(bmc.mch)
    c = issue(bmc, deliver(bmc.mch).newborns[0].name, "X320101001")
    refused(lambda: _verify(bmc, bmc.md("qs-doctor"), number=c.number, child_name="王小明"),
            C.PERMISSION_DENIED)  # fmt: skip
    # A hospital's HIS feeds data; checking certificates is the police's (least privilege).
    his = service_account(bmc.mch, bmc.mch.world.tenants["ts-th"], "铜山HIS接口")
    refused(lambda: _verify(bmc, his, number=c.number, child_name="王小明"),
            C.PERMISSION_DENIED)  # fmt: skip
    refused(lambda: _verify(bmc, verifier, number="x320101001", child_name="王小明"),
            C.INVALID_ARGUMENT, "BMC_NUMBER_FORMAT")  # fmt: skip
    for i in range(5):  # RHIP_MCH_BMC_VERIFY_MISSES=5 here
        _verify(bmc, verifier, number=f"X32010102{i}", child_name="王小明")
    refused(lambda: _verify(bmc, verifier, number=c.number, child_name="王小明"),
            C.RESOURCE_EXHAUSTED, "BMC_VERIFY_RATE_LIMITED")  # fmt: skip
    # Another caller is not affected.
    assert _verify(bmc, bmc.md("qs-admin"), number=c.number, child_name="王小明").result == (
        R.VERIFICATION_RESULT_AUTHENTIC
    )


def test_verifications_racing_issues_keep_one_intact_audit_chain(bmc: Bmc) -> None:
    """Verifications and issues append to one audit chain (one head), each in its own
    transaction, the rows and the head's update pipelined on PostgreSQL: verifications racing
    issues leave every answered verification's event committed, once, and the chain intact."""
    verifier = police(bmc.mch)
    babies = deliver(bmc.mch, 3).newborns
    first = issue(bmc, babies[0].name, "X320101001")
    numbers = ["X320101002", "X320101003"]
    with ThreadPoolExecutor(4) as pool:
        issued = pool.map(
            lambda b: issue(bmc, b[0].name, b[1]), zip(babies[1:], numbers, strict=True)
        )
        answers = list(
            pool.map(lambda _: _verify(bmc, verifier, number=first.number, child_name="王小明"),
                     range(12))
        )  # fmt: skip
        assert len(list(issued)) == 2
    assert {a.result for a in answers} == {R.VERIFICATION_RESULT_AUTHENTIC}
    db = bmc.mch.running.cell.part("mch").db
    with db.read() as tx:
        rows = tx.execute(
            select(audit_event.c.target, audit_event.c.detail).where(
                audit_event.c.action == "bmc.certificate.verify"
            )
        ).all()
        report = audit.verify(tx)
    assert [r.target for r in rows] == [f"birthCertificates/{first.number}"] * 12
    assert all(json.loads(r.detail)["result"] == "AUTHENTIC" for r in rows)
    assert report.intact, report
