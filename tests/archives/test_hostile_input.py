"""Bad input found from outside (issue 12, items 4–6): each is INVALID_ARGUMENT naming the
field and reason, is delivered (not RESOURCE_EXHAUSTED), and leaves nothing stored."""

from __future__ import annotations

import base64
import math

import grpc
import pytest
from archives.helpers import Archives, complete_form, days_ago
from google.protobuf.timestamp_pb2 import Timestamp
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.archives.follow_ups.store import CheckUpRow, FollowUpRow
from rhip.archives.quality.store import RegionPopulationRow
from rhip.archives.records.store import HealthRecordRow
from rhip.archives.teams.store import CareTeamRow
from sqlalchemy import func, select
from support.errors import expect_error

INVALID = grpc.StatusCode.INVALID_ARGUMENT
ROWS = (HealthRecordRow, CheckUpRow, FollowUpRow, CareTeamRow, RegionPopulationRow)


def _counts(a: Archives) -> dict[str, int]:
    with a.running.cell.part("archives").usecases.db.transaction() as session:
        return {
            row.__tablename__: session.execute(select(func.count()).select_from(row)).scalar_one()
            for row in ROWS
        }


def _check_up(**fields) -> rec.CheckUp:  # type: ignore[no-untyped-def]
    base = {
        "exam_date": days_ago(3),
        "temperature_celsius": 36.6,
        "bp_left": rec.BloodPressure(systolic=128, diastolic=82),
        "height_cm": 172,
        "weight_kg": 70,
    }
    return rec.CheckUp(**{**base, **fields})


def _create_check_up(a: Archives, record: rec.HealthRecord, check_up: rec.CheckUp) -> rec.CheckUp:
    return a.api.CreateCheckUp(
        apb.CreateCheckUpRequest(parent=record.name, check_up=check_up), metadata=a.md("qs-doctor")
    )


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=str)
def test_non_finite_vital_signs_are_refused(archives: Archives, value: float) -> None:
    a = archives
    record = a.active("man")
    before = _counts(a)
    for field in ("temperature_celsius", "weight_kg", "fasting_glucose_mmol"):
        expect_error(
            lambda f=field: _create_check_up(a, record, _check_up(**{f: value})),
            INVALID, "NUMBER_NOT_FINITE", f"check_up.{field}",
        )  # fmt: skip
    expect_error(
        lambda: a.api.RecordFollowUp(
            apb.RecordFollowUpRequest(
                parent=record.name,
                follow_up=rec.FollowUp(
                    program=rec.PROGRAM_HYPERTENSION,
                    visit_date=days_ago(1),
                    blood_pressure=rec.BloodPressure(systolic=130, diastolic=80),
                    fasting_glucose_mmol=value,
                ),
            ),
            metadata=a.md("qs-doctor"),
        ),
        INVALID, "NUMBER_NOT_FINITE", "follow_up.fasting_glucose_mmol",
    )  # fmt: skip
    assert _counts(a) == before


def test_an_absurd_output_only_time_is_ignored_not_internal(archives: Archives) -> None:
    """``create_time`` is output only (AIP-203): ignored, so a time of 10^15 seconds (which
    made the form's JSON conversion fail) no longer matters; the server sets its own."""
    a = archives
    record = a.active("man")
    stored = _create_check_up(a, record, _check_up(create_time=Timestamp(seconds=10**15)))
    assert 2020 < stored.create_time.ToDatetime().year < 2100


def test_dates_must_be_strict_and_in_a_sane_range(archives: Archives) -> None:
    a = archives
    record = a.active("man")
    before = _counts(a)
    for text in ("2026-W01-1", "20260101", "2026-1-1", "２０２６-01-01"):
        expect_error(
            lambda t=text: _create_check_up(a, record, _check_up(exam_date=t)),
            INVALID, "DATE_FORMAT", "check_up.exam_date",
        )  # fmt: skip
    expect_error(
        lambda: _create_check_up(a, record, _check_up(exam_date="1800-01-01")),
        INVALID, "DATE_OUT_OF_RANGE", "check_up.exam_date",
    )  # fmt: skip
    expect_error(
        lambda: a.api.SetRegionPopulation(
            apb.SetRegionPopulationRequest(
                population=apb.RegionPopulation(
                    region_code="320311", permanent_population=1000, as_of="9999-12-31"
                )
            ),
            metadata=a.md("xz-admin"),
        ),
        INVALID, "DATE_OUT_OF_RANGE", "population.as_of",
    )  # fmt: skip
    expect_error(
        lambda: a.api.ListOverdueFollowUpPlans(
            apb.ListOverdueFollowUpPlansRequest(parent=a.tenant("qs-chc"), as_of="9999-12-31"),
            metadata=a.md("qs-doctor"),
        ),
        INVALID, "DATE_OUT_OF_RANGE", "as_of",
    )  # fmt: skip
    assert _counts(a) == before


