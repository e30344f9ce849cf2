"""Care relationships (issue 16, docs/domain §8): the reasons the platform itself can check
for an institution to read a resident's documents written elsewhere, without the resident's
consent or a break-glass. Each is asked of the service that knows it, with the caller's own
token (so each answers only about what the caller may see anyway), cheapest and commonest
first:

* the institution manages the resident's active health record (archives);
* the resident's e-health card was scanned (a valid dynamic code) there in the last 24 hours
  (identity): the resident was present;
* an open referral of the resident sent or received by the institution (referral);
* an open teleconsultation of the resident between the institution and another (referral).

The answer is the label the audit records with the read (``care_relationship:managing``,
``care_relationship:card_scan``, ``care_relationship:referrals/{id}``,
``care_relationship:teleconsultations/{id}``), or "" for none.
"""

from __future__ import annotations

from collections.abc import Callable

from rhip.emr.clients import ArchivesClient, card_seen_here, open_referral, open_teleconsultation
from rhip.kit.channels import ChannelPool

PREFIX = "care_relationship:"


class CareRelationships:
    def __init__(
        self,
        archives: ArchivesClient,
        identity: Callable[[], str],
        referral: Callable[[], str],
        pool: ChannelPool,
    ) -> None:
        self._archives = archives
        self._identity = identity
        self._referral = referral
        self._pool = pool

    def basis(self, tenant_id: str, resident_id: str) -> str:
        if self._archives.manages(tenant_id, resident_id):
            return PREFIX + "managing"
        if card_seen_here(self._pool, self._identity(), resident_id):
            return PREFIX + "card_scan"
        for find in (open_referral, open_teleconsultation):
            name = find(self._pool, self._referral(), tenant_id, resident_id)
            if name:
                return PREFIX + name
        return ""
