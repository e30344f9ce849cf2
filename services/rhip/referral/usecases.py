"""The referral service's use cases as one object (the servicer's): drafts, moves, indicators
and the cross-cell side, on the shared ground of referrals/usecases.py."""

from __future__ import annotations

from rhip.referral.referrals.cross_cell import CrossCellReferrals
from rhip.referral.referrals.drafts import DraftUseCases
from rhip.referral.referrals.indicators import ReferralIndicators


class Referrals(DraftUseCases, ReferralIndicators, CrossCellReferrals):
    """Every referral use case."""
