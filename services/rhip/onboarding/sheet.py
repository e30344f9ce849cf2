"""Reading an onboarding file: a CSV file (UTF-8, with or without a byte-order mark, as Excel
and WPS save it) or an Excel workbook (.xlsx, every sheet, by openpyxl in read-only mode so
that a 1,600-row workbook is streamed, not loaded whole). Each sheet becomes a ``Table``: its
header names and its rows, each row keeping the number a person sees in Excel (header = 1).

Nothing here knows what an institution or a user is (rhip.onboarding.rows does): the console
can hand an uploaded file's bytes to ``read_tables`` as the command hands a path."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rhip.kit.errors import InvalidArgument, invalid

MAX_ROWS = 50_000  # per sheet: a region's whole onboarding in one file, with room to spare


@dataclass
class Row:
    number: int  # the row number a person sees in Excel (a CSV file's line)
    values: dict[str, str]  # header → the cell's text, stripped ("" when empty)


@dataclass
class Table:
    name: str  # the sheet's name ("institutions"), or the CSV file's stem
    headers: list[str]
    rows: list[Row] = field(default_factory=list)


def read_tables(path: Path, data: bytes | None = None) -> list[Table]:
    """The tables of ``path`` (``data``: its bytes, already read, e.g. an upload). A file
    that is neither CSV nor a workbook is INVALID_ARGUMENT naming it."""
    suffix = path.suffix.lower()
    raw = path.read_bytes() if data is None else data
    if suffix == ".csv":
        return [_csv_table(path.stem, raw)]
    if suffix in (".xlsx", ".xlsm"):
        return _workbook_tables(raw)
    raise invalid("file", f"{path.name}: a .csv or .xlsx file is expected", "FILE_TYPE")


def _csv_table(name: str, raw: bytes) -> Table:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on a Chinese Windows saves "CSV" in GB18030 unless told otherwise.
        text = raw.decode("gb18030", errors="strict")
    reader = csv.reader(io.StringIO(text, newline=""))
    return _table(name, reader)


def _workbook_tables(raw: bytes) -> list[Table]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a damaged file
        raise invalid("file", f"not a readable .xlsx workbook ({error})", "FILE_TYPE") from None
    try:
        return [
            _table(sheet.title, ([_text(c) for c in r] for r in sheet.iter_rows(values_only=True)))
            for sheet in book.worksheets
        ]
    finally:
        book.close()


def _text(value: Any) -> str:
    """A cell as the text a person typed: 320311 stays 320311 (not 320311.0), a date is ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _table(name: str, lines: Iterator[list[str]] | Any) -> Table:
    headers: list[str] | None = None
    table = Table(name, [])
    for number, cells in enumerate(lines, start=1):
        cells = [(c or "").strip() for c in cells]
        if headers is None:
            if not any(cells):
                continue  # blank lines above the header
            headers = list(cells)
            table.headers = headers
            continue
        if not any(cells):
            continue
        if len(table.rows) >= MAX_ROWS:
            raise InvalidArgument(
                f"sheet {name!r} has more than {MAX_ROWS} rows: split it", reason="FILE_TOO_LARGE"
            )
        values = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headers) if h}
        table.rows.append(Row(number, values))
    return table
