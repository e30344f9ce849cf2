"""LoopbackApiServer: an HTTP test double of a Kubernetes API server on 127.0.0.1.

No API server runs here. This one speaks just enough of the protocol for the ``kubernetes``
client's DynamicClient: discovery (/version, /api, /api/v1, /apis, one group) for the kinds
the provisioner makes, GET, server-side-apply PATCH and DELETE of single objects. It records
every request so tests can check what the real client puts on the wire (content type, field
manager, force). Apply stores the body as sent; it does not merge fields like a real server.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

CORE = {
    "namespaces": ("Namespace", False),
    "secrets": ("Secret", True),
    "resourcequotas": ("ResourceQuota", True),
    "limitranges": ("LimitRange", True),
}
NETWORKING = {"networkpolicies": ("NetworkPolicy", True)}
VERBS = ["get", "list", "create", "update", "patch", "delete"]


def _resource_list(group_version: str, kinds: dict[str, tuple[str, bool]]) -> dict[str, Any]:
    return {
        "kind": "APIResourceList",
        "groupVersion": group_version,
        "resources": [
            {"name": plural, "singularName": "", "kind": kind, "namespaced": ns, "verbs": VERBS}
            for plural, (kind, ns) in kinds.items()
        ],
    }


DISCOVERY = {
    "/version": {"major": "1", "minor": "30", "gitVersion": "v1.30.0"},
    "/api": {"kind": "APIVersions", "versions": ["v1"]},
    "/api/v1": _resource_list("v1", CORE),
    "/apis": {
        "kind": "APIGroupList",
        "groups": [
            {
                "name": "networking.k8s.io",
                "versions": [{"groupVersion": "networking.k8s.io/v1", "version": "v1"}],
                "preferredVersion": {"groupVersion": "networking.k8s.io/v1", "version": "v1"},
            }
        ],
    },
    "/apis/networking.k8s.io/v1": _resource_list("networking.k8s.io/v1", NETWORKING),
}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    content_type: str
    body: dict[str, Any] | None


@dataclass
class LoopbackApiServer:
    requests: list[Request] = field(default_factory=list)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    _version: int = 0

    def __post_init__(self) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> LoopbackApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def handle(self, request: Request) -> tuple[int, dict[str, Any]]:
        if request.method == "GET" and request.path in DISCOVERY:
            return 200, DISCOVERY[request.path]
        self.requests.append(request)
        found = self.objects.get(request.path)
        if request.method == "GET":
            return (200, found) if found else (404, _status(404, "NotFound"))
        if request.method == "PATCH" and request.body is not None:
            body = dict(request.body)
            if found is None or _without_version(found) != body:
                self._version += 1
                body["metadata"] = {**body["metadata"], "resourceVersion": str(self._version)}
                self.objects[request.path] = body
            return 200, self.objects[request.path]
        if request.method == "DELETE" and found:
            del self.objects[request.path]
            return 200, _status(200, "Success")
        return 404, _status(404, "NotFound")


def _without_version(obj: dict[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in obj["metadata"].items() if k != "resourceVersion"}
    return {**obj, "metadata": meta}


def _status(code: int, reason: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "code": code, "reason": reason}


def _handler(server: LoopbackApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = Request(
                self.command,
                url.path,
                parse_qs(url.query),
                self.headers.get("Content-Type", ""),
                json.loads(raw) if raw else None,
            )
            code, payload = server.handle(request)
            data = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PATCH = do_DELETE = do_POST = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
