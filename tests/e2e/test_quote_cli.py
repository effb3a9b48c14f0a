"""salesbot quote extract, as an admin or a script uses it, offline."""

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.ocr.engines import DEFAULT_ENGINE
from tests.ocr.make_quotes import make_quote


def test_quote_extract_prints_the_documented_json(tmp_path: Path) -> None:
    sample = make_quote(3)
    assert sample.truth is not None
    photo = tmp_path / "quote.jpg"
    photo.write_bytes(sample.image)
    r = subprocess.run(
        [sys.executable, "-m", "bot.cli", "quote", "extract", str(photo), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.splitlines()[0])
    for key in (
        "customer",
        "quote_no",
        "date",
        "lines",
        "total",
        "total_upper",
        "total_upper_value",
        "checks",
    ):
        assert key in out
    assert out["customer"] == sample.truth.customer and out["total"] == sample.truth.total
    assert out["checks"]["upper_matches_total"] is True and out["engine"] == DEFAULT_ENGINE
