"""Five-colour criteria as versioned rule packs (DOMAIN §3.2, issue #14): data files loaded
and validated at start, the national five-colour pack and a six-colour pack (adds pink) that a
region selects instead (RHIP_MCH_RISK_PACKS); a region's pack can change, and earlier
assessments keep the pack and version they were graded with."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import grpc
import pytest
from mch.conftest import Mch, days_ago, error_info, rid
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb
from rhip.kit.config import ConfigError
from rhip.kit.errors import InvalidArgument, Violations
from rhip.mch.risk import domain
from rhip.mch.risk.domain import PACKS_DIR, RiskColor, RulePackError, load_packs, parse_pack
from rhip.mch.settings import load_mch_settings, load_risk_packs

NATIONAL = json.loads((PACKS_DIR / "national-five-colour.json").read_text(encoding="utf-8"))


# -- the packs as data -----------------------------------------------------------------------
def test_the_shipped_packs_load_with_their_versions_and_colours() -> None:
    packs = load_packs()
    assert dict(packs.current) == {
        "national-five-colour": "national-five-colour@2017.1",
        "six-colour": "six-colour@2024.1",
    }
    national = packs.for_region("320311")
    assert national.key == "national-five-colour@2017.1"
    assert (
        RiskColor.PINK not in national.colours and national.criteria["O-HEART"] is RiskColor.ORANGE
    )
    six = packs.packs["six-colour@2024.1"]
    assert six.colours == (
        RiskColor.GREEN, RiskColor.PINK, RiskColor.YELLOW, RiskColor.ORANGE, RiskColor.RED,
        RiskColor.PURPLE,
    )  # fmt: skip
    assert six.criteria["K-PSYCHOSOCIAL"] is RiskColor.PINK
    # Every national criterion keeps its colour in the six-colour pack.
    assert {k: v for k, v in six.criteria.items() if v is not RiskColor.PINK} == dict(
        national.criteria
    )


def _bad(**change: object) -> dict[str, object]:
    return {**NATIONAL, **change}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a JSON object"),
        (_bad(extra=1), "unknown keys"),
        (_bad(id="National Pack"), "id must be"),
        (_bad(version=""), "version must be"),
        (_bad(colours=["GREEN", "BLUE"]), "'BLUE' is unknown"),
        (_bad(colours=["GREEN", "GREEN"]), "repeated"),
        (_bad(colours=["YELLOW", "PURPLE"]), "must include GREEN"),
        (_bad(criteria=[]), "criteria must be a non-empty list"),
        (_bad(criteria=[{"id": "y-age-35", "colour": "YELLOW"}]), "must look like Y-AGE-35"),
        (_bad(criteria=[{"id": "K-X1", "colour": "PINK"}]), "not a colour of the pack"),
        (_bad(criteria=[{"id": "Y-X1", "colour": "BLUE"}]), "is not a colour"),
        (_bad(criteria=[{"id": "G-X1", "colour": "GREEN"}]), "green is the absence"),
        (
            _bad(criteria=[{"id": "Y-X1", "colour": "YELLOW"}, {"id": "Y-X1", "colour": "RED"}]),
            "repeated",
        ),
        (_bad(criteria=[{"id": "Y-X1", "colour": "YELLOW", "score": 3}]), "must be an object"),
    ],
)
def test_a_bad_pack_is_refused_with_the_file_and_the_fault(data: object, message: str) -> None:
    with pytest.raises(RulePackError, match=message) as caught:
        parse_pack(data, "mine.json")
    assert "rule pack mine.json" in str(caught.value)


def test_loading_a_directory_checks_json_duplicates_and_the_national_pack(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(RulePackError, match=r"a\.json: not readable JSON"):
        load_packs(tmp_path)
    (tmp_path / "a.json").write_text(json.dumps(NATIONAL), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(NATIONAL), encoding="utf-8")
    with pytest.raises(RulePackError, match=r"national-five-colour@2017\.1 is defined twice"):
        load_packs(tmp_path)
    (tmp_path / "b.json").write_text(json.dumps(_bad(version="2017.10")), encoding="utf-8")
    (tmp_path / "c.json").write_text(json.dumps(_bad(version="2017.9")), encoding="utf-8")
    packs = load_packs(tmp_path)  # every version kept, the highest one current
    assert packs.current["national-five-colour"] == "national-five-colour@2017.10"
    assert packs.get("national-five-colour", "2017.1") is not None
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.json").write_text(json.dumps(_bad(id="six-colour")), encoding="utf-8")
    with pytest.raises(RulePackError, match="no national-five-colour rule pack"):
        load_packs(other)


def test_the_region_selection_is_a_setting_checked_at_start() -> None:
    settings = load_mch_settings(
        {"RHIP_MCH_RISK_PACKS": "320300=six-colour, 320311=national-five-colour"}
    )
    packs = settings.risk_packs
    assert packs.for_region("320312").key == "six-colour@2024.1"  # Tongshan: the city's
    assert packs.for_region("320311").key == "national-five-colour@2017.1"  # the county's own
    assert packs.for_region("370400").key == "national-five-colour@2017.1"  # elsewhere
    for value, message in (
        ("320300:six-colour", "should look like 320300=six-colour"),
        ("32030=six-colour", "should look like"),
        ("320300=seven-colour", "no rule pack seven-colour"),
    ):
        with pytest.raises(ConfigError, match="RHIP_MCH_RISK_PACKS") as caught:
            load_risk_packs({"RHIP_MCH_RISK_PACKS": value})
        assert message in str(caught.value)


def test_pink_grades_between_green_and_yellow() -> None:
    six = load_packs().packs["six-colour@2024.1"]
    checks = Violations()
    kept = domain.colours_of(["k-psychosocial", "P-HBV", "K-PSYCHOSOCIAL"], checks, six)
    checks.raise_if_any()
    assert kept == ["K-PSYCHOSOCIAL", "P-HBV"]
    assert domain.assessed_colours(kept, six) == [RiskColor.PINK, RiskColor.PURPLE]
    assert domain.assessed_colours(["K-PSYCHOSOCIAL", "Y-TWINS"], six) == [
        RiskColor.PINK, RiskColor.YELLOW,
    ]  # fmt: skip
    pink = domain.grade_of(domain.SEVERITY[RiskColor.PINK], False)
    assert pink.colour is RiskColor.PINK and pink.management == []  # no secondary delivery
    assert domain.SEVERITY[RiskColor.GREEN] < pink.rank < domain.SEVERITY[RiskColor.YELLOW]
    national = load_packs().packs["national-five-colour@2017.1"]
    checks = Violations()
    domain.colours_of(["K-PSYCHOSOCIAL"], checks, national)
    with pytest.raises(InvalidArgument):  # pink criteria are not national ones
        checks.raise_if_any()


# -- through the API -------------------------------------------------------------------------
def _assess(mch: Mch, criteria: list[str], day: str) -> pb.RiskAssessment:
    return mch.api.AssessPregnancyRisk(
        mpb.AssessPregnancyRiskRequest(
            mother=mch.residents["woman"], assessment_date=day, criteria=criteria, request_id=rid()
        ),
        metadata=mch.md("qs-hosp-doctor"),
    )


def _series(mch: Mch, name: str) -> list[pb.RiskAssessment]:
    return list(
        mch.api.ListRiskAssessments(
            mpb.ListRiskAssessmentsRequest(parent=name), metadata=mch.md("qs-doctor")
        ).assessments
    )


def _select(mch: Mch, **by_region: str) -> None:
    """What a restart with RHIP_MCH_RISK_PACKS=… does: the region's selection changes."""
    uc = mch.running.cell.part("mch").usecases
    packs = replace(uc.options.risk_packs, by_region=by_region)
    uc.options = replace(uc.options, risk_packs=packs)


