"""Check-ups (§2.5) and hypertension / type 2 diabetes follow-ups (§2.6): impossible values
refused with every field named, classification, next-due dates, the 14-day rules, referral and
urgent tasks, overdue lists. docs/domain §10 scenario 10."""

from __future__ import annotations

from datetime import date, timedelta

import grpc
import pytest
from archives.helpers import Archives, days_ago
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.archives import common
from rhip.archives.follow_ups import domain
from rhip.archives.follow_ups.domain import BloodPressure, FollowUpPolicy, Program, Visit
from rhip.archives.settings import load_archives_settings
from rhip.kit.config import ConfigError
from support.errors import expect_error

HTN = rec.PROGRAM_HYPERTENSION
T2D = rec.PROGRAM_TYPE2_DIABETES
UNCONTROLLED = rec.FOLLOW_UP_CLASSIFICATION_UNCONTROLLED
CONTROLLED = rec.FOLLOW_UP_CLASSIFICATION_CONTROLLED


def _plan(
    a: Archives, record: rec.HealthRecord, program: int = HTN, due: str = "", who: str = "qs-doctor"
) -> rec.FollowUpPlan:  # type: ignore[no-untyped-def]
    return a.api.StartFollowUpPlan(
        apb.StartFollowUpPlanRequest(parent=record.name, program=program, first_due_date=due),
        metadata=a.md(who),
    )


def _visit(
    a: Archives, record: rec.HealthRecord, visit_date: str, who: str = "qs-doctor", **fields
) -> rec.FollowUp:  # type: ignore[no-untyped-def]
    bp = fields.pop("bp", None)
    follow_up = rec.FollowUp(
        program=fields.pop("program", HTN),
        visit_date=visit_date,
        blood_pressure=rec.BloodPressure(systolic=bp[0], diastolic=bp[1]) if bp else None,
        **fields,
    )
    return a.api.RecordFollowUp(
        apb.RecordFollowUpRequest(parent=record.name, follow_up=follow_up), metadata=a.md(who)
    )


def _tasks(a: Archives, record: rec.HealthRecord) -> list[rec.Task]:
    return list(
        a.api.ListTasks(apb.ListTasksRequest(parent=record.name), metadata=a.md("qs-doctor")).tasks
    )


def test_scenario_10_hypertension_uncontrolled_once_then_twice(archives: Archives) -> None:
    a = archives
    record = a.active("man")  # born 1985: aged 40, target <140/90
    _plan(a, record)
    first_day = date.today() - timedelta(days=20)
    first = _visit(a, record, first_day.isoformat(), bp=(152, 94))
    assert first.classification == UNCONTROLLED
    assert first.consecutive_uncontrolled == 1 and not first.referral_suggested
    assert date.fromisoformat(first.next_due_date) - first_day <= timedelta(days=14)
    assert (first.bp_target.systolic, first.bp_target.diastolic) == (140, 90)
    assert _tasks(a, record) == []
    second_day = first_day + timedelta(days=12)
    second = _visit(a, record, second_day.isoformat(), bp=(150, 92))
    assert second.classification == UNCONTROLLED and second.consecutive_uncontrolled == 2
    assert second.referral_suggested and not second.urgent_referral
    [task] = _tasks(a, record)
    assert task.kind == rec.TASK_KIND_REFERRAL_FOLLOW_UP and task.state == "open"
    assert date.fromisoformat(task.due_date) - second_day == timedelta(days=14)
    # Controlled again: the run ends and the next visit is a quarter away.
    third = _visit(a, record, (second_day + timedelta(days=7)).isoformat(), bp=(132, 84))
    assert third.classification == CONTROLLED and third.consecutive_uncontrolled == 0
    assert third.next_due_date == common.add_months(second_day + timedelta(days=7), 3).isoformat()
    history = a.api.ListFollowUps(
        apb.ListFollowUpsRequest(parent=record.name), metadata=a.md("qs-doctor")
    )
    assert [f.classification for f in history.follow_ups] == [
        CONTROLLED,
        UNCONTROLLED,
        UNCONTROLLED,
    ]


