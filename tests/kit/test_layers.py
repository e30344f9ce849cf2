"""The dependency direction of every service, checked on the imports of its files:
servicer → usecases → domain ← store. A domain file imports no store, use case, servicer,
database or protobuf; a store no use case or servicer; a use case no servicer; protobuf types
live only in servicers, converters and clients. A service added later is checked the day it
lands (every package under services/rhip with a module.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "services" / "rhip"
PACKAGES = sorted(p.parent for p in SERVICES.glob("*/module.py"))

# layer file name → what its imports must not name (a module path prefix or a final part)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "domain": ("store", "usecases", "servicer", "sqlalchemy", "rhip.api", "grpc"),
    "store": ("usecases", "servicer", "rhip.api", "grpc"),
    "usecases": ("servicer", "rhip.api"),
}


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def _breaks(module: str, rule: str) -> bool:
    parts = module.split(".")
    if "." in rule or rule in ("sqlalchemy", "grpc"):
        return module == rule or module.startswith(rule + ".")
    # a layer of a service (rhip.<svc>…<layer>), not the kit
    return parts[0] == "rhip" and parts[1] != "kit" and parts[-1] == rule


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_each_layer_imports_only_inwards(package: Path) -> None:
    found = []
    for path in sorted(package.rglob("*.py")):
        if "migrations" in path.parts or path.stem not in FORBIDDEN:
            continue
        for module in _imports(path):
            for rule in FORBIDDEN[path.stem]:
                if _breaks(module, rule):
                    found.append(f"{path.relative_to(SERVICES)} imports {module}")
    assert not found, "\n".join(found)


def test_every_service_package_is_checked() -> None:
    assert {"identity", "archives"} <= {p.name for p in PACKAGES}
