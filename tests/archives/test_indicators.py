"""Completeness (不漏项、不缺项、不错项) and the indicators of §2.8 per institution and per
region subtree, with numerator, denominator and as-of date; a regional administrator sees
exactly their subtree; the ranking of institutions."""

from __future__ import annotations

import grpc
from archives.helpers import Archives, complete_form, days_ago
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from support.errors import expect_error

USAGE = apb.INDICATOR_KIND_USAGE_RATE


def _indicators(a: Archives, parent: str, who: str, as_of: str = "") -> dict[int, tuple[int, int]]:
    reply = a.api.GetIndicators(
        apb.GetIndicatorsRequest(parent=parent, as_of=as_of), metadata=a.md(who)
    )
    assert reply.as_of == (as_of or days_ago(0))
    return {i.kind: (i.numerator, i.denominator) for i in reply.indicators}


def _world(a: Archives) -> tuple[rec.HealthRecord, rec.HealthRecord, rec.HealthRecord]:
    man, elder = a.active("man"), a.active("elder")
    mother = a.active("mother", who="ts-doctor")
    a.api.StartFollowUpPlan(
        apb.StartFollowUpPlanRequest(parent=man.name, program=rec.PROGRAM_HYPERTENSION),
        metadata=a.md("qs-doctor"),
    )
    a.api.RecordFollowUp(
        apb.RecordFollowUpRequest(
            parent=man.name,
            follow_up=rec.FollowUp(
                program=rec.PROGRAM_HYPERTENSION, visit_date=days_ago(0),
                blood_pressure=rec.BloodPressure(systolic=130, diastolic=80),
            ),
        ),
        metadata=a.md("qs-doctor"),
    )  # fmt: skip
    a.api.StartFollowUpPlan(
        apb.StartFollowUpPlanRequest(
            parent=elder.name, program=rec.PROGRAM_TYPE2_DIABETES, first_due_date=days_ago(3)
        ),
        metadata=a.md("qs-doctor"),
    )
    a.api.UpdateHealthRecord(
        apb.UpdateHealthRecordRequest(
            name=elder.name, basic_info=complete_form(blood_type_abo=None), etag=elder.etag
        ),
        metadata=a.md("qs-doctor"),
    )
    return man, elder, mother


def test_completeness_lists_missing_and_wrong_items(archives: Archives) -> None:
    a = archives
    man, elder, _ = _world(a)
    good = a.api.GetRecordCompleteness(
        apb.GetRecordCompletenessRequest(name=man.name), metadata=a.md("qs-doctor")
    )
    assert good.score == 1.0 and list(good.missing_items) == [] and list(good.wrong_items) == []
    bad = a.api.GetRecordCompleteness(
        apb.GetRecordCompletenessRequest(name=elder.name), metadata=a.md("xz-admin")
    )
    assert list(bad.missing_items) == ["blood_type_abo"] and round(bad.score, 3) == round(
        17 / 18, 3
    )
    assert [w.split(":")[0] for w in bad.wrong_items] == ["diseases"]  # diabetic without diabetes
    expect_error(
        lambda: a.api.GetRecordCompleteness(
            apb.GetRecordCompletenessRequest(name=elder.name), metadata=a.md("nj-admin")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )


def test_indicators_of_a_region_and_an_institution(archives: Archives) -> None:
    a = archives
    _world(a)
    a.api.SetRegionPopulation(
        apb.SetRegionPopulationRequest(
            population=apb.RegionPopulation(
                region_code="320300", permanent_population=4, as_of=days_ago(10)
            )
        ),
        metadata=a.md("xz-admin"),
    )
    xuzhou = _indicators(a, "regions/320300", "xz-admin")
    assert xuzhou == {
        apb.INDICATOR_KIND_FILING_RATE: (3, 4),
        apb.INDICATOR_KIND_ELECTRONIC_FILING_RATE: (3, 4),
        apb.INDICATOR_KIND_USAGE_RATE: (1, 3),  # only the man has a dynamic record
        apb.INDICATOR_KIND_QUALIFIED_RATE: (2, 3),  # the elder's form lost an item
        apb.INDICATOR_KIND_FOLLOW_UP_RATE: (0, 2),  # nobody has 4 visits in a year yet
        apb.INDICATOR_KIND_TIMELY_FOLLOW_UP_RATE: (1, 2),  # the elder is overdue
    }
    quanshan = _indicators(a, a.tenant("qs-chc"), "qs-doctor")
    assert quanshan[apb.INDICATOR_KIND_QUALIFIED_RATE] == (1, 2)
    assert quanshan[apb.INDICATOR_KIND_FILING_RATE] == (2, 0)  # no population per institution
    # A county sees its own county; Nanjing counts nothing of Xuzhou and cannot ask for it.
    assert _indicators(a, "regions/320312", "xz-admin")[USAGE] == (0, 1)
    assert _indicators(a, "regions/320100", "nj-admin")[USAGE] == (0, 0)
    for who, parent in (
        ("nj-admin", "regions/320300"),
        ("qs-admin", "regions/320300"),
        ("qs-doctor", a.tenant("ts-th")),
    ):
        expect_error(
            lambda w=who, p=parent: _indicators(a, p, w), grpc.StatusCode.PERMISSION_DENIED
        )
    # As of last year nothing existed yet.
    assert _indicators(a, "regions/320300", "xz-admin", days_ago(400))[USAGE] == (0, 0)
    expect_error(
        lambda: a.api.SetRegionPopulation(
            apb.SetRegionPopulationRequest(
                population=apb.RegionPopulation(region_code="320300", permanent_population=0)
            ),
            metadata=a.md("xz-admin"),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    expect_error(
        lambda: a.api.SetRegionPopulation(
            apb.SetRegionPopulationRequest(
                population=apb.RegionPopulation(
                    region_code="320300", permanent_population=9, as_of=days_ago(1)
                )
            ),
            metadata=a.md("qs-doctor"),
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )


def test_ranking_of_institutions(archives: Archives) -> None:
    a = archives
    _world(a)
    reply = a.api.RankInstitutions(
        apb.RankInstitutionsRequest(parent="regions/320300", kind=USAGE), metadata=a.md("xz-admin")
    )
    assert [(s.tenant, s.indicator.numerator, s.indicator.denominator) for s in reply.best] == [
        (a.tenant("qs-chc"), 1, 2),
        (a.tenant("ts-th"), 0, 1),
    ]
    assert [s.tenant for s in reply.bottom] == [a.tenant("ts-th"), a.tenant("qs-chc")]
    expect_error(
        lambda: a.api.RankInstitutions(
            apb.RankInstitutionsRequest(
                parent="regions/320300", kind=apb.INDICATOR_KIND_FILING_RATE
            ),
            metadata=a.md("xz-admin"),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INDICATOR_KIND",
    )
    expect_error(
        lambda: a.api.RankInstitutions(
            apb.RankInstitutionsRequest(parent="regions/320300", kind=USAGE),
            metadata=a.md("nj-admin"),
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
