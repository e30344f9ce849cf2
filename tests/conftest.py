"""Shared fixtures: databases (SQLite and PostgreSQL), settings, and a real identity cell on
a loopback port with the real interceptor chain.

Every database test runs on SQLite and on PostgreSQL (``RHIP_TEST_POSTGRES_URL``); each test
gets its own PostgreSQL schema. Without the variable the PostgreSQL cases skip with a reason,
unless ``RHIP_TEST_REQUIRE_POSTGRES=1`` (CI), where they fail instead.
"""

from __future__ import annotations

import base64
import logging
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from rhip.kit.config import Settings, load_settings
from sqlalchemy.engine import make_url
from support import schema_pool, schema_templates
from support.schedule import slowest_first

# The tests live in China Standard Time, as the platform's users do: a test's ``date.today()``
# is the day a clinician calls today, the day the services compute from their UTC clocks
# (``rhip.kit.timestamps.clinical_day``). On a UTC machine the two differed from 16:00 to 24:00
# UTC, and a test dated "today" by the machine was yesterday to the service. The services never
# read the process's local time (tests/kit/test_clinical_day.py checks their source), so this
# changes what the tests compute, not what the services do. POSIX form: no zoneinfo needed.
os.environ["TZ"] = "CST-8"
time.tzset()

# A background worker of a module-scoped cell (feeds, outbox deliveries, links) may log after
# pytest closed the capture stream of the test that started it; logging would print a
# "Logging error" traceback for that line into the run's output. The line is lost either way.
logging.raiseExceptions = False

# Empty test databases are filled from a migrated copy (tests/support/schema_templates.py).
if os.environ.get("RHIP_TEST_MIGRATE_EVERY_DATABASE") != "1":
    schema_templates.install()

POSTGRES_URL = os.environ.get("RHIP_TEST_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("RHIP_TEST_REQUIRE_POSTGRES") == "1"


def pytest_configure(config: pytest.Config) -> None:
    _temporary_files_in_memory(config)
    _postgres_commits_without_flush()


def _temporary_files_in_memory(config: pytest.Config) -> None:
    """Temporary directories (every SQLite database of the suite, the platform processes'
    files) on /dev/shm rather than the disk: closing an SQLite file in WAL mode checkpoints and
    fsyncs, 5–50 ms on this disk against 0.3 ms in memory, and the suite opens and closes
    thousands. Nothing here must survive the machine. ``--basetemp`` (or no writable /dev/shm)
    keeps pytest's own choice; the directory is removed when the run ends, failed or not.
    Only the xdist controller (or a run without workers) chooses: workers get their part."""
    if config.option.basetemp or hasattr(config, "workerinput"):
        return
    memory = Path("/dev/shm")
    if not (memory.is_dir() and os.access(memory, os.W_OK)):
        return
    base = Path(tempfile.mkdtemp(prefix="rhip-pytest-", dir=memory))
    config.option.basetemp = str(base)
    config.add_cleanup(lambda: shutil.rmtree(base, ignore_errors=True))


def _postgres_commits_without_flush() -> None:
    """The test database commits without waiting for its WAL to reach the disk: nothing here
    outlives a crash of PostgreSQL itself (a killed cell's commits are unaffected), and the
    suite commits tens of thousands of times. Sessions opened from now on, cells started by
    the tests in their own processes included."""
    if not POSTGRES_URL:
        return
    try:
        with psycopg.connect(_psycopg_dsn(POSTGRES_URL), autocommit=True) as conn:
            name = conn.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
            conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    except psycopg.Error:
        pass  # not the database's owner: the suite is slower, not different


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked ``sqlite_only`` or ``postgres_only`` is deselected for the other backend's
    parameter (of ``database_url``, a module's cell or platform) rather than skipped: a skip
    would read as a case that did not run."""
    other = {"sqlite_only": "postgres", "postgres_only": "sqlite"}
    dropped = [
        item
        for item in items
        for marker, backend in other.items()
        if item.get_closest_marker(marker)
        and backend in getattr(getattr(item, "callspec", None), "params", {}).values()
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]
    slowest_first(items)


def _psycopg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def schema_url(schema: str) -> str:
    """The URL of ``schema`` on RHIP_TEST_POSTGRES_URL (its search_path)."""
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@contextmanager
def postgres_schema(prefix: str = "t") -> Iterator[str]:
    """The URL of a PostgreSQL schema of its own on RHIP_TEST_POSTGRES_URL, dropped after
    (or, still its template's shape, emptied for the next test: support.schema_pool)."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    dsn = _psycopg_dsn(POSTGRES_URL)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema_url(schema)
    finally:
        if not schema_pool.give_back(dsn, schema):
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: an SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("RHIP_TEST_POSTGRES_URL is not set but RHIP_TEST_REQUIRE_POSTGRES=1")
        pytest.skip("PostgreSQL case: set RHIP_TEST_POSTGRES_URL to run it")
    with postgres_schema() as url:
        yield url


def make_settings(tmp_path: Path, database_url: str, cell: str = "320000", **env: str) -> Settings:
    base = {
        "RHIP_CELL": cell,
        "RHIP_DATA_DIR": str(tmp_path / "var"),
        "RHIP_IDENTITY_DATABASE_URL": database_url,
        "RHIP_SECRET_KEY": base64.b64encode(os.urandom(32)).decode(),
        # Real argon2id, cheaper parameters: the suite hashes hundreds of passwords.
        "RHIP_ARGON2_MEMORY_KIB": "1024",
        "RHIP_ARGON2_TIME_COST": "1",
        "RHIP_AUTHZ_POLL_MS": "50",
        "RHIP_GRPC_WORKERS": "8",
    }
    base.update(env)
    return load_settings(base)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)
