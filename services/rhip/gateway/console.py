"""The web console at ``/console/``: the static files Vite builds from ``console/`` (``make
console``; npm registry only, nothing from a CDN), served by the gateway's HTTP listener next to
``/openapi.json`` and ``/docs/``. The console is a single-page app that calls the same HTTP/JSON
API as any other client, with the same tokens.

Like the API reference, only the files found under the build directory are served (a table read
at the first request, and again when a rebuild changed index.html: no path from the request
touches the file system, and ``make console`` needs no gateway restart). Unknown
paths under ``/console/`` answer ``index.html`` so that a reload on a deep link works; hashed
assets are cached for good, the page itself never (a new build must reach the browser)."""

from __future__ import annotations

from pathlib import Path

from rhip.gateway.reference import SECURITY_HEADERS

CONSOLE_PREFIX = "/console/"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".json": "application/json",
}
NOT_BUILT = (
    "<!doctype html><meta charset=utf-8><title>rhip console</title>"
    "<p>控制台尚未构建 / the console is not built: run <code>make console</code> "
    "(npm ci &amp;&amp; npm run build in console/), then restart the gateway.</p>"
).encode()
Asset = tuple[int, list[tuple[str, str]], bytes]


def default_dir() -> Path:
    """``console/dist`` of the source tree this package runs from (``make install`` is
    editable, so the gateway finds the build without configuration)."""
    return Path(__file__).resolve().parents[3] / "console" / "dist"


class Console:
    """path under /console/ → (status, headers, body), loaded on first use."""

    def __init__(self, directory: str = "") -> None:
        self._dir = Path(directory) if directory else default_dir()
        self._files: dict[str, tuple[str, bytes]] | None = None
        self._built = 0.0  # index.html's mtime when the table was read

    def _stamp(self) -> float:
        try:
            return (self._dir / "index.html").stat().st_mtime
        except OSError:
            return 0.0

    def _load(self) -> dict[str, tuple[str, bytes]]:
        if not (self._dir / "index.html").is_file():
            return {}
        return {
            path.relative_to(self._dir).as_posix(): (TYPES[path.suffix], path.read_bytes())
            for path in self._dir.rglob("*")
            if path.is_file() and path.suffix in TYPES
        }

    def get(self, path: str) -> Asset:
        """The answer for a GET of ``path`` (which starts with ``/console/``)."""
        name = path[len(CONSOLE_PREFIX) :]
        if self._files is None or (not name.startswith("assets/") and self._stamp() != self._built):
            self._built = self._stamp()
            self._files = self._load()
        if not self._files:
            return 503, [("Content-Type", TYPES[".html"]), *SECURITY_HEADERS], NOT_BUILT
        found = self._files.get(name)
        if found is not None and name.startswith("assets/"):
            # Vite puts a content hash in every asset's name.
            cache = "public, max-age=31536000, immutable"
        else:
            found = found if found is not None and name else self._files["index.html"]
            cache = "no-cache"
        content_type, body = found
        headers = [("Content-Type", content_type), ("Cache-Control", cache), *SECURITY_HEADERS]
        return 200, headers, body
