"""The chart's Prometheus side: a metrics port on every Deployment and Service, RHIP_METRICS_LISTEN
in the settings rhip reads, a ServiceMonitor (validated by deploy.crds) only when asked for,
selecting the release's Services on that port, and NetworkPolicies that let only
``metrics.allowFrom`` scrape it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rhip.kit.config import load_settings

from deploy.chart import CELL_FILES, VALUES_FILES, by_kind, named, template
from deploy.kube import schema_errors

Rendered = dict[str, list[dict[str, Any]]]


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_every_component_exposes_the_metrics_port(rendered: Rendered, values_file: str) -> None:
    objects = rendered[values_file]
    config = by_kind(objects, "ConfigMap")[0]["data"]
    assert config["RHIP_METRICS_LISTEN"] == "[::]:9090"
    settings = load_settings({**config, "RHIP_ENV": "development"})  # the secret: elsewhere
    assert settings.metrics_listen == "[::]:9090"
    for deployment in by_kind(objects, "Deployment"):
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert {"name": "metrics", "containerPort": 9090, "protocol": "TCP"} in container["ports"]
    for service in by_kind(objects, "Service"):
        if service["metadata"]["name"].endswith("-gateway-internal"):
            continue  # the cells' mutual-TLS entry to the gateway: gRPC only, never scraped
        if service["metadata"]["name"].endswith("-gateway-peers"):
            # The gateway replicas' HTTP port to each other (test_chart_peers): no metrics
            # port, so the ServiceMonitor finds no target there (the pods are scraped once).
            assert [p["name"] for p in service["spec"]["ports"]] == ["http"]
            continue
        ports = {p["name"]: p for p in service["spec"]["ports"]}
        assert ports["metrics"]["targetPort"] == "metrics"
        assert ports["metrics"]["port"] == 9090


@pytest.mark.parametrize("values_file", ["cell-jiangsu-values.yaml", "gateway-values.yaml"])
def test_the_service_monitor_selects_the_release_services_on_their_metrics_port(
    rendered: Rendered, values_file: str
) -> None:
    objects = rendered[values_file]
    [monitor] = by_kind(objects, "ServiceMonitor")
    assert schema_errors(monitor) == []
    selector = monitor["spec"]["selector"]["matchLabels"]
    services = by_kind(objects, "Service")
    assert services
    for service in services:  # every component's Service is selected…
        labels = service["metadata"]["labels"]
        assert all(labels.get(key) == value for key, value in selector.items())
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "metrics" and endpoint["path"] == "/metrics"
    if values_file == "cell-jiangsu-values.yaml":
        assert endpoint["interval"] == "15s"
        assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_no_service_monitor_unless_enabled(rendered: Rendered) -> None:
    for values_file in CELL_FILES:
        if values_file != "cell-jiangsu-values.yaml":
            assert by_kind(rendered[values_file], "ServiceMonitor") == []


def test_the_service_monitor_schema_refuses_a_misspelt_field(rendered: Rendered) -> None:
    [monitor] = by_kind(rendered["gateway-values.yaml"], "ServiceMonitor")
    monitor["spec"]["endpoints"][0]["intervall"] = "30s"
    assert schema_errors(monitor)
    monitor["spec"]["endpoints"][0].pop("intervall")
    monitor["spec"]["endpoints"][0]["interval"] = "half a minute"
    assert schema_errors(monitor)


def test_only_the_monitoring_namespace_may_scrape(rendered: Rendered) -> None:
    for values_file, name in (
        ("cell-minimal-values.yaml", "rhip"),
        ("gateway-values.yaml", "rhip-gateway"),
    ):
        policy = named(rendered[values_file], "NetworkPolicy", name)
        [rule] = [
            r for r in policy["spec"]["ingress"] if {"port": 9090, "protocol": "TCP"} in r["ports"]
        ]
        assert rule["ports"] == [{"port": 9090, "protocol": "TCP"}]
        assert rule["from"] == [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
        ]


def test_metrics_disabled_leaves_no_port_setting_or_monitor(tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "cell": {"region": "320000"},
                "metrics": {"enabled": False, "serviceMonitor": {"enabled": True}},
            }
        )
    )
    objects = [doc for doc in yaml.safe_load_all(template(path).stdout) if doc]
    assert "RHIP_METRICS_LISTEN" not in by_kind(objects, "ConfigMap")[0]["data"]
    assert by_kind(objects, "ServiceMonitor") == []
    for service in by_kind(objects, "Service"):
        assert [p["name"] for p in service["spec"]["ports"]] == ["grpc"]
    policy = named(objects, "NetworkPolicy", "rhip")
    assert all(9090 not in [p["port"] for p in r["ports"]] for r in policy["spec"]["ingress"])


@pytest.mark.parametrize(
    "metrics",
    [{"port": 80}, {"serviceMonitor": {"interval": "soon"}}, {"scrape": True}],
)
def test_the_values_schema_refuses_bad_metrics_values(metrics: dict, tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump({"cell": {"region": "320000"}, "metrics": metrics}))
    result = template(path, check=False)
    assert result.returncode != 0
    assert "values don't meet the specifications of the schema" in result.stderr, result.stderr
