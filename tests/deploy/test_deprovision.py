"""rhip admin deprovision-cell refuses while the cell's identity database holds tenants
(SQLite and PostgreSQL), and then deletes only the namespace provisioned for that cell."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rhip.cell import build_cell
from rhip.cli import build_parser
from rhip.identity.directory.domain import TenantLevel, TenantType
from rhip.identity.directory.usecases import TenantDraft, bootstrap_admin
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from rhip.kit.config import Settings
from rhip.provision.apply import ObjectRef, apply_all
from rhip.provision.commands import deprovision_cell
from rhip.provision.objects import cell_objects, secret_values, to_manifest

from deploy.fake_kubernetes import RecordingKubernetesApi

NAMESPACE = ObjectRef("v1", "Namespace", "rhip-320000")


def provisioned() -> RecordingKubernetesApi:
    api = RecordingKubernetesApi()
    objects = cell_objects("320000", secret_values({}, region="320000", dry_run=False))
    apply_all(api, [to_manifest(o) for o in objects])
    return api


def run(api: RecordingKubernetesApi, url: str, *extra: str) -> tuple[int, str]:
    args = build_parser().parse_args(
        ["admin", "deprovision-cell", "320000", "--tenant-count-from", url, *extra]
    )
    out = io.StringIO()
    code = deprovision_cell(args, env={}, api_factory=lambda _: api, out=out)
    return code, out.getvalue()


def make_identity_database(settings: Settings, tenants: int) -> None:
    """The cell's identity schema (migrated as on start) with ``tenants`` tenants, made
    through the use cases."""
    cell = build_cell(settings, ("identity",))
    try:
        uc = cell.part("identity").usecases
        admin = bootstrap_admin(uc, "js-admin", "江苏省管理员", "Bootstrap-Passw0rd-1")
        with acting_as(Principal(admin.subject, PrincipalKind.REGIONAL_ADMIN, "", "320000")):
            for i in range(tenants):
                draft = TenantDraft(
                    f"卫生院{i}", TenantType.TOWNSHIP_HOSPITAL, TenantLevel.PRIMARY, "320311", ""
                )
                uc.create_tenant(draft, "")
    finally:
        cell.stop(0)


def test_refused_while_the_cell_holds_tenants(
    settings: Settings, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    make_identity_database(settings, tenants=2)
    api = provisioned()
    code, _ = run(api, database_url)
    assert code == 1
    assert "still holds 2 tenant(s)" in capsys.readouterr().err
    assert NAMESPACE in api.objects and api.verbs("delete") == []


def test_an_empty_cell_is_deleted_with_its_namespace(settings: Settings, database_url: str) -> None:
    make_identity_database(settings, tenants=0)
    api = provisioned()
    assert run(api, database_url, "--dry-run") == (
        0,
        f"{NAMESPACE} would be deleted (cell 320000 holds no tenants)\n",
    )
    assert api.verbs("delete") == []
    code, out = run(api, database_url)
    assert (code, out) == (0, f"{NAMESPACE} deleted\n")
    assert api.verbs("delete") == [NAMESPACE] and api.objects == {}


def test_refused_when_the_tenants_cannot_be_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api = provisioned()
    missing = tmp_path / "nowhere" / "identity.db"
    assert run(api, f"sqlite:///{missing}")[0] == 1
    assert not missing.exists()  # looking did not create an empty database
    assert "no identity database" in capsys.readouterr().err
    empty = tmp_path / "empty.db"
    empty.touch()
    assert run(api, f"sqlite:///{empty}")[0] == 1
    assert "cannot count tenants" in capsys.readouterr().err
    assert api.verbs("delete") == []


def test_a_namespace_not_provisioned_for_the_cell_is_left_alone(
    settings: Settings, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    make_identity_database(settings, tenants=0)
    api = RecordingKubernetesApi()
    apply_all(api, [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "rhip-320000"}}])
    assert run(api, database_url)[0] == 1
    assert "not labelled rhip.io/region=320000" in capsys.readouterr().err
    assert api.verbs("delete") == []
