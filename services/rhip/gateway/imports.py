"""Bulk onboarding from the console (``/onboarding/v1/imports``): the files a regional
administrator uploads go through the same code as ``rhip admin import`` (rhip.onboarding:
reading, row checks, the Importer), run here in a thread of its own and calling the gateway's
own gRPC listener with the administrator's token, so the platform decides every row exactly as
it does for the command (and as idempotently: a re-run reports "unchanged").

A run is a job the console polls for its progress (a 1,600-row import takes minutes); only the
administrator who started it can see it, and generated initial passwords are handed over once,
in the first answer after the run finished, then forgotten. The gateway holds no session list:
every start and read first asks the caller's cell whether the session still stands (a signed
out or disabled administrator's token, still validly signed, gets 401/403 as over gRPC).

A job lives in the memory of the gateway replica that runs it, and dies with it. Its id names
that replica (``<replica>.<uuid>``): a read landing on another replica is forwarded there and
its answer handed back unchanged (rhip.gateway.import_peers), so the owner-only rule and the
one-time hand-over of passwords are still decided where the job is.

    POST /onboarding/v1/imports   {"files": [{"fileName", "content" (base64)}], "dryRun"}
    GET  /onboarding/v1/imports/{id}
"""

from __future__ import annotations

import base64
import binascii
import csv
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from rhip.api.identity.v1 import identity_service_pb2, identity_service_pb2_grpc
from rhip.gateway.import_peers import PeerAnswer, Replicas, load_replicas, replica_of, runner_gone
from rhip.kit.authn import Principal, PrincipalKind
from rhip.kit.crosscell import REGION_HEADER
from rhip.kit.errors import (
    Aborted,
    NotFound,
    PermissionDenied,
    RhipError,
    Unavailable,
    from_rpc_error,
    invalid,
)
from rhip.onboarding.importer import Importer, Progress, Report
from rhip.onboarding.rows import parse
from rhip.onboarding.sheet import Table, read_tables

log = logging.getLogger(__name__)

IMPORTS_PREFIX = "/onboarding/v1/imports"
SESSION_CHECK_SECONDS = 5.0  # the cell's answer to "does this session still stand?"
KEEP_SECONDS = 3600.0  # a finished job's report stays this long for its page to show it
MAX_JOBS = 200  # finished jobs kept at most (the oldest go first)
MAX_FILES = 10


@dataclass
class Job:
    job_id: str
    owner: str  # the subject who started it: nobody else sees it
    file_names: list[str]
    dry_run: bool
    state: str = "RUNNING"  # RUNNING | DONE | FAILED
    progress: Progress | None = None
    report: Report | None = None
    error: str = ""
    finished_at: float = 0.0
    credentials_given: bool = False
    rows: int = 0  # rows to bring in (institutions and users that passed the checks)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to_json(self) -> dict[str, Any]:
        """The job as the console reads it; a finished run's generated passwords only once."""
        with self.lock:
            answer: dict[str, Any] = {
                "id": self.job_id,
                "fileNames": self.file_names,
                "dryRun": self.dry_run,
                "state": self.state,
                "rows": self.rows,
            }
            if self.progress is not None:
                answer["progress"] = {
                    "kind": self.progress.kind,
                    "done": self.progress.done,
                    "total": self.progress.total,
                    "counts": dict(self.progress.counts),
                }
            if self.error:
                answer["error"] = self.error
            if self.report is not None:
                answer["counts"] = dict(self.report.counts())
                answer["ok"] = self.report.ok
                answer["results"] = [
                    {
                        "sheet": r.sheet,
                        "row": r.row,
                        "what": r.what,
                        "status": r.status,
                        "column": r.column,
                        "reason": r.reason,
                    }
                    for r in self.report.results
                ]
                if self.report.credentials and not self.credentials_given:
                    answer["credentials"] = [
                        {"username": u, "password": p} for u, p in self.report.credentials
                    ]
                    self.credentials_given = True
                    self.report.credentials = []
            return answer


