"""Peak memory of OCR on the worst photos a rep can send (issue #19, point 2).

    .venv/bin/python bench/ocr_memory.py [--engine onnx] [--limit-mb 1200]

Each photo runs in a fresh subprocess that first loads the engine and reads
one ordinary quote photo (the *baseline*: what the OCR worker of ``salesbot
serve`` holds anyway), then hands the worst photo to ``engine.recognize``
exactly as the quote job does. Printed per photo: the outcome (read, or the
refusal reason the rep is told), seconds, peak RSS (VmHWM) and its ratio to
the baseline peak measured in the same subprocess. Goal: every peak
≤ 1.2 GB with the ONNX engine (``--limit-mb``); the script exits 1 otherwise.

The photos are written by this process into a temporary folder first, so
the generator's own memory is not counted.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _vm(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("needs Linux /proc")


def make_photos(folder: Path) -> list[tuple[str, str]]:
    """(file, what it is) for each worst case, written to ``folder``."""
    from PIL import Image

    from tests.ocr import make_quotes
    from tests.ocr.hostile_images import giant_png

    photos: list[tuple[str, str]] = []

    def put(name: str, what: str, data: bytes) -> None:
        (folder / name).write_bytes(data)
        photos.append((name, f"{what} ({len(data) / 1e6:.2f} MB file)"))

    (folder / "baseline.jpg").write_bytes(make_quotes.make_quote(11).image)
    put("rgba-12600.png", "12,600² RGBA PNG, the probe's photo", giant_png(12_600, 12_600, "RGBA"))
    put("rgba-7000.png", "7,000² RGBA PNG, just under the decode budget", giant_png(7_000, 7_000, "RGBA"))
    put("grey-12600.png", "12,600 × 12,600 grey PNG (151 MB decoded)", giant_png(12_600, 12_600, "L"))
    put("huge-8000.jpg", "8,000 px noisy phone JPEG", make_quotes.make_huge().image)
    big = Image.new("RGB", (12_600, 12_600), (245, 245, 245))
    for progressive in (False, True):
        buf = io.BytesIO()
        big.save(buf, "JPEG", quality=60, progressive=progressive)
        kind = "progressive" if progressive else "baseline"
        put(f"{kind}-12600.jpg", f"12,600² {kind} JPEG (159 MP)", buf.getvalue())
    return photos


def worker(engine_name: str, folder: Path, name: str) -> dict[str, Any]:
    from bot.ocr.engines import UnreadableImage, get_engine

    engine = get_engine(engine_name)
    engine.recognize((folder / "baseline.jpg").read_bytes())
    baseline = _vm("VmHWM")
    data = (folder / name).read_bytes()
    started = time.perf_counter()
    try:
        lines = len(engine.recognize(data))
        outcome = f"read, {lines} lines"
    except UnreadableImage as exc:
        outcome = f"refused: {exc.reason}"
    return {"outcome": outcome, "seconds": time.perf_counter() - started, "baseline_mb": baseline, "peak_mb": _vm("VmHWM")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="onnx")
    parser.add_argument("--limit-mb", type=float, default=1200.0)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.engine, Path(args.worker[0]), args.worker[1])))
        return 0
    with tempfile.TemporaryDirectory(prefix="ocr-memory-") as tmp:
        folder = Path(tmp)
        photos = make_photos(folder)
        worst = 0.0
        print(f"engine {args.engine}; load average {os.getloadavg()[0]:.1f}")
        print(f"{'photo':<52} {'outcome':<22} {'s':>6} {'baseline MB':>12} {'peak MB':>8} {'× base':>7}")
        for name, what in photos:
            out = subprocess.run(
                [sys.executable, __file__, "--engine", args.engine, "--worker", str(folder), name],
                capture_output=True, text=True, check=True, cwd=ROOT,
            )  # fmt: skip
            r = json.loads(out.stdout.strip().splitlines()[-1])
            worst = max(worst, r["peak_mb"])
            print(
                f"{what:<52} {r['outcome']:<22} {r['seconds']:>6.2f} {r['baseline_mb']:>12.0f} "
                f"{r['peak_mb']:>8.0f} {r['peak_mb'] / r['baseline_mb']:>7.2f}"
            )
    verdict = "meets" if worst <= args.limit_mb else "MISSES"
    print(f"worst peak RSS {worst:.0f} MB: {verdict} the goal of ≤ {args.limit_mb:.0f} MB")
    return 0 if worst <= args.limit_mb else 1


if __name__ == "__main__":
    raise SystemExit(main())
