"""Server-side apply of manifests, behind a small interface a test double can stand in for.

A second run changes nothing: server-side apply of the same configuration by the same field
manager is a no-op on the server (the resourceVersion stays), which is how the loop tells
``unchanged`` from ``configured``. Secrets are the exception to "desired state wins": a value
the cluster already holds is kept, so re-provisioning never rotates a cell's keys.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from rhip.provision.objects import FIELD_MANAGER

Outcome = Literal["created", "configured", "unchanged"]


@dataclass(frozen=True)
class ObjectRef:
    api_version: str
    kind: str
    name: str
    namespace: str | None = None

    @classmethod
    def of(cls, manifest: dict[str, Any]) -> ObjectRef:
        meta = manifest["metadata"]
        return cls(manifest["apiVersion"], manifest["kind"], meta["name"], meta.get("namespace"))

    def __str__(self) -> str:
        where = f" -n {self.namespace}" if self.namespace else ""
        return f"{self.kind.lower()}/{self.name}{where}"


class KubernetesApi(Protocol):
    """The three calls the provisioner makes; ``ClusterApi`` talks to a real API server."""

    def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        """The live object, or None when it does not exist."""

    def apply(self, manifest: dict[str, Any], field_manager: str) -> dict[str, Any]:
        """Server-side apply; returns the object as stored."""

    def delete(self, ref: ObjectRef) -> None:
        """Delete the object (a namespace takes everything in it along)."""


@dataclass(frozen=True)
class Applied:
    ref: ObjectRef
    outcome: Outcome

    def __str__(self) -> str:
        return f"{self.ref} {self.outcome}"


def _resource_version(obj: dict[str, Any]) -> str | None:
    version: str | None = obj.get("metadata", {}).get("resourceVersion")
    return version


def keep_live_secret_data(manifest: dict[str, Any], live: dict[str, Any] | None) -> dict[str, Any]:
    """``manifest`` with every data value the live Secret already has put back in."""
    if manifest.get("kind") != "Secret" or not live:
        return manifest
    merged = copy.deepcopy(manifest)
    merged["data"] = {**manifest.get("data", {}), **(live.get("data") or {})}
    return merged


def apply_all(
    api: KubernetesApi, manifests: Iterable[dict[str, Any]], field_manager: str = FIELD_MANAGER
) -> list[Applied]:
    """Apply each manifest in order; report what each did to the cluster."""
    results = []
    for manifest in manifests:
        ref = ObjectRef.of(manifest)
        live = api.get(ref)
        stored = api.apply(keep_live_secret_data(manifest, live), field_manager)
        if live is None:
            outcome: Outcome = "created"
        elif _resource_version(stored) == _resource_version(live):
            outcome = "unchanged"
        else:
            outcome = "configured"
        results.append(Applied(ref, outcome))
    return results
