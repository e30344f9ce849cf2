"""The presence part of ``rhip admin locator-backfill`` (rhip.locator.backfill): announces every
resident of the cell to the locator, in batches by resident id with progress, and links each to
the same person's residents in other cells, as the link worker does for a new registration
(and removes the links the locator no longer confirms, as it does after a merge undone).
Idempotent: a resident announced again changes nothing (under a new key it is re-digested,
which is how a key rotation reaches presence). Residents registered before the locator existed
are linked this way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TextIO

from rhip.identity.links.usecases import ResidentLinks
from rhip.identity.residents.domain import ResidentState
from rhip.identity.residents.store import ResidentRow
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from rhip.kit.errors import RhipError
from sqlalchemy import select

_RES: Any = ResidentRow.__table__


@dataclass
class PresenceReport:
    residents: int = 0
    links: int = 0
    failed: int = 0


def backfill_presence(
    links: ResidentLinks, cell: str, out: TextIO, batch: int = 200
) -> PresenceReport:
    report = PresenceReport()
    last = ""
    actor = Principal(f"system:identity-links/{cell}", PrincipalKind.SERVICE_ACCOUNT, "", cell)
    with acting_as(actor):  # history entries of the links name the backfill's actor
        while True:
            with links.residents.db.read() as conn:
                ids = list(
                    conn.execute(
                        select(_RES.c.id)
                        .where(_RES.c.id > last, _RES.c.state != ResidentState.MERGED.value)
                        .order_by(_RES.c.id)
                        .limit(batch)
                    ).scalars()
                )
            if not ids:
                break
            for resident_id in ids:
                report.residents += 1
                try:
                    report.links += links.announce(resident_id)
                except RhipError as error:
                    report.failed += 1
                    print(f"resident {resident_id}: {error.reason}", file=out)
            last = ids[-1]
            print(
                f"locator backfill: {report.residents} residents announced, {report.links} "
                f"links made, {report.failed} failed",
                file=out,
                flush=True,
            )
    return report
