"""The issuing institution's facts from identity are reused a few seconds per process
(rhip.mch.certificates.issuers): certificates do not each ask identity for the institution's
entry and qualifications, the caller is still authorised on every call, and a revoked
qualification stops issuing at most the configured time later (at once with 0)."""

from __future__ import annotations

import grpc
import pytest
from mch.bmc_support import Bmc, deliver, issue, make_bmc, refused
from mch.conftest import Mch
from rhip.api.identity.v1 import qualification_service_pb2 as qpb

C = grpc.StatusCode


@pytest.fixture
def bmc(mch: Mch) -> Bmc:
    made = make_bmc(mch)
    made.down_to_hospital("X320101001", 10)
    return made


def _identity_calls(bmc: Bmc, method: str) -> int:
    """Server spans of identity's ``method`` since the spans were last cleared."""
    spans = bmc.mch.running.spans.get_finished_spans()
    return sum(1 for s in spans if s.name.endswith(f"/{method}"))


def _revoke(bmc: Bmc, kind: int) -> None:
    mch = bmc.mch
    held = mch.quals.ListQualifications(
        qpb.ListQualificationsRequest(parent=mch.tenant("qs-hosp")), metadata=mch.md("qs-admin")
    ).qualifications
    [grant] = [q for q in held if q.kind == kind]
    mch.quals.RevokeQualification(
        qpb.RevokeQualificationRequest(name=grant.name, reason="资质到期未换证"),
        metadata=mch.md("qs-admin"),
    )


def test_certificates_ask_identity_about_their_institution_once_a_while(bmc: Bmc) -> None:
    babies = deliver(bmc.mch, 3).newborns
    issue(bmc, babies[0].name, "X320101001")
    bmc.mch.running.spans.clear()
    issue(bmc, babies[1].name, "X320101002")
    issue(bmc, babies[2].name, "X320101003")
    assert _identity_calls(bmc, "GetTenant") == 0
    assert _identity_calls(bmc, "ListQualifications") == 0
    # The caller is authorised on every call: a clinician of another institution is refused
    # whatever is kept about this one.
    refused(lambda: issue(bmc, babies[2].name, "X320101004", who="nj-doctor"),
            C.PERMISSION_DENIED)  # fmt: skip


def test_a_revoked_qualification_stops_issuing_once_the_kept_facts_expire(bmc: Bmc) -> None:
    issuers = bmc.mch.running.cell.part("mch").certificates.issuers
    assert issuers.ttl_seconds == 10
    now = [1000.0]
    issuers.clock = lambda: now[0]
    babies = deliver(bmc.mch, 3).newborns
    issue(bmc, babies[0].name, "X320101001")
    _revoke(bmc, qpb.QUALIFICATION_KIND_BIRTH_CERTIFICATE)
    now[0] += 9.9  # within the kept time: identity's earlier answer still holds
    issue(bmc, babies[1].name, "X320101002")
    now[0] += 0.2  # past it: identity is asked again
    refused(lambda: issue(bmc, babies[2].name, "X320101003"), C.PERMISSION_DENIED,
            "QUALIFICATION_REQUIRED")  # fmt: skip


class TestWithoutKeeping:
    @pytest.fixture
    def mch_env(self) -> dict[str, str]:
        return {"RHIP_MCH_BMC_ISSUER_CACHE_SECONDS": "0"}

    def test_a_revoked_qualification_stops_issuing_at_once(self, bmc: Bmc) -> None:
        babies = deliver(bmc.mch, 2).newborns
        issue(bmc, babies[0].name, "X320101001")
        _revoke(bmc, qpb.QUALIFICATION_KIND_BIRTH_CERTIFICATE)
        refused(lambda: issue(bmc, babies[1].name, "X320101002"), C.PERMISSION_DENIED,
                "QUALIFICATION_REQUIRED")  # fmt: skip
