"""Policy checks on every workload the chart renders, one test per policy and values file,
and proof that each policy catches what it is for."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from deploy.chart import VALUES_FILES, by_kind
from deploy.policies import POLICIES, WORKLOAD_KINDS

Rendered = dict[str, list[dict[str, Any]]]


def workloads(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] in WORKLOAD_KINDS]


@pytest.mark.parametrize("policy", sorted(POLICIES))
@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_every_workload_meets_the_policy(rendered: Rendered, values_file: str, policy: str) -> None:
    found = workloads(rendered[values_file])
    assert found, "nothing to check"
    violations = {o["metadata"]["name"]: POLICIES[policy](o) for o in found}
    assert all(not v for v in violations.values()), violations


def test_deployments_have_native_grpc_liveness_and_readiness_probes(rendered: Rendered) -> None:
    for values_file in VALUES_FILES:
        for d in by_kind(rendered[values_file], "Deployment"):
            container = d["spec"]["template"]["spec"]["containers"][0]
            ports = {p["name"]: p["containerPort"] for p in container["ports"]}
            # Probes ask the health port (a thread pool of its own, rhip.kit.health), and
            # liveness asks for "liveness", which a stalled database leaves SERVING.
            assert ports["health"] != ports["grpc"]
            assert container["startupProbe"]["grpc"] == {"port": ports["health"]}
            assert container["readinessProbe"]["grpc"] == {"port": ports["health"]}
            assert container["livenessProbe"]["grpc"] == {
                "port": ports["health"],
                "service": "liveness",
            }
            [config] = [
                c for c in by_kind(rendered[values_file], "ConfigMap") if "RHIP_LISTEN" in c["data"]
            ]
            assert config["data"]["RHIP_HEALTH_LISTEN"] == f"[::]:{ports['health']}"


BAD_DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "bad"},
    "spec": {
        "template": {
            "spec": {
                "hostNetwork": True,
                "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
                "securityContext": {"runAsUser": 0},
                "containers": [
                    {
                        "name": "app",
                        "image": "registry.example.org/app:latest",
                        "securityContext": {
                            "privileged": True,
                            "capabilities": {"add": ["NET_ADMIN"]},
                        },
                        "resources": {"requests": {"cpu": "100m"}},
                        "livenessProbe": {"httpGet": {"path": "/", "port": 80}},
                    }
                ],
            }
        }
    },
}


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_each_policy_catches_a_bad_deployment(policy: str) -> None:
    assert POLICIES[policy](copy.deepcopy(BAD_DEPLOYMENT)), f"{policy} let the bad deployment by"


@pytest.mark.parametrize(
    "image", ["registry.example.org/app", "registry.example.org:5000/app", "app:latest"]
)
def test_an_unpinned_image_is_caught(image: str) -> None:
    bad = copy.deepcopy(BAD_DEPLOYMENT)
    bad["spec"]["template"]["spec"]["containers"][0]["image"] = image
    assert POLICIES["no-latest-tag"](bad)
