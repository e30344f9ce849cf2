"""Mutual recognition (docs/domain §6.4) and the lifetime timeline (issue 16): a marked,
QC-passed result is recognisable in its mark's scope, not outside it, not after its window
and not without QC; the timeline is time-ordered, paginated and shows only what the caller
could read at the source."""

from __future__ import annotations

from datetime import UTC

import pytest
from emr.helpers import Emr, lab_item, lab_report, stamp, summary
from rhip.api.emr.v1 import document_pb2 as dpb
from rhip.api.emr.v1 import emr_service_pb2 as pb
from rhip.kit.timestamps import clinical_day


def _verdicts(emr: Emr, who: str, date: str = "") -> dict[str, tuple[bool, list[str]]]:
    reply = emr.api.CheckRecognition(
        pb.CheckRecognitionRequest(parent=emr.residents["man"], date=date), metadata=emr.md(who)
    )
    return {v.item.local_code: (v.recognisable, list(v.reasons)) for v in reply.verdicts}


@pytest.mark.cell_env(RHIP_EMR_RECOGNITION_WINDOWS="LAB_TEST=30,EXAMINATION=180,320311:LAB_TEST=7")
def test_a_marked_qc_passed_result_is_recognisable_in_its_scope_and_window_only(emr: Emr) -> None:
    items = [
        lab_item("PROV"),  # 江苏省HR, 2 days old
        lab_item("XUZHOU", recognition_mark="徐州市HR", recognition_regions=["320300"]),
        lab_item("NANJING", recognition_mark="南京市HR", recognition_regions=["320100"]),
        lab_item("NOQC", qc_passed=False),
        lab_item("OLD", days_ago=10),  # past Quanshan's 7-day window for tests
        lab_item("NOMARK", recognition_mark="", recognition_regions=[]),
        lab_item(
            "CT", result_class=dpb.RESULT_CLASS_EXAMINATION, days_ago=10, name="胸部CT",
            recognition_mark="全国HR", recognition_regions=["CN"],
        ),
    ]  # fmt: skip
    emr.submit(lab_report(emr.numbers["man"], "LIS-R", items))
    seen = _verdicts(emr, "hosp-doctor")
    assert seen == {
        "PROV": (True, []),
        "XUZHOU": (True, []),
        "NANJING": (False, ["MARK_SCOPE_EXCLUDES_VIEWER"]),
        "NOQC": (False, ["QC_NOT_PASSED"]),
        "OLD": (False, ["OUTSIDE_VALIDITY_WINDOW"]),
        "NOMARK": (False, ["NOT_MARKED"]),
        "CT": (True, []),  # examinations: 180 days
    }
    later = clinical_day(stamp(-60).ToDatetime(tzinfo=UTC)).isoformat()
    assert _verdicts(emr, "hosp-doctor", later)["PROV"] == (False, ["OUTSIDE_VALIDITY_WINDOW"])


def test_a_result_outside_its_qc_period_is_not_recognisable(emr: Emr) -> None:
    emr.submit(
        lab_report(
            emr.numbers["man"], "LIS-Q",
            [lab_item("LAPSED", qc_period_start="2001-01-01", qc_period_end="2001-12-31")],
        )
    )  # fmt: skip
    assert _verdicts(emr, "hosp-doctor")["LAPSED"] == (False, ["QC_PERIOD_LAPSED"])


def test_another_institution_judges_only_results_it_may_read(emr: Emr) -> None:
    emr.submit(lab_report(emr.numbers["man"]))
    assert _verdicts(emr, "hosp2-doctor") == {}
    emr.consent("man", "hosp2-doctor", kinds=[dpb.DOCUMENT_KIND_LAB_REPORT])
    assert _verdicts(emr, "hosp2-doctor") == {"CREA": (True, [])}


def test_the_timeline_is_time_ordered_paginated_and_filtered_by_the_reading_rules(
    emr: Emr,
) -> None:
    number = emr.numbers["man"]
    emr.submit(summary(number, "MZ-OLD", effective_time=stamp(30)))
    emr.submit(lab_report(number, "LIS-NEW", effective_time=stamp(1)))
    emr.submit(summary(number, "MZ-MID", effective_time=stamp(10)))
    emr.submit(summary(number, "MZ-MID", version=2, effective_time=stamp(10)))  # no new entry
    first = emr.api.ListTimeline(
        pb.ListTimelineRequest(parent=emr.residents["man"], page_size=2), metadata=emr.md("his")
    )
    rest = emr.api.ListTimeline(
        pb.ListTimelineRequest(
            parent=emr.residents["man"], page_size=2, page_token=first.next_page_token
        ),
        metadata=emr.md("his"),
    )
    entries = [*first.entries, *rest.entries]
    assert [e.kind for e in entries] == [
        "DOCUMENT_KIND_LAB_REPORT",
        "DOCUMENT_KIND_OUTPATIENT_SUMMARY",
        "DOCUMENT_KIND_OUTPATIENT_SUMMARY",
    ]
    times = [e.occur_time.ToSeconds() for e in entries]
    assert times == sorted(times, reverse=True) and not rest.next_page_token
    other = emr.api.ListTimeline(
        pb.ListTimelineRequest(parent=emr.residents["man"]), metadata=emr.md("hosp2-doctor")
    )
    assert not other.entries  # no basis: nothing of another institution
    emr.consent("man", "hosp2-doctor", kinds=[dpb.DOCUMENT_KIND_LAB_REPORT])
    other = emr.api.ListTimeline(
        pb.ListTimelineRequest(parent=emr.residents["man"]), metadata=emr.md("hosp2-doctor")
    )
    assert [e.kind for e in other.entries] == ["DOCUMENT_KIND_LAB_REPORT"]
