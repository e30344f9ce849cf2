"""The archives use cases, one method per use case, as one object (the servicer's): each
feature's use cases (records/, follow_ups/, teams/, quality/, transfers/) on the shared
ground of access.py. Each validates the input (every bad field at once, before anything
changes), checks the caller's permission on the record's own scope (the managing
institution's ``tenant_scope``), opens one transaction, applies the domain rules, writes,
records the history and appends an audit event. Lists filter in SQL by the caller's scopes.
Audit details carry ids and codes only: never an ID number, a name or a phone.
"""

from __future__ import annotations

from rhip.archives.follow_ups.referrals import ReferralTaskUseCases
from rhip.archives.follow_ups.usecases import FollowUpUseCases
from rhip.archives.quality.usecases import QualityUseCases
from rhip.archives.records.usecases import RecordUseCases
from rhip.archives.roles import CATALOG_PREFIX, permission_rules
from rhip.archives.teams.usecases import TeamUseCases
from rhip.archives.transfers.escalation import EscalationUseCases
from rhip.kit.authz import Authorizer


def sync_role_catalog(authz: Authorizer) -> None:
    """Make the ``p`` rows of ``rhip.api.archives.`` match roles.py; other rows stay."""
    authz.sync_catalog(CATALOG_PREFIX, permission_rules())


class ArchivesUseCases(
    RecordUseCases,
    FollowUpUseCases,
    TeamUseCases,
    QualityUseCases,
    EscalationUseCases,
    ReferralTaskUseCases,
):
    """Every archives use case."""
