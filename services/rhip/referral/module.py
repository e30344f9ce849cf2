"""The referral service as a module of a cell (rhip.kit.modules): it calls identity (the
resident, the receiving institution) and archives (the record snapshot, the follow-up task
of a return)."""

from __future__ import annotations

from rhip.kit.modules import Built, CellContext, ServiceModule
from rhip.referral.demo import referral_demo_hints, seed_referral_demo
from rhip.referral.server import build_referral, migrate_referral


def build(context: CellContext) -> Built:
    referral = build_referral(
        context.settings,
        lambda: context.address_of("identity"),
        lambda: context.address_of("archives"),
        context.peers,
        context.secret,
        context.authorizer,
    )
    return Built(
        referral.specs,
        databases={"referral": referral.db},
        workers=referral.workers,
        close=referral.close,
        parts=referral,
    )


MODULE = ServiceModule(
    "referral", build, migrate_referral, requires=("identity", "archives")
).with_demo(seed_referral_demo, referral_demo_hints)
