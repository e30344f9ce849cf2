"""The gateway's HTTP/JSON listener in the chart: a container port and a Service port named
http, the listener's setting (and CORS origins) in the ConfigMap that rhip reads back, the
same ingress peers as the gRPC port in the NetworkPolicy, nothing of it in a cell, and off
when ``gateway.http.enabled`` is false."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rhip.kit.config import load_settings

from deploy.chart import CELL_FILES, CI_VALUES, by_kind, named, render, template

Rendered = dict[str, list[dict[str, Any]]]
GATEWAY = "gateway-values.yaml"


def _container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return named(objects, "Deployment", "rhip-gateway")["spec"]["template"]["spec"]["containers"][0]


def test_the_gateway_serves_http_on_a_named_port(rendered: Rendered) -> None:
    objects = rendered[GATEWAY]
    ports = {p["name"]: p["containerPort"] for p in _container(objects)["ports"]}
    assert ports["http"] == 8080
    service = named(objects, "Service", "rhip-gateway")["spec"]["ports"]
    http = next(p for p in service if p["name"] == "http")
    assert http == {
        "name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP", "appProtocol": "http"
    }  # fmt: skip
    # The internal Service (cells' cross-cell calls) does not carry it.
    internal = named(objects, "Service", "rhip-gateway-internal")["spec"]["ports"]
    assert [p["name"] for p in internal] == ["internal"]


def test_the_config_map_turns_the_listener_and_cors_on(rendered: Rendered) -> None:
    config = named(rendered[GATEWAY], "ConfigMap", "rhip-config")["data"]
    settings = load_settings({**config, "RHIP_SECRET_KEY": "A" * 43 + "="})
    assert settings.gateway_http_listen == "[::]:8080"
    assert settings.gateway_cors_origins == ("https://portal.js-health.example",)


def test_the_network_policy_lets_the_same_callers_reach_http(rendered: Rendered) -> None:
    policy = named(rendered[GATEWAY], "NetworkPolicy", "rhip-gateway")
    public = policy["spec"]["ingress"][0]
    assert {p["port"] for p in public["ports"]} == {50051, 8080}
    assert public["from"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "ingress-nginx"
    }
    others = [r for r in policy["spec"]["ingress"][1:] for p in r["ports"] if p["port"] == 8080]
    # Nowhere else (not from the cells' rule, not from the scrapers'), but from the gateway's
    # other replicas (test_chart_peers).
    assert [r["from"] for r in others] == [
        [{"podSelector": {"matchLabels": policy["spec"]["podSelector"]["matchLabels"]}}]
    ]


@pytest.mark.parametrize("values_file", CELL_FILES)
def test_a_cell_has_no_http_listener(rendered: Rendered, values_file: str) -> None:
    objects = rendered[values_file]
    for deployment in by_kind(objects, "Deployment"):
        ports = deployment["spec"]["template"]["spec"]["containers"][0]["ports"]
        assert "http" not in {p["name"] for p in ports}
    assert "RHIP_GATEWAY_HTTP_LISTEN" not in named(objects, "ConfigMap", "rhip-config")["data"]


def test_the_listener_can_be_turned_off(tmp_path: Path) -> None:
    values = yaml.safe_load((CI_VALUES / GATEWAY).read_text())
    values["gateway"]["http"] = {"enabled": False}
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    objects = render(str(path))
    assert "http" not in {p["name"] for p in _container(objects)["ports"]}
    service = named(objects, "Service", "rhip-gateway")["spec"]["ports"]
    assert "http" not in {p["name"] for p in service}
    assert "RHIP_GATEWAY_HTTP_LISTEN" not in named(objects, "ConfigMap", "rhip-config")["data"]


@pytest.mark.parametrize("origin", ["*", "https://portal.example/app", "portal.example"])
def test_the_schema_refuses_a_wildcard_or_a_path_as_an_origin(origin: str, tmp_path: Path) -> None:
    values = yaml.safe_load((CI_VALUES / GATEWAY).read_text())
    values["gateway"]["http"] = {"corsOrigins": [origin]}
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    result = template(path, check=False)
    assert result.returncode != 0 and "schema" in result.stderr, result.stderr
