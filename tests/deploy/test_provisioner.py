"""The cell provisioner: its objects against the Kubernetes schemas, --dry-run, and the apply
loop against RecordingKubernetesApi (a test double: no API server runs here)."""

from __future__ import annotations

import argparse
import base64
import io
from typing import Any

import pytest
import yaml
from rhip.cli import build_parser, cmd_deprovision_cell, cmd_provision_cell, main
from rhip.provision.apply import ObjectRef, apply_all
from rhip.provision.commands import provision_cell
from rhip.provision.objects import (
    FIELD_MANAGER,
    FROM_ENV,
    PLACEHOLDER,
    CellQuota,
    cell_objects,
    secret_values,
    to_manifest,
)

from deploy.fake_kubernetes import RecordingKubernetesApi
from deploy.kube import schema_errors

DB_URL = "postgresql+psycopg://rhip:s3cret-pw@db.example.org:5432/rhip_320000_identity"
ENV = {"RHIP_IDENTITY_DATABASE_URL": DB_URL}


def manifests(region: str = "320000", env: dict[str, str] = ENV, **kw: Any) -> list[dict[str, Any]]:
    return [
        to_manifest(o)
        for o in cell_objects(region, secret_values(env, region=region, dry_run=False), **kw)
    ]


def args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["admin", *argv])


def test_objects_are_valid_for_kubernetes_1_30_and_later() -> None:
    objects = manifests()
    assert [o["kind"] for o in objects] == [
        "Namespace",
        "ResourceQuota",
        "LimitRange",
        "NetworkPolicy",
        "Secret",
    ]
    assert [e for o in objects for e in schema_errors(o)] == []


def test_the_namespace_is_labelled_with_the_region_and_everything_lives_in_it() -> None:
    namespace, *rest = manifests("370000")
    labels = namespace["metadata"]["labels"]
    assert namespace["metadata"]["name"] == "rhip-370000"
    assert labels["rhip.io/region"] == "370000"
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert {o["metadata"]["namespace"] for o in rest} == {"rhip-370000"}
    assert manifests("370000", ns="cell-sd")[1]["metadata"]["namespace"] == "cell-sd"


