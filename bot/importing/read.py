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

Limits (issue #19): a 1.6 KB xlsx with one cell at XFD1048576 used to take
51 s and 3.75 GB, a merged range A2:B1048576 1.3 GB, a zip bomb 3.45 GB. So
nothing here grows with what a file *claims*: the file size, the zip's
declared uncompressed sizes (``zipfile`` never inflates past them: a member
that lies fails its CRC) and the number of members are checked before any
XML is parsed; sheets are read in openpyxl's streaming mode (read_only, one
row element at a time, only cells that exist) and refused at the first value
beyond ``MAX_ROWS`` / ``MAX_COLUMNS``; merged ranges are counted and clipped
to the cells that exist. XML with entity declarations is refused
(defusedxml, which openpyxl uses when installed). Each refusal is an
``ImportFileError`` naming the limit.
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

#: A customer list of 50,000 rows is a few MB; far beyond that is a mistake or an attack.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 200
MAX_MERGED_RANGES = 10_000
#: Sum of the zip members' uncompressed sizes, and how many members an .xlsx may have.
MAX_UNCOMPRESSED_BYTES = 150 * 1024 * 1024
MAX_ZIP_MEMBERS = 2_000


def _limit(what: str) -> ImportFileError:
    return ImportFileError(f"文件超出导入上限：{what}。请拆分成较小的文件，或删除多余的行、列后再导入")


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


def _check_file_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise _limit(f"文件大小 {size / 2**20:.1f} MB，最多 {MAX_FILE_BYTES // 2**20} MB")


def read_csv(path: Path) -> Sheet:
    _check_file_size(path)
    text = decode_text(path.read_bytes()).replace("\x00", "")
    # The delimiter is whichever of , tab ; the first lines use most (csv.Sniffer guesses wildly on Chinese text).
    head = "\n".join(text[:65_536].splitlines()[:5])
    delimiter = max(",\t;", key=lambda d: (head.count(d), d == ","))
    grid: list[list[Any]] = []
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        if len(grid) >= MAX_ROWS:
            if any(cell.strip() for cell in row):
                raise _limit(f"最多 {MAX_ROWS:,} 行")
            continue
        if len(row) > MAX_COLUMNS:
            if any(cell.strip() for cell in row[MAX_COLUMNS:]):
                raise _limit(f"最多 {MAX_COLUMNS} 列（第 {len(grid) + 1} 行有 {len(row)} 列）")
            row = row[:MAX_COLUMNS]
        grid.append(row)
    return Sheet(path.stem, grid)


def _check_zip(path: Path) -> None:
    """Refuse a zip bomb from its central directory, before anything is inflated."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError(f"无法读取 Excel 文件 {path.name}：{exc}") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise _limit(f"压缩包内最多 {MAX_ZIP_MEMBERS:,} 个部件（本文件 {len(members):,} 个）")
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _limit(f"解压后最多 {MAX_UNCOMPRESSED_BYTES // 2**20} MB（本文件 {total / 2**20:,.0f} MB）")


def read_xlsx(path: Path) -> list[Sheet]:
    import openpyxl
    from defusedxml import DefusedXmlException
    from openpyxl.utils.exceptions import InvalidFileException

    _check_file_size(path)
    _check_zip(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Data Validation extension is not supported" and the like
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                return [Sheet(ws.title, _read_sheet(workbook, ws)) for ws in workbook.worksheets]
            finally:
                workbook.close()
    except ImportFileError:
        raise
    except (DefusedXmlException, InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError,
            SyntaxError) as exc:  # fmt: skip
        # SyntaxError covers xml.etree's ParseError: a damaged or hand-made file. openpyxl wraps what
        # its reader raised in its own ValueError, so the chain is searched for defusedxml's refusal.
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, DefusedXmlException):
            cause = cause.__cause__ or cause.__context__
        if cause is not None:
            raise ImportFileError(
                f"Excel 文件 {path.name} 含有不允许的 XML 声明（DTD / 实体），请在 Excel 中另存为 .xlsx 后再导入"
            ) from None
        raise ImportFileError(f"无法读取 Excel 文件 {path.name}：{str(exc)[:200]}") from None


def _read_sheet(workbook: Any, ws: Any) -> list[list[Any]]:
    """One worksheet's values as a grid, streamed: only rows and cells the XML holds are visited.

    openpyxl's read-only ``iter_rows`` pads every gap up to the sheet's
    claimed dimension (one cell at XFD1048576 means a million rows of 16,384
    Nones), so its row parser is driven here directly; after the rows it has
    also read the sheet's merged ranges.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    rows: dict[int, list[Any]] = {}
    width = 0
    with ws._get_source() as source:
        parser = WorkSheetParser(
            source,
            ws._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for index, cells in parser.parse():
            values = {c["column"]: c["value"] for c in cells if c["value"] is not None and c["value"] != ""}
            if not values:
                continue
            if index > MAX_ROWS:
                raise _limit(f"每个工作表最多 {MAX_ROWS:,} 行（工作表「{ws.title}」第 {index:,} 行有数据）")
            last = max(values)
            if last > MAX_COLUMNS:
                raise _limit(f"最多 {MAX_COLUMNS} 列（工作表「{ws.title}」第 {index:,} 行第 {last:,} 列有数据）")
            row = [None] * last
            for column, value in values.items():
                row[column - 1] = value
            rows[index] = row
            width = max(width, last)
        merged = parser.merged_cells.mergeCell if parser.merged_cells is not None else []
    height = max(rows, default=0)
    grid = [(rows.get(i + 1) or []) + [None] * (width - len(rows.get(i + 1) or [])) for i in range(height)]
    if len(merged) > MAX_MERGED_RANGES:
        raise _limit(f"每个工作表最多 {MAX_MERGED_RANGES:,} 个合并单元格区域（工作表「{ws.title}」有 {len(merged):,} 个）")
    _fill_merged(grid, width, [cell_range.ref for cell_range in merged], ws.title)
    return grid


def _fill_merged(grid: list[list[Any]], width: int, refs: list[str], title: str) -> None:
    """A merged range means its top-left value in every cell it covers, clipped to the cells that exist.

    Merged ranges do not overlap in a file Excel wrote, so together they
    cover at most the grid; overlapping ranges that cover more are refused
    (otherwise 10,000 ranges over the whole sheet would be 10,000 passes).
    """
    from openpyxl.utils.cell import range_boundaries

    boxes: list[tuple[int, int, int, int]] = []
    covered = 0
    for ref in refs:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        if min_row is None or min_col is None or min_row > len(grid) or min_col > width:
            continue
        box = (min_row - 1, min(max_row or min_row, len(grid)), min_col - 1, min(max_col or min_col, width))
        covered += (box[1] - box[0]) * (box[3] - box[2])
        boxes.append(box)
    if covered > len(grid) * width:
        raise _limit(f"合并单元格区域相互重叠（工作表「{title}」）")
    for top, bottom, left, right in boxes:
        value = grid[top][left]
        for r in range(top, bottom):
            grid[r][left:right] = [value] * (right - left)


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
