"""``salesbot quote …``: OCR photographed quotations from the command line.

For support and tuning: run the same engine + extraction the job runs on a
photo a rep sent, and see every field, check and confidence. Registered in
``bot.cli`` as ``app.add_typer(quote_app, name="quote")``.
"""

from __future__ import annotations

import json
import time
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

quote_app = typer.Typer(
    help="报价单识别 / OCR photographed quotations.", no_args_is_help=True, add_completion=False
)


class EngineName(StrEnum):
    paddle = "paddle"
    onnx = "onnx"
    onnx_v5 = "onnx-v5"
    onnx_v6 = "onnx-v6"


def _default_engine() -> EngineName:
    # Imported lazily: engines.py itself is light, but keep CLI start-up instant.
    from bot.ocr.engines import DEFAULT_ENGINE

    return EngineName(DEFAULT_ENGINE)


@quote_app.callback()
def _group() -> None:
    """Keep ``extract`` a sub-command even while it is the only one."""


def extract_photo(path: Path, engine_name: str) -> dict[str, Any]:
    """OCR + extraction of one file → the JSON-able result (or an ``error`` entry)."""
    from bot.ocr.engines import UnreadableImage, get_engine
    from bot.ocr.extract import extract_quote

    engine = get_engine(engine_name)
    started = time.perf_counter()
    try:
        boxes = engine.recognize(path.read_bytes())
    except UnreadableImage as exc:
        return {
            "photo": str(path),
            "engine": engine.name,
            "seconds": round(time.perf_counter() - started, 3),
            "error": "unreadable_image",
            "reason": exc.reason,
            "detail": exc.detail,
        }
    result = extract_quote(boxes).to_dict()
    result["engine"] = engine.name
    result["seconds"] = round(time.perf_counter() - started, 3)
    result["photo"] = str(path)
    return result


def _human(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"{result['photo']}: 无法识别 / unreadable ({result['reason']}: {result['detail']})"
    checks = result["checks"]

    def mark(value: bool | None) -> str:
        return "✓" if value else ("?" if value is None else "✗")

    out = [
        f"{result['photo']}  [{result['engine']}, {result['seconds']:.2f} s, 置信度 {result['confidence']:.2f}]",
    ]
    if not result["is_quote"]:
        out.append("  不像报价单 / does not look like a quotation")
    out += [
        f"  客户: {result['customer']}",
        f"  单号: {result['quote_no']}   日期: {result['date']}",
    ]
    for i, line in enumerate(result["lines"], 1):
        ok = mark(checks["qty_x_price_matches"][i - 1])
        out.append(
            f"  {i:>2}. {line['name']}  {line['model']}  {line['qty']} × {line['unit_price']} = {line['amount']} {ok}"
        )
    out.append(
        f"  合计: {result['total']}  Σ明细 {mark(checks['lines_sum_matches_total'])}"
        f"   大写: {result['total_upper']} ({result['total_upper_value']}) {mark(checks['upper_matches_total'])}"
    )
    return "\n".join(out)


@quote_app.command("extract")
def extract(
    photos: list[Path] = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="Photo files."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per photo (JSON Lines)."),
    engine: EngineName = typer.Option(None, "--engine", help="OCR back end (default: the benchmarked one)."),
) -> None:
    """Read quotation photos: customer, number, date, line items, total, 大写, checks."""
    chosen = (engine or _default_engine()).value
    failed = 0
    for path in photos:
        result = extract_photo(path, chosen)
        failed += "error" in result
        typer.echo(json.dumps(result, ensure_ascii=False) if as_json else _human(result))
    if failed:
        raise typer.Exit(2)
