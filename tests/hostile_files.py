"""Spreadsheets built to hurt an importer (issue #19, point 3), shared by tests and bench/import_hostile.py.

Each is small on disk and claims something huge: a cell at XFD1048576, a
merged range down to row 1,048,576, a sheet that inflates to hundreds of MB,
an entity declaration. The XML is written by hand (openpyxl would build
the huge thing in memory while *writing* it).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_HEADER_ROWS = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>客户名称</t></is></c><c r="B1" t="inlineStr"><is><t>负责人</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>苏州精工</t></is></c><c r="B2" t="inlineStr"><is><t>张伟</t></is></c></row>'
)
_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_NS}" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="客户" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def xlsx(path: Path, rows: str = _HEADER_ROWS, after: str = "", prolog: str = "", pad_bytes: int = 0) -> Path:
    """An .xlsx whose one sheet has ``rows`` as sheetData, ``after`` behind it, ``pad_bytes`` of whitespace."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{_NS}">'.encode())
            chunk = b" " * (1 << 20)
            for _ in range(pad_bytes >> 20):
                sheet.write(chunk)
            sheet.write(f"<sheetData>{rows}</sheetData>{after}</worksheet>".encode())
    return path


def far_cell(path: Path) -> Path:
    """1.6 KB: the header, one customer and one value at XFD1048576 (the probe's 51 s / 3.75 GB)."""
    return xlsx(path, _HEADER_ROWS + '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>')


def far_column(path: Path) -> Path:
    """A value in column XFD of row 2."""
    return xlsx(path, _HEADER_ROWS + '<row r="3"><c r="XFD3" t="inlineStr"><is><t>x</t></is></c></row>')


def merged_down(path: Path) -> Path:
    """A customer merged A2:B1048576 (the probe's 1.3 GB)."""
    return xlsx(path, after='<mergeCells count="1"><mergeCell ref="A2:B1048576"/></mergeCells>')


def zip_bomb(path: Path) -> Path:
    """A sheet that inflates to 900 MB of whitespace (about 1 MB on disk)."""
    return xlsx(path, pad_bytes=900 << 20)


def entity(path: Path) -> Path:
    """A sheet with a DTD declaring an entity (billion-laughs style, one level is enough to be refused)."""
    return xlsx(
        path,
        rows=_HEADER_ROWS.replace("苏州精工", "&a;"),
        prolog='<!DOCTYPE worksheet [<!ENTITY a "苏州精工苏州精工">]>',
    )


def big_csv(path: Path, megabytes: int = 50) -> Path:
    """A 50 MB CSV (the probe's 2 GB)."""
    line = "苏州精工机械有限公司,张伟,13800000000,江苏苏州工业园区星湖街328号\n".encode()
    with path.open("wb") as out:
        out.write("客户名称,负责人,手机,地址\n".encode())
        block = line * 10_000
        for _ in range(megabytes * 2**20 // len(block) + 1):
            out.write(block)
    return path


def long_csv(path: Path, rows: int = 60_000) -> Path:
    """Under the size limit but over the row limit."""
    path.write_text("客户名称\n" + "".join(f"客户{i}\n" for i in range(rows)), encoding="utf-8")
    return path


HOSTILE: dict[str, tuple[str, Callable[[Path], Path]]] = {
    "far_cell": ("far_cell.xlsx", far_cell),
    "far_column": ("far_column.xlsx", far_column),
    "merged_down": ("merged_down.xlsx", merged_down),
    "zip_bomb": ("zip_bomb.xlsx", zip_bomb),
    "entity": ("entity.xlsx", entity),
    "big_csv": ("big.csv", big_csv),
    "long_csv": ("long.csv", long_csv),
}
