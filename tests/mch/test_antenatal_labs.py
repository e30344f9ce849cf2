"""The first antenatal check's laboratory items (DOMAIN §3.1: blood routine, urine routine, blood
type, liver and kidney function, hepatitis B): recorded with the registration or any check,
results that come back later added to their check (never overwritten), the pregnancy showing
which items are still missing, anaemia flagged below 110 g/L."""

from __future__ import annotations

import math

import grpc
import pytest
from mch.conftest import Mch, days_ago, error_info, error_reason, rid
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb

ALL_PENDING = [
    pb.FIRST_CHECK_ITEM_BLOOD_ROUTINE,
    pb.FIRST_CHECK_ITEM_URINE_ROUTINE,
    pb.FIRST_CHECK_ITEM_BLOOD_TYPE,
    pb.FIRST_CHECK_ITEM_LIVER_FUNCTION,
    pb.FIRST_CHECK_ITEM_KIDNEY_FUNCTION,
    pb.FIRST_CHECK_ITEM_HEPATITIS_B,
]


def _first_check(mch: Mch, p: pb.Pregnancy, who: str = "qs-doctor") -> pb.AntenatalVisit:
    reply = mch.api.ListAntenatalVisits(
        mpb.ListAntenatalVisitsRequest(parent=p.name), metadata=mch.md(who)
    )
    return reply.visits[0]


def _add(mch: Mch, name: str, who: str = "qs-doctor", request_id: str = "", **labs):  # type: ignore[no-untyped-def]
    return mch.api.RecordAntenatalLabResults(
        mpb.RecordAntenatalLabResultsRequest(
            name=name, labs=pb.AntenatalLabs(**labs), request_id=request_id or rid()
        ),
        metadata=mch.md(who),
    )


def _pending(mch: Mch, p: pb.Pregnancy, who: str = "qs-doctor") -> list[int]:
    got = mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md(who))
    return list(got.first_check_pending)


def test_a_registration_without_results_has_every_first_check_item_pending(mch: Mch) -> None:
    p = mch.register()
    assert list(p.first_check_pending) == ALL_PENDING


def test_results_given_at_registration_leave_only_the_missing_items_pending(mch: Mch) -> None:
    p = mch.register(
        first_check_labs=pb.AntenatalLabs(
            haemoglobin_g_per_l=104,
            urine_protein=pb.URINE_DIPSTICK_NEGATIVE,
            abo_group=pb.BLOOD_GROUP_A,  # RhD not back: the blood type stays pending
        )
    )
    assert list(p.first_check_pending) == [
        pb.FIRST_CHECK_ITEM_BLOOD_TYPE,
        pb.FIRST_CHECK_ITEM_LIVER_FUNCTION,
        pb.FIRST_CHECK_ITEM_KIDNEY_FUNCTION,
        pb.FIRST_CHECK_ITEM_HEPATITIS_B,
    ]
    first = _first_check(mch, p)
    assert first.labs.haemoglobin_g_per_l == 104 and first.labs.abo_group == pb.BLOOD_GROUP_A
    assert first.anaemia  # 104 g/L < 110


def test_results_coming_back_later_are_added_to_their_check(mch: Mch) -> None:
    p = mch.register(first_check_labs=pb.AntenatalLabs(haemoglobin_g_per_l=121))
    first = _first_check(mch, p)
    assert not first.anaemia
    added = _add(
        mch, first.name, urine_protein=pb.URINE_DIPSTICK_TRACE, abo_group=pb.BLOOD_GROUP_O,
        rh_d=pb.QUALITATIVE_RESULT_NEGATIVE, alt_u_per_l=22, creatinine_umol_per_l=55,
        hbsag=pb.QUALITATIVE_RESULT_POSITIVE,
    )  # fmt: skip
    assert added.name == first.name and added.labs.haemoglobin_g_per_l == 121
    assert added.labs.hbsag == pb.QUALITATIVE_RESULT_POSITIVE
    assert added.labs.rh_d == pb.QUALITATIVE_RESULT_NEGATIVE
    assert _pending(mch, p) == []
    assert _first_check(mch, p).labs == added.labs  # stored, not only answered


def test_results_of_a_later_check_count_for_the_first_checks_items(mch: Mch) -> None:
    p = mch.register(lmp_days_ago=80, registration_date=days_ago(30))
    mch.api.RecordAntenatalVisit(  # at 10 weeks, still the early window
        mpb.RecordAntenatalVisitRequest(
            parent=p.name,
            visit=pb.AntenatalVisit(
                visit_date=days_ago(10),
                labs=pb.AntenatalLabs(haemoglobin_g_per_l=98, hbsag=pb.QUALITATIVE_RESULT_NEGATIVE),
            ),
            request_id=rid(),
        ),
        metadata=mch.md("qs-doctor"),
    )
    pending = _pending(mch, p)
    assert pb.FIRST_CHECK_ITEM_BLOOD_ROUTINE not in pending
    assert pb.FIRST_CHECK_ITEM_HEPATITIS_B not in pending
    assert pb.FIRST_CHECK_ITEM_LIVER_FUNCTION in pending


def test_a_result_already_recorded_is_not_overwritten(mch: Mch) -> None:
    p = mch.register(first_check_labs=pb.AntenatalLabs(haemoglobin_g_per_l=121))
    first = _first_check(mch, p)
    with pytest.raises(grpc.RpcError) as caught:
        _add(mch, first.name, haemoglobin_g_per_l=90, alt_u_per_l=20)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    info, _ = error_info(caught.value)
    assert info.reason == "LAB_RESULT_RECORDED"
    assert info.metadata["items"] == "haemoglobin_g_per_l"
    kept = _first_check(mch, p).labs
    assert kept.haemoglobin_g_per_l == 121 and kept.alt_u_per_l == 0  # nothing written


