"""ClusterApi, the provisioner's real-cluster adapter, through the real ``kubernetes`` client
against LoopbackApiServer (an HTTP test double; no API server runs here)."""

from __future__ import annotations

from pathlib import Path

from kubernetes.client import ApiClient, Configuration
from rhip.provision.apply import ObjectRef, apply_all
from rhip.provision.cluster import ClusterApi
from rhip.provision.objects import FIELD_MANAGER, cell_objects, secret_values, to_manifest

from deploy.loopback_apiserver import LoopbackApiServer


def cluster(server: LoopbackApiServer, tmp_path: Path) -> ClusterApi:
    config = Configuration(host=server.url)
    return ClusterApi(ApiClient(config), discovery_cache=str(tmp_path / "discovery.json"))


def test_apply_is_server_side_with_the_provisioners_field_manager(tmp_path: Path) -> None:
    manifests = [
        to_manifest(o)
        for o in cell_objects("320000", secret_values({}, region="320000", dry_run=False))
    ]
    with LoopbackApiServer() as server:
        api = cluster(server, tmp_path)
        first = apply_all(api, manifests)
        second = apply_all(api, manifests)
    assert [r.outcome for r in first] == ["created"] * 5
    assert [r.outcome for r in second] == ["unchanged"] * 5
    patches = [r for r in server.requests if r.method == "PATCH"]
    assert len(patches) == 10
    for patch in patches:
        assert patch.content_type.startswith("application/apply-patch+yaml")
        assert patch.query["fieldManager"] == [FIELD_MANAGER]
        assert patch.query["force"] == ["true"]
    assert [p.path for p in patches[:5]] == [
        "/api/v1/namespaces/rhip-320000",
        "/api/v1/namespaces/rhip-320000/resourcequotas/rhip-cell",
        "/api/v1/namespaces/rhip-320000/limitranges/rhip-cell",
        "/apis/networking.k8s.io/v1/namespaces/rhip-320000/networkpolicies/default-deny",
        "/api/v1/namespaces/rhip-320000/secrets/rhip-cell",
    ]


def test_get_of_a_missing_object_is_none_and_delete_deletes(tmp_path: Path) -> None:
    namespace = ObjectRef("v1", "Namespace", "rhip-370000")
    with LoopbackApiServer() as server:
        api = cluster(server, tmp_path)
        assert api.get(namespace) is None
        api.apply(to_manifest(cell_objects("370000", {})[0]), FIELD_MANAGER)
        live = api.get(namespace)
        assert live is not None and live["metadata"]["labels"]["rhip.io/region"] == "370000"
        api.delete(namespace)
        assert api.get(namespace) is None
    assert ("DELETE", "/api/v1/namespaces/rhip-370000") in [
        (r.method, r.path) for r in server.requests
    ]
