"""RecordingKubernetesApi: a test double of the Kubernetes API for the provisioner.

No API server runs on our machines, so the provisioner's apply loop is tested against this
fake. It is not a Kubernetes emulator: it keeps each object as last applied, records every
call, and imitates the one server behaviour the loop relies on: server-side apply of the same
configuration by the same field manager is a no-op that leaves the resourceVersion as it was,
while any change bumps it. It refuses namespaced objects whose namespace does not exist, as
the API server does.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from rhip.provision.apply import ObjectRef


@dataclass
class Call:
    verb: str
    ref: ObjectRef
    field_manager: str | None = None


@dataclass
class RecordingKubernetesApi:
    objects: dict[ObjectRef, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    _next_version: int = 1

    # -- the KubernetesApi interface ------------------------------------------------------
    def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        self.calls.append(Call("get", ref))
        found = self.objects.get(ref)
        return copy.deepcopy(found) if found else None

    def apply(self, manifest: dict[str, Any], field_manager: str) -> dict[str, Any]:
        ref = ObjectRef.of(manifest)
        self.calls.append(Call("apply", ref, field_manager))
        if ref.namespace and ObjectRef("v1", "Namespace", ref.namespace) not in self.objects:
            raise LookupError(f"namespaces {ref.namespace!r} not found")
        live = self.objects.get(ref)
        if live is not None and _config(live) == _config(manifest):
            return copy.deepcopy(live)
        stored = copy.deepcopy(manifest)
        stored.setdefault("metadata", {})["resourceVersion"] = str(self._next_version)
        self._next_version += 1
        self.objects[ref] = stored
        return copy.deepcopy(stored)

    def delete(self, ref: ObjectRef) -> None:
        self.calls.append(Call("delete", ref))
        if ref not in self.objects:
            raise LookupError(f"{ref} not found")
        del self.objects[ref]
        if ref.kind == "Namespace":  # the namespace takes its objects along
            for other in [r for r in self.objects if r.namespace == ref.name]:
                del self.objects[other]

    # -- what tests look at ---------------------------------------------------------------
    def verbs(self, verb: str) -> list[ObjectRef]:
        return [call.ref for call in self.calls if call.verb == verb]

    def versions(self) -> dict[ObjectRef, str]:
        return {ref: obj["metadata"]["resourceVersion"] for ref, obj in self.objects.items()}


def _config(obj: dict[str, Any]) -> dict[str, Any]:
    """The applied configuration, without what the server adds."""
    config = copy.deepcopy(obj)
    config.get("metadata", {}).pop("resourceVersion", None)
    return config
