"""rhip.kit.driver_reads: the same rows as SQLAlchemy, on the driver only where that is exact."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rhip.kit.db import make_engine
from rhip.kit.driver_reads import DriverRead
from rhip.kit.errors import Unavailable
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    TypeDecorator,
    bindparam,
    select,
)

META = MetaData()


class Upper(TypeDecorator):
    """A type that changes values on the way in and out: the driver path must not be taken."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        return value.upper() if value is not None else None

    def process_result_value(self, value, dialect):  # type: ignore[no-untyped-def]
        return value.lower() if value is not None else None


THING = Table(
    "thing",
    META,
    Column("id", String(10), primary_key=True),
    Column("n", Integer),
    Column("flag", Boolean),
    Column("at", DateTime(timezone=True)),
    Column("blob", LargeBinary),
    Column("code", Upper(10)),
    Column("amount", Numeric(10, 2)),
)
AT = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


@pytest.fixture
def engine(database_url):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url, pool_size=2)
    META.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            THING.insert(),
            [
                {"id": "a", "n": 1, "flag": True, "at": AT, "blob": b"\x00\x01", "code": "x"},
                {"id": "b", "n": 2, "flag": False, "at": AT, "blob": b"", "code": "y"},
            ],
        )
    yield engine
    engine.dispose()


def _plain() -> DriverRead:
    return DriverRead(
        select(THING.c.id, THING.c.n, THING.c.flag, THING.c.at, THING.c.blob)
        .where(THING.c.n >= bindparam("low"), THING.c.id != "zz")
        .order_by(THING.c.id)
    )


def test_rows_equal_sqlalchemys_and_answer_by_attribute(engine) -> None:  # type: ignore[no-untyped-def]
    read = _plain()
    with engine.connect() as conn:
        expected = [tuple(r) for r in conn.execute(read.statement, {"low": 1}).all()]
        rows = read.all(conn, {"low": 1})
        first = read.first(conn, {"low": 2})
        none = read.first(conn, {"low": 9})
    assert [tuple(r) for r in rows] == expected
    assert rows[0].id == "a" and rows[0].flag is True and rows[0].blob == b"\x00\x01"
    at = rows[0].at  # SQLite hands back the UTC time without its zone
    assert (at.astimezone(UTC) if at.tzinfo else at).replace(tzinfo=None) == AT.replace(tzinfo=None)
    assert first is not None and first.id == "b" and none is None


def test_the_driver_path_is_taken_on_postgresql_only(engine) -> None:  # type: ignore[no-untyped-def]
    read = _plain()
    with engine.connect() as conn:
        read.all(conn, {"low": 1})
        plan = read._plan(conn)
    assert (plan is not None) == (engine.dialect.name == "postgresql")


def test_types_that_convert_values_stay_with_sqlalchemy(engine) -> None:  # type: ignore[no-untyped-def]
    converting = DriverRead(select(THING.c.id, THING.c.code).where(THING.c.code == "X"))
    numeric = DriverRead(select(THING.c.amount).where(THING.c.id == bindparam("id")))
    with engine.connect() as conn:
        rows = converting.all(conn, {})
        assert converting._plan(conn) is None
        numeric.first(conn, {"id": "a"})
        assert numeric._plan(conn) is None
    # bound "X" is stored upper-case and read back lower-case: SQLAlchemy's processors ran
    assert [(r.id, r.code) for r in rows] == [("a", "x")]


def test_expanding_parameters_stay_with_sqlalchemy(engine) -> None:  # type: ignore[no-untyped-def]
    read = DriverRead(select(THING.c.id).where(THING.c.id.in_(bindparam("ids", expanding=True))))
    with engine.connect() as conn:
        assert sorted(r.id for r in read.all(conn, {"ids": ["a", "b"]})) == ["a", "b"]
        assert read._plan(conn) is None


def test_a_lost_connection_is_unavailable_and_leaves_the_pool(engine) -> None:  # type: ignore[no-untyped-def]
    read = _plain()
    if engine.dialect.name != "postgresql":  # no driver path: nothing of this can happen
        with engine.connect() as conn:
            assert read._plan(conn) is None
        return
    with engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with engine.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
        with pytest.raises(Unavailable):
            read.all(conn, {"low": 1})
        assert conn.invalidated
    with engine.connect() as conn:  # the pool hands out a working connection again
        assert [r.id for r in read.all(conn, {"low": 1})] == ["a", "b"]