def test_quota_limits_and_default_deny() -> None:
    _, quota, limits, policy, _ = manifests(quota=CellQuota(pods="40"))
    hard = quota["spec"]["hard"]
    assert hard["pods"] == "40" and hard["services.loadbalancers"] == "0"
    assert {"limits.cpu", "limits.memory", "requests.cpu", "requests.memory"} <= set(hard)
    [container] = limits["spec"]["limits"]
    assert container["type"] == "Container" and container["default"] and container["max"]
    assert policy["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_the_secret_holds_a_fresh_key_and_the_database_urls_from_the_environment() -> None:
    secret = manifests()[-1]
    assert secret["metadata"]["name"] == "rhip-cell"  # the chart's default existingSecret
    data = {k: base64.b64decode(v) for k, v in secret["data"].items()}
    assert len(base64.b64decode(data["RHIP_SECRET_KEY"])) == 32
    assert data["RHIP_IDENTITY_DATABASE_URL"].decode() == DB_URL
    # the cell's own account: a fixed client id per region, a fresh secret
    assert data["RHIP_CELL_CLIENT_ID"] == b"cell-320000"
    assert len(data["RHIP_CELL_CLIENT_SECRET"]) >= 32
    again = manifests()[-1]["data"]
    assert again["RHIP_SECRET_KEY"] != secret["data"]["RHIP_SECRET_KEY"]
    assert again["RHIP_CELL_CLIENT_SECRET"] != secret["data"]["RHIP_CELL_CLIENT_SECRET"]


def test_a_bad_region_code_is_refused() -> None:
    with pytest.raises(ValueError, match="6 digits"):
        cell_objects("32000", {})
    assert main(["admin", "provision-cell", "032000", "--dry-run"]) == 2


def test_dry_run_prints_the_objects_as_yaml_without_any_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RHIP_IDENTITY_DATABASE_URL", DB_URL)
    assert main(["admin", "provision-cell", "320000", "--dry-run"]) == 0
    out = capsys.readouterr().out
    objects = list(yaml.safe_load_all(out))
    assert objects[0]["kind"] == "Namespace" and len(objects) == 5
    secret = objects[-1]
    assert secret["data"] == {
        "RHIP_CELL_CLIENT_ID": base64.b64encode(b"cell-320000").decode(),
        "RHIP_CELL_CLIENT_SECRET": PLACEHOLDER,
        "RHIP_IDENTITY_DATABASE_URL": FROM_ENV,
        "RHIP_SECRET_KEY": PLACEHOLDER,
    }
    assert "s3cret-pw" not in out
    assert [e for o in objects[:-1] for e in schema_errors(o)] == []


def test_the_admin_commands_are_wired() -> None:
    assert args("provision-cell", "320000").func is cmd_provision_cell
    parsed = args("deprovision-cell", "320000", "--tenant-count-from", "sqlite:///x.db")
    assert parsed.func is cmd_deprovision_cell and parsed.tenant_count_from == "sqlite:///x.db"


def test_first_run_creates_everything_server_side() -> None:
    api = RecordingKubernetesApi()
    results = apply_all(api, manifests())
    assert [r.outcome for r in results] == ["created"] * 5
    applies = [c for c in api.calls if c.verb == "apply"]
    assert {c.field_manager for c in applies} == {FIELD_MANAGER}
    assert applies[0].ref == ObjectRef("v1", "Namespace", "rhip-320000")


def test_a_second_run_changes_nothing() -> None:
    api = RecordingKubernetesApi()
    apply_all(api, manifests())
    before = api.versions()
    stored = {ref: obj.copy() for ref, obj in api.objects.items()}
    # A second run generates a new secret key, and must not write it over the first.
    results = apply_all(api, manifests())
    assert [r.outcome for r in results] == ["unchanged"] * 5
    assert api.versions() == before
    assert api.objects == stored


def test_a_later_run_adds_missing_secret_values_and_keeps_the_others() -> None:
    api = RecordingKubernetesApi()
    apply_all(api, manifests(env={}))
    secret_ref = ObjectRef("v1", "Secret", "rhip-cell", "rhip-320000")
    key = api.objects[secret_ref]["data"]["RHIP_SECRET_KEY"]
    results = apply_all(api, manifests(env=ENV))
    assert {str(r.ref): r.outcome for r in results}[
        "secret/rhip-cell -n rhip-320000"
    ] == "configured"
    assert [r.outcome for r in results].count("unchanged") == 4
    data = api.objects[secret_ref]["data"]
    assert data["RHIP_SECRET_KEY"] == key
    assert base64.b64decode(data["RHIP_IDENTITY_DATABASE_URL"]).decode() == DB_URL
    # And a run without the URL in the environment does not take it away again.
    assert all(r.outcome == "unchanged" for r in apply_all(api, manifests(env={})))
    assert "RHIP_IDENTITY_DATABASE_URL" in api.objects[secret_ref]["data"]


def test_a_changed_quota_is_configured_in_place() -> None:
    api = RecordingKubernetesApi()
    apply_all(api, manifests())
    results = apply_all(api, manifests(quota=CellQuota(pods="200")))
    outcomes = {r.ref.kind: r.outcome for r in results}
    assert outcomes == {
        "Namespace": "unchanged",
        "ResourceQuota": "configured",
        "LimitRange": "unchanged",
        "NetworkPolicy": "unchanged",
        "Secret": "unchanged",
    }


def test_the_command_applies_and_reports_like_kubectl() -> None:
    api = RecordingKubernetesApi()
    out = io.StringIO()
    provision_cell(args("provision-cell", "320000"), env=ENV, api_factory=lambda _: api, out=out)
    assert out.getvalue().splitlines()[0] == "namespace/rhip-320000 created"
    out = io.StringIO()
    provision_cell(args("provision-cell", "320000"), env=ENV, api_factory=lambda _: api, out=out)
    assert all(line.endswith(" unchanged") for line in out.getvalue().splitlines())
    assert DB_URL not in out.getvalue()
