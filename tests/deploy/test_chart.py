"""helm lint, helm template and Kubernetes schema validation of the rhip chart; the values
schema refuses bad values; the rendered settings are the ones rhip itself reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rhip.cell import missing_addresses
from rhip.cli import build_parser
from rhip.kit.apis import api_names
from rhip.kit.config import load_settings
from rhip.kit.routing import RoutingTable
from rhip.modules import REGISTRY

from deploy.chart import (
    CELL_FILES,
    CI_VALUES,
    GATEWAY_FILES,
    VALUES_FILES,
    by_kind,
    helm,
    named,
    render,
    template,
)
from deploy.kube import schema_errors

Rendered = dict[str, list[dict[str, Any]]]


def test_there_are_several_values_files_for_cells_and_the_gateway() -> None:
    assert len(CELL_FILES) >= 3 and len(GATEWAY_FILES) >= 1


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_helm_lint_passes(values_file: str) -> None:
    result = helm("lint", "helm/rhip", "--strict", "--values", str(CI_VALUES / values_file))
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_every_rendered_object_is_valid_for_kubernetes_1_30_and_later(
    rendered: Rendered, values_file: str
) -> None:
    objects = rendered[values_file]
    assert objects
    errors = [e for obj in objects for e in schema_errors(obj)]
    assert errors == []


def test_schema_validation_catches_a_misspelt_field(rendered: Rendered) -> None:
    deployment = by_kind(rendered["cell-minimal-values.yaml"], "Deployment")[0]
    deployment["spec"]["replica"] = 2
    assert schema_errors(deployment)


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_standard_labels_and_no_namespace_in_templates(
    rendered: Rendered, values_file: str
) -> None:
    for obj in rendered[values_file]:
        meta = obj["metadata"]
        assert "namespace" not in meta, f"{obj['kind']}/{meta['name']} hard-codes a namespace"
        labels = meta["labels"]
        for key in ("name", "instance", "part-of", "version", "managed-by"):
            assert f"app.kubernetes.io/{key}" in labels, f"{meta['name']} lacks {key}"
        if obj["kind"] in ("Deployment", "Service", "HorizontalPodAutoscaler", "Job"):
            assert "app.kubernetes.io/component" in labels


@pytest.mark.parametrize("values_file", CELL_FILES)
def test_a_cell_runs_one_deployment_per_enabled_service_each_with_its_kit(
    rendered: Rendered, values_file: str
) -> None:
    objects = rendered[values_file]
    values = yaml.safe_load((CI_VALUES / values_file).read_text())
    enabled = [s for s in api_names() if values.get("services", {}).get(s, {}).get("enabled")] or [
        "identity"  # the chart's default
    ]
    deployments = by_kind(objects, "Deployment")
    assert sorted(d["metadata"]["name"] for d in deployments) == sorted(
        f"rhip-{s}" for s in enabled
    )
    pdbs = {p["metadata"]["name"] for p in by_kind(objects, "PodDisruptionBudget")}
    services = {s["metadata"]["name"] for s in by_kind(objects, "Service")}
    hpas = {
        h["spec"]["scaleTargetRef"]["name"] for h in by_kind(objects, "HorizontalPodAutoscaler")
    }
    for d in deployments:
        name, spec = d["metadata"]["name"], d["spec"]
        assert name in pdbs and name in services
        # Either the HPA owns the replica count or the Deployment fixes it, never both.
        assert (name in hpas) != ("replicas" in spec)
        pod = spec["template"]["spec"]
        assert {c["topologyKey"] for c in pod["topologySpreadConstraints"]} == {
            "topology.kubernetes.io/zone",
            "kubernetes.io/hostname",
        }
        assert pod["serviceAccountName"] == "rhip"
        region = d["metadata"]["labels"]["rhip.io/region"]
        assert region == values["cell"]["region"]
    account = named(objects, "ServiceAccount", "rhip")
    assert account["automountServiceAccountToken"] is False


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_containers_run_rhip_commands_the_cli_accepts(rendered: Rendered, values_file: str) -> None:
    parser = build_parser()
    for obj in by_kind(rendered[values_file], "Deployment") + by_kind(rendered[values_file], "Job"):
        for container in obj["spec"]["template"]["spec"]["containers"]:
            args = parser.parse_args(container["args"])
            component = obj["metadata"]["labels"]["app.kubernetes.io/component"]
            if component == "gateway":
                assert args.command == "gateway"
            elif component == "migrate":
                assert args.command == "migrate"
            else:
                assert (args.command, args.services) == ("serve", component)


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_the_config_map_and_secret_refs_make_valid_production_settings(
    rendered: Rendered, values_file: str
) -> None:
    objects = rendered[values_file]
    config = named(objects, "ConfigMap", "rhip-config")["data"]
    for d in by_kind(objects, "Deployment"):
        container = d["spec"]["template"]["spec"]["containers"][0]
        assert container["envFrom"] == [{"configMapRef": {"name": "rhip-config"}}]
        component = d["metadata"]["labels"]["app.kubernetes.io/component"]
        refs = {
            e["name"]: e["valueFrom"]["secretKeyRef"]
            for e in container["env"]
            if "secretKeyRef" in e["valueFrom"]
        }
        # Besides secrets, only the gateway's replica name, from its pod (test_chart_peers).
        others = {e["name"] for e in container["env"]} - set(refs)
        assert others == ({"RHIP_GATEWAY_REPLICA"} if component == "gateway" else set())
        required = {"RHIP_SECRET_KEY"} | (
            set() if component == "gateway" else {f"RHIP_{component.upper()}_DATABASE_URL"}
        )
        # The cell's own account is optional (without it cross-cell migration stays off), and
        # so is the signing keyring (without it RHIP_SECRET_KEY signs).
        optional = set() if component == "gateway" else {*CELL_ACCOUNT, *SIGNING_KEYS}
        assert set(refs) == required | optional
        # Secret keys are the variable names; a missing required key stops the pod.
        assert all(r["key"] == name for name, r in refs.items())
        assert {name for name, r in refs.items() if r.get("optional")} == optional
        env = {**config, "RHIP_SECRET_KEY": "A" * 43 + "="}
        env |= {"RHIP_CELL_CLIENT_ID": "cell-320000", "RHIP_CELL_CLIENT_SECRET": "s" * 43}
        # After a rotation: a new signing secret, the cell secret's keys retired.
        env |= {"RHIP_SIGNING_KEY": "B" * 43 + "=", "RHIP_RETIRED_SIGNING_KEYS": "A" * 43 + "="}
        settings = load_settings(env)
        assert settings.retired_signing_keys == (settings.secret_key,)
        assert settings.environment == "production"
        assert settings.listen.endswith(":50051")
        if component != "gateway" and "cell-jiangsu" in values_file:
            assert settings.gateway_address == JIANGSU_GATEWAY


CELL_ACCOUNT = ("RHIP_CELL_CLIENT_ID", "RHIP_CELL_CLIENT_SECRET")
SIGNING_KEYS = ("RHIP_SIGNING_KEY", "RHIP_RETIRED_SIGNING_KEYS")
JIANGSU_GATEWAY = "rhip-gateway-internal.rhip-gateway.svc.cluster.local:50053"


def _routing_table(objects: list[dict[str, Any]], tmp_path: Path) -> RoutingTable:
    path = tmp_path / "routes.json"
    path.write_text(named(objects, "ConfigMap", "rhip-routes")["data"]["routes.json"])
    return RoutingTable.from_file(path)


def test_the_gateway_routing_table_is_in_the_format_rhip_reads(
    rendered: Rendered, tmp_path: Path
) -> None:
    values = yaml.safe_load((CI_VALUES / "gateway-values.yaml").read_text())
    objects = rendered["gateway-values.yaml"]
    table = _routing_table(objects, tmp_path)
    assert [(c.name, c.regions) for c in table.cells] == [
        (c["name"], tuple(c["regions"])) for c in values["gateway"]["cells"]
    ]
    for cell, given in zip(table.cells, values["gateway"]["cells"], strict=True):
        namespace = given["namespace"]
        assert dict(cell.services) == {
            s: f"rhip-{s}.{namespace}.svc.cluster.local:50051" for s in given["services"]
        }
        assert cell.address == cell.services["identity"]  # the default for unlisted services
    config = named(objects, "ConfigMap", "rhip-config")["data"]
    gateway = named(objects, "Deployment", "rhip-gateway")["spec"]["template"]["spec"]
    mount = next(m for m in gateway["containers"][0]["volumeMounts"] if m["name"] == "routes")
    assert config["RHIP_ROUTES"] == f"{mount['mountPath']}/routes.json"
    assert "subPath" not in mount  # a subPath mount would never see the ConfigMap change


# Each cell of the gateway's CI values, the cell release it stands for (its CI values file).
GATEWAY_CELLS = {
    "jiangsu": ("cell-jiangsu-values.yaml", "rhip-320000"),
    "shandong": ("cell-shandong-all-values.yaml", "rhip-370000"),
}


@pytest.mark.parametrize("cell_name", sorted(GATEWAY_CELLS))
def test_the_gateway_routes_each_service_to_the_service_its_cell_release_renders(
    rendered: Rendered, tmp_path: Path, cell_name: str
) -> None:
    """Rendered side by side, the cell release's Services are exactly the addresses the
    gateway's table names for that cell, one per enabled service (its Deployment)."""
    values_file, namespace = GATEWAY_CELLS[cell_name]
    table = _routing_table(rendered["gateway-values.yaml"], tmp_path)
    [cell] = [c for c in table.cells if c.name == cell_name]
    objects = render(values_file, namespace=namespace)
    components = {
        d["metadata"]["labels"]["app.kubernetes.io/component"]: d["metadata"]["name"]
        for d in by_kind(objects, "Deployment")
    }
    services = {s["metadata"]["name"]: s for s in by_kind(objects, "Service")}
    assert set(cell.services) == set(components)
    for component, name in components.items():
        port = services[name]["spec"]["ports"][0]["port"]
        assert cell.address_of(component) == f"{name}.{namespace}.svc.cluster.local:{port}"


