"""What the suite must know about each RPC, and nothing more: how it touches data and which
request field names its target. The RPCs themselves come from the gateway's reflection
(``rpcs.discover``); an RPC missing from this table fails the suite (test_catalog), so whoever
adds one classifies it here, in one line.

Access:
- ``read``/``write``: names one target; a caller outside the target's scope gets no OK (an
  auditor gets no OK on any write).
- ``list``: lists under a parent; a parent the caller may not see is PERMISSION_DENIED
  (AIP-211), and no answer carries another scope's data.
- ``search``: finds by content (a name, a document); no answer carries another scope's data.
- ``cell``: cell-to-cell (called by cell accounts through the gateway); no user gets an OK.
- ``public``: no caller data (login, public keys, region names): only bad input applies.

Targets (the kinds ``world.World`` builds, each at the levels it has): ``tenant``
(``tenants/{id}``), ``tenant_id``, ``region`` (``regions/{code}``), ``region_code``, ``user``,
``grant``, ``resident``, ``card``, ``record``, ``contract``, ``team``, ``spot_check``,
``finding``, ``transfer``, ``transfer_id``, ``merge``, ``referral``, ``referral_id``,
``teleconsultation``, ``teleconsultation_id``, ``cell`` (no field: the cell itself); emr's ``document``, ``parked``,
``consent``, ``break_glass`` (world_emr.py); mch's ``stock_transfer``, ``blank_serial``,
``newborn``, ``birth_certificate``, ``province``, ``county`` (world_bmc.py), ``child_transfer``,
``child_vision_record``, ``pregnancy_transfer`` (world_mch.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    access: str
    targets: tuple[tuple[str, str], ...] = ()  # (request field path, target kind), each tried


def _r(access: str, *targets: str) -> Rule:
    """``_r("read", "name:record")``."""
    return Rule(access, tuple(tuple(t.split(":")) for t in targets))  # type: ignore[misc]


ID = "rhip.api.identity.v1.IdentityService."
RES = "rhip.api.identity.v1.ResidentService."
ARC = "rhip.api.archives.v1.ArchivesService."
PEER = "rhip.api.archives.v1.ArchivesPeerService."
ARC_INTERNAL = "rhip.api.archives.v1.ArchivesInternalService."
REF = "rhip.api.referral.v1.ReferralService."
REF_PEER = "rhip.api.referral.v1.ReferralPeerService."
TEL = "rhip.api.referral.v1.TeleconsultationService."
TEL_PEER = "rhip.api.referral.v1.TeleconsultationPeerService."
QUA = "rhip.api.identity.v1.QualificationService."
MCH = "rhip.api.mch.v1.MchService."
BMC = "rhip.api.mch.v1.BirthCertificateService."
MCH_PEER = "rhip.api.mch.v1.MchPeerService."
EMR = "rhip.api.emr.v1.EmrService."
EMR_INTERNAL = "rhip.api.emr.v1.EmrInternalService."
LOC = "rhip.api.locator.v1.LocatorService."
ID_PEER = "rhip.api.identity.v1.IdentityPeerService."

RULES: dict[str, Rule] = {
    # identity: regions, tenants, users, grants, tokens, audit
    ID + "GetRegion": _r("public"),
    ID + "ListRegions": _r("public"),
    ID + "CreateTenant": _r("write", "tenant.region_code:region_code"),
    ID + "GetTenant": _r("read", "name:tenant"),
    ID + "ListTenants": _r("list", "parent:region"),
    ID + "UpdateTenant": _r("write", "tenant.name:tenant"),
    ID + "SuspendTenant": _r("write", "name:tenant"),
    ID + "ReactivateTenant": _r("write", "name:tenant"),
    ID + "CreateUser": _r("write", "user.tenant_id:tenant_id", "user.region_code:region_code"),
    ID + "GetUser": _r("read", "name:user"),
    ID + "ListUsers": _r("list", "parent:region", "parent:tenant"),
    ID + "UnlockUser": _r("write", "name:user"),
    ID + "SetPractitionerRegistration": _r("write", "name:user"),
    ID + "DisableUser": _r("write", "name:user"),
    ID + "EnableUser": _r("write", "name:user"),
    ID + "ResetUserPassword": _r("write", "name:user"),
    ID + "ChangePassword": _r("write", "name:user"),
    ID + "GrantRole": _r("write", "grant.tenant_id:tenant_id", "grant.region_code:region_code"),
    ID + "RevokeRole": _r("write", "name:grant"),
    ID + "ListRoleGrants": _r("list", "parent:region"),
    ID + "CreateServiceAccount": _r("write", "service_account.tenant_id:tenant_id"),
    ID + "Login": _r("public"),
    ID + "RefreshAccessToken": _r("public"),
    ID + "SignOut": _r("public"),
    ID + "GetJwks": _r("public"),
    ID + "RotateSigningKey": _r("write", ":cell"),
    ID + "VerifyAuditChain": _r("read", ":cell"),
    ID + "SearchAuditEvents": _r("list", "parent:region"),
    # identity: the resident index and e-health cards
    RES + "RegisterResident": _r("write", "tenant:tenant"),
    RES + "RegisterNewborn": _r("write", "tenant:tenant"),
    RES + "GetResident": _r("read", "name:resident"),
    RES + "LookupResident": _r("search"),
    RES + "LookupResidents": _r("search"),
    RES + "SearchResidents": _r("search"),
    RES + "UpdateResident": _r("write", "resident.name:resident"),
    RES + "VerifyResidentIdentity": _r("write", "name:resident"),
    RES + "LinkBirthCertificate": _r("write", "name:resident"),
    RES + "LinkBirthCertificates": _r("cell"),
    RES + "MarkResidentDeceased": _r("write", "name:resident"),
    RES + "MergeResidents": _r("write", "survivor:resident", "merged:resident"),
    RES + "UndoResidentMerge": _r("write", "name:merge"),
    RES + "ListResidentEvents": _r("list", "parent:resident"),
    RES + "ListResidentChanges": _r("cell"),
    # residents linked across cells: another cell's identity only
    ID_PEER + "LinkResident": _r("cell", "resident:resident"),
    ID_PEER + "UnlinkResident": _r("cell", "resident:resident"),
    ID_PEER + "ListLinkedResidentChanges": _r("cell", ":cell"),
    RES + "IssueHealthCard": _r("write", "parent:resident"),
    RES + "GetHealthCard": _r("read", "name:card"),
    RES + "RevokeHealthCard": _r("write", "name:card"),
    RES + "CreateHealthCardQrCode": _r("write", "name:card"),
    RES + "CheckHealthCardPresence": _r("read", "name:card"),
    # A scanner anywhere verifies a code the resident shows (DOMAIN §7.1): no caller scope.
    RES + "VerifyHealthCardQrCode": _r("public"),
    RES + "GetHealthCardKeys": _r("public"),
    # archives: records and what hangs on them
    ARC + "CreateHealthRecord": _r("write", "resident:resident"),
    ARC + "GetHealthRecord": _r("read", "name:record"),
    ARC + "ListHealthRecords": _r("list", "parent:tenant", "resident:resident"),
    ARC + "UpdateHealthRecord": _r("write", "name:record"),
    ARC + "ActivateHealthRecord": _r("write", "name:record"),
    ARC + "TerminateHealthRecord": _r("write", "name:record"),
    ARC + "ReactivateHealthRecord": _r("write", "name:record"),
    ARC + "ListRecordEvents": _r("list", "parent:record"),
    ARC + "CreateCheckUp": _r("write", "parent:record"),
    ARC + "ListCheckUps": _r("list", "parent:record"),
    ARC + "StartFollowUpPlan": _r("write", "parent:record"),
    ARC + "RecordFollowUp": _r("write", "parent:record"),
    ARC + "ListFollowUps": _r("list", "parent:record"),
    ARC + "ListTasks": _r("list", "parent:record"),
    ARC + "ListOverdueFollowUpPlans": _r("list", "parent:tenant", "parent:team"),
    ARC + "CreateCareTeam": _r("write", "parent:tenant"),
    ARC + "ListCareTeams": _r("list", "parent:tenant"),
    ARC + "SignContract": _r("write", "parent:record"),
    ARC + "RenewContract": _r("write", "name:contract"),
    ARC + "EndContract": _r("write", "name:contract"),
    ARC + "ListContracts": _r("list", "parent:record"),
    ARC + "ListContractedResidents": _r("list", "parent:team"),
    ARC + "MoveRecordToTeam": _r("write", "name:record"),
    ARC + "GetRecordCompleteness": _r("read", "name:record"),
    ARC + "CreateSpotCheck": _r("write", "parent:tenant"),
    ARC + "GetSpotCheck": _r("read", "name:spot_check"),
    ARC + "ListSpotChecks": _r("list", "parent:region", "parent:tenant"),
    ARC + "RecordSpotCheckFinding": _r("write", "parent:spot_check"),
    ARC + "ResolveSpotCheckFinding": _r("write", "name:finding"),
    ARC + "SetRegionPopulation": _r("write", "population.region_code:region_code"),
    ARC + "GetIndicators": _r("list", "parent:region", "parent:tenant"),
    ARC + "RankInstitutions": _r("list", "parent:region"),
    ARC + "SearchAuditEvents": _r("list", "parent:region"),
    # archives: transfers (档随人走)
    ARC + "RequestRecordTransfer": _r("write", "resident:resident"),
    ARC + "ConfirmRecordTransfer": _r("write", "name:transfer"),
    ARC + "DeclineRecordTransfer": _r("write", "name:transfer"),
    ARC + "GetRecordTransfer": _r("read", "name:transfer"),
    ARC + "ListRecordTransfers": _r("list", "parent:tenant"),
    ARC + "EscalateRecordTransfer": _r("write", "name:transfer"),
    ARC + "ApproveRecordTransfer": _r("write", "name:transfer"),
    ARC + "RejectRecordTransfer": _r("write", "name:transfer"),
    PEER + "OpenRecordTransfer": _r("cell", "transfer_id:transfer_id"),
    PEER + "ImportHealthRecord": _r("cell", "transfer_id:transfer_id"),
    PEER + "CloseRecordTransfer": _r("cell", "transfer_id:transfer_id"),
    PEER + "RelayRecordTransferDecision": _r("cell", "transfer_id:transfer_id"),
    PEER + "WithdrawRecordTransfer": _r("cell", "transfer_id:transfer_id"),
    # archives: the follow-up task of a returned referral (this cell's own account only)
    ARC_INTERNAL + "CreateReferralFollowUpTask": _r("cell", "parent:record"),
    ARC_INTERNAL + "RecordReferralEvent": _r("cell", "parent:record"),
    ARC_INTERNAL + "ListReferralSuggestions": _r("cell", ":cell"),
    # referral: two-way referral (双向转诊); the parties are the two institutions
    REF + "CreateReferral": _r("write", "referral.resident:resident"),
    REF + "GetReferral": _r("read", "name:referral"),
    REF + "ListReferrals": _r("list", "parent:tenant"),
    REF + "UpdateReferral": _r("write", "referral.name:referral"),
    REF + "SubmitReferral": _r("write", "name:referral"),
    REF + "AcceptReferral": _r("write", "name:referral"),
    REF + "RejectReferral": _r("write", "name:referral"),
    REF + "CancelReferral": _r("write", "name:referral"),
    REF + "AdmitReferral": _r("write", "name:referral"),
    REF + "ReturnReferral": _r("write", "name:referral"),
    REF + "CompleteReferral": _r("write", "name:referral"),
    REF + "CloseReferral": _r("write", "name:referral"),
    REF + "ListOverdueReferrals": _r("list", "parent:tenant", "parent:region"),
    REF + "GetReferralIndicators": _r("list", "parent:tenant", "parent:region"),
    REF_PEER + "OpenReferral": _r("cell", "referral.referral_id:referral_id"),
    REF_PEER + "RelayReferralTransition": _r("cell", "referral_id:referral_id"),
    # referral: teleconsultation (远程医疗)
    TEL + "CreateCooperationAgreement": _r("write", "agreement.inviting_tenant:tenant"),
    TEL + "ListCooperationAgreements": _r("list", "parent:tenant"),
    TEL + "RequestTeleconsultation": _r("write", "teleconsultation.resident:resident"),
    TEL + "GetTeleconsultation": _r("read", "name:teleconsultation"),
    TEL + "ListTeleconsultations": _r("list", "parent:tenant"),
    TEL + "AcceptTeleconsultation": _r("write", "name:teleconsultation"),
    TEL + "DeclineTeleconsultation": _r("write", "name:teleconsultation"),
    TEL + "ScheduleTeleconsultation": _r("write", "name:teleconsultation"),
    TEL + "StartTeleconsultation": _r("write", "name:teleconsultation"),
    TEL + "EndTeleconsultation": _r("write", "name:teleconsultation"),
    TEL + "SubmitOpinionReport": _r("write", "name:teleconsultation"),
    TEL + "DecideTeleconsultation": _r("write", "name:teleconsultation"),
    TEL + "CancelTeleconsultation": _r("write", "name:teleconsultation"),
    TEL + "DeleteTeleconsultationRecording": _r("write", "name:teleconsultation"),
    TEL + "GetReportSigningKey": _r("public"),
    TEL_PEER + "OpenCooperationAgreement": _r("cell"),
    TEL_PEER + "OpenTeleconsultation": _r("cell", "teleconsultation.name:teleconsultation"),
    TEL_PEER + "RelayTeleconsultationTransition": _r(
        "cell", "teleconsultation_id:teleconsultation_id"
    ),
    TEL_PEER + "RelayRecordingDeletion": _r("cell", "teleconsultation_id:teleconsultation_id"),
    # identity: institution qualifications; mch (targets from world_mch.py)
    QUA + "GrantQualification": _r("write", "tenant:tenant"),
    QUA + "RevokeQualification": _r("write", "name:qualification"),
    QUA + "ListQualifications": _r("list", "parent:tenant"),
    MCH + "RegisterPregnancy": _r("write", "resident:resident"),
    MCH + "GetPregnancy": _r("read", "name:pregnancy"),
    MCH + "ListPregnancies": _r("list", "parent:tenant"),
    MCH + "RecordAntenatalVisit": _r("write", "parent:pregnancy"),
    MCH + "RecordAntenatalLabResults": _r("write", "name:antenatal_visit"),
    MCH + "RecordRiskScreening": _r("write", "parent:pregnancy"),
    MCH + "RecordPostpartumVisit": _r("write", "parent:pregnancy"),
    MCH + "ListAntenatalVisits": _r("list", "parent:pregnancy"),
    MCH + "AssessPregnancyRisk": _r("write", "mother:resident"),
    MCH + "GetRiskRulePack": _r("public"),  # reference data, any mch caller of the cell
    MCH + "ListRiskAssessments": _r("list", "parent:pregnancy"),
    MCH + "ListRiskReports": _r("list", "parent:region"),
    MCH + "AcknowledgeRiskReport": _r("write", "name:risk_report"),
    MCH + "RecordDelivery": _r("write", "delivery.mother:resident"),
    MCH + "GetDelivery": _r("read", "name:delivery"),
    MCH + "TerminatePregnancy": _r("write", "name:pregnancy"),
    MCH + "PlanDelivery": _r("write", "name:pregnancy"),
    # The managing institution names the pregnancy, the institution she came to the woman.
    MCH + "RequestPregnancyTransfer": _r("write", "pregnancy:pregnancy", "resident:resident"),
    MCH + "AcceptPregnancyTransfer": _r("write", "name:pregnancy_transfer"),
    MCH + "DeclinePregnancyTransfer": _r("write", "name:pregnancy_transfer"),
    MCH + "WithdrawPregnancyTransfer": _r("write", "name:pregnancy_transfer"),
    MCH + "GetPregnancyTransfer": _r("read", "name:pregnancy_transfer"),
    MCH + "ListPregnancyTransfers": _r("list", "parent:tenant"),
    MCH + "EnrollChild": _r("write", "child:resident"),
    MCH + "GetChildRecord": _r("read", "name:child_record"),
    MCH + "ListChildRecords": _r("list", "parent:tenant"),
    MCH + "RecordChildVisit": _r("write", "parent:child_record"),
    MCH + "RequestChildTransfer": _r("write", "name:child_record"),
    MCH + "AcceptChildTransfer": _r("write", "name:child_transfer"),
    MCH + "DeclineChildTransfer": _r("write", "name:child_transfer"),
    MCH + "WithdrawChildTransfer": _r("write", "name:child_transfer"),
    MCH + "GetChildTransfer": _r("read", "name:child_transfer"),
    MCH + "ListChildTransfers": _r("list", "parent:tenant"),
    MCH + "GetChildVisionRecord": _r("read", "name:child_vision_record"),
    # mch: a child's record moving between cells (cell accounts only, through the gateway)
    MCH_PEER + "OpenChildTransfer": _r("cell", "transfer_id:transfer_id"),
    MCH_PEER + "ExportChildRecord": _r("cell", "transfer_id:transfer_id"),
    MCH_PEER + "CompleteChildTransfer": _r("cell", "transfer_id:transfer_id"),
    MCH_PEER + "CloseChildTransfer": _r("cell", "transfer_id:transfer_id"),
    MCH_PEER + "RetractChildTransfer": _r("cell", "transfer_id:transfer_id"),
    MCH + "GetMchIndicators": _r("list", "parent:region", "parent:tenant"),
    MCH + "RankMchInstitutions": _r("list", "parent:region"),
    # mch: birth-certificate blank stock and certificates (targets from world_bmc.py)
    BMC + "ReceiveBlankStock": _r("write", "region:region"),
    BMC + "CreateStockTransfer": _r("write", "transfer.from_holder:region"),
    BMC + "ApproveStockTransfer": _r("write", "name:stock_transfer"),
    BMC + "ConfirmStockTransfer": _r("write", "name:stock_transfer"),
    BMC + "ListStockTransfers": _r("list", "parent:region", "parent:tenant"),
    BMC + "GetBlankSerial": _r("read", "name:blank_serial"),
    BMC + "VoidBlankSerial": _r("write", "name:blank_serial"),
    BMC + "ReportBlankSerialsLost": _r("write", "holder:tenant", "holder:region"),
    BMC + "RecordBlankDestruction": _r("write", "region:region"),
    BMC + "GetStockReport": _r("list", "parent:region", "parent:tenant"),
    BMC + "IssueBirthCertificate": _r("write", "certificate.newborn:newborn"),
    BMC + "ReplaceBirthCertificate": _r("write", "name:birth_certificate"),
    BMC + "ReissueBirthCertificate": _r("write", "name:birth_certificate"),
    BMC + "VoidBirthCertificate": _r("write", "name:birth_certificate"),
    BMC + "GetBirthCertificate": _r("read", "name:birth_certificate"),
    BMC + "ListBirthCertificates": _r("list", "parent:tenant", "parent:region"),
    BMC + "DesignateBirthCertificateIssuer": _r("write", "region:county"),
    BMC + "GetBirthCertificateIssuerDesignation": _r("read", "region:county"),
    # Verification answers by number and name (or signed code) across the cell, minimum data.
    BMC + "VerifyBirthCertificate": _r("search"),
    BMC + "GetBirthCertificateKeys": _r("public"),
    BMC + "GetBirthCertificateReport": _r("list", "parent:region", "parent:tenant"),
    # The province's national reporting queue: the province region is the only target.
    BMC + "ListNationalReportEvents": _r("list", "parent:province"),
    BMC + "ReplayNationalReportEvents": _r("write", "parent:province"),
    # emr: documents, recognition, timeline, reading rules (world_emr.py builds the targets).
    # Ingest names no target: a document belongs to the caller's own institution.
    EMR + "SubmitDocument": _r("write"),
    EMR + "SubmitDocuments": _r("write"),
    EMR + "GetDocument": _r("read", "name:document"),
    EMR + "ListDocuments": _r("list", "parent:resident"),
    EMR + "ListDocumentVersions": _r("list", "parent:document"),
    EMR + "ListParkedDocuments": _r("list", "parent:tenant"),
    EMR + "ResolveParkedDocument": _r("write", "name:parked"),
    EMR + "CheckRecognition": _r("list", "parent:resident"),
    EMR + "ListTimeline": _r("list", "parent:resident"),
    # The region parent (a county's queue) is tested in tests/emr: break-glass accesses that
    # insiders of the resident legitimately start during the matrix would change its view.
    EMR + "ListBreakGlassAccesses": _r("list", "parent:tenant"),
    EMR + "SearchAuditEvents": _r("list", "parent:region"),
    EMR + "SetLabCodeMapping": _r("write", "parent:tenant"),
    EMR + "RecordConsent": _r("write", "parent:resident"),
    EMR + "RevokeConsent": _r("write", "name:consent"),
    EMR + "ReviewBreakGlassAccess": _r("write", "name:break_glass"),
    EMR + "StartBreakGlass": _r("write", "parent:resident"),
    # emr: the timeline entries archives, referral and mch deliver and the changes of their
    # scope (this cell's own account only)
    EMR_INTERNAL + "RecordTimelineEntries": _r("cell"),
    EMR_INTERNAL + "RescopeTimelineEntries": _r("cell"),
    # the platform's resident locator (served by the gateway itself): cell accounts only
    LOC + "ClaimOpenRecord": _r("cell"),
    LOC + "ReleaseOpenRecord": _r("cell"),
    LOC + "MoveOpenRecord": _r("cell"),
    LOC + "AnnounceResident": _r("cell"),
}

ACCESS = frozenset({"read", "write", "list", "search", "cell", "public"})


class Unclassified(AssertionError):
    pass


def rule_for(full_name: str) -> Rule:
    """The rule of an RPC; an RPC without one fails the suite, saying what to add."""
    rule = RULES.get(full_name)
    if rule is None:
        raise Unclassified(
            f"{full_name} is not classified: add it to tests/security/catalog.py RULES "
            "(access read/write/list/search/cell/public, and the request field naming its "
            "target) so that the security suite covers it"
        )
    return rule
