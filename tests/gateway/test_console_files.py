"""The console's static files (rhip.gateway.console): what is served from a build directory,
with which caching, and what a gateway without a build answers. The browser tests
(tests/console) load the real build through a real gateway."""

from __future__ import annotations

import os
from pathlib import Path

from rhip.gateway.console import Console


def _build(directory: Path, page: str = "<html>v1</html>") -> None:
    (directory / "assets").mkdir(parents=True, exist_ok=True)
    (directory / "index.html").write_text(page)
    (directory / "assets" / "index-abc123.js").write_text("console.log(1)")
    (directory / "notes.txt").write_text("not a served type")


def _headers(answer: tuple[int, list[tuple[str, str]], bytes]) -> dict[str, str]:
    return dict(answer[1])


def test_page_assets_and_deep_links(tmp_path: Path) -> None:
    _build(tmp_path)
    console = Console(str(tmp_path))
    status, _, body = page = console.get("/console/")
    assert (status, body) == (200, b"<html>v1</html>")
    assert _headers(page)["Cache-Control"] == "no-cache"
    assert "default-src 'self'" in _headers(page)["Content-Security-Policy"]
    asset = console.get("/console/assets/index-abc123.js")
    assert asset[2] == b"console.log(1)"
    assert _headers(asset)["Content-Type"].startswith("text/javascript")
    assert "immutable" in _headers(asset)["Cache-Control"]  # hashed names
    # A reload on a page of the app, an unknown file, a path that climbs: the page, nothing else.
    for path in ("/console/indicators", "/console/notes.txt", "/console/../pyproject.toml"):
        assert console.get(path)[2] == b"<html>v1</html>", path


def test_a_rebuild_is_served_without_a_restart(tmp_path: Path) -> None:
    _build(tmp_path)
    console = Console(str(tmp_path))
    assert console.get("/console/")[2] == b"<html>v1</html>"
    _build(tmp_path, "<html>v2</html>")
    stamp = (tmp_path / "index.html").stat().st_mtime + 5
    os.utime(tmp_path / "index.html", (stamp, stamp))
    assert console.get("/console/")[2] == b"<html>v2</html>"


def test_without_a_build_the_answer_says_how_to_build(tmp_path: Path) -> None:
    status, headers, body = Console(str(tmp_path / "missing")).get("/console/")
    assert status == 503
    assert b"make console" in body
    assert dict(headers)["Content-Type"].startswith("text/html")