def test_a_cell_given_one_address_is_routed_there_for_every_service(tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "role": "gateway",
                "gateway": {
                    "cells": [
                        {"name": "js", "regions": ["320000"], "namespace": "rhip-320000",
                         "address": "cell.example:50061"},
                        {"name": "sd", "regions": ["370000"], "namespace": "rhip-370000",
                         "services": ["archives"], "fullname": "sd-rhip",
                         "address": "front.example:50051"},
                    ]
                },
            }
        )
    )  # fmt: skip
    objects = [d for d in yaml.safe_load_all(template(path).stdout) if d]
    js, sd = _routing_table(objects, tmp_path).cells
    assert (js.address, dict(js.services)) == ("cell.example:50061", {})
    assert sd.address_of("archives") == "sd-rhip-archives.rhip-370000.svc.cluster.local:50051"
    assert sd.address_of("identity") == "front.example:50051"  # the given address: the rest


def test_a_cells_services_reach_identity_at_its_service(rendered: Rendered) -> None:
    objects = rendered["cell-jiangsu-values.yaml"]
    config = named(objects, "ConfigMap", "rhip-config")["data"]
    identity = named(objects, "Service", "rhip-identity")
    assert (
        config["RHIP_IDENTITY_ADDRESS"] == f"rhip-identity:{identity['spec']['ports'][0]['port']}"
    )
    assert load_settings({**config, "RHIP_SECRET_KEY": "A" * 43 + "="}).identity_address == (
        "rhip-identity:50051"
    )


