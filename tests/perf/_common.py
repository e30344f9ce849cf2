"""Helpers shared by the benchmark scripts: a throw-away database, percentiles, tables.

Not a test module: ``make bench`` runs ``tests/perf/run_all.py``; pytest never collects
this folder (``norecursedirs``).
"""

from __future__ import annotations

import math
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_url() -> str:
    return os.environ.get("RHIP_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def log(message: str) -> None:
    """Progress on stderr with a timestamp, flushed at once (the scripts run for minutes)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextmanager
def scratch_database(*, sqlite: bool = False, base_url: str | None = None) -> Iterator[str]:
    """A fresh, empty database for one run, dropped afterwards: a new PostgreSQL database
    next to the one in ``base_url`` (or a SQLite file in a temporary folder)."""
    if sqlite:
        folder = tempfile.mkdtemp(prefix="rhip-bench-")
        try:
            yield f"sqlite:///{folder}/bench.db"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    from rhip.kit.db import normalise_url

    base = make_url(normalise_url(base_url or postgres_url()))
    name = f"rhip_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        log(f"created scratch database {name}")
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            log(f"dropped scratch database {name}")
    finally:
        admin.dispose()


def migrate_kit(engine) -> None:  # type: ignore[no-untyped-def]
    """Create the kit's tables (authz_rule, authz_version, audit) with its real migration."""
    from rhip.kit.db import migrate

    with tempfile.TemporaryDirectory(prefix="rhip-bench-versions-") as empty:
        migrate(engine, Path(empty))


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table (also readable on a terminal)."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells[1:]:
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "n/a"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
