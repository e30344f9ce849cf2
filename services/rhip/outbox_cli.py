"""``rhip outbox``: the administrator's view of the durable outboxes (rhip.kit.outbox) of a
cell's service databases: what is waiting, what was given up on, what is late, and replay.

Every service database has the outbox tables (a kit migration); a service that enqueues
(mch, for the national birth-certificate system) delivers them in the running cell. These
commands run against the databases of ``RHIP_*`` like the cell, and may run while it serves:
a replayed event is picked up by the cell's worker at its next pass. Payloads are never
printed (they carry personal data); events are named by id, stream, key and kind.
"""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Callable

from rhip.kit import audit, outbox
from rhip.kit.config import Settings
from rhip.kit.db import Database
from rhip.kit.tenancy import region_path

_EPILOG = """\
An event is sent only once every earlier event of its key was delivered. After
the configured attempts fail (or the receiver refuses it as malformed) it is a
dead letter, and the later events of its key wait behind it until it is
replayed. A replay resets its attempts and sends it at the worker's next pass;
replaying an event the receiver already has is harmless (the receiver dedupes
by event id).

examples:
  rhip outbox status                         pending, dead and overdue per stream
  rhip outbox dead-letters --services mch    what was given up on, and why
  rhip outbox replay --services mch 0190c3e1-…   replay one dead letter
  rhip outbox replay --services mch --stream bmc.national   every dead letter of a stream
  rhip outbox overdue --services mch         undelivered events past their due time
"""


def add_outbox_commands(
    sub: argparse._SubParsersAction,
    cell_args: Callable[[argparse.ArgumentParser], None],
    settings: Callable[[argparse.Namespace], Settings],
) -> None:
    group = sub.add_parser(
        "outbox",
        help="durable outboxes: status, dead letters, replay, overdue events",
        description="The durable outboxes of a cell's service databases (rhip.kit.outbox).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = group.add_subparsers(dest="outbox_command", required=True)
    status = commands.add_parser("status", help="pending, dead and overdue events per stream")
    dead = commands.add_parser(
        "dead-letters",
        help="events given up on: attempts, last error, events held behind (exit 1 if any)",
    )
    replay = commands.add_parser(
        "replay",
        help="send dead letters again (by id, or all of a stream or key)",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    late = commands.add_parser(
        "overdue", help="undelivered events past their due time (exit 1 if any)"
    )
    for command in (status, dead, replay, late):
        cell_args(command)
        command.add_argument(
            "--services", default="all", help="'all' or a comma-separated list (default: all)"
        )
    for command in (dead, replay, late):
        command.add_argument("--stream", help="only this stream (e.g. bmc.national)")
    for command in (dead, late):
        command.add_argument("--limit", type=int, default=100, help="at most this many (100)")
    replay.add_argument("event_ids", nargs="*", metavar="EVENT_ID", help="dead letters to replay")
    replay.add_argument("--key", help="with --stream: only this key's dead letters")
    status.set_defaults(func=lambda args: cmd_status(args, settings(args)))
    dead.set_defaults(func=lambda args: cmd_dead_letters(args, settings(args)))
    replay.set_defaults(func=lambda args: cmd_replay(args, settings(args)))
    late.set_defaults(func=lambda args: cmd_overdue(args, settings(args)))


def _databases(settings: Settings, names: str) -> dict[str, Database]:
    from rhip.cell import migrate_cell, resolve_services

    services = resolve_services(names)
    migrate_cell(settings, services)  # as the services do when they start
    return {name: Database.connect(settings.database_url(name), pool_size=2) for name in services}


def _close(databases: dict[str, Database]) -> None:
    for db in databases.values():
        db.dispose()


def _line(event: outbox.OutboxEvent) -> str:
    return (
        f"  {event.event_id}  {event.stream}  key {event.key} #{event.position}  {event.kind}  "
        f"due {event.due_at:%Y-%m-%d %H:%M}Z  {event.state.value}, {event.attempts} attempt(s)"
        + (f", last error: {event.last_error}" if event.last_error else "")
    )


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    databases = _databases(settings, args.services)
    try:
        for name, db in databases.items():
            with db.read() as conn:
                streams = outbox.backlog(conn)
            if not streams:
                print(f"{name}: nothing waiting")
            for s in streams:
                print(
                    f"{name}: {s.stream}: {s.pending} pending, {s.dead} dead, {s.overdue} overdue"
                    + (f" (oldest due {s.oldest_overdue_due_at:%Y-%m-%d %H:%M}Z)"
                       if s.oldest_overdue_due_at else "")
                )  # fmt: skip
    finally:
        _close(databases)
    return 0


def cmd_dead_letters(args: argparse.Namespace, settings: Settings) -> int:
    databases = _databases(settings, args.services)
    found = 0
    try:
        for name, db in databases.items():
            with db.read() as conn:
                dead = outbox.dead_letters(conn, stream=args.stream, limit=args.limit)
                held = [outbox.held_behind(conn, event) for event in dead]
            found += len(dead)
            if dead:
                print(f"{name}: {len(dead)} dead letter(s)")
            for event, behind in zip(dead, held, strict=True):
                print(_line(event) + f"; {behind} later event(s) of its key wait")
    finally:
        _close(databases)
    if not found:
        print("no dead letters")
    return 1 if found else 0


def cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    if not args.event_ids and not args.stream:
        print("rhip outbox replay: name EVENT_IDs, or --stream (and --key)")
        return 2
    if args.key and not args.stream:
        print("rhip outbox replay: --key needs --stream")
        return 2
    databases = _databases(settings, args.services)
    actor = f"cli:{getpass.getuser()}"
    replayed = 0
    try:
        for name, db in databases.items():
            with db.transaction() as tx:
                ids = outbox.replay(tx, event_ids=args.event_ids, stream=args.stream, key=args.key)
                # Who put which events back on the wire, in the service's own audit log.
                audit.append_many(tx, [
                    audit.AuditEvent(
                        "outbox.replay", f"outboxEvents/{event_id}", region_path(settings.cell),
                        detail={"via": "cli"}, actor=actor, actor_tenant="",
                    )
                    for event_id in ids
                ])  # fmt: skip
            replayed += len(ids)
            for event_id in ids:
                print(f"{name}: replayed {event_id}")
    finally:
        _close(databases)
    if not replayed:
        print("nothing replayed: no dead letter matched")
        return 1
    print(f"{replayed} event(s) will be sent at the delivery worker's next pass")
    return 0


def cmd_overdue(args: argparse.Namespace, settings: Settings) -> int:
    databases = _databases(settings, args.services)
    found = 0
    try:
        for name, db in databases.items():
            with db.read() as conn:
                late = outbox.overdue(conn, stream=args.stream, limit=args.limit)
            found += len(late)
            if late:
                print(f"{name}: {len(late)} event(s) undelivered past their due time")
            for event in late:
                print(_line(event))
    finally:
        _close(databases)
    if not found:
        print("nothing overdue")
    return 1 if found else 0