@pytest.mark.parametrize("values_file", CELL_FILES)
def test_every_service_pod_starts_and_reaches_the_services_it_calls(
    rendered: Rendered, values_file: str
) -> None:
    """Each Deployment runs one service in pods of its own. It starts only with the address of
    every service it requires (referral and emr call archives, emr calls referral); archives
    and referral feed emr's timeline when the cell runs emr; the release's NetworkPolicy lets
    the pods make those calls."""
    objects = rendered[values_file]
    config = named(objects, "ConfigMap", "rhip-config")["data"]
    settings = load_settings({**config, "RHIP_SECRET_KEY": "A" * 43 + "="})
    policy = named(objects, "NetworkPolicy", "rhip")
    selectors = [p["podSelector"]["matchLabels"] for r in policy["spec"]["egress"]
                 for p in r.get("to", []) if set(p) == {"podSelector"}]  # fmt: skip
    components = {d["metadata"]["labels"]["app.kubernetes.io/component"]
                  for d in by_kind(objects, "Deployment")}  # fmt: skip
    for component in components:
        assert missing_addresses(settings, (component,)) == [], component
        module = REGISTRY.modules[component]
        for callee in set(module.requires) | (set(module.calls_later) & components):
            service = named(objects, "Service", f"rhip-{callee}")
            port = service["spec"]["ports"][0]["port"]
            assert settings.address_of(callee) == f"rhip-{callee}:{port}", (component, callee)
            pods = service["spec"]["selector"]
            assert any(s.items() <= pods.items() for s in selectors), (component, callee)


