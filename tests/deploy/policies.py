"""Workload policies checked on rendered objects (our own checks rather than checkov: a handful
of rules, each asserted on its own, no extra tool in CI).

Each policy takes a workload object and returns its violations as strings; the empty list
means it passes. ``test_policies`` also feeds a deliberately bad Deployment through each one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

Obj = dict[str, Any]
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod")


def pod_spec(obj: Obj) -> Obj | None:
    kind = obj["kind"]
    if kind == "Pod":
        return dict(obj["spec"])
    if kind == "CronJob":
        return dict(obj["spec"]["jobTemplate"]["spec"]["template"]["spec"])
    if kind in WORKLOAD_KINDS:
        return dict(obj["spec"]["template"]["spec"])
    return None


def containers(obj: Obj) -> Iterator[tuple[Obj, Obj]]:
    """(pod spec, container) for every container and init container of a workload."""
    spec = pod_spec(obj)
    if spec is None:
        return
    for container in [*spec.get("initContainers", []), *spec.get("containers", [])]:
        yield spec, container


def _effective(spec: Obj, container: Obj, key: str) -> Any:
    """A security setting as the kubelet sees it: the container's, else the pod's."""
    own = container.get("securityContext", {}).get(key)
    return own if own is not None else spec.get("securityContext", {}).get(key)


def no_root(obj: Obj) -> list[str]:
    bad = []
    for spec, c in containers(obj):
        if _effective(spec, c, "runAsNonRoot") is not True:
            bad.append(f"{c['name']}: runAsNonRoot is not true")
        if _effective(spec, c, "runAsUser") in (0, None):
            bad.append(f"{c['name']}: no non-zero runAsUser")
    return bad


def no_privilege_escalation(obj: Obj) -> list[str]:
    bad = []
    for _, c in containers(obj):
        sc = c.get("securityContext", {})
        if sc.get("allowPrivilegeEscalation") is not False:
            bad.append(f"{c['name']}: allowPrivilegeEscalation is not false")
        if sc.get("privileged"):
            bad.append(f"{c['name']}: privileged")
    return bad


def read_only_root(obj: Obj) -> list[str]:
    return [
        f"{c['name']}: readOnlyRootFilesystem is not true"
        for _, c in containers(obj)
        if c.get("securityContext", {}).get("readOnlyRootFilesystem") is not True
    ]


def drop_all_capabilities(obj: Obj) -> list[str]:
    bad = []
    for _, c in containers(obj):
        caps = c.get("securityContext", {}).get("capabilities", {})
        if "ALL" not in caps.get("drop", []):
            bad.append(f"{c['name']}: capabilities not dropped (drop: ALL)")
        if caps.get("add"):
            bad.append(f"{c['name']}: adds capabilities {caps['add']}")
    return bad


def seccomp_runtime_default(obj: Obj) -> list[str]:
    return [
        f"{c['name']}: seccompProfile is not RuntimeDefault"
        for spec, c in containers(obj)
        if (_effective(spec, c, "seccompProfile") or {}).get("type") != "RuntimeDefault"
    ]


def limits_set(obj: Obj) -> list[str]:
    bad = []
    for _, c in containers(obj):
        resources = c.get("resources", {})
        for part in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if not resources.get(part, {}).get(resource):
                    bad.append(f"{c['name']}: no {part}.{resource}")
    return bad


def probes_set(obj: Obj) -> list[str]:
    """Long-running workloads only: a Job's pod runs to completion, nothing to probe."""
    if obj["kind"] in ("Job", "CronJob"):
        return []
    bad = []
    for _, c in containers(obj):
        for probe in ("livenessProbe", "readinessProbe"):
            if not c.get(probe):
                bad.append(f"{c['name']}: no {probe}")
            elif "grpc" not in c[probe]:
                bad.append(f"{c['name']}: {probe} is not a gRPC health probe")
    return bad


def no_latest_tag(obj: Obj) -> list[str]:
    bad = []
    for _, c in containers(obj):
        image = c.get("image", "")
        if "@sha256:" in image:
            continue
        tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
        if tag in ("", "latest"):
            bad.append(f"{c['name']}: image {image!r} has no pinned tag")
    return bad


def no_token_automount(obj: Obj) -> list[str]:
    spec = pod_spec(obj)
    if spec is None or spec.get("automountServiceAccountToken") is False:
        return []
    return ["pod automounts a service account token"]


def no_host_access(obj: Obj) -> list[str]:
    spec = pod_spec(obj)
    if spec is None:
        return []
    bad = [f"{key} is set" for key in ("hostNetwork", "hostPID", "hostIPC") if spec.get(key)]
    bad += [f"hostPath volume {v['name']}" for v in spec.get("volumes", []) if "hostPath" in v]
    bad += [
        f"{c['name']}: hostPort {p['hostPort']}"
        for _, c in containers(obj)
        for p in c.get("ports", [])
        if p.get("hostPort")
    ]
    return bad


POLICIES: dict[str, Callable[[Obj], list[str]]] = {
    "no-root": no_root,
    "no-privilege-escalation": no_privilege_escalation,
    "read-only-root-filesystem": read_only_root,
    "drop-all-capabilities": drop_all_capabilities,
    "seccomp-runtime-default": seccomp_runtime_default,
    "limits-set": limits_set,
    "probes-set": probes_set,
    "no-latest-tag": no_latest_tag,
    "no-token-automount": no_token_automount,
    "no-host-access": no_host_access,
}
