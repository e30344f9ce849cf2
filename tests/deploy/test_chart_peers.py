"""The gateway's replicas in the chart (rhip.gateway.import_peers): a console import runs in one
replica and a poll landing on another is forwarded to it. A headless Service of the ready
gateway pods on the HTTP port, each pod named by its IP (downward API), the peers setting in
the ConfigMap naming that Service (as rhip reads it back), and a NetworkPolicy letting gateway
pods reach each other's HTTP port and nothing more; none of it in a cell, or with HTTP off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from rhip.gateway.import_peers import load_replicas

from deploy.chart import CELL_FILES, CI_VALUES, by_kind, named, render

Rendered = dict[str, list[dict[str, Any]]]
GATEWAY = "gateway-values.yaml"
PEERS = "rhip-gateway-peers"
GATEWAY_PODS = {
    "app.kubernetes.io/name": "rhip",
    "app.kubernetes.io/instance": "rhip",
    "app.kubernetes.io/component": "gateway",
}


def _pod(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return named(objects, "Deployment", "rhip-gateway")["spec"]["template"]


def test_a_headless_service_lists_the_ready_gateway_pods(rendered: Rendered) -> None:
    service = named(rendered[GATEWAY], "Service", PEERS)["spec"]
    assert service["clusterIP"] == "None"
    # A replica that stops (not ready) leaves the list: its imports are answered "gone".
    assert service["publishNotReadyAddresses"] is False
    assert service["selector"] == GATEWAY_PODS
    assert GATEWAY_PODS.items() <= _pod(rendered[GATEWAY])["metadata"]["labels"].items()
    assert service["ports"] == [
        {
            "name": "http",
            "port": 8080,
            "targetPort": "http",
            "protocol": "TCP",
            "appProtocol": "http",
        }
    ]


def test_each_replica_is_named_by_its_pod_ip_and_finds_its_peers_at_the_service(
    rendered: Rendered,
) -> None:
    env = _pod(rendered[GATEWAY])["spec"]["containers"][0]["env"]
    replica = next(e for e in env if e["name"] == "RHIP_GATEWAY_REPLICA")
    assert replica["valueFrom"] == {"fieldRef": {"fieldPath": "status.podIP"}}
    config = named(rendered[GATEWAY], "ConfigMap", "rhip-config")["data"]
    # As the pod reads it, with the address the downward API gives.
    replicas = load_replicas({**config, "RHIP_GATEWAY_REPLICA": "10.244.1.7"})
    assert replicas.name == "10-244-1-7"
    assert replicas.dns == (f"{PEERS}.rhip-test.svc.cluster.local", 8080)


def test_gateway_pods_reach_each_others_http_port_and_nothing_more(rendered: Rendered) -> None:
    policy = named(rendered[GATEWAY], "NetworkPolicy", "rhip-gateway")["spec"]
    own = [{"podSelector": {"matchLabels": GATEWAY_PODS}}]
    ingress = [r for r in policy["ingress"] if r.get("from") == own]
    egress = [r for r in policy["egress"] if r.get("to") == own]
    for rules in (ingress, egress):
        assert [r["ports"] for r in rules] == [[{"port": 8080, "protocol": "TCP"}]]


def _peers(objects: list[dict[str, Any]]) -> bool:
    """Whether the rendered objects hold any part of the gateway peers."""
    services = {s["metadata"]["name"] for s in by_kind(objects, "Service")}
    config = named(objects, "ConfigMap", "rhip-config")["data"]
    env = [
        e["name"]
        for d in by_kind(objects, "Deployment")
        for e in d["spec"]["template"]["spec"]["containers"][0]["env"]
    ]
    own = [{"podSelector": {"matchLabels": GATEWAY_PODS}}]
    rules = [
        r
        for p in by_kind(objects, "NetworkPolicy")
        for r in p["spec"].get("ingress", []) + p["spec"].get("egress", [])
        if own in (r.get("from"), r.get("to"))
    ]
    found = [
        PEERS in services,
        "RHIP_GATEWAY_PEERS" in config,
        "RHIP_GATEWAY_REPLICA" in env,
        bool(rules),
    ]
    assert len(set(found)) == 1, found  # all of it or nothing
    return found[0]


def test_the_peers_come_with_the_gateways_http_listener_only(
    rendered: Rendered, tmp_path: Path
) -> None:
    assert _peers(rendered[GATEWAY])
    for values_file in CELL_FILES:
        assert not _peers(rendered[values_file]), values_file
    values = yaml.safe_load((CI_VALUES / GATEWAY).read_text())
    values["gateway"]["http"] = {"enabled": False}
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    assert not _peers(render(str(path)))
