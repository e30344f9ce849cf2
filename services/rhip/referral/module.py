"""The referral service as a module of a cell (rhip.kit.modules): it calls identity (the
resident, the receiving institution) and archives (the record snapshot, the follow-up task
of a return), and, when the cell runs emr, delivers its moves to emr's timeline index."""

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
        context.signing_secrets,
        context.authorizer,
        # emr is built after referral (it requires referral): its address is asked at each
        # send. A cell without emr feeds no timeline and runs no delivery.
        (lambda: context.address_of("emr")) if context.reaches("emr") else None,
    )
    return Built(
        referral.specs,
        databases={"referral": referral.db},
        workers=referral.workers,
        outboxes={"referral-timeline": referral.timeline} if referral.timeline else {},
        close=referral.close,
        parts=referral,
    )


MODULE = ServiceModule(
    "referral", build, migrate_referral, requires=("identity", "archives"), calls_later=("emr",)
).with_demo(seed_referral_demo, referral_demo_hints)
