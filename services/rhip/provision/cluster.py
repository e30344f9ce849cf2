"""``KubernetesApi`` on a real cluster through the client's DynamicClient (any kind, one path).

Only used against an API server; tests use a recording fake because none runs here.
"""

from __future__ import annotations

from typing import Any

from kubernetes import config as kube_config
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient
from rhip.provision.apply import ObjectRef


class ClusterApi:
    def __init__(self, api_client: ApiClient, discovery_cache: str | None = None) -> None:
        self._client = DynamicClient(api_client, cache_file=discovery_cache)

    @classmethod
    def from_config(cls, context: str | None = None) -> ClusterApi:
        """Credentials from the kubeconfig (KUBECONFIG, ~/.kube/config) or, inside a pod,
        from the pod's service account, as kubectl finds them."""
        try:
            kube_config.load_kube_config(context=context)
        except kube_config.ConfigException:
            if context:
                raise
            kube_config.load_incluster_config()
        return cls(ApiClient())

    def _resource(self, api_version: str, kind: str) -> Any:
        return self._client.resources.get(api_version=api_version, kind=kind)

    def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        try:
            found = self._client.get(
                self._resource(ref.api_version, ref.kind), name=ref.name, namespace=ref.namespace
            )
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        return dict(found.to_dict())

    def apply(self, manifest: dict[str, Any], field_manager: str) -> dict[str, Any]:
        ref = ObjectRef.of(manifest)
        stored = self._client.server_side_apply(
            self._resource(ref.api_version, ref.kind),
            body=manifest,
            name=ref.name,
            namespace=ref.namespace,
            field_manager=field_manager,
            # The provisioner owns these objects; take a field back if someone edited it.
            force_conflicts=True,
        )
        return dict(stored.to_dict())

    def delete(self, ref: ObjectRef) -> None:
        self._client.delete(
            self._resource(ref.api_version, ref.kind), name=ref.name, namespace=ref.namespace
        )