def test_oversized_repeated_fields_and_maps_are_one_deliverable_violation(
    archives: Archives,
) -> None:
    a = archives
    record = a.active("man")
    before = _counts(a)
    many_diseases = [rec.HistoryItem(code=99, name="病" * 50) for _ in range(5000)]
    error = expect_error(
        lambda: a.create("elder", basic_info=complete_form(diseases=many_diseases)),
        INVALID, "TOO_MANY_ITEMS", "basic_info.diseases",
    )  # fmt: skip
    assert len(error.violations) == 1
    many_medications = [rec.Medication(drug="药" * 90) for _ in range(10_000)]
    expect_error(
        lambda: _create_check_up(a, record, _check_up(medications=many_medications)),
        INVALID, "TOO_MANY_ITEMS", "check_up.medications",
    )  # fmt: skip
    big_map = {f"item{i}": "normal" for i in range(2000)}
    error = expect_error(
        lambda: _create_check_up(a, record, _check_up(physical_exam=big_map, ancillary=big_map)),
        INVALID, "TOO_MANY_ITEMS",
    )  # fmt: skip
    assert {v.field for v in error.violations} == {"check_up.physical_exam", "check_up.ancillary"}
    expect_error(
        lambda: a.api.RecordFollowUp(
            apb.RecordFollowUpRequest(
                parent=record.name,
                follow_up=rec.FollowUp(
                    program=rec.PROGRAM_HYPERTENSION,
                    visit_date=days_ago(1),
                    blood_pressure=rec.BloodPressure(systolic=130, diastolic=80),
                    emergency_signs=[rec.EMERGENCY_SIGN_CHEST_PAIN] * 10_000,
                ),
            ),
            metadata=a.md("qs-doctor"),
        ),
        INVALID, "TOO_MANY_ITEMS", "follow_up.emergency_signs",
    )  # fmt: skip
    assert _counts(a) == before


def test_free_text_with_control_characters_is_refused(archives: Archives) -> None:
    a = archives
    record = a.active("man")
    before = _counts(a)
    expect_error(
        lambda: a.api.CreateCareTeam(
            apb.CreateCareTeamRequest(
                parent=a.tenant("qs-chc"), team=rec.CareTeam(display_name="一队\x1b[2J")
            ),
            metadata=a.md("qs-doctor"),
        ),
        INVALID, "CONTROL_CHARACTER", "team.display_name",
    )  # fmt: skip
    expect_error(
        lambda: _create_check_up(a, record, _check_up(physical_exam={"skin\x00": "normal"})),
        INVALID, "CONTROL_CHARACTER", "check_up.physical_exam",
    )  # fmt: skip
    expect_error(
        lambda: a.create("elder", basic_info=complete_form(work_unit="矿务\x85集团")),
        INVALID, "CONTROL_CHARACTER", "basic_info.work_unit",
    )  # fmt: skip
    assert _counts(a) == before
    # A multi-line note keeps its line breaks.
    stored = _create_check_up(a, record, _check_up(abnormalities=["血压偏高\n建议复查"]))
    assert list(stored.abnormalities) == ["血压偏高\n建议复查"]


def test_page_tokens_of_deeply_nested_json_are_refused(archives: Archives) -> None:
    a = archives
    nested = base64.urlsafe_b64encode(b"[" * 10_000 + b"]" * 10_000).decode().rstrip("=")
    shallow = base64.urlsafe_b64encode(b"[" * 300 + b"]" * 300).decode().rstrip("=")
    wrong_shape = base64.urlsafe_b64encode(b'{"a":[1],"q":{}}').decode().rstrip("=")
    for token in (nested, shallow, wrong_shape, "A" * 600):
        expect_error(
            lambda t=token: a.api.ListHealthRecords(
                apb.ListHealthRecordsRequest(parent=a.tenant("qs-chc"), page_token=t),
                metadata=a.md("qs-doctor"),
            ),
            INVALID, "PAGE_TOKEN_INVALID", "page_token",
        )  # fmt: skip


def test_extreme_numbers_are_refused_not_overflowed(archives: Archives) -> None:
    a = archives
    before = _counts(a)
    expect_error(
        lambda: a.api.SetRegionPopulation(
            apb.SetRegionPopulationRequest(
                population=apb.RegionPopulation(
                    region_code="320311", permanent_population=2**62, as_of=days_ago(1)
                )
            ),
            metadata=a.md("xz-admin"),
        ),
        INVALID, "POPULATION_TOO_LARGE", "population.permanent_population",
    )  # fmt: skip
    assert _counts(a) == before
