"""Risk-grading use cases (DOMAIN §3.2): a qualified secondary-or-higher institution that also
holds midwifery adds an assessment to the open pregnancy of a woman it may see in the master
index, or, up to postpartum day 42, to her delivered one (a postpartum assessment: the grading
covers pregnancy up to 42 days postpartum); the series is never overwritten, and the
pregnancy's current grade (most severe non-purple colour plus the purple flag) is kept on the
episode for the high-risk lists."""

from __future__ import annotations

from dataclasses import replace

from rhip.kit.authn import current_principal
from rhip.kit.errors import FailedPrecondition, NotFound, Violations, invalid
from rhip.kit.idempotency import check_reuse, claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page
from rhip.kit.requests import parse_resource_name, validate_reason
from rhip.kit.tenancy import catalog, is_within, region_path
from rhip.kit.timestamps import clinical_day
from rhip.mch.indicators.counts import counting
from rhip.mch.pregnancies.domain import CHECK_42D_DAY, PregnancyState, VisitKind
from rhip.mch.pregnancies.store import PregnancyStore
from rhip.mch.pregnancies.usecases import PregnancyUseCases, parse_day
from rhip.mch.risk import domain
from rhip.mch.risk.domain import RiskAssessment
from rhip.mch.risk.reports import ReportStore, RiskReport, report_due
from rhip.mch.risk.screening import RiskScreening, answers_screening, check_findings
from rhip.mch.risk.store import RiskStore, ScreeningStore
from rhip.mch.roles import MCH

PACK_SUFFIX = "/riskRulePack"


