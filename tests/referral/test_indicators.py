"""Referral indicators of an institution and a region subtree (issue 17): numerator and
denominator of up and down shares, acceptance, return and follow-up after return, counted
within the caller's reach."""

from __future__ import annotations

import grpc
from referral.conftest import Referrals, return_form
from referral.test_teleconsultation import _agreement, _request, _stub
from rhip.api.referral.v1 import referral_pb2 as rpb
from rhip.api.referral.v1 import referral_service_pb2 as pb
from support.errors import expect_error


def _indicators(r: Referrals, parent: str, who: str) -> dict[str, tuple[int, int]]:
    reply = r.stub.GetReferralIndicators(
        pb.GetReferralIndicatorsRequest(parent=parent), metadata=r.md(who)
    )
    assert len(reply.as_of) == 10  # YYYY-MM-DD
    return {
        pb.ReferralIndicatorKind.Name(i.kind).removeprefix("REFERRAL_INDICATOR_KIND_"): (
            i.numerator,
            i.denominator,
        )
        for i in reply.indicators
    }


def test_indicators_of_an_institution_and_of_a_county(referrals: Referrals) -> None:
    r = referrals
    hosp = r.md("qs-hosp-doctor")
    rejected = r.submitted()
    r.stub.RejectReferral(
        pb.RejectReferralRequest(name=rejected.name, reason="无床位"), metadata=hosp
    )
    returned = r.in_care()
    r.stub.ReturnReferral(
        pb.ReturnReferralRequest(name=returned.name, return_form=return_form()), metadata=hosp
    )
    r.create()  # a draft: not counted
    down = r.create(
        "qs-hosp-doctor", direction=rpb.DIRECTION_DOWN, receiving_tenant=r.tenant("qs-chc")
    )
    r.stub.SubmitReferral(pb.SubmitReferralRequest(name=down.name), metadata=hosp)

    clinic = _indicators(r, r.tenant("qs-chc"), "qs-doctor")
    assert clinic["UP"] == (2, 2) and clinic["DOWN"] == (0, 2)
    assert clinic["FOLLOW_UP_AFTER_RETURN"] == (0, 1)
    hospital = _indicators(r, r.tenant("qs-hosp"), "qs-hosp-doctor")
    assert hospital["ACCEPTANCE"] == (1, 2) and hospital["RETURN"] == (1, 1)
    assert hospital["DOWN"] == (1, 1)
    county = _indicators(r, "regions/320311", "qs-admin")
    assert county["UP"] == (2, 3) and county["DOWN"] == (1, 3)
    assert county["TELECONSULTATION_CLOSED"] == (0, 0)
    assert county["ACCEPTANCE_MINUTES"] == (0, 1)  # one accepted, at once
    for who, parent in (("nj-admin", "regions/320311"), ("ts-doctor", r.tenant("qs-chc"))):
        expect_error(
            lambda who=who, parent=parent: _indicators(r, parent, who),
            grpc.StatusCode.PERMISSION_DENIED,
        )
    assert _indicators(r, "regions/320100", "nj-admin")["UP"] == (0, 0)


def test_teleconsultations_by_specialty(referrals: Referrals) -> None:
    r = referrals
    _agreement(r)
    api = _stub(r)
    for specialty in ("心血管内科", "心血管内科", "内分泌科"):
        request = _request(r, specialty=specialty)
        api.RequestTeleconsultation(request, metadata=r.md("qs-doctor"))
    reply = r.stub.GetReferralIndicators(
        pb.GetReferralIndicatorsRequest(parent="regions/320311"), metadata=r.md("qs-admin")
    )
    by_specialty = {
        i.specialty: (i.numerator, i.denominator)
        for i in reply.indicators
        if i.kind == pb.REFERRAL_INDICATOR_KIND_TELECONSULTATIONS_BY_SPECIALTY
    }
    assert by_specialty == {"内分泌科": (1, 3), "心血管内科": (2, 3)}