def test_assessments_name_their_pack_and_keep_it_when_the_region_changes(mch: Mch) -> None:
    p = mch.register(lmp_days_ago=150, registration_date=days_ago(80))
    first = _assess(mch, ["Y-TWINS"], days_ago(30))
    assert (first.rules_pack, first.rules_version) == ("national-five-colour", "2017.1")
    # Pink is not a national criterion: refused, nothing written.
    with pytest.raises(grpc.RpcError) as caught:
        _assess(mch, ["Y-TWINS", "K-PSYCHOSOCIAL"], days_ago(20))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    _, fields = error_info(caught.value)
    assert [f for f, _ in fields] == ["criteria[1]"]
    assert "national-five-colour@2017.1" in fields[0][1]
    assert len(_series(mch, p.name)) == 1

    _select(mch, **{"320300": "six-colour"})  # Xuzhou switches to the six-colour pack
    pink = _assess(mch, ["K-PSYCHOSOCIAL"], days_ago(10))
    assert (pink.rules_pack, pink.rules_version) == ("six-colour", "2024.1")
    assert list(pink.colors) == [pb.RISK_COLOR_PINK]
    got = mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-doctor"))
    assert got.risk.color == pb.RISK_COLOR_PINK and list(got.risk.management) == []

    def listed(colour: int) -> bool:
        reply = mch.api.ListPregnancies(
            mpb.ListPregnanciesRequest(parent=mch.tenant("qs-chc"), min_risk=colour),
            metadata=mch.md("qs-admin"),
        )
        return p.name in {x.name for x in reply.pregnancies}

    assert listed(pb.RISK_COLOR_PINK) and listed(pb.RISK_COLOR_GREEN)
    assert not listed(pb.RISK_COLOR_YELLOW)

    _select(mch)  # back to the national pack
    with pytest.raises(grpc.RpcError) as caught:
        _assess(mch, ["K-PSYCHOSOCIAL"], days_ago(5))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    orange = _assess(mch, ["O-HEART"], days_ago(1))
    assert orange.rules_pack == "national-five-colour"
    # The series keeps each assessment's own pack and version.
    assert [(a.rules_pack, a.rules_version, list(a.colors)) for a in _series(mch, p.name)] == [
        ("national-five-colour", "2017.1", [pb.RISK_COLOR_YELLOW]),
        ("six-colour", "2024.1", [pb.RISK_COLOR_PINK]),
        ("national-five-colour", "2017.1", [pb.RISK_COLOR_ORANGE]),
    ]
    got = mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-doctor"))
    assert got.risk.color == pb.RISK_COLOR_ORANGE  # pink → orange files a report
    reports = mch.api.ListRiskReports(
        mpb.ListRiskReportsRequest(parent="regions/320311"), metadata=mch.md("qs-admin")
    ).reports
    assert [r.color for r in reports] == [pb.RISK_COLOR_ORANGE]


