"""Rendering the chart with a real helm binary (scripts/get-helm.sh finds or fetches one)."""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "rhip"
CI_VALUES = CHART / "ci"
# Every values file under helm/rhip/ci is rendered, linted and validated.
VALUES_FILES = sorted(p.name for p in CI_VALUES.glob("*-values.yaml"))
CELL_FILES = [name for name in VALUES_FILES if name.startswith("cell-")]
GATEWAY_FILES = [name for name in VALUES_FILES if name.startswith("gateway")]


@cache
def helm_binary() -> str:
    """helm on PATH, or the one scripts/get-helm.sh keeps in .tools/bin (fetched on first use).
    No helm is a failure, not a skip: CI must run these checks."""
    script = ROOT / "scripts" / "get-helm.sh"
    result = subprocess.run([str(script)], capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.fail(f"scripts/get-helm.sh found no helm:\n{result.stderr}")
    return result.stdout.strip().splitlines()[-1]


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [helm_binary(), *args], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    if check and result.returncode != 0:
        pytest.fail(f"helm {' '.join(args)} failed:\n{result.stderr}")
    return result


def template(
    *values: Path, namespace: str = "rhip-test", check: bool = True
) -> subprocess.CompletedProcess[str]:
    args = ["template", "rhip", str(CHART), "--namespace", namespace]
    for path in values:
        args += ["--values", str(path)]
    return helm(*args, check=check)


def render(values_file: str, namespace: str = "rhip-test") -> list[dict[str, Any]]:
    """The objects `helm template` renders for helm/rhip/ci/<values_file>, hooks included."""
    out = template(CI_VALUES / values_file, namespace=namespace).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def named(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in by_kind(objects, kind) if o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]
