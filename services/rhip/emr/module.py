"""The emr service as a module of a cell (rhip.kit.modules): it calls identity (the resident
index, the cell's policy when identity runs elsewhere), archives and referral (care
relationships, rhip.emr.care)."""

from __future__ import annotations

from rhip.emr.demo import emr_demo_hints, seed_emr_demo
from rhip.emr.server import build_emr, migrate_emr
from rhip.kit.modules import Built, CellContext, ServiceModule


def build(context: CellContext) -> Built:
    emr = build_emr(
        context.settings, context.address_of, context.peers, context.secret, context.authorizer
    )
    return Built(
        emr.specs,
        databases={"emr": emr.db},
        workers=emr.workers,
        authorizer=emr.authorizer,
        close=emr.close,
        parts=emr,
    )


MODULE = ServiceModule(
    "emr", build, migrate_emr, requires=("identity", "archives", "referral")
).with_demo(seed_emr_demo, emr_demo_hints)
