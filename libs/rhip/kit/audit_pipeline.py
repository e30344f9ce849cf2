"""The read-audit writer's group commit on PostgreSQL in two round trips instead of seven.

Every read of personal data answers only once its audit event is committed, so the time one
group commit takes is time every reader waits, holding a gRPC worker. Through SQLAlchemy a
commit is seven round trips, each a wait for the server and then for the interpreter lock:
BEGIN, ``SET LOCAL synchronous_commit``, the head ``SELECT … FOR UPDATE``, INSERT events,
INSERT the resident index, UPDATE the head, COMMIT. Measured on loopback PostgreSQL
(tests/perf/audit_ab.py, one event per commit): ~1,050 µs of CPU and ~3.5 ms wall per commit.

psycopg 3's pipeline mode sends statements without waiting for each answer. The first three go
together and the head's answer is awaited (the rows' hashes chain from it); then the inserts,
the head's update and the COMMIT go together. Same rows (``chained_rows``), same lock, same
transaction, same durability as ``rhip.kit.audit.append_many``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rhip.kit.schema import audit_event, audit_resident
from sqlalchemy import Connection, Engine

SELECT_HEAD = "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
UPDATE_HEAD = "UPDATE audit_head SET seq = %(seq)s, hash = %(hash)s WHERE id = 1"


def driver_insert(table: Any) -> str:
    """``INSERT`` of every column of ``table`` as psycopg SQL (named parameters), for rows sent
    in a pipeline (``before`` of rhip.kit.audit.append_and_commit too), where SQLAlchemy would
    send the same values (no column of the table converts its value)."""
    names = [column.name for column in table.columns]
    values = ", ".join(f"%({name})s" for name in names)
    return f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({values})"  # noqa: S608


INSERT_EVENT = driver_insert(audit_event)
INSERT_RESIDENT = driver_insert(audit_resident)

Rows = list[dict[str, object]]
ChainRows = Callable[[int, str, Sequence[Any]], tuple[Rows, Rows]]


def pipeline_supported(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"


def write_chained(tx: Connection, rows: Rows, about: Rows) -> None:
    """In the caller's transaction, whose head row is locked already: the chained rows, the
    resident index and the head's update sent together, one round trip instead of three.
    The head stays locked until the caller commits, so every round trip saved there is time
    the next writer of the chain (every write of the service) does not wait."""
    connection = tx.connection.driver_connection
    assert connection is not None
    with connection.pipeline(), connection.cursor() as cursor:
        cursor.executemany(INSERT_EVENT, rows)
        if about:
            cursor.executemany(INSERT_RESIDENT, about)
        cursor.execute(UPDATE_HEAD, {"seq": rows[-1]["seq"], "hash": rows[-1]["hash"]})


def commit_chained(
    tx: Connection,
    before: Sequence[tuple[str, Sequence[dict[str, object]]]],
    events: Sequence[Any],
    chained_rows: ChainRows,
) -> None:
    """End the caller's transaction in two round trips: ``before`` (SQL and its parameter
    rows: a write that must come last but ahead of the audit head's lock, such as counts
    under their advisory locks), the head locked and read; then the chained rows, the resident
    index, the head's update and the COMMIT. Same rows, locks, order and durability as running
    them one by one and committing; what changes is that the locks taken here (an
    institution's counts, the service's audit head) are held for two round trips instead of
    five or six, and each round trip of a thread holding them waits for the interpreter lock
    when the process is busy: those waits were most of their hold under load (issue 15).
    The transaction is committed on return: nothing may follow in it."""
    connection = tx.connection.driver_connection
    assert connection is not None
    with connection.pipeline(), connection.cursor() as cursor, connection.cursor() as head:
        for sql, params in before:
            cursor.executemany(sql, params)
        head.execute(SELECT_HEAD)
        found = head.fetchone()  # the first round trip: everything above ran
        assert found is not None
        rows, about = chained_rows(int(found[0]), str(found[1]), events)
        if rows:
            cursor.executemany(INSERT_EVENT, rows)
            if about:
                cursor.executemany(INSERT_RESIDENT, about)
            cursor.execute(UPDATE_HEAD, {"seq": rows[-1]["seq"], "hash": rows[-1]["hash"]})
        connection.commit()  # the second: its answer once the commit is durable


def append_pipelined(engine: Engine, events: Sequence[Any], chained_rows: ChainRows) -> None:
    """Append ``events`` after the audit head in one transaction on a pooled connection."""
    if not events:
        return
    pooled = engine.raw_connection()
    try:
        connection = pooled.driver_connection
        assert connection is not None
        try:
            with connection.pipeline(), connection.cursor() as cursor:
                # Not waiting for the WAL flush: a committed row survives this process being
                # killed; only a crash of the database server could lose the last instant.
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
                cursor.execute(SELECT_HEAD)
                head = cursor.fetchone()  # the first round trip
                assert head is not None
                rows, about = chained_rows(int(head[0]), str(head[1]), events)
                cursor.executemany(INSERT_EVENT, rows)
                if about:
                    cursor.executemany(INSERT_RESIDENT, about)
                cursor.execute(UPDATE_HEAD, {"seq": rows[-1]["seq"], "hash": rows[-1]["hash"]})
                connection.commit()  # the second
        except BaseException:
            if connection.broken:
                pooled.invalidate()  # a new connection next time
            else:
                connection.rollback()
            raise
    finally:
        pooled.close()  # back to the pool