def test_a_retry_answers_the_check_as_recorded_and_another_body_is_refused(mch: Mch) -> None:
    p = mch.register()
    first = _first_check(mch, p)
    key = rid()
    once = _add(mch, first.name, request_id=key, alt_u_per_l=30)
    again = _add(mch, first.name, request_id=key, alt_u_per_l=30)
    assert again == once  # not LAB_RESULT_RECORDED: the same request, carried out once
    with pytest.raises(grpc.RpcError) as caught:
        _add(mch, first.name, request_id=key, alt_u_per_l=31)
    assert error_reason(caught.value) == "REQUEST_ID_REUSED"


@pytest.mark.parametrize(
    ("labs", "field", "reason"),
    [
        ({"haemoglobin_g_per_l": math.nan}, "labs.haemoglobin_g_per_l", "LAB_OUT_OF_RANGE"),
        ({"haemoglobin_g_per_l": 11.0}, "labs.haemoglobin_g_per_l", "LAB_OUT_OF_RANGE"),
        ({"creatinine_umol_per_l": -5.0}, "labs.creatinine_umol_per_l", "LAB_OUT_OF_RANGE"),
        ({"alt_u_per_l": math.inf}, "labs.alt_u_per_l", "LAB_OUT_OF_RANGE"),
        # An enum number no value has (refused by the kit's request check before the use case).
        ({"urine_protein": 99}, "labs.urine_protein", ""),
        ({"abo_group": 7}, "labs.abo_group", ""),
        ({}, "labs", "LAB_RESULTS_REQUIRED"),
    ],
)
def test_bad_results_are_invalid_argument_and_change_nothing(
    mch: Mch, labs: dict, field: str, reason: str
) -> None:
    p = mch.register()
    first = _first_check(mch, p)
    with pytest.raises(grpc.RpcError) as caught:
        _add(mch, first.name, **labs)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    info, violations = error_info(caught.value)
    assert field in [f for f, _ in violations]
    assert not reason or info.reason == reason
    assert _first_check(mch, p).labs == pb.AntenatalLabs()
    assert list(_pending(mch, p)) == ALL_PENDING


def test_bad_results_at_registration_register_nothing(mch: Mch) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        mch.register(
            first_check_labs=pb.AntenatalLabs(platelets_10e9_per_l=-1, haemoglobin_g_per_l=500)
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    _, violations = error_info(caught.value)
    fields = [f for f, _ in violations]  # every bad item at once
    assert "first_check_labs.platelets_10e9_per_l" in fields
    assert "first_check_labs.haemoglobin_g_per_l" in fields
    listed = mch.api.ListPregnancies(
        mpb.ListPregnanciesRequest(parent=mch.tenant("qs-chc")), metadata=mch.md("qs-doctor")
    )
    assert list(listed.pregnancies) == []


@pytest.mark.parametrize(
    "name",
    ["pregnancies/x", "pregnancies/x/antenatalVisits/", "tenants/x/antenatalVisits/y", ""],
)
def test_a_malformed_check_name_is_invalid_argument(mch: Mch, name: str) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        _add(mch, name, alt_u_per_l=30)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    _, violations = error_info(caught.value)
    assert "name" in [f for f, _ in violations]


def test_a_check_of_another_pregnancy_is_not_found_under_this_one(mch: Mch) -> None:
    mine = mch.register()
    other = mch.register(who="woman2")
    foreign = _first_check(mch, other).name.rsplit("/", 1)[-1]
    with pytest.raises(grpc.RpcError) as caught:
        _add(mch, f"{mine.name}/antenatalVisits/{foreign}", alt_u_per_l=30)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert _first_check(mch, other).labs == pb.AntenatalLabs()


def test_an_institution_not_caring_for_her_adds_no_results(mch: Mch) -> None:
    p = mch.register()
    first = _first_check(mch, p)
    for who in ("ts-doctor", "nj-doctor"):  # another township; another city
        with pytest.raises(grpc.RpcError) as caught:
            _add(mch, first.name, who=who, alt_u_per_l=30)
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert _first_check(mch, p).labs == pb.AntenatalLabs()


def test_results_are_refused_once_the_pregnancy_is_terminated(mch: Mch) -> None:
    p = mch.register()
    first = _first_check(mch, p)
    mch.api.TerminatePregnancy(
        mpb.TerminatePregnancyRequest(
            name=p.name, reason=pb.TERMINATION_REASON_MISCARRIAGE, termination_date=days_ago(1)
        ),
        metadata=mch.md("qs-doctor"),
    )
    with pytest.raises(grpc.RpcError) as caught:
        _add(mch, first.name, alt_u_per_l=30)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_a_code_outside_the_lists_is_refused_by_the_domain_too() -> None:
    from rhip.kit.errors import Violations
    from rhip.mch.pregnancies.labs import check_labs

    checks = Violations()
    assert check_labs({"abo_group": "#7", "rh_d": "POSITIVE"}, "labs", checks) == {
        "rh_d": "POSITIVE"
    }
    with pytest.raises(Exception) as caught:
        checks.raise_if_any()
    assert caught.value.reason == "LAB_VALUE"  # type: ignore[attr-defined]
