"""Emr's role catalogue: which EmrService methods each role may call. Synced into the cell's
policy table as ``p`` rows on start, touching only rows of ``rhip.api.emr.`` (identity and
archives keep their own); the domain (where) comes from each grant. Reading another
institution's documents needs more than a role: a basis (rhip.emr.access)."""

from __future__ import annotations

from rhip.kit.authz import Rule, permission_rule

EMR = "rhip.api.emr.v1.EmrService/"
# What the other services of this cell call (archives and referral, as the cell's account).
EMR_INTERNAL = "rhip.api.emr.v1.EmrInternalService/"
CATALOG_PREFIX = "rhip.api.emr."


def _all(*methods: str) -> tuple[str, ...]:
    return tuple(EMR + m for m in methods)


ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    # Clinicians: their institution's documents, the reads a basis allows, consents collected
    # at their institution, break-glass; a clinic may upload a single summary.
    "practitioner": _all(
        "SubmitDocument",
        "GetDocument",
        "ListDocuments",
        "ListDocumentVersions",
        "ListParkedDocuments",
        "ResolveParkedDocument",
        "CheckRecognition",
        "ListTimeline",
        "RecordConsent",
        "RevokeConsent",
        "StartBreakGlass",
        "ListBreakGlassAccesses",
    ),
    # A hospital system (HIS/LIS/PACS) for its institution: sends documents, keeps its
    # terminology table, reads back what it sent.
    "service": _all(
        "SubmitDocument",
        "SubmitDocuments",
        "GetDocument",
        "ListDocuments",
        "ListDocumentVersions",
        "ListParkedDocuments",
        "ResolveParkedDocument",
        "SetLabCodeMapping",
        "CheckRecognition",
        "ListTimeline",
    ),
    # Health commissions (the county administrator): the break-glass review queue, revoking a
    # consent on the resident's behalf, and who read what.
    "regional_admin": _all(
        "ListBreakGlassAccesses", "ReviewBreakGlassAccess", "RevokeConsent", "SearchAuditEvents"
    ),
    # Auditors read documents of their region (basis: audit) and the audit; change nothing.
    "auditor": _all(
        "GetDocument",
        "ListDocuments",
        "ListDocumentVersions",
        "ListTimeline",
        "ListBreakGlassAccesses",
        "SearchAuditEvents",
    ),
    # The cell's own account, for the cell's archives, referral and mch services: their
    # timeline entries and the changes of their scope, from their outboxes (timeline/feeds.py;
    # the use case also requires this cell's issuer).
    "cell": (EMR_INTERNAL + "RecordTimelineEntries", EMR_INTERNAL + "RescopeTimelineEntries"),
}


def permission_rules() -> list[Rule]:
    return [
        permission_rule(role, action)
        for role, actions in ROLE_PERMISSIONS.items()
        for action in actions
    ]
