"""``rhip audit purge`` and ``rhip audit verify``: the cell's audit retention by hand.

The running cell purges on its own (``RHIP_AUDIT_PURGE_INTERVAL_SECONDS``); these commands
are for an operator who wants to see what a purge would do (``--dry-run``), run one now, or
check every service's chain and its signed checkpoints. They run against the databases of
``RHIP_*`` like the cell, with the same cell secret (the checkpoint key derives from it).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from rhip.kit import audit
from rhip.kit.audit_checkpoint import AuditSeal
from rhip.kit.audit_purge import cell_purges
from rhip.kit.config import Settings
from rhip.kit.db import Database

_EPILOG = """\
Events older than RHIP_AUDIT_RETENTION_DAYS (default and minimum 180) are sealed in a
checkpoint signed with the cell's audit key (derived from RHIP_SECRET_KEY), one audit.purge
event is appended, and then the sealed events are deleted. Verification starts from the
newest checkpoint: rhip audit verify.

examples:
  rhip audit purge --dry-run             what would be purged, changing nothing
  rhip audit purge --services archives   purge the archives log only
  rhip audit verify                      check every log's chain and checkpoints
"""


def add_audit_commands(
    sub: argparse._SubParsersAction,
    cell_args: Callable[[argparse.ArgumentParser], None],
    settings: Callable[[argparse.Namespace], Settings],
) -> None:
    group = sub.add_parser(
        "audit",
        help="audit log retention: purge old events behind a signed checkpoint, verify",
        description="The cell's audit logs (one per service database).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = group.add_subparsers(dest="audit_command", required=True)
    purge = commands.add_parser(
        "purge",
        help="delete events older than the retention, behind a signed checkpoint",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verify = commands.add_parser(
        "verify", help="check each log's checkpoints and its chain from the newest anchor"
    )
    for command in (purge, verify):
        cell_args(command)
        command.add_argument(
            "--services", default="all", help="'all' or a comma-separated list (default: all)"
        )
    purge.add_argument(
        "--dry-run", action="store_true", help="count what would be purged; change nothing"
    )
    purge.set_defaults(func=lambda args: cmd_purge(args, settings(args)))
    verify.set_defaults(func=lambda args: cmd_verify(args, settings(args)))


def _logs(settings: Settings, names: str) -> dict[str, Database]:
    from rhip.cell import migrate_cell, resolve_services

    services = resolve_services(names)
    migrate_cell(settings, services)  # as the services do when they start
    return {name: Database.connect(settings.database_url(name), pool_size=2) for name in services}


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    from rhip.cell import cell_secret

    logs = _logs(settings, args.services)
    failed = 0
    try:
        purges = cell_purges(settings, cell_secret(settings), logs, via="cli")
        mode = "dry run: nothing is changed" if args.dry_run else "purging"
        print(f"cell {settings.cell}: retention {settings.audit_retention_days} days ({mode})")
        for purge in purges:
            name = purge.seal.log

            def progress(line: str, name: str = name) -> None:
                print(f"  {name}: {line}", flush=True)

            result = purge.run(dry_run=args.dry_run, progress=progress)
            if result.problem:
                failed += 1
                print(f"{name}: REFUSED ({result.problem}): the log does not verify, so nothing "
                      "was purged. Run: rhip audit verify")  # fmt: skip
            elif args.dry_run:
                print(f"{name}: {result.events} events older than {result.cutoff} would be purged")
            else:
                print(
                    f"{name}: {result.events} events sealed in {result.checkpoints} "
                    f"checkpoint(s), {result.deleted} deleted (older than {result.cutoff})"
                )
    finally:
        for db in logs.values():
            db.dispose()
    return 1 if failed else 0


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    from rhip.cell import cell_secret

    logs = _logs(settings, args.services)
    broken = 0
    try:
        secret = cell_secret(settings)
        for name, db in logs.items():
            with db.read() as conn:
                report = audit.verify(conn, seal=AuditSeal(secret, settings.cell, name))
            if report.intact:
                print(
                    f"{name}: intact: {report.checkpoints} checkpoint(s), anchor seq "
                    f"{report.anchor_seq}, {report.rows_checked} event(s) checked after it"
                )
            else:
                broken += 1
                print(
                    f"{name}: BROKEN: {report.problem} at {report.first_broken_seq} "
                    f"({report.rows_checked} events checked)"
                )
    finally:
        for db in logs.values():
            db.dispose()
    return 1 if broken else 0
