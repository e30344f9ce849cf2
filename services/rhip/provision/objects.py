"""The objects of a new cell, built with the ``kubernetes`` client's models.

Nothing here talks to a cluster: the objects become plain manifests (dicts) for the apply loop,
for ``--dry-run`` and for the schema tests.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubernetes import client as k8s
from rhip.kit.apis import api_names
from rhip.kit.tenancy import is_region_code

FIELD_MANAGER = "rhip-provisioner"
SECRET_NAME = "rhip-cell"
SECRET_KEY_VAR = "RHIP_SECRET_KEY"
CELL_CLIENT_ID_VAR = "RHIP_CELL_CLIENT_ID"
CELL_CLIENT_SECRET_VAR = "RHIP_CELL_CLIENT_SECRET"
# Shown instead of secret values by --dry-run: the key is generated at apply time only, and
# database URLs (which hold passwords) are never printed.
PLACEHOLDER = "<generated>"
FROM_ENV = "<from the environment>"


def namespace_for(region: str) -> str:
    return f"rhip-{region}"


def database_url_var(service: str) -> str:
    return f"RHIP_{service.upper()}_DATABASE_URL"


@dataclass(frozen=True)
class CellQuota:
    """The cell's share of the shared cluster. The defaults fit five services at their
    autoscaling maximum with the chart's default requests and limits."""

    requests_cpu: str = "16"
    requests_memory: str = "32Gi"
    limits_cpu: str = "32"
    limits_memory: str = "64Gi"
    pods: str = "100"


def labels(region: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/part-of": "rhip",
        "app.kubernetes.io/managed-by": FIELD_MANAGER,
        "rhip.io/role": "cell",
        "rhip.io/region": region,
    }


def _meta(name: str, region: str, namespace: str | None = None) -> k8s.V1ObjectMeta:
    return k8s.V1ObjectMeta(name=name, namespace=namespace, labels=labels(region))


def namespace(region: str, name: str) -> k8s.V1Namespace:
    # Pod Security Admission "restricted": the chart's pods meet it (non-root, no privilege
    # escalation, all capabilities dropped, RuntimeDefault seccomp); anything else is refused.
    pod_security = {
        f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")
    }
    meta = k8s.V1ObjectMeta(name=name, labels=labels(region) | pod_security)
    return k8s.V1Namespace(api_version="v1", kind="Namespace", metadata=meta)


def resource_quota(region: str, ns: str, quota: CellQuota) -> k8s.V1ResourceQuota:
    hard = {
        "requests.cpu": quota.requests_cpu,
        "requests.memory": quota.requests_memory,
        "limits.cpu": quota.limits_cpu,
        "limits.memory": quota.limits_memory,
        "pods": quota.pods,
        # The gateway is the only public entry point: a cell exposes nothing outside.
        "services.loadbalancers": "0",
        "services.nodeports": "0",
    }
    return k8s.V1ResourceQuota(
        api_version="v1",
        kind="ResourceQuota",
        metadata=_meta("rhip-cell", region, ns),
        spec=k8s.V1ResourceQuotaSpec(hard=hard),
    )


def limit_range(region: str, ns: str) -> k8s.V1LimitRange:
    # Defaults for any container that names no resources, so the quota on limits never
    # turns away a pod for leaving them out; a ceiling so one pod cannot take the cell.
    container = k8s.V1LimitRangeItem(
        type="Container",
        default={"cpu": "1", "memory": "512Mi"},
        default_request={"cpu": "100m", "memory": "128Mi"},
        max={"cpu": "4", "memory": "8Gi"},
    )
    return k8s.V1LimitRange(
        api_version="v1",
        kind="LimitRange",
        metadata=_meta("rhip-cell", region, ns),
        spec=k8s.V1LimitRangeSpec(limits=[container]),
    )


def default_deny(region: str, ns: str) -> k8s.V1NetworkPolicy:
    # Everything in the namespace is cut off until the chart's NetworkPolicies open exactly
    # the paths the cell needs (gateway, own namespace, DNS, database).
    return k8s.V1NetworkPolicy(
        api_version="networking.k8s.io/v1",
        kind="NetworkPolicy",
        metadata=_meta("default-deny", region, ns),
        spec=k8s.V1NetworkPolicySpec(
            pod_selector=k8s.V1LabelSelector(), policy_types=["Ingress", "Egress"]
        ),
    )


def cell_secret(region: str, ns: str, values: Mapping[str, str]) -> k8s.V1Secret:
    """The Secret the chart reads (existingSecret): ``values`` maps variable → plain value."""
    data: dict[str, bytes | str] = {
        key: value
        if value in (PLACEHOLDER, FROM_ENV)
        else base64.b64encode(value.encode()).decode()
        for key, value in sorted(values.items())
    }
    return k8s.V1Secret(
        api_version="v1",
        kind="Secret",
        type="Opaque",
        metadata=_meta(SECRET_NAME, region, ns),
        data=data,
    )


def secret_values(env: Mapping[str, str], *, region: str, dry_run: bool) -> dict[str, str]:
    """The cell secret (fresh random 32 bytes, base64), the cell's own service account (client
    id ``cell-<region>`` and a fresh random secret: cross-cell record migration, and archives
    following identity's resident changes) and each database URL the operator's environment
    names (``RHIP_<SVC>_DATABASE_URL``). A dry run shows placeholders only. Values already in
    the live Secret are kept when it is applied again (``apply.keep_live_secret_data``)."""
    values = {
        SECRET_KEY_VAR: PLACEHOLDER if dry_run else _new_secret_key(),
        CELL_CLIENT_ID_VAR: f"cell-{region}",
        CELL_CLIENT_SECRET_VAR: PLACEHOLDER if dry_run else secrets.token_urlsafe(32),
    }
    for service in api_names():
        var = database_url_var(service)
        if env.get(var):
            values[var] = FROM_ENV if dry_run else env[var]
    return values


def _new_secret_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def cell_objects(
    region: str,
    secrets: Mapping[str, str],
    *,
    ns: str | None = None,
    quota: CellQuota | None = None,
) -> list[Any]:
    """The cell's objects, namespace first (everything else lives in it)."""
    if not is_region_code(region):
        raise ValueError(f"region code must be 6 digits, not starting with 0: {region!r}")
    ns = ns or namespace_for(region)
    return [
        namespace(region, ns),
        resource_quota(region, ns, quota or CellQuota()),
        limit_range(region, ns),
        default_deny(region, ns),
        cell_secret(region, ns, secrets),
    ]


TLS_SECRET_NAME = "rhip-tls"  # the chart's tls.existingSecret default


def tls_reminder(region: str, ns: str | None = None, release: str = "rhip") -> str:
    """What the cell's release expects for TLS, which the provisioner does not make: a CA
    (and so every cell's certificate) belongs to the platform's PKI (e.g. a cert-manager
    Issuer), not to one command run per cell."""
    ns = ns or namespace_for(region)
    names = [
        name
        for service in api_names()
        for name in (f"{release}-{service}", f"{release}-{service}.{ns}.svc.cluster.local")
    ]
    return (
        f"TLS: the chart mounts Secret {ns}/{TLS_SECRET_NAME} (tls.crt, tls.key, ca.crt; "
        "tls.existingSecret), not created here: issue it from the internal CA with the "
        f"serverAuth and clientAuth usages for {', '.join(names)}"
    )


def to_manifest(obj: Any) -> dict[str, Any]:
    """A model as the API would take it: camelCase keys, no unset fields."""
    manifest: dict[str, Any] = k8s.ApiClient().sanitize_for_serialization(obj)
    return manifest
