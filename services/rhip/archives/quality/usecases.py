"""Quality use cases (docs/domain §2.8): spot checks and their findings, regions'
populations, indicators and the ranking of institutions."""

from __future__ import annotations

from datetime import date

from rhip.archives import common
from rhip.archives.access import UseCaseBase
from rhip.archives.quality import domain
from rhip.archives.quality.domain import Finding, SpotCheck
from rhip.archives.records.domain import HealthRecord, RecordState
from rhip.archives.repository import ArchivesRepository
from rhip.archives.roles import ARCHIVES
from rhip.kit.authn import current_principal
from rhip.kit.errors import FailedPrecondition, NotFound, PermissionDenied, Violations, invalid
from rhip.kit.idempotency import claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page
from rhip.kit.tenancy import catalog
from rhip.kit.timestamps import clinical_day


class QualityUseCases(UseCaseBase):
    def create_spot_check(
        self, parent: str, sample_size: int, request_id: str
    ) -> tuple[SpotCheck, list[str], list[Finding]]:
        principal = current_principal()
        checks = Violations()
        if not 1 <= sample_size <= 200:
            checks.add("sample_size", "must be 1–200", "SAMPLE_SIZE")
        request_id = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        scope, _, _ = self._indicator_scope(parent, "CreateSpotCheck")
        now = self.clock()
        with self._unit() as repo:
            claim(repo.s, request_id)
            if request_id and (earlier := repo.spot_check_by_request(request_id)):
                return (
                    earlier,
                    repo.sample(earlier.spot_check_id),
                    repo.findings(earlier.spot_check_id),
                )
            check = SpotCheck(new_id(), parent, scope, now)
            sampled = repo.add_spot_check(check, principal.subject, sample_size, request_id)
            self._audit(
                repo,
                "spot_check.create",
                f"spotChecks/{check.spot_check_id}",
                scope,
                sampled=len(sampled),
            )
            return check, sorted(sampled), []

    def _load_spot_check(self, repo: ArchivesRepository, name: str, method: str) -> SpotCheck:
        principal = current_principal()
        check_id = common.parse_name(
            name, "spotChecks", "name" if method == "GetSpotCheck" else "parent"
        )
        check = repo.spot_check(check_id)
        if check is None:
            if self.authz.enforce(principal.subject, self.cell_path, ARCHIVES + method):
                raise NotFound(f"spotChecks/{check_id} does not exist")
            raise PermissionDenied(f"not allowed to call {method} here")
        self._require(principal, check.scope_path, method)
        return check

    def get_spot_check(self, name: str) -> tuple[SpotCheck, list[str], list[Finding]]:
        with self._unit(durable=False) as repo:
            check = self._load_spot_check(repo, name, "GetSpotCheck")
            self._audit(repo, "spot_check.read", name, check.scope_path)
            return check, repo.sample(check.spot_check_id), repo.findings(check.spot_check_id)

    def list_spot_checks(
        self, parent: str, page: Page
    ) -> tuple[list[tuple[SpotCheck, list[str], list[Finding]]], str]:
        """The spot checks of ``parent``'s subtree (a region's include its institutions'),
        newest first: the caller must be allowed to list at ``parent`` itself, and the query
        reaches nothing outside it."""
        scope, _, _ = self._indicator_scope(parent, "ListSpotChecks")
        with self._unit(durable=False) as repo:
            checks = repo.spot_checks(scope, page.after, page.size + 1)
            chunk = checks[: page.size]
            answer = [
                (c, repo.sample(c.spot_check_id), repo.findings(c.spot_check_id)) for c in chunk
            ]
            self._audit(repo, "spot_check.list", parent, scope, hits=len(chunk))
        last = chunk[-1].spot_check_id if chunk else None
        return answer, page.next_token(last, len(checks) > page.size)

    def record_finding(self, parent: str, record_name: str, item: str, description: str) -> Finding:
        checks = Violations()
        record_id = (
            checks.check(common.parse_name, record_name, "healthRecords", "finding.record") or ""
        )
        item = item.strip()
        if not item or len(item) > 100:
            checks.add("finding.item", "must be 1–100 characters", "FINDING_ITEM_REQUIRED")
        description = checks.check(common.validate_reason, description, "finding.description") or ""
        checks.raise_if_any()
        now = self.clock()
        with self._unit() as repo:
            check = self._load_spot_check(repo, parent, "RecordSpotCheckFinding")
            if record_id not in repo.sample(check.spot_check_id):
                raise FailedPrecondition(
                    "the record is not in this sample", reason="RECORD_NOT_SAMPLED"
                )
            record = repo.get(record_id)
            assert record is not None
            _require_not_a_trace(record, "mark a finding on")
            finding = Finding(
                new_id(), check.spot_check_id, record_id, item, description, "open", "", now, None
            )
            repo.add_finding(finding)
            repo.record(
                record_id, "SPOT_CHECK_FINDING", current_principal().subject, now, item=item
            )
            self._audit(
                repo,
                "spot_check.finding",
                f"{parent}/findings/{finding.finding_id}",
                record.scope_path,
                record=record_id,
            )
            return finding

    def resolve_finding(self, name: str, resolution: str) -> Finding:
        principal = current_principal()
        parts = name.split("/")
        if len(parts) != 4 or parts[0] != "spotChecks" or parts[2] != "findings" or not parts[3]:
            raise invalid("name", "must look like spotChecks/{id}/findings/{id}", "RESOURCE_NAME")
        resolution = common.validate_reason(resolution, "resolution")
        now = self.clock()
        with self._unit() as repo:
            finding = repo.finding(parts[3])
            if finding is None or finding.spot_check_id != parts[1]:
                if self.authz.enforce(
                    principal.subject, self.cell_path, ARCHIVES + "ResolveSpotCheckFinding"
                ):
                    raise NotFound(f"{name} does not exist")
                raise PermissionDenied("not allowed to call ResolveSpotCheckFinding here")
            # The institution managing the record fixes it, not the supervisor.
            record = self._load(
                repo, f"healthRecords/{finding.record_id}", "ResolveSpotCheckFinding"
            )
            if finding.state == "resolved":
                return finding
            _require_not_a_trace(record, "fix a finding on")
            done = finding.resolved(resolution, now)
            repo.resolve_finding(done)
            repo.record(
                record.record_id, "SPOT_CHECK_RESOLVED", principal.subject, now, item=finding.item
            )
            self._audit(
                repo, "spot_check.resolve", name, record.scope_path, record=record.record_id
            )
            return done

    def set_population(self, code: str, population: int, as_of_text: str) -> tuple[str, int, date]:
        principal = current_principal()
        checks = Violations()
        region = checks.check(catalog().require, code, "population.region_code")
        if population < 1:
            checks.add(
                "population.permanent_population", "must be at least 1", "POPULATION_REQUIRED"
            )
        elif population > domain.MAX_POPULATION:  # the column is a 32-bit integer
            checks.add(
                "population.permanent_population",
                f"must be at most {domain.MAX_POPULATION}",
                "POPULATION_TOO_LARGE",
            )
        as_of = checks.check(common.parse_date, as_of_text, "population.as_of", required=True)
        checks.raise_if_any()
        self._require(principal, region.path, "SetRegionPopulation")
        with self._unit() as repo:
            repo.set_population(code, as_of, population)
            self._audit(
                repo, "region.population", f"regions/{code}", region.path, population=population
            )
        return code, population, as_of

    def _indicator_scope(self, parent: str, method: str) -> tuple[str, str, str]:
        """(scope path, tenant id or '', region code or '') of ``regions/{code}`` or
        ``tenants/{id}``, after checking the caller may ``method`` there: a regional
        administrator reaches exactly their subtree."""
        principal = current_principal()
        if parent.startswith("regions/"):
            code = common.parse_name(parent, "regions", "parent")
            return self._region_parent(principal, code, method).path, "", code
        tenant_id = common.parse_name(parent, "tenants", "parent")
        return self._tenant_parent(principal, tenant_id, method), tenant_id, ""

    def indicators(self, parent: str, as_of_text: str) -> tuple[date, list[domain.Indicator]]:
        as_of = common.parse_date(as_of_text, "as_of") or clinical_day(self.clock())
        scope, tenant_id, code = self._indicator_scope(parent, "GetIndicators")
        with self._unit(durable=False) as repo:
            counts = repo.indicator_counts(scope, tenant_id, as_of)
            population = repo.population(code, as_of) if code else 0
            self._audit(repo, "indicators.read", parent, scope, as_of=as_of.isoformat())
        return as_of, domain.indicators(domain.sum_counts(counts.values()), population)

    def rank(
        self, parent: str, kind: str, as_of_text: str
    ) -> tuple[list[tuple[str, domain.Indicator]], list[tuple[str, domain.Indicator]]]:
        checks = Violations()
        if kind not in domain.RANKABLE:
            checks.add("kind", "must be a usage, qualified or follow-up rate", "INDICATOR_KIND")
        if not parent.startswith("regions/"):
            checks.add("parent", "must look like regions/{code}", "RESOURCE_NAME")
        as_of = checks.check(common.parse_date, as_of_text, "as_of")
        checks.raise_if_any()
        as_of = as_of or clinical_day(self.clock())
        scope, _, _ = self._indicator_scope(parent, "RankInstitutions")
        with self._unit(durable=False) as repo:
            counts = repo.indicator_counts(scope, "", as_of)
            self._audit(repo, "indicators.rank", parent, scope, kind=kind)
        return domain.rank(counts, kind)


def _require_not_a_trace(record: HealthRecord, action: str) -> None:
    """A record handed over to another cell stays here as a read-only trace: its findings are
    for the institution that manages it now (a finding does not travel with the record)."""
    if record.state is RecordState.TRANSFERRED:
        raise FailedPrecondition(
            f"cannot {action} a record handed over to another cell (a read-only trace)",
            reason="RECORD_STATE",
            metadata={"state": record.state.name},
        )
