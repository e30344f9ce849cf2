"""Administrator's commands of the resident locator.

``rhip admin locator-backfill`` (in a cell, with the cell's settings): claims every open
health record of the cell at the locator, through the gateway, as the cell's account, in
batches by record id with progress; then announces every resident of the cell (presence,
linking it to the same person's residents in other cells: identity's links/backfill.py). Idempotent: a record claimed already is claimed again
without change (under the current key, so that the same run re-keys after a rotation), and a
record another cell also holds open is recorded beside it (``backfill``): the reconciliation
lists it. Then the claims of terminated records that a failed release left behind go. The cell's composition root gives it both of the cell's services (archives' open
records, identity's clear primary document of each resident, never printed).

``rhip admin locator-reconcile`` (at the gateway, with its settings): the persons with open
records in more than one cell, for an administrator to resolve (a cross-cell transfer or a
termination): cells, record and resident ids, institutions, regions; no personal data.

``rhip admin locator-purge-key <id>`` (at the gateway): the last step of a key rotation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

import sqlalchemy as sa
from rhip.api.identity.v1 import resident_pb2
from rhip.archives.locator_client import OpenRecord
from rhip.archives.records.domain import RecordState
from rhip.archives.records.store import RECORDS
from rhip.archives.transfers.domain import IdentityDocument
from rhip.identity.directory.store import DirectoryRepository
from rhip.identity.links.backfill import backfill_presence
from rhip.kit.errors import RhipError
from rhip.locator.claims.usecases import LocatorUseCases


@dataclass
class BackfillReport:
    open_records: int = 0
    claimed: int = 0
    double_open: int = 0
    without_document: int = 0
    failed: int = 0
    released: int = 0  # claims of terminated records left behind (a release that failed)
    residents: int = 0  # residents announced (presence), linked to other cells' residents
    links: int = 0


def _records(archives_db: Any, batch: int, where: Any) -> Iterator[list[Any]]:
    last = ""
    while True:
        with archives_db.read() as conn:
            rows = conn.execute(
                sa.select(RECORDS.c.id, RECORDS.c.resident_id, RECORDS.c.managing_tenant_id,
                          RECORDS.c.managing_region)
                .where(where, RECORDS.c.id > last)
                .order_by(RECORDS.c.id)
                .limit(batch)
            ).all()  # fmt: skip
        if not rows:
            return
        yield list(rows)
        last = rows[-1].id


def backfill_cell(cell: Any, out: TextIO, batch: int = 200) -> BackfillReport:
    """Claims every open record of ``cell`` (a built rhip.cell.Cell running identity and
    archives) at the locator; prints progress after each batch."""
    archives = cell.part("archives")
    identity = cell.part("identity")
    locator = archives.usecases.locator
    if locator is None or not locator.enabled:
        raise RhipError(
            "the cell has no gateway or cell account (RHIP_GATEWAY_ADDRESS, RHIP_CELL_CLIENT_*)"
        )
    report = BackfillReport()
    names: dict[str, str] = {}
    for rows in _records(archives.db, batch, RECORDS.c.open_resident_id.is_not(None)):
        for row in rows:
            report.open_records += 1
            with identity.residents.reading() as residents:
                documents = residents.documents(row.resident_id)
            primary = next((d for d in documents if d.primary), None)
            if primary is None:
                report.without_document += 1
                continue
            if row.managing_tenant_id not in names:
                with identity.db.read() as conn:
                    tenant = DirectoryRepository(conn).get_tenant(row.managing_tenant_id)
                names[row.managing_tenant_id] = tenant.display_name if tenant else ""
            document = IdentityDocument(
                resident_pb2.DocumentType.Value("DOCUMENT_TYPE_" + primary.doc_type.name),
                primary.number,
                primary.issuing_country,
            )
            record = OpenRecord(
                row.resident_id, row.id, names[row.managing_tenant_id], row.managing_region
            )
            try:
                answer = locator.claim(document, record, backfill=True)
            except RhipError as error:
                report.failed += 1
                print(f"record {row.id}: {error.reason}", file=out)
                continue
            report.claimed += 1
            report.double_open += bool(answer.double_open)
        print(
            f"locator backfill: {report.open_records} open records read, {report.claimed} "
            f"claimed, {report.double_open} also open in another cell, {report.failed} failed",
            file=out,
            flush=True,
        )
    # Claims a failed release left behind (the locator was down when the record ended).
    for rows in _records(archives.db, batch, RECORDS.c.state == RecordState.TERMINATED.value):
        for row in rows:
            try:
                report.released += locator.release(row.id)
            except RhipError as error:
                report.failed += 1
                print(f"record {row.id}: {error.reason}", file=out)
    print(f"locator backfill: {report.released} claims of terminated records released", file=out)
    # Presence: every resident of the cell, linked to the same person's in other cells.
    presence = backfill_presence(identity.links, cell.settings.cell, out, batch)
    report.residents, report.links = presence.residents, presence.links
    report.failed += presence.failed
    return report


def print_reconciliation(usecases: LocatorUseCases, out: TextIO) -> int:
    """Prints every person with open records in more than one cell; returns their number."""
    doubles = usecases.doubles()
    for number, claims in enumerate(doubles, 1):
        print(f"person {number}: open records in {len({c.cell for c in claims})} cells", file=out)
        for claim in claims:
            print(
                f"  cell {claim.cell} record {claim.record_id} resident {claim.resident_id} "
                f"institution {claim.institution or '-'} region {claim.region_code}",
                file=out,
            )
    print(f"{len(doubles)} persons with open records in more than one cell", file=out)
    return len(doubles)
