"""The emr demo data of `make run`: seeded through the use cases in a serving cell (the county
hospital's doctor shares two documents), and unchanged by a restart that seeds again."""

from __future__ import annotations

from pathlib import Path

from conftest import make_settings
from rhip.cell import build_cell
from rhip.emr.demo import seed_emr_demo
from rhip.emr.store import document
from rhip.identity.demo import seed_demo
from sqlalchemy import func, select


def test_the_demo_shares_two_documents_once(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url)
    cell = build_cell(settings)
    seed_demo(cell.part("identity").usecases)
    cell.start("127.0.0.1:0", serving=False)
    try:
        first = seed_emr_demo(cell.built, settings)
        again = seed_emr_demo(cell.built, settings)
        with cell.part("emr").db.engine.connect() as connection:
            rows = connection.execute(select(func.count()).select_from(document)).scalar_one()
    finally:
        cell.stop(0)
    assert first == again == "emr demo data: 2 documents shared by 沛县人民医院"
    assert rows == 2  # the restart's resend stored nothing
