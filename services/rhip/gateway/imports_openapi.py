"""The console's bulk imports (rhip.gateway.imports) in the OpenAPI document: not RPCs, so
not generated from descriptors; written here next to the code that answers them, and checked
with the rest (tests/gateway/test_openapi.py validates the whole document)."""

from __future__ import annotations

from typing import Any

from rhip.gateway.import_peers import JOB_ID_PATTERN
from rhip.gateway.imports import IMPORTS_PREFIX, MAX_FILES

TAG = "Onboarding"
_ERROR = {
    "description": "An error (google.rpc.Status, AIP-193)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_JOB = {"$ref": "#/components/schemas/rhip.gateway.ImportJob"}


def _error(description: str) -> dict[str, Any]:
    return _ERROR | {"description": f"An error (google.rpc.Status, AIP-193): {description}"}


def _counts(description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "additionalProperties": {"type": "integer"},
    }


SCHEMAS: dict[str, Any] = {
    "rhip.gateway.ImportUpload": {
        "type": "object",
        "required": ["files"],
        "properties": {
            "files": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_FILES,
                "description": "CSV (UTF-8) or Excel (.xlsx) files of institutions and users, "
                "with the columns `rhip admin import --help` lists",
                "items": {
                    "type": "object",
                    "required": ["fileName", "content"],
                    "properties": {
                        "fileName": {"type": "string", "maxLength": 200},
                        "content": {
                            "type": "string",
                            "format": "byte",
                            "description": "the file, base64",
                        },
                    },
                },
            },
            "dryRun": {
                "type": "boolean",
                "description": "check every row and report, create nothing",
            },
        },
    },
    "rhip.gateway.ImportJob": {
        "type": "object",
        "properties": {
            "id": {
                "type": "string",
                "description": "`<replica>.<uuid>`: the gateway replica that runs the import, "
                "then the run",
                "pattern": JOB_ID_PATTERN,
            },
            "fileNames": {"type": "array", "items": {"type": "string"}},
            "dryRun": {"type": "boolean"},
            "state": {"type": "string", "enum": ["RUNNING", "DONE", "FAILED"]},
            "rows": {"type": "integer", "description": "rows that passed the checks"},
            "progress": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string", "description": "institutions or users"},
                    "done": {"type": "integer"},
                    "total": {"type": "integer"},
                    "counts": _counts("rows so far by outcome"),
                },
            },
            "error": {"type": "string", "description": "why a FAILED run stopped"},
            "counts": _counts("rows by outcome (created, unchanged, refused…)"),
            "ok": {"type": "boolean", "description": "no row was refused"},
            "results": {
                "type": "array",
                "description": "one entry per row: where it is and what became of it",
                "items": {
                    "type": "object",
                    "properties": {
                        name: {"type": "string"}
                        for name in ("sheet", "what", "status", "column", "reason")
                    }
                    | {"row": {"type": "integer"}},
                },
            },
            "credentials": {
                "type": "array",
                "description": "generated initial passwords, in the first answer after the "
                "run finished only",
                "items": {
                    "type": "object",
                    "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
                },
            },
        },
    },
}

PATHS: dict[str, Any] = {
    IMPORTS_PREFIX: {
        "post": {
            "operationId": "Onboarding_StartImport",
            "tags": [TAG],
            "summary": "Start a bulk import of institutions and users (regional administrators)",
            "description": "Runs the importer of `rhip admin import` in the gateway with the "
            "caller's token, so every row is decided by the platform as for the command; poll "
            "the job it answers. One running import per administrator.",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/rhip.gateway.ImportUpload"}
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "The job, RUNNING",
                    "content": {"application/json": {"schema": _JOB}},
                },
                "default": _ERROR,
            },
        }
    },
    IMPORTS_PREFIX + "/{job}": {
        "get": {
            "operationId": "Onboarding_GetImport",
            "tags": [TAG],
            "summary": "Read an import's progress and report (only the administrator who "
            "started it)",
            "description": "Any gateway replica answers: one that does not run the import asks "
            "the replica its id names and answers what that one answered. An import ends with "
            "its replica; re-running the same files is then safe (rows already brought in "
            "report `unchanged`).",
            "parameters": [
                {
                    "name": "job",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": JOB_ID_PATTERN},
                }
            ],
            "responses": {
                "200": {
                    "description": "The job",
                    "content": {"application/json": {"schema": _JOB}},
                },
                "400": _error("`IMPORT_ID`: not an import id (the field `job`)"),
                "404": _error(
                    "`IMPORT_NOT_FOUND`: no import of the caller's has this id (another "
                    "administrator's is not found either); `IMPORT_RUNNER_GONE`: the gateway "
                    "replica that ran it has stopped, and the import with it"
                ),
                "503": _error(
                    "`IMPORT_RUNNER_UNAVAILABLE`: the replica running it did not answer in "
                    "time; ask again (Retry-After)"
                ),
                "default": _ERROR,
            },
        }
    },
}