def test_adverse_reaction_and_complication(archives: Archives) -> None:
    a = archives
    record = a.active("man")
    _plan(a, record)
    adverse = _visit(a, record, days_ago(30), bp=(130, 80), adverse_reaction=True)
    assert adverse.classification == rec.FOLLOW_UP_CLASSIFICATION_ADVERSE_REACTION
    assert date.fromisoformat(adverse.next_due_date) == date.today() - timedelta(days=16)
    complication = _visit(a, record, days_ago(20), bp=(130, 80), complication=True)
    assert complication.classification == rec.FOLLOW_UP_CLASSIFICATION_COMPLICATION
    assert complication.referral_suggested
    assert [t.kind for t in _tasks(a, record)] == [rec.TASK_KIND_REFERRAL_FOLLOW_UP]


def test_elderly_target_is_configuration(archives: Archives) -> None:
    a = archives
    record = a.active("elder")  # born 1950
    _plan(a, record)
    visit = _visit(a, record, days_ago(1), bp=(145, 85))
    assert visit.classification == CONTROLLED  # <150/90 from 65 on
    assert (visit.bp_target.systolic, visit.bp_target.diastolic) == (150, 90)
    strict = FollowUpPolicy(elderly_bp_target=BloodPressure(140, 90))
    same = Visit(Program.HYPERTENSION, date.today(), BloodPressure(145, 85), 0, 0, False, False, ())
    assert domain.assess(same, 76, 0, strict).classification is domain.Classification.UNCONTROLLED
    options = load_archives_settings(
        {"RHIP_ARCHIVES_ELDERLY_BP_TARGET": "140/90", "RHIP_ARCHIVES_ELDERLY_AGE": "70"}
    )
    assert options.elderly_bp_target == (140, 90) and options.elderly_age == 70
    with pytest.raises(ConfigError):
        load_archives_settings({"RHIP_ARCHIVES_ELDERLY_BP_TARGET": "high"})


def test_emergency_criteria_create_an_urgent_referral_task(archives: Archives) -> None:
    a = archives
    record = a.active("man")
    _plan(a, record)
    _plan(a, record, T2D)
    urgent = _visit(a, record, days_ago(2), bp=(185, 100))
    assert urgent.urgent_referral and urgent.referral_suggested
    assert date.fromisoformat(urgent.next_due_date) == date.today() + timedelta(days=12)
    glucose = _visit(a, record, days_ago(1), program=T2D, fasting_glucose_mmol=3.5)
    assert glucose.urgent_referral
    signs = _visit(a, record, days_ago(0), program=T2D, fasting_glucose_mmol=6.1,
                   emergency_signs=[rec.EMERGENCY_SIGN_KETOTIC_BREATH])  # fmt: skip
    assert signs.urgent_referral and signs.classification == CONTROLLED
    kinds = [t.kind for t in _tasks(a, record)]
    assert kinds.count(rec.TASK_KIND_URGENT_REFERRAL) == 3
    controlled = _visit(a, record, days_ago(0), program=T2D, fasting_glucose_mmol=6.5)
    assert controlled.classification == CONTROLLED and not controlled.urgent_referral


