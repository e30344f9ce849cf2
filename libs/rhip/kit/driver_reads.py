"""Hot reads straight on the database driver, for statements where SQLAlchemy would not
change a value anyway.

Measured on the identity read path (tests/perf, GetTenant on PostgreSQL): executing a
prebuilt Core SELECT through ``Connection.execute`` cost ~300 µs of CPU per call, the same
SQL on the psycopg connection underneath ~150 µs; the difference is SQLAlchemy's execution
context and result machinery, per call. ``DriverRead`` keeps the statement written in Core
(one definition, compiled once per dialect) and runs it on the driver connection of the
SQLAlchemy ``Connection`` it is given, so pooling and transactions stay SQLAlchemy's.

It takes that shortcut only where it is provably the same: the dialect is psycopg, and the
compiled statement has no bind or result processors (no type of its columns or parameters
converts values), no expanding parameters, and result keys that are valid, distinct names.
Anything else (SQLite, whose dates need SQLAlchemy's processors) runs through
``Connection.execute`` as before. Rows answer by attribute (``row.id``) either way.
"""

from __future__ import annotations

import keyword
import logging
from collections import namedtuple
from collections.abc import Mapping
from typing import Any

import psycopg
from rhip.kit.dbpool import retire_pool
from rhip.kit.errors import Unavailable
from sqlalchemy import Connection
from sqlalchemy.sql import Select

log = logging.getLogger(__name__)


class _Plan:
    """The statement compiled for one dialect: SQL text, default parameters, row type."""

    __slots__ = ("defaults", "row", "sql")

    def __init__(self, sql: str, defaults: dict[str, Any], row: Any) -> None:
        self.sql = sql
        self.defaults = defaults
        self.row = row


def _driver_plan(statement: Select[Any], connection: Connection) -> _Plan | None:
    """How to run ``statement`` on psycopg directly, or None when only SQLAlchemy can."""
    dialect = connection.dialect
    if dialect.driver != "psycopg":
        return None
    compiled = statement.compile(dialect=dialect)
    if compiled._bind_processors or any(b.expanding for b in compiled.binds.values()):
        return None
    for column in compiled._result_columns:
        try:
            converts = column.type._cached_result_processor(dialect, None) is not None
        except Exception:  # a processor that depends on the driver's type code: assume it converts
            converts = True
        if converts:
            return None
    keys = list(statement.selected_columns.keys())
    if len(set(keys)) != len(keys) or any(
        not k.isidentifier() or keyword.iskeyword(k) or k.startswith("_") for k in keys
    ):
        return None
    return _Plan(compiled.string, dict(compiled.params), namedtuple("Row", keys))


class DriverRead:
    """A Core SELECT, built once, run per call on the fastest path that gives the same rows."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan | None] = {}  # dialect name → plan (None: via SQLAlchemy)

    def _plan(self, connection: Connection) -> _Plan | None:
        name = connection.dialect.name
        if name not in self._plans:  # racing threads compile the same plan: harmless
            self._plans[name] = _driver_plan(self.statement, connection)
        return self._plans[name]

    def all(self, connection: Connection, params: Mapping[str, Any]) -> list[Any]:
        plan = self._plan(connection)
        if plan is None:
            return list(connection.execute(self.statement, dict(params)).all())
        make = plan.row._make
        return [make(row) for row in self._cursor(connection, plan, params).fetchall()]

    def first(self, connection: Connection, params: Mapping[str, Any]) -> Any | None:
        plan = self._plan(connection)
        if plan is None:
            return connection.execute(self.statement, dict(params)).first()
        row = self._cursor(connection, plan, params).fetchone()
        return None if row is None else plan.row._make(row)

    @staticmethod
    def _cursor(connection: Connection, plan: _Plan, params: Mapping[str, Any]) -> Any:
        driver: Any = connection.connection.driver_connection
        try:
            return driver.execute(plan.sql, {**plan.defaults, **params})
        except psycopg.OperationalError as error:
            # The connection is gone, and so is every other one to the same server: not
            # only this one, or each would fail one more request (rhip.kit.dbpool).
            retire_pool(connection)
            log.warning("database unavailable: %s", type(error).__name__)
            raise Unavailable("the database is not available, retry later") from error
