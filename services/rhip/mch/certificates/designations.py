"""The county's designated birth-certificate institution (DOMAIN §4.2, §4.3): births outside an
institution are certified by an institution the county health administration designates, and
a lost certificate is reissued at the original issuer or at the county administration or its
delegate. A county's administrators (or those above them) designate one institution of the
county holding the birth-certificate qualification; the issuing and lifecycle use cases then
let it issue for births outside an institution (only it) and reissue, replace and void the
county's certificates that another institution issued. A new designation replaces the old;
each is audited."""

from __future__ import annotations

from rhip.kit.authn import current_principal
from rhip.kit.errors import FailedPrecondition, NotFound, Violations
from rhip.kit.idempotency import claim, request_key
from rhip.kit.requests import parse_resource_name
from rhip.kit.tenancy import RegionLevel, is_within, level_of, region_path, tenant_scope
from rhip.mch.certificates.domain import Designation
from rhip.mch.certificates.store import DesignationStore
from rhip.mch.stock.domain import parse_region
from rhip.mch.stock.serials import SerialUseCases
from rhip.mch.stock.usecases import BIRTH_CERTIFICATE, text_field


def _county(region: str, checks: Violations) -> str:
    code = checks.check(parse_region, region, "region") or ""
    if code and level_of(code) is not RegionLevel.COUNTY:
        checks.add("region", "a county designates its issuer", "BMC_COUNTY_REQUIRED")
    return code


class DesignationUseCases(SerialUseCases):
    def designate_issuer(
        self, region: str, issuer: str, document_ref: str, request_id: str
    ) -> Designation:
        principal = current_principal()
        checks = Violations()
        county = _county(region, checks)
        tenant_id = checks.check(parse_resource_name, issuer, "tenants", "issuer") or ""
        document_ref = text_field(document_ref, "document_ref", checks, required=True)
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        scope = region_path(county)
        self._bmc_require(principal, scope, "DesignateBirthCertificateIssuer")
        # As the administrator: identity refuses an institution outside its subtree.
        tenant = self.identity.tenant(tenant_id)
        if not is_within(tenant_scope(tenant.region_code, tenant.tenant_id), scope):
            raise FailedPrecondition(
                "the designated institution must be in the county",
                reason="BMC_ISSUER_OUTSIDE_COUNTY",
            )
        if not tenant.active:
            raise FailedPrecondition("the institution is suspended", reason="TENANT_SUSPENDED")
        self._require_qualification(tenant, BIRTH_CERTIFICATE)
        with self._unit() as tx:
            store = DesignationStore(tx)
            if claim(tx, key) and (current := store.get(county)) is not None:
                return current  # a retry answers what is designated now
            d = Designation(county, tenant_id, document_ref, principal.subject, self.clock())
            store.put(d)
            self._audit(tx, "bmc.issuer.designate", f"regions/{county}/birthCertificateIssuer",
                        scope, issuer=f"tenants/{tenant_id}")  # fmt: skip
        return d

    def get_designation(self, region: str) -> Designation:
        checks = Violations()
        county = _county(region, checks)
        checks.raise_if_any()
        scope = region_path(county)
        self._bmc_require(current_principal(), scope, "GetBirthCertificateIssuerDesignation")
        with self._unit(durable=False) as tx:
            found = DesignationStore(tx).get(county)
            self._audit(tx, "bmc.issuer.read", f"regions/{county}/birthCertificateIssuer", scope)
        if found is None:
            raise NotFound(f"regions/{county} has designated no birth-certificate issuer")
        return found
