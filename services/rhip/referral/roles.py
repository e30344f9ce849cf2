"""Referral's role catalogue: which ReferralService methods each role may call. Synced into
the cell's policy table as ``p`` rows on start, touching only rows of ``rhip.api.referral.``;
the domain (where) comes from each grant, and each use case picks the scope it checks (the
sender's, the receiver's, or the record's managing institution's)."""

from __future__ import annotations

from rhip.kit.authz import Rule, permission_rule

REFERRAL = "rhip.api.referral.v1.ReferralService/"
CATALOG_PREFIX = "rhip.api.referral."

TELE = "rhip.api.referral.v1.TeleconsultationService/"
_READS = ("GetReferral", "ListReferrals", "ListOverdueReferrals", "GetReferralIndicators")
_TELE_READS = tuple(
    TELE + m for m in ("GetTeleconsultation", "ListTeleconsultations", "ListCooperationAgreements")
)

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    # Clinicians send, receive, return and close the referrals of their institution.
    "practitioner": tuple(
        REFERRAL + method
        for method in (
            *_READS,
            "CreateReferral",
            "UpdateReferral",
            "SubmitReferral",
            "AcceptReferral",
            "RejectReferral",
            "CancelReferral",
            "AdmitReferral",
            "ReturnReferral",
            "CompleteReferral",
            "CloseReferral",
        )
    )
    + _TELE_READS
    + tuple(
        TELE + method
        for method in (
            "RequestTeleconsultation",
            "AcceptTeleconsultation",
            "DeclineTeleconsultation",
            "ScheduleTeleconsultation",
            "StartTeleconsultation",
            "EndTeleconsultation",
            "SubmitOpinionReport",
            "DecideTeleconsultation",
            "CancelTeleconsultation",
            "DeleteTeleconsultationRecording",
        )
    ),
    # Health commissions watch their subtree's referrals and overdue lists.
    # Cooperation agreements are theirs to record (§5.2).
    "regional_admin": (
        *(REFERRAL + m for m in _READS),
        *_TELE_READS,
        TELE + "CreateCooperationAgreement",
    ),
    "auditor": (*(REFERRAL + m for m in _READS), *_TELE_READS),
}


def permission_rules() -> list[Rule]:
    return [
        permission_rule(role, action)
        for role, actions in ROLE_PERMISSIONS.items()
        for action in actions
    ]
