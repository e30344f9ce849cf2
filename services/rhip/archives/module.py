"""The archives service as a module of a cell (rhip.kit.modules): it calls identity (residents,
the cell's policy when identity runs elsewhere) and runs the resident-events consumer, the
cross-cell transfer sweep and, when the cell runs emr, the delivery of the record history to
emr's timeline index while the cell serves."""

from __future__ import annotations

from rhip.archives.demo import archives_demo_hints, seed_archives_module_demo
from rhip.archives.server import build_archives, migrate_archives
from rhip.kit.modules import Built, CellContext, ServiceModule


def build(context: CellContext) -> Built:
    archives = build_archives(
        context.settings,
        lambda: context.address_of("identity"),
        context.peers,
        context.authorizer,
        # emr is built after archives (it requires archives): its address is asked at each
        # send. A cell without emr feeds no timeline and runs no delivery.
        (lambda: context.address_of("emr")) if context.reaches("emr") else None,
    )
    return Built(
        archives.specs,
        databases={"archives": archives.db},
        workers=archives.workers,
        outboxes={"archives-timeline": archives.timeline} if archives.timeline else {},
        authorizer=archives.authorizer,
        close=archives.close,
        parts=archives,
    )


MODULE = ServiceModule(
    "archives", build, migrate_archives, requires=("identity",), calls_later=("emr",)
).with_demo(seed_archives_module_demo, archives_demo_hints)
