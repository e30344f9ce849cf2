"""Which services feed the timeline index and by which read method each entry is shown.

An entry from another service is shown to whoever may call that service's read method at the
entry's scope: the source's own rule, asked of the cell's shared policy. Only the methods
listed here are accepted: an entry naming another would be shown to no one, so it is refused
when it arrives (the sender's outbox dead-letters it, where an administrator sees it)."""

from __future__ import annotations

ARCHIVES_READ = "rhip.api.archives.v1.ArchivesService/GetHealthRecord"
REFERRAL_READ = "rhip.api.referral.v1.ReferralService/GetReferral"
TELECONSULTATION_READ = "rhip.api.referral.v1.TeleconsultationService/GetTeleconsultation"
# mch: a pregnancy's events (visits, grades, termination) are read with the pregnancy; a
# delivery, a child health record and a birth certificate each by their own read.
PREGNANCY_READ = "rhip.api.mch.v1.MchService/GetPregnancy"
DELIVERY_READ = "rhip.api.mch.v1.MchService/GetDelivery"
CHILD_READ = "rhip.api.mch.v1.MchService/GetChildRecord"
CERTIFICATE_READ = "rhip.api.mch.v1.BirthCertificateService/GetBirthCertificate"

# source service → the read methods its entries may name
SOURCE_READS: dict[str, frozenset[str]] = {
    "archives": frozenset({ARCHIVES_READ}),
    "referral": frozenset({REFERRAL_READ, TELECONSULTATION_READ}),
    "mch": frozenset({PREGNANCY_READ, DELIVERY_READ, CHILD_READ, CERTIFICATE_READ}),
}

ALL_READS: tuple[str, ...] = tuple(sorted({m for ms in SOURCE_READS.values() for m in ms}))

MAX_ENTRIES = 500  # per RecordTimelineEntries call
MAX_SCOPES = 4  # scope paths per entry (a referral has three)