def test_a_region_outside_the_selection_keeps_the_national_pack(mch: Mch) -> None:
    mch.register(lmp_days_ago=150, registration_date=days_ago(80))
    _select(mch, **{"320100": "six-colour"})  # Nanjing, not Xuzhou
    with pytest.raises(grpc.RpcError) as caught:
        _assess(mch, ["K-PSYCHOSOCIAL"], days_ago(1))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert _assess(mch, ["Y-TWINS"], days_ago(1)).rules_pack == "national-five-colour"


def test_the_migration_keeps_earlier_grades_and_names_the_national_pack(mch: Mch) -> None:
    """A database from before the packs: grades 1–4 become severities, earlier assessments
    name the national pack they were graded with."""
    from alembic import command
    from rhip.kit.db import alembic_config
    from rhip.mch.server import MIGRATIONS
    from sqlalchemy import text

    p = mch.register(lmp_days_ago=150, registration_date=days_ago(80))
    _assess(mch, ["O-HEART"], days_ago(1))
    db = mch.running.cell.part("mch").db
    cfg = alembic_config(MIGRATIONS)
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "mch_0001")
    with db.engine.begin() as connection:
        assert connection.execute(text("SELECT risk_rank FROM pregnancy")).scalar_one() == 3
        connection.execute(text("UPDATE risk_assessment SET rules_version = '2017.1'"))
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")
    got = mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-doctor"))
    assert got.risk.color == pb.RISK_COLOR_ORANGE
    assert [(a.rules_pack, a.rules_version) for a in _series(mch, p.name)] == [
        ("national-five-colour", "2017.1")
    ]


