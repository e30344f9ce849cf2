"""Time limits per region as configuration and the overdue lists of the sending institution
and the county administrator (§5.1: national limits unknown, so configurable); who sees a
referral: both institutions, their regions' administrators and the record's managing
institution, nobody else; lists filter in SQL and page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from referral.conftest import Referrals
from rhip.api.referral.v1 import referral_pb2 as rpb
from rhip.api.referral.v1 import referral_service_pb2 as pb
from rhip.kit.config import ConfigError
from rhip.referral.settings import load_referral_settings
from support.errors import expect_error


def _at(hours: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(datetime.now(UTC) + timedelta(hours=hours))
    return stamp


@pytest.mark.cell_env(RHIP_REFERRAL_TIME_LIMITS="320311=2h/1d", RHIP_REFERRAL_ACCEPT_HOURS="48")
def test_overdue_referrals_by_the_region_limit_for_sender_and_county(referrals: Referrals) -> None:
    r = referrals
    clinic = r.md("qs-doctor")
    sent = r.submitted()
    deadline = sent.deadline.ToDatetime(tzinfo=UTC)
    # Quanshan's own limit (2 hours), not the default 48.
    assert timedelta(hours=1.9) < deadline - datetime.now(UTC) <= timedelta(hours=2)

    def overdue(parent: str, hours: float, who: str = "qs-doctor") -> list[str]:
        reply = r.stub.ListOverdueReferrals(
            pb.ListOverdueReferralsRequest(parent=parent, as_of=_at(hours)), metadata=r.md(who)
        )
        return [x.name for x in reply.referrals]

    assert overdue(r.tenant("qs-chc"), 0) == []
    assert overdue(r.tenant("qs-chc"), 3) == [sent.name]
    assert overdue("regions/320311", 3, "qs-admin") == [sent.name]
    assert overdue("regions/320300", 3, "xz-admin") == [sent.name]
    # Another county's administrator, or the sibling city's, has no such list here.
    expect_error(
        lambda: overdue("regions/320311", 3, "nj-admin"), grpc.StatusCode.PERMISSION_DENIED
    )
    assert overdue("regions/320100", 3, "nj-admin") == []
    # The receiver's lateness is the sender's list, not the receiver's clinicians' business.
    expect_error(
        lambda: overdue(r.tenant("qs-chc"), 3, "qs-hosp-doctor"),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    # Accepted: the arrival limit (1 day) runs now.
    accepted = r.stub.AcceptReferral(
        pb.AcceptReferralRequest(name=sent.name), metadata=r.md("qs-hosp-doctor")
    )
    left = accepted.deadline.ToDatetime(tzinfo=UTC) - datetime.now(UTC)
    assert timedelta(hours=23) < left <= timedelta(days=1)
    assert overdue(r.tenant("qs-chc"), 3) == []
    assert overdue(r.tenant("qs-chc"), 25) == [sent.name]
    # Admitted: no limit runs.
    r.stub.AdmitReferral(pb.AdmitReferralRequest(name=sent.name), metadata=r.md("qs-hosp-doctor"))
    assert overdue(r.tenant("qs-chc"), 25) == []
    got = r.stub.GetReferral(pb.GetReferralRequest(name=sent.name), metadata=clinic)
    assert not got.HasField("deadline") and not got.overdue


@pytest.mark.cell_env(RHIP_REFERRAL_TIME_LIMITS="320311=1h/1d")
def test_the_overdue_list_pages_longest_overdue_first(referrals: Referrals) -> None:
    r = referrals
    names = [r.submitted().name for _ in range(3)]
    seen: list[str] = []
    token = ""
    as_of = _at(2)  # the same query on every page (a token is bound to its filters)
    while True:
        reply = r.stub.ListOverdueReferrals(
            pb.ListOverdueReferralsRequest(
                parent="regions/320311", as_of=as_of, page_size=2, page_token=token
            ),
            metadata=r.md("qs-admin"),
        )
        seen += [x.name for x in reply.referrals]
        assert all(x.overdue for x in reply.referrals)
        token = reply.next_page_token
        if not token:
            break
    assert seen == names  # submitted in this order, so due in this order


def test_only_the_parties_their_administrators_and_the_managing_institution_see_it(
    referrals: Referrals,
) -> None:
    r = referrals
    sent = r.submitted()
    get = pb.GetReferralRequest(name=sent.name)
    for who in ("qs-doctor", "qs-hosp-doctor", "qs-admin", "xz-admin", "js-auditor"):
        assert r.stub.GetReferral(get, metadata=r.md(who)).name == sent.name, who
    for who in ("ts-doctor", "nj-doctor", "nj-admin"):
        expect_error(
            lambda who=who: r.stub.GetReferral(get, metadata=r.md(who)),
            grpc.StatusCode.PERMISSION_DENIED,
        )
    # A missing referral looks like one out of reach to a clinician.
    expect_error(
        lambda: r.stub.GetReferral(
            pb.GetReferralRequest(name="referrals/0193a000-0000-7000-8000-000000000000"),
            metadata=r.md("ts-doctor"),
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    # Lists: another institution's inbox is not listed, and an outsider's own list is empty.
    expect_error(
        lambda: r.stub.ListReferrals(
            pb.ListReferralsRequest(parent=r.tenant("qs-hosp")), metadata=r.md("ts-doctor")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    mine = r.stub.ListReferrals(
        pb.ListReferralsRequest(parent=r.tenant("ts-th")), metadata=r.md("ts-doctor")
    )
    assert list(mine.referrals) == []
    listed = r.stub.ListReferrals(
        pb.ListReferralsRequest(parent=r.tenant("qs-hosp"), state=rpb.REFERRAL_STATE_SUBMITTED),
        metadata=r.md("qs-admin"),
    )
    assert [x.name for x in listed.referrals] == [sent.name]
    outbox_of_receiver = r.stub.ListReferrals(
        pb.ListReferralsRequest(parent=r.tenant("qs-hosp"), box=pb.BOX_OUTBOX),
        metadata=r.md("qs-hosp-doctor"),
    )
    assert list(outbox_of_receiver.referrals) == []


def test_bad_list_and_overdue_requests_name_their_field(referrals: Referrals) -> None:
    r = referrals
    md = r.md("qs-doctor")
    expect_error(
        lambda: r.stub.ListReferrals(pb.ListReferralsRequest(parent="regions/320311"), metadata=md),
        grpc.StatusCode.INVALID_ARGUMENT,
        "RESOURCE_NAME",
        "parent",
    )
    expect_error(
        lambda: r.stub.ListReferrals(
            pb.ListReferralsRequest(parent=r.tenant("qs-chc"), box=7), metadata=md
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        None,
        "box",
    )
    expect_error(
        lambda: r.stub.ListOverdueReferrals(
            pb.ListOverdueReferralsRequest(parent="healthRecords/x"), metadata=md
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "RESOURCE_NAME",
        "parent",
    )


def test_time_limit_settings_are_checked_at_start() -> None:
    limits = load_referral_settings({"RHIP_REFERRAL_TIME_LIMITS": "320311=24h/3d,370000=72h/10d"})
    assert limits.for_region("320311").accept_hours == 24
    assert limits.for_region("370481").arrive_days == 10  # Shandong's, by its province
    assert limits.for_region("320100").accept_hours == 48  # the default
    for bad in ("320311=24/3", "32031=1h/1d", "320311=0h/1d", "320311=1h/91d"):
        with pytest.raises(ConfigError, match="RHIP_REFERRAL_TIME_LIMITS"):
            load_referral_settings({"RHIP_REFERRAL_TIME_LIMITS": bad})
    with pytest.raises(ConfigError, match="RHIP_REFERRAL_ACCEPT_HOURS"):
        load_referral_settings({"RHIP_REFERRAL_ACCEPT_HOURS": "0"})
