"""The shared demo world (rhip.demo): request ids derived from names, and a data directory
seeded under an older layout of the world set aside instead of seeded twice."""

from __future__ import annotations

import uuid
from pathlib import Path

from rhip.demo import CELLS, DEMO_WORLD_VERSION, request_id
from rhip.platform import _set_aside_another_demo_world


def test_request_ids_follow_from_names_alone() -> None:
    tenant = CELLS["320000"].tenants[0].name
    first = request_id("320000", "tenant", tenant)
    assert first == request_id("320000", "tenant", tenant)  # a reseed replays the same id
    assert uuid.UUID(first).version == 5
    others = {
        request_id("370000", "tenant", tenant),
        request_id("320000", "user", tenant),
        request_id("320000", "tenant", CELLS["320000"].tenants[1].name),
        request_id("320000", "record", tenant, "王建国"),
    }
    assert first not in others and len(others) == 4


def test_cells_of_an_older_demo_world_are_moved_aside_not_reseeded(tmp_path: Path) -> None:
    data = tmp_path / "var"
    (data / "320000").mkdir(parents=True)
    (data / "320000" / "identity.db").write_bytes(b"old world")
    (data / "routes.json").write_text("{}")

    _set_aside_another_demo_world(data)

    assert not (data / "320000").exists() and (data / "routes.json").exists()
    (aside,) = data.glob("demo-world-1.*")
    assert (aside / "320000" / "identity.db").read_bytes() == b"old world"
    assert (data / "demo-world").read_text().strip() == str(DEMO_WORLD_VERSION)

    # Seeded under the current world: a restart keeps everything where it is.
    (data / "320000").mkdir()
    _set_aside_another_demo_world(data)
    assert (data / "320000").exists() and len(list(data.glob("demo-world-*"))) == 1


def test_a_fresh_data_directory_is_stamped_and_nothing_moves(tmp_path: Path) -> None:
    _set_aside_another_demo_world(tmp_path)
    assert (tmp_path / "demo-world").read_text().strip() == str(DEMO_WORLD_VERSION)
    assert [p.name for p in tmp_path.iterdir()] == ["demo-world"]
