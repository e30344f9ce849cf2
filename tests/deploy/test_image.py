"""deploy/Dockerfile and .dockerignore, read statically (no Docker engine runs here), and
scripts/get-helm.sh's preference for a helm already on PATH."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from deploy.chart import ROOT, by_kind

DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuation lines joined), split into stages."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]
    result: list[list[str]] = []
    for line in lines:
        if line.upper().startswith("FROM "):
            result.append([])
        if result:
            result[-1].append(line)
    return result


def instructions(stage: list[str], keyword: str) -> list[str]:
    return [ln.split(None, 1)[1] for ln in stage if ln.split(None, 1)[0].upper() == keyword]


def test_multi_stage_on_slim_python_3_11() -> None:
    all_stages = stages()
    assert len(all_stages) >= 2
    base = re.search(r"ARG PYTHON_IMAGE=(\S+)", DOCKERFILE.read_text())
    assert base and base.group(1).startswith("python:3.11-slim")
    assert "latest" not in base.group(1)


def test_the_final_stage_has_no_compiler_and_runs_as_a_non_root_uid() -> None:
    final = stages()[-1]
    text = " ".join(final)
    for tool in ("build-essential", "gcc", "apt-get install", "pip install"):
        assert tool not in text, f"final stage runs {tool}"
    [user] = instructions(final, "USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0  # numeric, so runAsNonRoot can be verified
    assert json.loads(instructions(final, "ENTRYPOINT")[0]) == ["rhip"]


def test_no_healthcheck_kubernetes_probes_instead() -> None:
    assert not [ln for stage in stages() for ln in stage if ln.upper().startswith("HEALTHCHECK")]


def test_the_image_and_the_chart_agree(rendered: dict[str, list[dict[str, Any]]]) -> None:
    final = stages()[-1]
    uid = int(instructions(final, "USER")[0].split(":")[0])
    env = " ".join(instructions(final, "ENV"))
    assert "RHIP_LISTEN=[::]:50051" in env
    exposed = instructions(final, "EXPOSE")[0].split()
    assert exposed == ["50051", "8080"]  # gRPC, and the gateway's HTTP port (values.yaml)
    for objects in rendered.values():
        for d in by_kind(objects, "Deployment"):
            pod = d["spec"]["template"]["spec"]
            assert pod["securityContext"]["runAsUser"] == uid
            # The root filesystem is read-only: the image's data dir must be on the /tmp volume.
            mounts = {m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
            assert "/tmp" in mounts and "RHIP_DATA_DIR=/tmp/" in env


def test_dockerignore_lets_in_only_what_the_build_copies() -> None:
    lines = [
        ln.strip()
        for ln in (ROOT / ".dockerignore").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert lines[0] == "*"
    allowed = {ln[1:].rstrip("/") for ln in lines if ln.startswith("!")}
    copied = {
        src
        for stage in stages()
        for ln in instructions(stage, "COPY")
        if not ln.startswith("--from")
        for src in ln.split()[:-1]
    }
    assert copied == allowed == {"pyproject.toml", "libs", "services", "console"}


def test_get_helm_uses_a_helm_on_path(tmp_path: Path) -> None:
    fake = tmp_path / "helm"
    fake.write_text("#!/bin/sh\necho fake\n")
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [str(ROOT / "scripts" / "get-helm.sh")], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.strip() == str(fake)


def test_fetched_tools_stay_out_of_git() -> None:
    assert ".tools/" in (ROOT / ".gitignore").read_text().split()
