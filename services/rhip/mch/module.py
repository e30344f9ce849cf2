"""The mch service as a module of a cell (rhip.kit.modules): it calls identity (residents,
tenants, qualifications, newborn registration), archives when the cell runs it (a family-doctor
team's contracted residents, for the overdue lists per team) and, when the cell runs emr,
delivers its pregnancy, child and certificate events to emr's timeline index."""

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
        # emr is built after mch (it sits after it in the registry): its address is asked at
        # each send. A cell without emr feeds no timeline and runs no delivery.
        (lambda: context.address_of("emr")) if context.reaches("emr") else None,
        context.signing_secrets(),
        # archives holds the family-doctor contracts the overdue lists filter by; a cell of
        # mch without archives answers that filter FAILED_PRECONDITION.
        (lambda: context.address_of("archives")) if context.reaches("archives") else None,
    )
    outboxes = {"mch-bmc-national": mch.outbox} if mch.outbox else {}
    if mch.timeline:
        outboxes["mch-timeline"] = mch.timeline
    if mch.links:
        outboxes["mch-bmc-link"] = mch.links
    return Built(
        mch.specs,
        databases={"mch": mch.db},
        workers=mch.workers,
        outboxes=outboxes,
        close=mch.close,
        parts=mch,
    )


MODULE = ServiceModule(
    "mch", build, migrate_mch, requires=("identity",), calls_later=("emr", "archives")
).with_demo(seed_mch_demo, mch_demo_hints)
