"""Archives' role catalogue: which ArchivesService methods each role may call. Synced into
the cell's policy table as ``p`` rows on start, touching only rows of ``rhip.api.archives.``
(identity keeps its own); the domain (where) comes from each grant."""

from __future__ import annotations

from rhip.kit.authz import Rule, permission_rule

ARCHIVES = "rhip.api.archives.v1.ArchivesService/"
# What the other services of this cell call (the referral service, as the cell's account).
ARCHIVES_INTERNAL = "rhip.api.archives.v1.ArchivesInternalService/"
CATALOG_PREFIX = "rhip.api.archives."

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    # Grassroots clinicians keep the records of their institution and fix spot-check findings
    # (population figures and spot checks are the health commissions').
    "practitioner": tuple(
        ARCHIVES + method
        for method in (
            "CreateHealthRecord",
            "CreateCheckUp",
            "CreateCareTeam",
            "Get*",
            "List*",
            "Update*",
            "Activate*",
            "Terminate*",
            "Reactivate*",
            "Start*",
            "RecordFollowUp",
            "Request*",
            "Confirm*",
            "Decline*",
            "EscalateRecordTransfer",
            "Sign*",
            "Renew*",
            "End*",
            "Move*",
            "ResolveSpotCheckFinding",
        )
    ),
    # Health commissions read their subtree's records, lists and indicators, set the
    # population figures of their regions, and decide escalated transfers of their counties.
    "regional_admin": (
        ARCHIVES + "ApproveRecordTransfer",
        ARCHIVES + "RejectRecordTransfer",
        ARCHIVES + "Get*",
        ARCHIVES + "List*",
        ARCHIVES + "RankInstitutions",
        ARCHIVES + "SetRegionPopulation",
        ARCHIVES + "CreateSpotCheck",
        ARCHIVES + "RecordSpotCheckFinding",
        ARCHIVES + "SearchAuditEvents",
    ),
    # Auditors read, change nothing, and search the audit log.
    "auditor": (
        ARCHIVES + "Get*",
        ARCHIVES + "List*",
        ARCHIVES + "RankInstitutions",
        ARCHIVES + "SearchAuditEvents",
    ),
    # Another system for a tenant (its HIS feeds check-ups and follow-ups).
    "service": (
        ARCHIVES + "GetHealthRecord",
        ARCHIVES + "ListHealthRecords",
        ARCHIVES + "CreateCheckUp",
        ARCHIVES + "ListCheckUps",
        ARCHIVES + "RecordFollowUp",
        ARCHIVES + "ListFollowUps",
    ),
    # The cell's own account, for the cell's referral service: the follow-up task of a
    # returned referral (follow_ups/referrals.py; the use case also requires this cell's issuer).
    "cell": (
        ARCHIVES_INTERNAL + "CreateReferralFollowUpTask",
        ARCHIVES_INTERNAL + "RecordReferralEvent",
        ARCHIVES_INTERNAL + "ListReferralSuggestions",
    ),
}


def permission_rules() -> list[Rule]:
    return [
        permission_rule(role, action)
        for role, actions in ROLE_PERMISSIONS.items()
        for action in actions
    ]
