"""The mch service as a module of a cell (rhip.kit.modules): it calls identity (residents,
tenants, qualifications, newborn registration)."""

from __future__ import annotations

from rhip.kit.modules import Built, CellContext, ServiceModule
from rhip.mch.demo import mch_demo_hints, seed_mch_demo
from rhip.mch.server import build_mch, migrate_mch


def build(context: CellContext) -> Built:
    mch = build_mch(
        context.settings,
        lambda: context.address_of("identity"),
        context.peers,
        context.authorizer,
        context.secret(),
    )
    outboxes = {"mch-bmc-national": mch.outbox} if mch.outbox else {}
    return Built(
        mch.specs,
        databases={"mch": mch.db},
        workers=list(outboxes.values()),
        outboxes=outboxes,
        close=mch.close,
        parts=mch,
    )


MODULE = ServiceModule("mch", build, migrate_mch, requires=("identity",)).with_demo(
    seed_mch_demo, mch_demo_hints
)