class ImportJobs:
    """The import runs of this gateway process. ``channel``: a channel to the gateway's own
    gRPC listener (set once it listens); ``replicas``: this replica's name and its peers."""

    def __init__(self, replicas: Replicas | None = None) -> None:
        self.channel: Callable[[], grpc.Channel] | None = None
        self.replicas = replicas or load_replicas({})
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, principal: Principal, token: str, body: Any) -> Job:
        if principal.kind is not PrincipalKind.REGIONAL_ADMIN:
            raise PermissionDenied(
                "bulk onboarding is for regional administrators", reason="IMPORT_NOT_ALLOWED"
            )
        self._confirm_session(principal, token)
        tables, names, dry_run = _upload(body)
        parsed = parse(tables)
        with self._lock:
            self._expire()
            if any(
                j.owner == principal.subject and j.state == "RUNNING" for j in self._jobs.values()
            ):
                raise Aborted(
                    "an import of yours is still running: wait for it to finish",
                    reason="IMPORT_RUNNING",
                )
            job = Job(self.replicas.new_job_id(), principal.subject, names, dry_run)
            job.rows = len(parsed.institutions) + len(parsed.people)
            self._jobs[job.job_id] = job
        channel = self._own_channel()

        def run() -> None:
            def progress(now: Progress) -> None:
                with job.lock:
                    job.progress = now

            try:
                report = Importer(channel, token, dry_run=dry_run, progress=progress).run(parsed)
                outcome, error = "DONE", ""
            except Exception:  # the console shows the run failed; the log has why
                log.exception("import run failed")
                report, outcome, error = None, "FAILED", "the import stopped: see the gateway log"
            finally:
                channel.close()
            with job.lock:
                job.report, job.state, job.error = report, outcome, error
                job.finished_at = time.monotonic()
            counts = report.counts() if report is not None else Counter[str]()
            log.info("import %s %s: %s", job.job_id, outcome, dict(counts))

        threading.Thread(
            target=run, name=f"import-{job.job_id.rpartition('.')[2][:8]}", daemon=True
        ).start()
        return job

    def get(
        self,
        principal: Principal,
        token: str,
        job_id: str,
        *,
        request_id: str = "",
        forwarded: bool = False,
    ) -> Job | PeerAnswer:
        """The caller's job, or the answer of the replica that runs it (``forwarded``: this
        read comes from a peer already, so it goes no further)."""
        runner = replica_of(job_id)  # a malformed id is refused before anything is asked
        self._confirm_session(principal, token)
        with self._lock:
            self._expire()
            job = self._jobs.get(job_id)
        if job is None and runner != self.replicas.name:
            if forwarded:  # the replica it names is not this one (its address was reused)
                raise runner_gone(runner)
            path = f"{IMPORTS_PREFIX}/{job_id}"
            return self.replicas.forward(runner, path, f"Bearer {token}", request_id)
        if job is None or job.owner != principal.subject:
            raise NotFound("no such import", reason="IMPORT_NOT_FOUND")
        return job

    def _own_channel(self) -> grpc.Channel:
        if self.channel is None:
            raise Unavailable("the gateway is still starting", reason="IMPORT_NOT_READY")
        return self.channel()

    def _confirm_session(self, principal: Principal, token: str) -> None:
        """The caller's own cell reads the caller's region with the token: it refuses a
        session signed out (TOKEN_REVOKED) or a user disabled since (SUBJECT_BLOCKED), which
        the token's signature alone cannot tell."""
        channel = self._own_channel()
        try:
            identity_service_pb2_grpc.IdentityServiceStub(channel).GetRegion(
                identity_service_pb2.GetRegionRequest(name=f"regions/{principal.region_code}"),
                metadata=[
                    ("authorization", f"Bearer {token}"),
                    (REGION_HEADER, principal.region_code),
                ],
                timeout=SESSION_CHECK_SECONDS,
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        finally:
            channel.close()

    def _expire(self) -> None:
        now = time.monotonic()
        finished = sorted(
            (j for j in self._jobs.values() if j.state != "RUNNING"), key=lambda j: j.finished_at
        )
        for number, job in enumerate(finished):
            if now - job.finished_at > KEEP_SECONDS or len(finished) - number > MAX_JOBS:
                del self._jobs[job.job_id]


def _upload(body: Any) -> tuple[list[Table], list[str], bool]:
    """The uploaded files read as tables (the command's reader), their names, and whether
    this is a dry run; bad input names the field."""
    if not isinstance(body, dict):
        raise invalid("body", "a JSON object with files and dryRun is expected", "IMPORT_BODY")
    files = body.get("files")
    if not isinstance(files, list) or not files:
        raise invalid("files", "give at least one .csv or .xlsx file", "IMPORT_FILES")
    if len(files) > MAX_FILES:
        raise invalid("files", f"at most {MAX_FILES} files at once", "IMPORT_FILES")
    dry_run = body.get("dryRun", False)
    if not isinstance(dry_run, bool):
        raise invalid("dryRun", "must be true or false", "IMPORT_BODY")
    tables: list[Table] = []
    names: list[str] = []
    for number, upload in enumerate(files):
        where = f"files[{number}]"
        if not isinstance(upload, dict):
            raise invalid(where, "must be an object with fileName and content", "IMPORT_FILES")
        name = upload.get("fileName")
        content = upload.get("content")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise invalid(f"{where}.fileName", "must name the file", "IMPORT_FILES")
        if not isinstance(content, str):
            raise invalid(f"{where}.content", "must be the file in base64", "IMPORT_FILES")
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise invalid(f"{where}.content", "is not base64", "IMPORT_FILES") from None
        try:
            tables.extend(read_tables(Path(Path(name).name), data))
        except RhipError as error:
            if error.violations:  # the reader names "file": say which one
                raise invalid(
                    f"{where}.content", error.violations[0].description, error.reason
                ) from None
            raise
        except (UnicodeDecodeError, ValueError, KeyError, OSError, csv.Error) as error:
            raise invalid(
                f"{where}.content", f"{name}: not a readable CSV or Excel file", "FILE_UNREADABLE"
            ) from error
        names.append(Path(name).name)
    return tables, names, dry_run