def test_impossible_values_are_refused_with_every_field_and_change_nothing(
    archives: Archives,
) -> None:
    a = archives
    record = a.active("man")
    _plan(a, record)
    error = expect_error(
        lambda: _visit(a, record, days_ago(-30), bp=(400, 250), heart_rate=900),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert {v.field for v in error.violations} == {
        "follow_up.visit_date",
        "follow_up.blood_pressure.systolic",
        "follow_up.blood_pressure.diastolic",
        "follow_up.heart_rate",
    }
    expect_error(
        lambda: _visit(a, record, days_ago(1), bp=(80, 120)),
        grpc.StatusCode.INVALID_ARGUMENT, "BLOOD_PRESSURE_IMPOSSIBLE", "follow_up.blood_pressure.diastolic",
    )  # fmt: skip
    expect_error(
        lambda: _visit(a, record, days_ago(1)),
        grpc.StatusCode.INVALID_ARGUMENT, "MEASUREMENT_REQUIRED", "follow_up.blood_pressure",
    )  # fmt: skip
    expect_error(
        lambda: _visit(a, record, days_ago(1), program=T2D, fasting_glucose_mmol=6.0),
        grpc.StatusCode.FAILED_PRECONDITION, "NOT_IN_PROGRAM",
    )  # fmt: skip
    bad_check_up = rec.CheckUp(
        exam_date=days_ago(-1),
        temperature_celsius=50,
        height_cm=500,
        weight_kg=70,
        bp_left=rec.BloodPressure(systolic=30, diastolic=10),
        smoking_status=7,
    )
    error = expect_error(
        lambda: a.api.CreateCheckUp(
            apb.CreateCheckUpRequest(parent=record.name, check_up=bad_check_up),
            metadata=a.md("qs-doctor"),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert {v.field for v in error.violations} == {
        "check_up.exam_date",
        "check_up.temperature_celsius",
        "check_up.height_cm",
        "check_up.bp_left.systolic",
        "check_up.bp_left.diastolic",
        "check_up.smoking_status",
    }
    listed = a.api.ListFollowUps(
        apb.ListFollowUpsRequest(parent=record.name), metadata=a.md("qs-doctor")
    )
    check_ups = a.api.ListCheckUps(
        apb.ListCheckUpsRequest(parent=record.name), metadata=a.md("qs-doctor")
    )
    assert list(listed.follow_ups) == [] and list(check_ups.check_ups) == []


def test_a_check_up_keeps_its_sections(archives: Archives) -> None:
    a = archives
    record = a.active("man")
    check_up = rec.CheckUp(
        exam_date=days_ago(3),
        symptoms=[1],
        temperature_celsius=36.6,
        pulse=72,
        respiration=16,
        bp_left=rec.BloodPressure(systolic=128, diastolic=82),
        height_cm=172,
        weight_kg=70,
        waist_cm=86,
        exercise_frequency=2,
        smoking_status=1,
        physical_exam={"skin": "normal", "lungs": "normal"},
        fasting_glucose_mmol=5.4,
        ancillary={"ecg": "normal"},
        medications=[rec.Medication(drug="氨氯地平", usage="口服", dose="5mg qd", adherence=1)],
        vaccinations=[rec.Vaccination(vaccine="流感疫苗", date=days_ago(200), site="泉山社区")],
        health_evaluation=1,
    )
    stored = a.api.CreateCheckUp(
        apb.CreateCheckUpRequest(parent=record.name, check_up=check_up), metadata=a.md("qs-doctor")
    )
    assert stored.bmi == 23.7 and stored.physical_exam["lungs"] == "normal"
    assert stored.medications[0].drug == "氨氯地平"
    [listed] = a.api.ListCheckUps(
        apb.ListCheckUpsRequest(parent=record.name), metadata=a.md("xz-admin")
    ).check_ups
    assert listed.name == stored.name
    expect_error(
        lambda: a.api.CreateCheckUp(
            apb.CreateCheckUpRequest(parent=record.name, check_up=check_up),
            metadata=a.md("ts-doctor"),
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )


def test_overdue_lists_per_institution(archives: Archives) -> None:
    a = archives
    man, elder = a.active("man"), a.active("elder")
    tongshan = a.active("mother", who="ts-doctor")
    _plan(a, man, due=days_ago(20))
    _plan(a, elder, due=days_ago(5))
    _plan(a, elder, T2D, due=days_ago(-5))  # not yet due
    _plan(a, tongshan, due=days_ago(30), who="ts-doctor")
    request = apb.ListOverdueFollowUpPlansRequest(parent=a.tenant("qs-chc"), page_size=1)
    first = a.api.ListOverdueFollowUpPlans(request, metadata=a.md("qs-doctor"))
    request.page_token = first.next_page_token
    second = a.api.ListOverdueFollowUpPlans(request, metadata=a.md("qs-doctor"))
    plans = [*first.plans, *second.plans]
    assert [(p.record, p.days_overdue) for p in plans] == [(man.name, 20), (elder.name, 5)]
    assert not second.next_page_token
    # A visit moves the due date: no longer overdue.
    _visit(a, man, days_ago(1), bp=(130, 80))
    listed = a.api.ListOverdueFollowUpPlans(
        apb.ListOverdueFollowUpPlansRequest(parent=a.tenant("qs-chc")), metadata=a.md("xz-admin")
    )
    assert [p.record for p in listed.plans] == [elder.name]
    for who in ("nj-admin", "ts-doctor"):
        expect_error(
            lambda w=who: a.api.ListOverdueFollowUpPlans(
                apb.ListOverdueFollowUpPlansRequest(parent=a.tenant("qs-chc")), metadata=a.md(w)
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )
    expect_error(
        lambda: a.api.ListOverdueFollowUpPlans(
            apb.ListOverdueFollowUpPlansRequest(parent="clinics/1"), metadata=a.md("qs-doctor")
        ),
        grpc.StatusCode.INVALID_ARGUMENT, "RESOURCE_NAME", "parent",
    )  # fmt: skip
