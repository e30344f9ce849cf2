"""Referrals and teleconsultations on the resident's lifetime timeline (#16): each move reaches
emr's index through referral's outbox, shown to the institutions that read it here (sender,
receiver, the record's keeper; inviting and invited) and to no other; the record's events
beside them only to whoever reads the record at archives."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import grpc
from referral.conftest import Referrals
from referral.test_teleconsultation import _accept, _agreement, _request, _stub
from rhip.api.emr.v1 import emr_service_pb2 as epb
from rhip.api.emr.v1 import emr_service_pb2_grpc
from support.errors import expect_error


def _entries(r: Referrals, who: str) -> list[epb.TimelineEntry]:
    api = emr_service_pb2_grpc.EmrServiceStub(r.running.channel)
    reply = api.ListTimeline(
        epb.ListTimelineRequest(parent=r.resident, page_size=100), metadata=r.md(who)
    )
    return list(reply.entries)


def _kinds(r: Referrals, who: str) -> list[str]:
    return [e.kind for e in _entries(r, who)]


def _until(r: Referrals, who: str, wanted: set[str], seconds: float = 30.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while not wanted <= set(kinds := _kinds(r, who)):
        assert time.monotonic() < deadline, f"{who} sees {kinds}, not yet {wanted}"
        time.sleep(0.2)
    return kinds


def test_referral_and_teleconsultation_moves_on_the_timeline_of_those_who_read_them(
    referrals: Referrals,
) -> None:
    r = referrals
    _agreement(r)
    api = _stub(r)
    t = api.RequestTeleconsultation(_request(r), metadata=r.md("qs-doctor"))
    api.AcceptTeleconsultation(_accept(t.name), metadata=r.md("qs-hosp-doctor"))
    r.in_care()  # submitted, accepted, admitted
    moves = {
        "TELECONSULTATION_REQUESTED", "TELECONSULTATION_ACCEPTED", "REFERRAL_SUBMITTED",
        "REFERRAL_ACCEPTED", "REFERRAL_IN_CARE",
    }  # fmt: skip
    clinic = _until(r, "qs-doctor", moves | {"RECORD_CREATED", "RECORD_ACTIVATED"})
    assert len(clinic) == len(set(clinic))  # each once, newest first
    assert clinic[0] == "REFERRAL_IN_CARE" and clinic[-1] == "RECORD_CREATED"
    hospital = _until(r, "qs-hosp-doctor", moves)
    assert not [k for k in hospital if k.startswith("RECORD_")]  # it does not read the record
    # Each move names the referral's sender (the teleconsultation's inviting side) and its day,
    # those the hospital made too: the names are asked as the cell, not as the mover (a
    # hospital may not read the centre's directory entry itself).
    today = (datetime.now(UTC) + timedelta(hours=8)).date().isoformat()
    assert {(e.tenant_display_name, e.clinical_date) for e in _entries(r, "qs-hosp-doctor")} == {
        ("泉山社区卫生服务中心", today)
    }
    # Another county's institution does not even reach the resident's timeline.
    expect_error(lambda: _kinds(r, "ts-doctor"), grpc.StatusCode.PERMISSION_DENIED)
