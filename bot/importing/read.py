"""Reading .xlsx and .csv files into grids of cell values, as Excel shows them.

The file side of ``salesbot import``; everything after the grid (which row is
the header, what the columns mean, cleaning, de-duplication) is in
``domain.services.importing``.

- .xlsx / .xlsm through openpyxl, with cached formula results. Merged cells
  are filled with their top-left value: a merged "联系人" header over three
  columns, or a customer name merged down over its contacts' rows, means the
  same thing in every cell it covers.
- .csv (and .tsv / .txt) as Excel saves them: UTF-8 with or without BOM, GBK
  (Excel's "CSV" on Chinese Windows; read as GB18030, its superset) or UTF-16
  ("Unicode text", tab-separated); comma, tab or semicolon as delimiter.

Row ``i`` of a grid is the spreadsheet's row ``i + 1``, so reports name rows
as the user sees them.
"""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.services.importing import ImportFileError, ImportKind, Table, read_table

XLSX_SUFFIXES = {".xlsx", ".xlsm"}
CSV_SUFFIXES = {".csv", ".tsv", ".txt"}


@dataclass
class Sheet:
    name: str
    grid: list[list[Any]]


def decode_text(data: bytes) -> str:
    """Text of a CSV file in whichever encoding Excel or a CRM wrote it."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ImportFileError("无法识别文件编码：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx") from None


def read_csv(path: Path) -> Sheet:
    text = decode_text(path.read_bytes()).replace("\x00", "")
    # The delimiter is whichever of , tab ; the first lines use most (csv.Sniffer guesses wildly on Chinese text).
    head = "\n".join(text.splitlines()[:5])
    delimiter = max(",\t;", key=lambda d: (head.count(d), d == ","))
    grid: list[list[Any]] = [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    return Sheet(path.stem, grid)


def read_xlsx(path: Path) -> list[Sheet]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Data Validation extension is not supported" and the like
            workbook = openpyxl.load_workbook(path, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ImportFileError(f"无法读取 Excel 文件 {path.name}：{exc}") from None
    sheets: list[Sheet] = []
    try:
        for ws in workbook.worksheets:
            grid = [list(row) for row in ws.iter_rows(values_only=True)]
            for merged in ws.merged_cells.ranges:
                value = grid[merged.min_row - 1][merged.min_col - 1]
                for r in range(merged.min_row - 1, min(merged.max_row, len(grid))):
                    row = grid[r]
                    for c in range(merged.min_col - 1, min(merged.max_col, len(row))):
                        row[c] = value
            sheets.append(Sheet(ws.title, grid))
    finally:
        workbook.close()
    return sheets


def read_sheets(path: Path) -> list[Sheet]:
    """Every sheet of the file (a CSV has one, named after the file)."""
    if not path.is_file():
        raise ImportFileError(f"找不到文件：{path}")
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return read_xlsx(path)
    if suffix in CSV_SUFFIXES:
        return [read_csv(path)]
    if suffix == ".xls":
        raise ImportFileError("不支持旧版 .xls 文件：请在 Excel 中另存为 .xlsx 或 CSV 后再导入")
    raise ImportFileError(f"不支持的文件类型「{suffix or path.name}」：请使用 .xlsx 或 .csv")


def load_table(
    path: Path, kind: ImportKind, *, sheet: str | None = None, owner_column: str | None = None
) -> tuple[Table, str]:
    """The table to import and the name of the sheet it came from.

    Without ``sheet`` the first sheet with a recognisable header is used, so
    a "填写说明" sheet in front of the data does not get in the way.
    """
    sheets = read_sheets(path)
    if sheet is not None:
        chosen = [s for s in sheets if s.name == sheet] or [s for s in sheets if s.name.strip().lower() == sheet.strip().lower()]
        if not chosen:
            names = "、".join(f"「{s.name}」" for s in sheets)
            raise ImportFileError(f"找不到工作表「{sheet}」，文件中有：{names}")
        sheets = chosen[:1]
    first_error: ImportFileError | None = None
    for candidate in sheets:
        try:
            return read_table(candidate.grid, kind, owner_column=owner_column), candidate.name
        except ImportFileError as exc:
            first_error = first_error or exc
    if first_error is None:
        raise ImportFileError("文件里没有工作表")
    if len(sheets) > 1:
        raise ImportFileError(f"所有工作表都无法识别。{first_error.message}")
    raise first_error
