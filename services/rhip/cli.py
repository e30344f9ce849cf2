"""The ``rhip`` command: serve a cell, migrate, administer, run the demo."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Sequence

from rhip.kit.config import ConfigError, Settings, load_settings
from rhip.kit.telemetry import configure_logging

log = logging.getLogger("rhip")


def _settings(args: argparse.Namespace) -> Settings:
    env = dict(os.environ)
    if getattr(args, "cell", None):
        env["RHIP_CELL"] = args.cell
    if getattr(args, "listen", None):
        env["RHIP_LISTEN"] = args.listen
    return load_settings(env)


def cmd_serve(args: argparse.Namespace) -> int:
    from rhip.cell import build_cell, resolve_services
    from rhip.kit.server import run_until_signal

    settings = _settings(args)
    cell = build_cell(settings, resolve_services(args.services))
    # Demo data goes in while the cell listens (archives asks identity over gRPC) but before
    # it reports SERVING.
    port = cell.start(serving=not args.demo)
    if args.demo:
        for line in cell.seed_demo():
            print(line, flush=True)
        cell.server.set_serving()
    host = settings.listen.rsplit(":", 1)[0]
    print(f"rhip cell {settings.cell} serving {args.services} on {host}:{port}", flush=True)
    run_until_signal(cell.server)
    cell.stop()
    return 0


def cmd_gateway(args: argparse.Namespace) -> int:
    from rhip.gateway.server import build_gateway
    from rhip.kit.routing import RoutingError, RoutingTable
    from rhip.kit.server import run_until_signal

    settings = _settings(args)
    path = args.routes or settings.routes_file
    if not path:
        raise ConfigError("name the routing table: --routes FILE or RHIP_ROUTES")
    try:
        routes = RoutingTable.from_file(path)
    except (OSError, RoutingError) as error:
        raise ConfigError(f"routing table {path}: {error}") from None
    gateway = build_gateway(settings, routes)
    port = gateway.start(settings.listen)
    print(f"rhip gateway serving on {settings.listen.rsplit(':', 1)[0]}:{port}", flush=True)
    if gateway.http is not None:
        http = f"{settings.gateway_http_listen.rsplit(':', 1)[0]}:{gateway.http_port}"
        print(f"rhip gateway serving HTTP/JSON on http://{http}", flush=True)
    run_until_signal(gateway.server)
    gateway.stop()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from rhip.cell import migrate_cell, resolve_services

    settings = _settings(args)
    services = resolve_services(args.services)
    migrate_cell(settings, services)
    print(f"migrated {', '.join(services)} of cell {settings.cell}")
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    from rhip.cell import build_cell
    from rhip.identity.directory.usecases import bootstrap_admin

    settings = _settings(args)
    password = os.environ.get("RHIP_ADMIN_PASSWORD") or getpass.getpass(
        "password for the new administrator: "
    )
    cell = build_cell(settings, ("identity",))
    try:
        user = bootstrap_admin(
            cell.part("identity").usecases, args.username, args.display_name, password
        )
    finally:
        cell.stop(0)
    print(f"administrator {user.username} (users/{user.user_id}) manages region {settings.cell}")
    return 0


def cmd_provision_cell(args: argparse.Namespace) -> int:
    from rhip.provision.commands import provision_cell

    return provision_cell(args)


def cmd_deprovision_cell(args: argparse.Namespace) -> int:
    from rhip.provision.commands import deprovision_cell

    return deprovision_cell(args)


def cmd_demo(args: argparse.Namespace) -> int:
    from rhip.platform import run_demo_platform

    return run_demo_platform(_settings(args), cell_base_port=args.cell_base_port)


def cmd_locator_backfill(args: argparse.Namespace) -> int:
    from rhip.cell import build_cell
    from rhip.locator.backfill import backfill_cell

    cell = build_cell(_settings(args), ("identity", "archives"))
    try:  # not started: the backfill reads the cell's databases and calls only the gateway
        report = backfill_cell(cell, sys.stdout, batch=args.batch)
    finally:
        cell.stop(0)
    return 1 if report.failed else 0


def cmd_locator_reconcile(args: argparse.Namespace) -> int:
    from rhip.locator.backfill import print_reconciliation
    from rhip.locator.server import open_locator

    db, usecases = open_locator(_settings(args))
    try:
        return 1 if print_reconciliation(usecases, sys.stdout) else 0
    finally:
        db.dispose()


def cmd_locator_purge_key(args: argparse.Namespace) -> int:
    from rhip.locator.server import open_locator

    db, usecases = open_locator(_settings(args))
    try:
        removed = usecases.purge_key(args.key_id)
        print(f"removed {removed} claims and presence rows under key {args.key_id}")
    finally:
        db.dispose()
    return 0


def _service_names() -> tuple[str, ...]:
    from rhip.modules import REGISTRY

    return REGISTRY.names


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rhip", description="rhip: regional health information platform (区域全民健康信息平台)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True)

    def cell_args(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--cell", help="region code of the cell, e.g. 320000 (default: RHIP_CELL or 320000)"
        )

    serve = sub.add_parser("serve", help="run a cell's services (all-in-one or a subset)")
    cell_args(serve)
    serve.add_argument(
        "--services",
        default="all",
        help=f"'all' or a comma-separated list of {', '.join(_service_names())} (default: all)",
    )
    serve.add_argument(
        "--listen", help="host:port to listen on (default: RHIP_LISTEN or 127.0.0.1:50051)"
    )
    serve.add_argument(
        "--demo", action="store_true", help="seed this cell's demo data first (development mode)"
    )
    serve.set_defaults(func=cmd_serve)

    gateway = sub.add_parser("gateway", help="run the API gateway in front of the cells")
    gateway.add_argument("--routes", help="routing table JSON (default: RHIP_ROUTES)")
    gateway.add_argument("--listen", help="host:port (default: RHIP_LISTEN or 127.0.0.1:50051)")
    gateway.set_defaults(func=cmd_gateway)

    mig = sub.add_parser(
        "migrate", help="bring the databases of a cell's services to the newest schema"
    )
    cell_args(mig)
    mig.add_argument(
        "--services",
        default="all",
        help=f"'all' or a comma-separated list of {', '.join(_service_names())}",
    )
    mig.set_defaults(func=cmd_migrate)

    admin = sub.add_parser("admin", help="administration commands")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_sub.add_parser(
        "create-admin",
        help="create the cell's first administrator (password from RHIP_ADMIN_PASSWORD or a prompt)",
    )
    cell_args(create)
    create.add_argument("--username", required=True)
    create.add_argument("--display-name", required=True)
    create.set_defaults(func=cmd_create_admin)
    provision = admin_sub.add_parser(
        "provision-cell", help="create a cell's namespace, quota, limits, policy and secrets"
    )
    deprovision = admin_sub.add_parser(
        "deprovision-cell", help="delete a cell's namespace; refused while it holds tenants"
    )
    for cell_cmd, func in ((provision, cmd_provision_cell), (deprovision, cmd_deprovision_cell)):
        cell_cmd.add_argument("region", help="region code of the cell, e.g. 320000")
        cell_cmd.add_argument("--namespace", help="namespace (default: rhip-<region>)")
        cell_cmd.add_argument("--context", help="kubeconfig context (default: the current one)")
        cell_cmd.add_argument("--dry-run", action="store_true", help="change nothing; show it")
        cell_cmd.set_defaults(func=func)
    deprovision.add_argument(
        "--tenant-count-from",
        metavar="DATABASE_URL",
        help="the cell's identity database (default: RHIP_IDENTITY_DATABASE_URL or its default)",
    )

    backfill = admin_sub.add_parser(
        "locator-backfill",
        help="claim every open record of the cell at the platform's resident locator (idempotent)",
    )
    cell_args(backfill)
    backfill.add_argument("--batch", type=int, default=200, help="records per batch (200)")
    backfill.set_defaults(func=cmd_locator_backfill)
    reconcile = admin_sub.add_parser(
        "locator-reconcile",
        help="at the gateway: list persons with open records in more than one cell (exit 1 if any)",
    )
    reconcile.set_defaults(func=cmd_locator_reconcile)
    purge = admin_sub.add_parser(
        "locator-purge-key", help="at the gateway: drop the claims under a retired locator key"
    )
    purge.add_argument("key_id")
    purge.set_defaults(func=cmd_locator_purge_key)

    from rhip.onboarding.command import add_import_command

    add_import_command(admin_sub)

    from rhip.audit_cli import add_audit_commands

    add_audit_commands(sub, cell_args, _settings)

    from rhip.outbox_cli import add_outbox_commands

    add_outbox_commands(sub, cell_args, _settings)

    demo = sub.add_parser(
        "demo",
        help="run the embedded platform: a gateway and the Jiangsu and Shandong cells with demo data",
    )
    demo.add_argument("--listen", help="gateway host:port (default 127.0.0.1:50051)")
    demo.add_argument(
        "--cell-base-port",
        type=int,
        default=50061,
        help="first cell port (default 50061; 0 picks free ports)",
    )
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings_json = os.environ.get("RHIP_LOG_JSON") == "1"
    configure_logging(settings_json, logging.DEBUG if args.verbose else logging.INFO)
    try:
        return int(args.func(args))
    except ConfigError as error:
        print(f"rhip: configuration error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
