"""Schema validation of Kubernetes objects with kubernetes-validate (offline JSON schemas)."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
from kubernetes_validate.utils import latest_version

from deploy.crds import custom_errors, custom_schema

# The oldest version the chart supports (Chart.yaml kubeVersion) and the newest schemas shipped.
K8S_VERSIONS = ("1.30.0", latest_version())


def schema_errors(obj: dict[str, Any]) -> list[str]:
    """Every way ``obj`` fails the strict schemas (unknown fields refused) of K8S_VERSIONS, or
    for a custom resource (a ServiceMonitor) its schema in ``deploy.crds``."""
    custom = custom_schema(obj)
    if custom is not None:
        return custom_errors(obj, custom)
    errors = []
    for version in K8S_VERSIONS:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            where = ".".join(str(p) for p in error.path)
            errors.append(
                f"{version} {obj['kind']}/{obj['metadata']['name']} {where}: {error.message}"
            )
        except kubernetes_validate.SchemaNotFoundError as error:
            errors.append(f"{version}: {error.message}")
    return errors
