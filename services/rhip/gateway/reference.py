"""The interactive API reference at ``/docs/``: Swagger UI's static files from the PyPI
package ``swagger-ui-bundle`` (nothing from a CDN), pointed at the gateway's own
``/openapi.json``. Only the files that package ships are served (a fixed list read once, no
path from the request touches the file system), with a Content-Security-Policy that allows
nothing from elsewhere."""

from __future__ import annotations

from pathlib import Path

DOCS_PREFIX = "/docs/"
INITIALIZER = b"""window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    queryConfigEnabled: false,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
  });
};
"""
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
}
SECURITY_HEADERS = [
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
]


class Reference:
    """name under /docs/ → (content type, bytes), loaded on first use."""

    def __init__(self) -> None:
        self._files: dict[str, tuple[str, bytes]] | None = None

    def _load(self) -> dict[str, tuple[str, bytes]]:
        from swagger_ui_bundle import swagger_ui_path

        files = {
            path.name: (TYPES[path.suffix], path.read_bytes())
            for path in Path(swagger_ui_path).iterdir()
            if path.suffix in TYPES and path.name != "oauth2-redirect.html"
        }
        files["swagger-initializer.js"] = (TYPES[".js"], INITIALIZER)
        files[""] = files["index.html"]
        return files

    def get(self, path: str) -> tuple[str, bytes] | None:
        """The file for a path under ``/docs/``, None when there is none."""
        if self._files is None:
            self._files = self._load()
        return self._files.get(path[len(DOCS_PREFIX) :])
