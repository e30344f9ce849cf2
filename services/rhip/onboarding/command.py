"""``rhip admin import``: the command around rhip.onboarding (reading, checks, the import),
printing progress to stderr while it runs and the report per row at the end."""

from __future__ import annotations

import argparse
import csv
import getpass
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command imports grpc and the stubs only when it runs
    import grpc
    from rhip.onboarding.importer import Progress, RowResult

_DESCRIPTION = """\
Bring institutions (机构) and their users (用户) onto the platform from CSV or Excel files,
through the gateway with your own administrator account: the platform refuses what your
region does not cover, and the report says so per row. Run it with --dry-run first."""

_EPILOG = """\
files:
  A .csv file (UTF-8 or GB18030) is one sheet; an .xlsx workbook may hold several. A sheet
  is read as institutions or users by its header row (English or Chinese column names):

  institutions  机构名称/display_name  机构类型/type  区划代码/region_code
                [等级/level] [统一社会信用代码/credit_code]
                type: 村卫生室 乡镇卫生院 社区卫生服务中心 社区卫生服务站 县级医院 妇幼保健院
                      疾病预防控制中心 三级医院 其他 (or VILLAGE_CLINIC …); level: 一级 二级 三级
  users         用户名/username  姓名/display_name  角色/kind  [所属机构/institution]
                [区划代码/region_code] [初始密码/password]
                kind: 医务人员/practitioner (names its institution by credit code or name),
                      管理员/regional_admin or 审计员/auditor (names its region_code)

  Institutions are imported before users, so a user may name an institution of the same file.

re-runs:
  An institution that exists (same credit code, or same county and name) and a user that
  exists (same username) are reported "unchanged" and left as they are: importing the same
  file twice changes nothing the second time. An interrupted run can simply be started again.

passwords:
  A user row without a password gets a generated one, written with the username to
  --passwords-out (created readable by you only); it is printed nowhere else.

exit status: 0 every row imported or unchanged, 1 some rows invalid or refused, 2 usage.

examples:
  rhip admin import --username xz-admin --region 320300 --dry-run 徐州第一批.xlsx
  rhip admin import --username xz-admin --region 320300 --passwords-out pw.csv 徐州第一批.xlsx
  RHIP_TOKEN=… rhip admin import --report report.csv institutions.csv users.csv
"""


def add_import_command(admin_sub: argparse._SubParsersAction) -> None:
    command = admin_sub.add_parser(
        "import",
        help="import institutions and users from CSV or Excel files (dry run, report per row)",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument("files", nargs="+", type=Path, help=".csv or .xlsx files")
    command.add_argument(
        "--gateway",
        default=os.environ.get("RHIP_GATEWAY", "127.0.0.1:50051"),
        help="the gateway's gRPC address (default: RHIP_GATEWAY or 127.0.0.1:50051)",
    )
    command.add_argument(
        "--tls-ca", type=Path, help="CA bundle to verify the gateway's TLS certificate"
    )
    who = command.add_argument_group(
        "who you are", "RHIP_TOKEN (an access token), or an account and its password"
    )
    who.add_argument("--username", help="your account (password: RHIP_PASSWORD or a prompt)")
    who.add_argument("--region", help="your region code, to log in (e.g. 320300)")
    command.add_argument("--dry-run", action="store_true", help="check and compare; create nothing")
    command.add_argument("--report", type=Path, help="also write the report per row to this CSV")
    command.add_argument(
        "--passwords-out", type=Path, help="where generated initial passwords go (mode 0600)"
    )
    command.add_argument("--quiet", action="store_true", help="no progress lines")
    command.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    from rhip.kit.config import ConfigError
    from rhip.kit.errors import RhipError
    from rhip.kit.transport import public_channel
    from rhip.onboarding.importer import Importer
    from rhip.onboarding.rows import parse
    from rhip.onboarding.sheet import read_tables

    tables = []
    for path in args.files:
        try:
            tables.extend(read_tables(path))
        except OSError as error:
            raise ConfigError(f"{path}: {error.strerror}") from None
        except RhipError as error:
            raise ConfigError(str(error.message)) from None
    parsed = parse(tables)
    channel = public_channel(args.gateway, str(args.tls_ca or ""))
    try:
        token = _token(args, channel)
        wanted = [p for p in parsed.people if not p.password]
        if wanted and not args.dry_run and args.passwords_out is None:
            raise ConfigError(
                f"{len(wanted)} user rows give no password: name --passwords-out FILE for the "
                "generated ones"
            )
        importer = Importer(
            channel, token, dry_run=args.dry_run, progress=None if args.quiet else _Progress()
        )
        report = importer.run(parsed)
    finally:
        channel.close()
    for result in report.results:
        if result.status not in ("created", "unchanged"):
            print(result)
    counts = report.counts()
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    done = "dry run: nothing was changed" if args.dry_run else "import finished"
    if not args.dry_run and counts["created"] == 0:
        done += ": nothing changed (every importable row was already there)"
    print(f"{done}; {summary or 'no rows'}")
    if args.report:
        _write_report(args.report, report.results)
    if report.credentials:
        _write_passwords(args.passwords_out, report.credentials)
        print(f"{len(report.credentials)} generated passwords in {args.passwords_out}")
    return 0 if report.ok else 1


def _token(args: argparse.Namespace, channel: grpc.Channel) -> str:
    import grpc
    from rhip.api.identity.v1 import identity_service_pb2 as ipb
    from rhip.api.identity.v1 import identity_service_pb2_grpc
    from rhip.kit.config import ConfigError
    from rhip.kit.errors import from_rpc_error

    if not args.username:
        token = os.environ.get("RHIP_TOKEN", "")
        if not token:
            raise ConfigError("log in: --username and --region, or RHIP_TOKEN")
        return token
    if not args.region:
        raise ConfigError("--region: the region code your account belongs to (e.g. 320300)")
    password = os.environ.get("RHIP_PASSWORD") or getpass.getpass(f"password of {args.username}: ")
    request = ipb.LoginRequest(
        password=ipb.PasswordCredentials(username=args.username, password=password)
    )
    try:
        login = identity_service_pb2_grpc.IdentityServiceStub(channel).Login(
            request, metadata=[("x-rhip-region", args.region)], timeout=30
        )
    except grpc.RpcError as error:
        refused = from_rpc_error(error)
        raise ConfigError(f"login refused: {refused.code.name} {refused.message}") from None
    return str(login.access_token)


class _Progress:
    """A line to stderr at most every second, and at the end of each kind."""

    def __init__(self) -> None:
        self._last = 0.0

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if progress.done < progress.total and now - self._last < 1.0:
            return
        self._last = now
        counts = ", ".join(f"{n} {s}" for s, n in sorted(progress.counts.items()))
        share = 100 * progress.done // max(progress.total, 1)
        print(
            f"{progress.kind}: {progress.done}/{progress.total} ({share}%) {counts}",
            file=sys.stderr,
            flush=True,
        )


def _write_report(path: Path, results: list[RowResult]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:  # Excel opens it as UTF-8
        writer = csv.writer(out)
        writer.writerow(["sheet", "row", "what", "status", "column", "reason"])
        for r in results:
            writer.writerow([r.sheet, r.row, r.what, r.status, r.column, r.reason])


def _write_passwords(path: Path, credentials: list[tuple[str, str]]) -> None:
    # Created 0600 before anything is written: the passwords are never readable by others.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["username", "password"])
        writer.writerows(credentials)
