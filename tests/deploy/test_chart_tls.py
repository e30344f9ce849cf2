"""The chart's transport security: every process reads its certificate, key and CA from files
mounted from Secrets (whole Secrets, so a renewed certificate reaches the pod), the settings
rhip reads from the rendered ConfigMap turn TLS on, the probes still ask the plaintext health
port, and the gateway's internal (mutual TLS) port is reachable from the cells only."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from rhip.kit.config import load_settings

from deploy.chart import CI_VALUES, VALUES_FILES, by_kind, named, template

Rendered = dict[str, list[dict[str, Any]]]
SECRET_KEY = "A" * 43 + "="


def _settings(objects: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    config = named(objects, "ConfigMap", "rhip-config")["data"]
    return load_settings({**config, "RHIP_SECRET_KEY": SECRET_KEY})


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_every_tls_file_is_a_key_of_a_mounted_secret(rendered: Rendered, values_file: str) -> None:
    objects = rendered[values_file]
    values = yaml.safe_load((CI_VALUES / values_file).read_text())
    tls = _settings(objects).tls
    assert tls.enabled and tls.ca_file
    files = [tls.cert_file, tls.key_file, tls.ca_file, tls.client_cert_file, tls.client_key_file]
    for deployment in by_kind(objects, "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = {m["mountPath"]: m for m in pod["containers"][0]["volumeMounts"]}
        secrets = set()
        for path in filter(None, files):
            mount = mounts[str(PurePosixPath(path).parent)]
            assert mount["readOnly"] and "subPath" not in mount
            secret = volumes[mount["name"]]["secret"]
            assert PurePosixPath(path).name in {i["path"] for i in secret["items"]}
            assert secret["defaultMode"] == 0o440
            secrets.add(secret["secretName"])
        expected = values.get("tls", {})
        assert expected.get("existingSecret", "rhip-tls") in secrets
        assert {expected.get("caSecret"), expected.get("clientSecret")} - {None} <= secrets


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_the_probes_ask_the_plaintext_health_port(rendered: Rendered, values_file: str) -> None:
    """Kubernetes' gRPC probes cannot speak TLS: they ask the health port, which rhip serves
    in plaintext (grpc.health.v1 alone), never the TLS port."""
    objects = rendered[values_file]
    settings = _settings(objects)
    health_port = int(settings.health_listen.rsplit(":", 1)[1])
    for deployment in by_kind(objects, "Deployment"):
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert container[probe]["grpc"]["port"] == health_port


def test_the_gateway_internal_port_is_a_cluster_service_for_the_cells(rendered: Rendered) -> None:
    objects = rendered["gateway-values.yaml"]
    values = yaml.safe_load((CI_VALUES / "gateway-values.yaml").read_text())
    settings = _settings(objects)
    port = int(settings.internal_listen.rsplit(":", 1)[1])
    internal = named(objects, "Service", "rhip-gateway-internal")
    assert internal["spec"]["type"] == "ClusterIP"
    assert internal["spec"]["ports"] == [
        {"name": "internal", "port": port, "targetPort": "internal", "protocol": "TCP"}
    ]
    public = named(objects, "Service", "rhip-gateway")
    assert port not in {p["port"] for p in public["spec"]["ports"]}  # never on the public LB
    container = named(objects, "Deployment", "rhip-gateway")["spec"]["template"]["spec"][
        "containers"
    ][0]
    assert {"name": "internal", "containerPort": port, "protocol": "TCP"} in container["ports"]
    policy = named(objects, "NetworkPolicy", "rhip-gateway")
    [rule] = [r for r in policy["spec"]["ingress"] if r["ports"][0]["port"] == port]
    namespaces = {p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for p in rule["from"]}  # fmt: skip
    assert namespaces == {c["namespace"] for c in values["gateway"]["cells"]}


def test_tls_off_is_said_explicitly_and_mounts_nothing(tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump({"cell": {"region": "320000"}, "tls": {"enabled": False}}))
    objects = [d for d in yaml.safe_load_all(template(path).stdout) if d]
    config = named(objects, "ConfigMap", "rhip-config")["data"]
    assert config["RHIP_TLS"] == "off"
    assert not _settings(objects).tls.enabled  # production accepts it only when said
    pod = by_kind(objects, "Deployment")[0]["spec"]["template"]["spec"]
    assert not [v for v in pod["volumes"] if "secret" in v]
    assert by_kind(objects, "Service")[0]["spec"]["ports"][0]["appProtocol"] == "kubernetes.io/h2c"


@pytest.mark.parametrize(
    "tls",
    [
        {"enabled": True, "existingSecret": ""},
        {"enabled": True, "existingSecret": "Bad_Name"},
        {"enabled": "yes"},
        {"enabled": True, "caSecret": "x", "keyFile": "/k"},
    ],
)
def test_the_values_schema_refuses_bad_tls_values(tls: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump({"cell": {"region": "320000"}, "tls": tls}))
    result = template(path, check=False)
    assert result.returncode != 0
    assert "values don't meet the specifications of the schema" in result.stderr, result.stderr


def test_the_provisioner_names_the_hosts_the_chart_routes_to(
    rendered: Rendered, tmp_path: Path
) -> None:
    """A cell's certificate must name every host the gateway's table and the cell's own
    settings call it by; the provisioner's reminder lists them."""
    import json

    from rhip.provision.objects import TLS_SECRET_NAME, tls_reminder

    values = yaml.safe_load((CI_VALUES / "gateway-values.yaml").read_text())
    table = json.loads(
        named(rendered["gateway-values.yaml"], "ConfigMap", "rhip-routes")["data"]["routes.json"]
    )
    for cell, given in zip(table["cells"], values["gateway"]["cells"], strict=True):
        region, namespace = given["regions"][0], given["namespace"]
        reminder = tls_reminder(region, namespace)
        assert f"{namespace}/{TLS_SECRET_NAME}" in reminder
        for address in [cell["address"], *cell["services"].values()]:
            assert address.rsplit(":", 1)[0] in reminder
    identity = _settings(rendered["cell-jiangsu-values.yaml"]).identity_address
    assert identity.rsplit(":", 1)[0] + "," in tls_reminder("320000")
    chart_default = yaml.safe_load((CI_VALUES.parent / "values.yaml").read_text())["tls"]
    assert chart_default["existingSecret"] == TLS_SECRET_NAME
