"""``rhip admin provision-cell`` and ``rhip admin deprovision-cell``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, TextIO

import yaml
from rhip.kit.config import ConfigError, load_settings
from rhip.kit.tenancy import is_region_code
from rhip.provision.apply import KubernetesApi, ObjectRef, apply_all
from rhip.provision.objects import (
    cell_objects,
    namespace_for,
    secret_values,
    tls_reminder,
    to_manifest,
)

ApiFactory = Callable[[str | None], KubernetesApi]


def _cluster(context: str | None) -> KubernetesApi:
    from rhip.provision.cluster import ClusterApi

    return ClusterApi.from_config(context)


def _region(args: argparse.Namespace) -> str:
    if not is_region_code(args.region):
        raise ConfigError(f"region code must be 6 digits, not starting with 0: {args.region!r}")
    return str(args.region)


def dump_yaml(manifests: list[dict[str, Any]], out: TextIO) -> None:
    yaml.safe_dump_all(manifests, out, sort_keys=False, explicit_start=True)


def provision_cell(
    args: argparse.Namespace,
    env: Mapping[str, str] | None = None,
    api_factory: ApiFactory = _cluster,
    out: TextIO | None = None,
) -> int:
    env = os.environ if env is None else env
    out = sys.stdout if out is None else out
    region = _region(args)
    secrets = secret_values(env, region=region, dry_run=args.dry_run)
    manifests = [to_manifest(o) for o in cell_objects(region, secrets, ns=args.namespace)]
    print(tls_reminder(region, args.namespace), file=sys.stderr)
    if args.dry_run:
        dump_yaml(manifests, out)
        return 0
    for result in apply_all(api_factory(args.context), manifests):
        print(result, file=out)
    return 0


def deprovision_cell(
    args: argparse.Namespace,
    env: Mapping[str, str] | None = None,
    api_factory: ApiFactory = _cluster,
    out: TextIO | None = None,
) -> int:
    # Imported here: the database layer (and Alembic's import-time logging) is only needed
    # to count tenants.
    from rhip.provision.tenants import TenantCountError, count_tenants

    env = os.environ if env is None else env
    out = sys.stdout if out is None else out
    region = _region(args)
    url = args.tenant_count_from or load_settings({**env, "RHIP_CELL": region}).database_url(
        "identity"
    )
    try:
        tenants = count_tenants(url)
    except TenantCountError as error:
        print(f"rhip: refusing to deprovision cell {region}: {error}", file=sys.stderr)
        return 1
    if tenants:
        print(
            f"rhip: refusing to deprovision cell {region}: it still holds {tenants} tenant(s); "
            "move or close them first",
            file=sys.stderr,
        )
        return 1
    ref = ObjectRef("v1", "Namespace", args.namespace or namespace_for(region))
    if args.dry_run:
        print(f"{ref} would be deleted (cell {region} holds no tenants)", file=out)
        return 0
    api = api_factory(args.context)
    live = api.get(ref)
    if live is None:
        print(f"{ref} not found", file=out)
        return 0
    # Never delete a namespace the provisioner did not make for this very cell.
    owner = (live.get("metadata", {}).get("labels") or {}).get("rhip.io/region")
    if owner != region:
        print(
            f"rhip: refusing to delete {ref}: it is not labelled rhip.io/region={region}",
            file=sys.stderr,
        )
        return 1
    api.delete(ref)
    print(f"{ref} deleted", file=out)
    return 0
