"""mch's role catalogue: which MchService methods each role may call. Synced into the cell's
policy table as ``p`` rows on start, touching only rows of ``rhip.api.mch.`` (identity and
archives keep their own); the domain (where) comes from each grant."""

from __future__ import annotations

from rhip.kit.authz import Rule, permission_rule

MCH = "rhip.api.mch.v1.MchService/"
BMC = "rhip.api.mch.v1.BirthCertificateService/"
CATALOG_PREFIX = "rhip.api.mch."

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    # Clinicians register and follow pregnancies of their institution; qualified institutions
    # grade risk and record deliveries (checked against identity's qualifications).
    "practitioner": tuple(
        MCH + m
        for m in (
            "RegisterPregnancy",
            "Get*",
            "List*",
            "RecordAntenatalVisit",
            "RecordAntenatalLabResults",
            "RecordPostpartumVisit",
            # Screening (筛查) is every managing institution's; grading needs the qualification.
            "RecordRiskScreening",
            "AssessPregnancyRisk",
            "RecordDelivery",
            "TerminatePregnancy",
            "PlanDelivery",
            "EnrollChild",
            "RecordChildVisit",
            # A child moves with the guardian's consent; only the target answers (checked in
            # the use cases); only the source withdraws while pending.
            "RequestChildTransfer",
            "AcceptChildTransfer",
            "DeclineChildTransfer",
            "WithdrawChildTransfer",
            # A woman who moves: either side asks, the other answers, the asker withdraws
            # (checked in the use cases).
            "RequestPregnancyTransfer",
            "AcceptPregnancyTransfer",
            "DeclinePregnancyTransfer",
            "WithdrawPregnancyTransfer",
        )
    )
    # Qualified institutions confirm, void and report their own blanks and issue
    # certificates (the qualification and the holder are checked in the use cases).
    + tuple(
        BMC + m
        for m in (
            "ConfirmStockTransfer",
            "ListStockTransfers",
            "GetBlankSerial",
            "VoidBlankSerial",
            "ReportBlankSerialsLost",
            "GetStockReport",
            "IssueBirthCertificate",
            "ReplaceBirthCertificate",
            "ReissueBirthCertificate",
            "VoidBirthCertificate",
            "GetBirthCertificate",
            "ListBirthCertificates",
            "GetBirthCertificateReport",
        )
    ),
    # Health commissions and maternal–child institutes read their subtree (overdue and
    # high-risk lists).
    "regional_admin": (
        MCH + "Get*",
        MCH + "List*",
        MCH + "AcknowledgeRiskReport",
        MCH + "RankMchInstitutions",
        # Health administrations receive, allocate and account for blank stock level by level
        # (only the holding level itself acts on its stock: checked in the use cases).
        BMC + "ReceiveBlankStock",
        BMC + "CreateStockTransfer",
        BMC + "ApproveStockTransfer",
        BMC + "ConfirmStockTransfer",
        BMC + "VoidBlankSerial",
        BMC + "ReportBlankSerialsLost",
        BMC + "RecordBlankDestruction",
        # A county's administration designates its birth-certificate institution (DOMAIN
        # §4.2, §4.3; the county level and the institution are checked in the use case).
        BMC + "DesignateBirthCertificateIssuer",
        BMC + "Get*",
        BMC + "List*",
        BMC + "VerifyBirthCertificate",
        BMC + "ReplayNationalReportEvents",
    ),
    # Auditors read, change nothing.
    "auditor": (
        MCH + "Get*",
        MCH + "List*",
        MCH + "RankMchInstitutions",
        BMC + "Get*",
        BMC + "List*",
    ),
    # A hospital's HIS feeds antenatal, postpartum and child checks for its tenant. Not
    # deliveries: a delivery registers its babies in identity, which service accounts may not
    # (identity's SERVICE role has no RegisterNewborn).
    "service": (
        MCH + "GetRiskRulePack",
        MCH + "GetPregnancy",
        MCH + "ListPregnancies",
        MCH + "RecordAntenatalVisit",
        # Laboratory results come from the hospital's LIS through its HIS, after the check.
        MCH + "RecordAntenatalLabResults",
        MCH + "RecordPostpartumVisit",
        MCH + "GetDelivery",
        MCH + "RecordChildVisit",
        # No VerifyBirthCertificate: a hospital issues certificates as its practitioners, and
        # checking another's is the police's job (DOMAIN §4.2, §4.6; least privilege).
    ),
    # A public-security organ's system (a tenant of type PUBLIC_SECURITY; identity gives its
    # service accounts this role) checks a certificate's authenticity by number and name or
    # signed code, answered with the minimum (DOMAIN §4.6); it reads nothing else.
    "verifier": (BMC + "VerifyBirthCertificate",),
}


def permission_rules() -> list[Rule]:
    return [
        permission_rule(role, action)
        for role, actions in ROLE_PERMISSIONS.items()
        for action in actions
    ]