def test_a_broken_pack_file_stops_the_start_with_a_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from rhip.mch import settings

    (tmp_path / "national.json").write_text(json.dumps(_bad(colours=["GREEN"])), encoding="utf-8")
    monkeypatch.setattr(settings, "shipped_packs", lambda: load_packs(tmp_path))
    with pytest.raises(ConfigError, match=r"rule pack national\.json: criteria\[0\]\.colour"):
        load_mch_settings({})


def test_a_retry_after_the_region_changed_packs_answers_the_first_grading(mch: Mch) -> None:
    mch.register(lmp_days_ago=150, registration_date=days_ago(80))
    _select(mch, **{"320311": "six-colour"})
    request = mpb.AssessPregnancyRiskRequest(
        mother=mch.residents["woman"], assessment_date=days_ago(2), criteria=["K-PSYCHOSOCIAL"],
        request_id=rid(),
    )  # fmt: skip
    first = mch.api.AssessPregnancyRisk(request, metadata=mch.md("qs-hosp-doctor"))
    _select(mch)
    again = mch.api.AssessPregnancyRisk(request, metadata=mch.md("qs-hosp-doctor"))
    assert again == first and again.rules_pack == "six-colour"


def _pack(mch: Mch, code: str, who: str = "qs-doctor") -> pb.RiskRulePack:
    return mch.api.GetRiskRulePack(
        mpb.GetRiskRulePackRequest(name=f"regions/{code}/riskRulePack"), metadata=mch.md(who)
    )


def test_a_clinician_reads_the_pack_her_region_grades_with_and_its_criteria(mch: Mch) -> None:
    national = _pack(mch, "320311")
    assert (national.pack, national.version) == ("national-five-colour", "2017.1")
    assert national.name == "regions/320311/riskRulePack"
    assert [c.id for c in national.criteria] == [c["id"] for c in NATIONAL["criteria"]]
    twins = next(c for c in national.criteria if c.id == "Y-TWINS")
    assert (twins.color, twins.label) == (pb.RISK_COLOR_YELLOW, "twins")
    assert pb.RISK_COLOR_PINK not in national.colors
    _select(mch, **{"320300": "six-colour"})  # what an assessment in Xuzhou now grades with
    six = _pack(mch, "320311")
    assert (six.pack, six.version) == ("six-colour", "2024.1")
    assert pb.RISK_COLOR_PINK in six.colors
    assert any(c.id == "K-PSYCHOSOCIAL" for c in six.criteria)
    assert _pack(mch, "320100", who="qs-admin").pack == "national-five-colour"  # Nanjing


def test_a_rule_pack_name_is_checked_and_other_cells_regions_are_not_served(mch: Mch) -> None:
    for name, reason in (
        ("regions/320311", "NAME_FORMAT"),
        ("regions/999999/riskRulePack", "UNKNOWN_REGION"),
        ("regions/32031/riskRulePack", "REGION_CODE_FORMAT"),
    ):
        with pytest.raises(grpc.RpcError) as caught:
            mch.api.GetRiskRulePack(
                mpb.GetRiskRulePackRequest(name=name), metadata=mch.md("qs-doctor")
            )
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT, name
        assert error_info(caught.value)[0].reason == reason, name
    with pytest.raises(grpc.RpcError) as caught:
        _pack(mch, "370402")  # Zaozhuang: the Shandong cell's
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
