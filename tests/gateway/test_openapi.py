"""The HTTP bindings and the OpenAPI document: every public method has a binding (and no
cross-cell method has one), the document validates as OpenAPI 3 and changes only with the
protos (like the stubs' --check), and the annotation protos under proto/google/api are the
ones googleapis-common-protos ships."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import google.api.annotations_pb2
from openapi_spec_validator import validate
from rhip.gateway.http_rules import Router, bindings
from rhip.gateway.imports import IMPORTS_PREFIX, Job
from rhip.gateway.openapi import load
from rhip.kit.apis import PLATFORM_APIS, methods
from rhip.onboarding.importer import Progress, Report, RowResult

ROOT = Path(__file__).resolve().parents[2]


def test_every_public_method_has_a_binding_and_no_cross_cell_method_has_one() -> None:
    """Every unary method people call has a binding. Cross-cell and cell-internal methods have
    none (they are for cells), and neither have streaming ones (EmrService.SubmitDocuments): one JSON body
    in and one out cannot carry a stream, and the gateway's HTTP router leaves them out, so
    a binding would be a documented path that answers 404. They stay gRPC only."""
    bound = {b.info.path for b in bindings()}
    for path, info in methods().items():
        if info.cross_cell or info.cell_internal or info.api in PLATFORM_APIS:
            assert path not in bound, f"{path} is for cells, not people: no HTTP binding"
        elif info.client_streaming or info.server_streaming:
            assert path not in bound, f"{path} streams: gRPC only, no HTTP binding"
        else:
            assert path in bound, f"{path} has no google.api.http annotation"


def test_no_two_bindings_collide() -> None:
    router = Router()
    for binding in bindings():
        # the path of each binding with its variables filled in reaches that binding
        path = binding.template
        for name in binding.variables:
            pattern = path[path.index("{" + name) :].split("}", 1)[0].split("=", 1)
            sample = pattern[1].replace("**", "x").replace("*", "x1") if len(pattern) > 1 else "x1"
            path = path.replace(path[path.index("{" + name) :].split("}", 1)[0] + "}", sample)
        found = router.match(binding.verb, path)
        assert found and found[0] is binding, (binding.template, path)  # type: ignore[index]


def test_the_document_validates() -> None:
    document = load()
    validate(document)
    assert len(document["paths"]) >= 80
    operation = document["paths"]["/identity/v1/tenants/{tenant}"]["get"]
    assert operation["summary"]  # the method's comment
    tenant = document["components"]["schemas"]["rhip.api.identity.v1.Tenant"]
    assert tenant["properties"]["displayName"]["description"]  # the field's comment


def test_the_document_is_not_stale() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_openapi.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr + " (run make proto)"


def test_the_annotation_protos_are_the_packaged_ones() -> None:
    packaged = Path(google.api.annotations_pb2.__file__).parent
    for name in ("annotations.proto", "http.proto"):
        vendored = ROOT / "proto" / "google" / "api" / name
        assert vendored.read_bytes() == (packaged / name).read_bytes(), name


def test_the_console_imports_are_documented_as_they_answer() -> None:
    """Not RPCs, so written by hand (rhip.gateway.imports_openapi): every key a finished job
    answers is in the documented schema, and the documented upload is what the gateway reads."""
    document = load()
    assert set(document["paths"][IMPORTS_PREFIX]) == {"post"}
    assert set(document["paths"][IMPORTS_PREFIX + "/{job}"]) == {"get"}
    schemas = document["components"]["schemas"]
    job = Job("j1", "user:x", ["a.csv"], dry_run=False, state="DONE", rows=1, error="")
    job.progress = Progress("users", 1, 1, Counter(created=1))
    job.report = Report([RowResult("a.csv", 2, "doc-1", "created")], [("doc-1", "pw")])
    answer = job.to_json()
    documented = schemas["rhip.gateway.ImportJob"]["properties"]
    assert set(answer) <= set(documented), set(answer) - set(documented)
    assert set(answer["progress"]) <= set(documented["progress"]["properties"])
    row = documented["results"]["items"]["properties"]
    assert set(answer["results"][0]) == set(row)
    upload = schemas["rhip.gateway.ImportUpload"]["properties"]
    assert set(upload) == {"files", "dryRun"}
