"""A long import meets the gateway's rate limit: the importer (the command's and the console's)
slows down to the pace the platform asks for instead of reporting rows as refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rhip.cli import main
from rhip.demo import DEMO_PASSWORD
from support.two_cells import cells_behind_gateway

XUZHOU = "320300"
ROWS = 30


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = Path(tmp_path_factory.mktemp("pacing"))
    # A limit an import of 30 rows exceeds several times over.
    with cells_behind_gateway(
        work,
        lambda name: f"sqlite:///{work / name}.db",
        RHIP_RATE_LIMIT_PER_SECOND="20",
        RHIP_RATE_LIMIT_BURST="5",
    ) as (address, _):
        yield address


def test_an_import_beyond_the_rate_limit_is_paced_not_refused(
    gateway: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RHIP_PASSWORD", DEMO_PASSWORD)
    sheet = tmp_path / "institutions.csv"
    rows = [f"铜山区限速导入第{i:02d}村卫生室,村卫生室,,320312" for i in range(ROWS)]
    sheet.write_text("机构名称,机构类型,等级,区划代码\n" + "\n".join(rows) + "\n", encoding="utf-8")
    argv = ["admin", "import", "--gateway", gateway, "--username", "xz-admin", "--region", XUZHOU]
    code = main([*argv, "--quiet", str(sheet)])
    out, _ = capsys.readouterr()
    assert code == 0, out
    assert f"import finished; {ROWS} created" in out, out
    assert "RATE_LIMITED" not in out
