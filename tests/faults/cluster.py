"""A private PostgreSQL cluster for fault tests: its own data directory and port on 127.0.0.1,
so that it can be restarted and paused without touching the shared server other tests use.

Run as root (this machine, CI containers), the server runs as the ``postgres`` OS user
(PostgreSQL refuses to run as root), through ``runuser``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from support.platform import free_port


def postgres_bindir() -> Path:
    """Where initdb and pg_ctl are; fails clearly when PostgreSQL's server binaries are absent
    (the fault tests must run in CI, which has them)."""
    candidates = [os.environ.get("RHIP_TEST_PG_BINDIR", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    which = shutil.which("initdb")
    if which:
        candidates.append(str(Path(which).parent))
    for candidate in filter(None, candidates):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    raise RuntimeError(
        "the fault tests need PostgreSQL's server binaries (initdb, pg_ctl): install the "
        "postgresql package or set RHIP_TEST_PG_BINDIR"
    )


class PrivatePostgres:
    """One cluster: ``start``, ``restart`` (fast shutdown, as an operator's restart),
    ``pause``/``resume`` (SIGSTOP/SIGCONT to the postmaster and every backend)."""

    def __init__(self) -> None:
        self.bindir = postgres_bindir()
        # Under /tmp, not pytest's tmp_path: that is private to root, and the server runs as
        # postgres.
        self.base = Path(tempfile.mkdtemp(prefix="rhip-faults-pg-"))
        self.data = self.base / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.base, "postgres", "postgres")
        self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync",
            "-E", "UTF8", "--locale=C",
        )  # fmt: skip

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, tool: str, *args: str) -> None:
        argv = [str(self.bindir / tool), *args]
        if self._as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed: {result.stdout}\n{result.stderr}")

    def _ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.base / "server.log"), "-w",
            "-t", "30", "-o", options, *extra, action,
        )  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        """Fast shutdown (every backend told AdminShutdown, as in an operator's restart) and
        start again; returns once the server accepts connections."""
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        """Stop the server for good and remove its files."""
        try:
            self.resume()
            self._ctl("stop", "-m", "immediate")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def create_database(self, name: str) -> None:
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def _pids(self) -> list[int]:
        """The postmaster and its children (backends, background processes)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(
                    line.split(":\t", 1)
                    for line in status.read_text().splitlines()
                    if ":\t" in line
                )
            except OSError:
                continue
            if int(fields.get("PPid", "0").strip()) == postmaster:
                children.append(int(status.parent.name))
        return [postmaster, *children]

    def pause(self) -> None:
        for pid in self._pids():
            _signal(pid, signal.SIGSTOP)

    def resume(self) -> None:
        for pid in reversed(self._pids()):
            _signal(pid, signal.SIGCONT)
        time.sleep(0)  # let the scheduler run them


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # ended meanwhile
        os.kill(pid, sig)
