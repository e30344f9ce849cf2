"""The emr demo data of `make run`: seeded through the use cases in a serving cell (the county
hospital's doctor shares two documents), and unchanged by a restart that seeds again."""

from __future__ import annotations

from pathlib import Path

from conftest import make_settings
from rhip.cell import build_cell
from rhip.demo import seed_demo
from rhip.emr.demo import seed_emr_demo


def test_the_demo_shares_two_documents_once(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url)
    cell = build_cell(settings)
    seed_demo(cell.part("identity").usecases)
    cell.start("127.0.0.1:0", serving=False)
    try:
        first = seed_emr_demo(cell.built, settings)
        again = seed_emr_demo(cell.built, settings)
    finally:
        cell.stop(0)
    assert first is not None and first.startswith("emr demo data: 2 new document(s)")
    assert again is not None and again.startswith("emr demo data: 0 new document(s)")