def test_migrations_run_as_a_pre_upgrade_hook_job(rendered: Rendered) -> None:
    objects = rendered["cell-shandong-all-values.yaml"]
    job = named(objects, "Job", "rhip-migrate")
    hooks = job["metadata"]["annotations"]["helm.sh/hook"].split(",")
    assert "pre-upgrade" in hooks and "pre-install" in hooks
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["migrate", "--services", "archives,emr,identity,mch,referral"]
    env_names = {e["name"] for e in container["env"]}
    assert {f"RHIP_{s.upper()}_DATABASE_URL" for s in api_names()} <= env_names
    # Its NetworkPolicy is a hook too, created first: the provisioner's default-deny is
    # already in force when the Job runs, before the release's own policies exist.
    policy = named(objects, "NetworkPolicy", "rhip-migrate")
    assert int(policy["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
        job["metadata"]["annotations"]["helm.sh/hook-weight"]
    )
    assert not by_kind(rendered["gateway-values.yaml"], "Job")


def _egress_namespaces(policy: dict[str, Any]) -> set[str]:
    return {
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for rule in policy["spec"]["egress"]
        for peer in rule.get("to", [])
        if "namespaceSelector" in peer
    }


def test_a_cell_accepts_only_the_gateway_and_its_own_namespace(rendered: Rendered) -> None:
    policy = named(rendered["cell-minimal-values.yaml"], "NetworkPolicy", "rhip")
    assert policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/instance"] == "rhip"
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    rule, metrics = policy["spec"]["ingress"]  # gRPC; the metrics port (test_chart_metrics)
    assert metrics["ports"] == [{"port": 9090, "protocol": "TCP"}]
    own_namespace, gateway = rule["from"]
    assert own_namespace == {"podSelector": {}}
    assert gateway["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "rhip-gateway"
    }
    assert gateway["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "gateway"
    # Egress: DNS and the gateway only (its public and internal ports), as no database is
    # configured here.
    assert _egress_namespaces(policy) == {"kube-system", "rhip-gateway"}
    ports = {(p["port"], p["protocol"]) for r in policy["spec"]["egress"] for p in r["ports"]}
    assert ports == {(53, "UDP"), (53, "TCP"), (50051, "TCP"), (50053, "TCP")}


def test_a_cell_reaches_its_database_and_nothing_else_added(rendered: Rendered) -> None:
    objects = rendered["cell-jiangsu-values.yaml"]
    policy = named(objects, "NetworkPolicy", "rhip")
    database = [
        r for r in policy["spec"]["egress"] if r["ports"] == [{"port": 5432, "protocol": "TCP"}]
    ]
    assert len(database) == 1
    assert {"ipBlock": {"cidr": "10.20.0.0/24"}} in database[0]["to"]
    # The peer cell is reachable only at its identity service, for its public keys.
    assert "rhip-370000" in _egress_namespaces(policy)
    peer_rule = next(
        r
        for r in policy["spec"]["egress"]
        if any(
            p.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
            == "rhip-370000"
            for p in r["to"]
        )
    )
    assert (
        peer_rule["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
        == "identity"
    )
    jwks = named(objects, "NetworkPolicy", "rhip-peer-jwks")
    assert jwks["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "identity"


def test_the_gateway_reaches_only_dns_and_its_cells(rendered: Rendered) -> None:
    policy = named(rendered["gateway-values.yaml"], "NetworkPolicy", "rhip-gateway")
    assert _egress_namespaces(policy) == {"kube-system", "rhip-320000", "rhip-370000"}


BAD_VALUES = {
    "unknown service": {"cell": {"region": "320000"}, "services": {"billing": {"enabled": True}}},
    "region code too short": {"cell": {"region": "32000"}},
    "region code with a leading zero": {"cell": {"region": "032000"}},
    "region code not digits": {"cell": {"region": "32O000"}},
    "region code missing": {"cell": {"region": ""}},
    "unknown role": {"role": "database", "cell": {"region": "320000"}},
    "latest tag": {"cell": {"region": "320000"}, "image": {"tag": "latest"}},
    "gateway without cells": {"role": "gateway"},
    "gateway cell with a bad region": {
        "role": "gateway",
        "gateway": {
            "cells": [{"name": "x", "regions": ["3200"], "address": "x:1", "namespace": "x"}]
        },
    },
    "gateway cell with neither services nor an address": {
        "role": "gateway",
        "gateway": {"cells": [{"name": "x", "regions": ["320000"], "namespace": "x"}]},
    },
    "gateway cell with an unknown service": {
        "role": "gateway",
        "gateway": {
            "cells": [
                {"name": "x", "regions": ["320000"], "namespace": "x", "services": ["billing"]}
            ]
        },
    },
    "gateway cell without a port": {
        "role": "gateway",
        "gateway": {
            "cells": [{"name": "x", "regions": ["320000"], "address": "x", "namespace": "x"}]
        },
    },
    "secret as a plain value": {
        "cell": {"region": "320000"},
        "config": {"extraEnv": {"RHIP_IDENTITY_DATABASE_URL": "postgresql://u:p@db/x"}},
    },
    "unknown top-level value": {"cell": {"region": "320000"}, "replicaCount": 3},
    "unknown exporter": {"cell": {"region": "320000"}, "config": {"tracesExporter": "jaeger"}},
    "no resource limits": {"cell": {"region": "320000"}, "serviceDefaults": {"resources": None}},
}


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_the_values_schema_refuses_bad_values(case: str, tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(BAD_VALUES[case]))
    result = template(path, check=False)
    assert result.returncode != 0
    assert "values don't meet the specifications of the schema" in result.stderr, result.stderr


def test_a_cell_with_every_service_disabled_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(
        yaml.safe_dump({"cell": {"region": "320000"}, "services": {"identity": {"enabled": False}}})
    )
    result = template(path, check=False)
    assert result.returncode != 0 and "at least one service" in result.stderr


def test_the_audit_retention_reaches_every_process_and_is_never_below_180_days(
    rendered: Rendered, tmp_path: Path
) -> None:
    config = named(rendered["cell-jiangsu-values.yaml"], "ConfigMap", "rhip-config")["data"]
    settings = load_settings({**config, "RHIP_SECRET_KEY": "A" * 43 + "="})
    assert (settings.audit_retention_days, settings.audit_purge_interval_seconds) == (180, 3600)
    path = tmp_path / "short.yaml"
    path.write_text(
        yaml.safe_dump({"config": {"auditRetentionDays": 90}, "cell": {"region": "320000"}})
    )
    refused = template(path, check=False)
    assert refused.returncode != 0 and "auditRetentionDays" in refused.stderr
