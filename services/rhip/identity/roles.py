"""The role catalogue: which gRPC methods each role may call. Loaded into the policy table
as ``p`` rows on start; the domain (where) comes from each grant."""

from __future__ import annotations

from rhip.identity.directory.domain import Role
from rhip.kit.authz import Rule, permission_rule

IDENTITY = "rhip.api.identity.v1.IdentityService/"
RESIDENTS = "rhip.api.identity.v1.ResidentService/"
# Not an RPC: may see document and phone numbers unmasked (treating clinicians, their HIS).
READ_UNMASKED = RESIDENTS + "ReadUnmasked"
QUALIFICATIONS = "rhip.api.identity.v1.QualificationService/"


def _residents(names: str) -> tuple[str, ...]:
    return tuple(RESIDENTS + name for name in names.split())


ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    # Administers tenants, users and grants of its region subtree, and keeps the master index
    # of its region (merges, deaths) with numbers masked.
    Role.REGIONAL_ADMIN: (
        IDENTITY + "*",
        QUALIFICATIONS + "*",
        *_residents(
            "RegisterResident RegisterNewborn GetResident LookupResident LookupResidents "
            "SearchResidents UpdateResident VerifyResidentIdentity LinkBirthCertificate MarkResidentDeceased MergeResidents "
            "UndoResidentMerge ListResidentEvents GetHealthCard RevokeHealthCard"
        ),
    ),
    # Reads its own tenant and colleagues; registers, finds and cards the residents it treats.
    Role.PRACTITIONER: (
        IDENTITY + "GetTenant",
        IDENTITY + "GetUser",
        IDENTITY + "ListUsers",
        RESIDENTS + "*",
        QUALIFICATIONS + "ListQualifications",
    ),
    # Reads everything of its region and checks the audit chain; changes nothing.
    Role.AUDITOR: (
        IDENTITY + "Get*",
        IDENTITY + "List*",
        IDENTITY + "VerifyAuditChain",
        IDENTITY + "SearchAuditEvents",
        *_residents("Get* List* Lookup* Search*"),
        QUALIFICATIONS + "ListQualifications",
    ),
    # Another system acting for a tenant (an HIS, the resident's health-card app).
    Role.SERVICE: (
        IDENTITY + "GetTenant",
        QUALIFICATIONS + "ListQualifications",
        *_residents(
            "RegisterResident GetResident LookupResident LookupResidents SearchResidents "
            "UpdateResident IssueHealthCard "
            "GetHealthCard RevokeHealthCard CreateHealthCardQrCode VerifyHealthCardQrCode "
            "CheckHealthCardPresence ReadUnmasked"
        ),
    ),
    # A public-security system (a police organ's service account): checks birth certificates
    # in mch and nothing in identity — not even its own tenant's entry (least privilege).
    Role.VERIFIER: (),
    # The cell's own account: finds its residents by document (and name) for a cross-cell
    # transfer and checks the e-health-card code scanned for it in the other cell (a code this
    # cell issued; the scan uses it up), and reads the cell's resident change feed for the
    # cell's other services (archives follows deaths and merges); nothing else (no unmasked
    # numbers, no registration).
    Role.CELL: (
        RESIDENTS + "LookupResident",
        RESIDENTS + "VerifyHealthCardQrCode",
        RESIDENTS + "ListResidentChanges",
        # The referral service checks a referral's receiving institution (directory data).
        IDENTITY + "GetTenant",
        # mch checks a child transfer's target institution and whether it is a school-health
        # institution (a clinic may not read another institution's directory entry itself).
        QUALIFICATIONS + "ListQualifications",
        # mch links the birth certificates it issued to their children, in batches, after
        # they committed (its outbox: mch/certificates/links.py), no longer as the issuer.
        RESIDENTS + "LinkBirthCertificate",
        RESIDENTS + "LinkBirthCertificates",
    ),
}


def permission_rules() -> list[Rule]:
    return [
        permission_rule(role.value, action)
        for role, actions in ROLE_PERMISSIONS.items()
        for action in actions
    ]
