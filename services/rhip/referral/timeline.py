"""Referrals and teleconsultations on the resident's lifetime timeline (emr's index): each
move is queued for emr in the move's own transaction (rhip.kit.timeline_feed), shown there to
whoever may read the referral or teleconsultation here — its read method at any of the scopes
that read it here (a referral: sender, receiver and the record's keeper; a teleconsultation:
the inviting and the invited institution). Each entry names its institution (the referral's
sender, the teleconsultation's inviting side: ``names``, asked as the cell and kept a while;
"" for an institution of another cell, which this cell's identity does not know) and carries
the day of the move as its clinical date (a move is the care it records)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rhip.kit.timeline_feed import enqueue_entry
from rhip.referral.referrals.domain import Referral
from rhip.referral.teleconsults.domain import Teleconsultation
from sqlalchemy import Connection

SOURCE = "referral"
REFERRAL_READ = "rhip.api.referral.v1.ReferralService/GetReferral"
TELECONSULTATION_READ = "rhip.api.referral.v1.TeleconsultationService/GetTeleconsultation"

Names = Callable[[str], str] | None  # tenant id → the institution's name (kit.institution_names)


def _name(names: Names, tenant_id: str) -> str:
    return names(tenant_id) if names is not None else ""


def enqueue_referral_move(
    conn: Connection, referral: Referral, state: str, now: datetime, names: Names = None
) -> None:
    """The referral entered ``state`` (``SUBMITTED``…)."""
    scopes = [referral.sender_scope, referral.receiver_scope, referral.managing_scope]
    enqueue_entry(
        conn,
        source=SOURCE,
        resident_id=referral.resident_id,
        occur_time=now,
        kind=f"REFERRAL_{state}",
        target=f"referrals/{referral.referral_id}",
        tenant_id=referral.sender_tenant_id,
        scope_paths=[s for s in scopes if s],  # the keeper's is empty across cells
        read_method=REFERRAL_READ,
        tenant_name=_name(names, referral.sender_tenant_id),
    )


def enqueue_teleconsultation_move(
    conn: Connection, t: Teleconsultation, state: str, now: datetime, names: Names = None
) -> None:
    """The teleconsultation was requested or entered ``state`` (``ACCEPTED``…)."""
    enqueue_entry(
        conn,
        source=SOURCE,
        resident_id=t.resident_id,
        occur_time=now,
        kind=f"TELECONSULTATION_{state}",
        target=f"teleconsultations/{t.teleconsultation_id}",
        tenant_id=t.inviting_tenant_id,
        scope_paths=[t.inviting_scope, t.invited_scope],
        read_method=TELECONSULTATION_READ,
        tenant_name=_name(names, t.inviting_tenant_id),
    )
