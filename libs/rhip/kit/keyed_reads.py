"""Rows of a table found by a list of keys, with a plan that holds whatever the statistics say.

A batch read by keys (a stream's document ids, a batch's lookup hashes) as ``column IN (…)``
or ``= ANY(…)`` is estimated by PostgreSQL, on a table without statistics (right after a bulk
load), to match every row; once psycopg prepares the statement its generic plan scans the
table. Measured (tests/perf/bench_emr_ingest.py): 100–200 ms a chunk of 200 ids at 20,000
rows, growing with the table; a row-value ``IN`` of 200 pairs cost ~25 ms just to plan. On
PostgreSQL the keys are therefore unnested and each is looked up by a lateral subquery
(``OFFSET 0`` keeps the planner from turning it back into a join): one index lookup per key.
Other databases get the plain ``IN`` list."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ARRAY, Column, Connection, Subquery, Table, bindparam, func, select, true
from sqlalchemy.sql import ColumnElement


def rows_by_keys(
    connection: Connection,
    table: Table,
    column: Column,
    keys: Sequence[str],
    *criteria: ColumnElement[bool],
) -> Subquery:
    """``table``'s rows whose ``column`` is one of ``keys`` and that meet ``criteria``, as a
    subquery with the table's columns (``column`` should lead a unique index)."""
    if connection.dialect.name != "postgresql":
        return select(table).where(column.in_(keys), *criteria).subquery()
    key = (
        func.unnest(bindparam(None, list(keys), type_=ARRAY(column.type)))
        .table_valued("key")
        .render_derived()
    )
    per_key = select(table).where(column == key.c.key, *criteria).offset(0).lateral()
    return select(per_key).select_from(key.join(per_key, true())).subquery()