class RiskUseCases(PregnancyUseCases):
    def rule_pack(self, name: str) -> tuple[str, domain.RulePack]:
        """The pack a region of this cell selects for new assessments, and the region's code.
        Reference data: any caller with mch access somewhere in the cell reads any region."""
        principal = current_principal()
        if not name.endswith(PACK_SUFFIX):
            raise invalid("name", "must be regions/{code}/riskRulePack", "NAME_FORMAT")
        code = parse_resource_name(name.removesuffix(PACK_SUFFIX), "regions", "name")
        catalog().require(code, "name")
        self._scopes(principal, "GetRiskRulePack")
        if not is_within(region_path(code), self.cell_path):
            raise NotFound(f"regions/{code} is not served by this cell")
        return code, self.options.risk_packs.for_region(code)

    def assess(
        self, mother: str, day_text: str, criteria: list[str], request_id: str
    ) -> RiskAssessment:
        principal = current_principal()
        today = clinical_day(self.clock())
        checks = Violations()
        checks.check(parse_resource_name, mother, "residents", "mother")
        day = checks.check(parse_day, day_text, "assessment_date", today, default_today=True)
        domain.colours_of(criteria, checks, None)
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        assert day is not None
        tenant, scope = self._own_tenant(principal, "AssessPregnancyRisk")
        # With the grading institution's conditions: secondary or higher, midwifery held.
        self._require_qualification(tenant, "RISK_GRADING")
        if key:
            with self.db.read() as tx:
                check_reuse(tx, key)
                earlier = RiskStore(tx).by_request(key)
            if earlier is not None:
                return earlier
        # The pack the institution's region selects now (RHIP_MCH_RISK_PACKS), its current
        # version; a retry above answers with the pack its first call used.
        pack = self.options.risk_packs.for_region(tenant.region_code)
        checks = Violations()
        kept = domain.colours_of(criteria, checks, pack)
        checks.raise_if_any()
        woman = self._woman(mother, "mother")
        institution = self._institution(tenant.tenant_id, tenant)
        now = self.clock()
        with self._unit() as tx:
            claim(tx, key)
            pregnancies = PregnancyStore(tx)
            p = pregnancies.open_of(woman.resident_id, lock=True)
            if p is None:
                # After the delivery, until the episode closes: her postpartum assessment.
                p = pregnancies.delivered_of(woman.resident_id, lock=True)
                p = p.as_of(today) if p is not None else None
                if p is None or p.state is PregnancyState.CLOSED:
                    raise FailedPrecondition(
                        "the woman has no open pregnancy, nor a delivered one before its "
                        "closing, in this cell",
                        reason="NO_OPEN_PREGNANCY",
                    )
            if day < p.registration_date:
                raise invalid(
                    "assessment_date", "is before the registration", "DATE_BEFORE_REGISTRATION"
                )
            postpartum_day = None
            if p.state.delivered and p.end_date is not None and day >= p.end_date:
                postpartum_day = (day - p.end_date).days
                if postpartum_day > CHECK_42D_DAY:
                    raise invalid(
                        "assessment_date", "is after postpartum day 42, which the grading covers",
                        "AFTER_POSTPARTUM_PERIOD",
                    )  # fmt: skip
            risk = RiskStore(tx)
            assessment = RiskAssessment(
                new_id(), p.pregnancy_id, day, tuple(domain.assessed_colours(kept, pack)),
                tuple(kept), pack.version, pack.pack_id, principal.subject, tenant.tenant_id, scope,
                tenant.level_name, 0 if postpartum_day is not None else p.ga_on(day), now,
                postpartum_day,
            )  # fmt: skip
            # The counts' locks before the audit head's, as in every write (no deadlock).
            with counting(tx, pregnancies=[p.pregnancy_id]):
                risk.add(assessment, key)
                grade = domain.current_grade(risk.series(p.pregnancy_id))
                # Yellow or above: her visit interval (more visits for high-risk women, §3.1)
                # runs from this assessment, or from her latest visit after it.
                latest = max(
                    (
                        v.visit_date
                        for v in pregnancies.visits(p.pregnancy_id)
                        if v.kind is VisitKind.ANTENATAL
                    ),
                    default=None,
                )
                after = p.regraded(grade.rank, grade.purple, day, latest, now)
                if answers_screening(day, p.screening):  # the assessment her screening asked for
                    after = replace(after, assessment_due=None)
                pregnancies.save(after)
                colour = report_due(p.risk_rank, grade.rank)
                report = None
                if colour is not None:  # one found, one reported (DOMAIN §3.2)
                    report = RiskReport(
                        new_id(), p.pregnancy_id, p.resident_id, assessment.assessment_id, colour,
                        p.scope_path.rsplit("/", 1)[0], "OPEN", now,
                    )  # fmt: skip
                    ReportStore(tx).add(report)
            if feed := self._feed(tx):
                feed.risk_changed(
                    p, domain.grade_of(p.risk_rank, p.purple), grade, assessment.assessment_id,
                    tenant.tenant_id, institution, day,
                )  # fmt: skip
            if report is not None:
                self._audit(
                    tx, "pregnancy.risk.report", f"riskReports/{report.report_id}",
                    report.scope_path, resident=p.resident_id, colour=report.colour.name,
                )  # fmt: skip
            self._audit(
                tx, "pregnancy.risk.assess", f"pregnancies/{p.pregnancy_id}/riskAssessments/"
                f"{assessment.assessment_id}", p.scope_path, resident=p.resident_id,
                colours=[c.name for c in assessment.colours], tenant=tenant.tenant_id,
                postpartum=postpartum_day is not None,
            )  # fmt: skip
            return assessment

    # -- screening (筛查) ---------------------------------------------------------------------
    def record_screening(
        self, parent: str, day_text: str, positive: bool, findings: list[str], request_id: str
    ) -> RiskScreening:
        """By the institution that manages her, while the pregnancy is open; a positive
        screening asks for her assessment by ``ASSESSMENT_DAYS`` later (a later screening
        replaces the due date: negative clears it)."""
        principal = current_principal()
        today = clinical_day(self.clock())
        checks = Violations()
        checks.check(parse_resource_name, parent, "pregnancies", "parent")
        day = checks.check(
            parse_day, day_text, "screening.screening_date", today, default_today=True
        )
        kept = check_findings(findings, positive, checks)
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        assert day is not None
        now = self.clock()
        with self._unit() as tx:
            p = self._load_pregnancy(tx, parent, "RecordRiskScreening", field="parent", lock=True)
            store = ScreeningStore(tx)
            if claim(tx, key) and (earlier := store.by_request(key)) is not None:
                return earlier
            p.require_open()
            if day < p.registration_date:
                raise invalid(
                    "screening.screening_date", "is before the registration",
                    "DATE_BEFORE_REGISTRATION",
                )  # fmt: skip
            screening = RiskScreening(
                new_id(), p.pregnancy_id, principal.tenant_id or p.tenant_id, day, positive, kept,
                principal.subject, now,
            )  # fmt: skip
            latest = p.screening  # kept on her row, read under its lock
            store.add(screening, key)
            if latest is None or (day, screening.screening_id) > (
                latest.screening_date,
                latest.screening_id,
            ):  # a screening dated before the latest one changes nothing that is due
                pregnancies = PregnancyStore(tx)
                pregnancies.save(
                    replace(p, assessment_due=screening.assessment_due, update_time=now)
                )
                pregnancies.save_screening(screening)
            self._audit(
                tx, "pregnancy.risk.screen", f"pregnancies/{p.pregnancy_id}/riskScreenings/"
                f"{screening.screening_id}", p.scope_path, resident=p.resident_id,
                positive=positive,
            )  # fmt: skip
            return screening

    def list_assessments(self, parent: str, page: Page) -> tuple[list[RiskAssessment], str]:
        with self._unit(durable=False) as tx:
            p = self._load_pregnancy(tx, parent, "ListRiskAssessments", field="parent")
            rows = RiskStore(tx).series(p.pregnancy_id, page.after, page.size + 1)
            self._audit(
                tx, "pregnancy.risk.read", f"pregnancies/{p.pregnancy_id}", p.scope_path,
                resident=p.resident_id,
            )  # fmt: skip
        chunk = rows[: page.size]
        token = page.next_token(chunk[-1].assessment_id if chunk else None, len(rows) > page.size)
        return chunk, token

    # -- high-risk case reports ----------------------------------------------------------------
    def list_reports(
        self, parent: str, open_only: bool, page: Page
    ) -> tuple[list[RiskReport], str]:
        principal = current_principal()
        code = parse_resource_name(parent, "regions", "parent")
        region = self.parents.region(principal, code, MCH + "ListRiskReports")
        scopes = self._scopes(principal, "ListRiskReports")
        with self._unit(durable=False) as tx:
            rows = ReportStore(tx).find(region.path, scopes, open_only, page.after, page.size + 1)
            self._audit(tx, "pregnancy.risk.reports.read", parent, region.path)
        chunk = rows[: page.size]
        token = page.next_token(chunk[-1].report_id if chunk else None, len(rows) > page.size)
        return chunk, token

    def acknowledge_report(self, name: str, note: str) -> RiskReport:
        principal = current_principal()
        checks = Violations()
        report_id = checks.check(parse_resource_name, name, "riskReports") or ""
        note = checks.check(validate_reason, note, "note") or ""
        checks.raise_if_any()
        with self._unit() as tx:
            store = ReportStore(tx)
            found = store.get(report_id, lock=True)
            self.authz.require_found(
                principal, found.scope_path if found else None, MCH + "AcknowledgeRiskReport",
                self.cell_path, f"riskReports/{report_id} does not exist",
            )  # fmt: skip
            assert found is not None
            done = found.acknowledged(principal.subject, self.clock(), note)
            with counting(tx, pregnancies=[found.pregnancy_id]):
                store.save(done)
            self._audit(
                tx, "pregnancy.risk.report.acknowledge", f"riskReports/{report_id}",
                found.scope_path, resident=found.resident_id,
            )  # fmt: skip
            return done
