"""Hostile spreadsheets against ``salesbot import`` (issue #19, point 3): time and peak memory to refuse each.

    .venv/bin/python bench/import_hostile.py [--limit-mb 300] [--limit-s 5]

Each file from tests/hostile_files.py is read by ``bot.importing.read.load_table``
in a fresh subprocess (the code path of ``salesbot import customers FILE``).
Printed per file: the outcome (the message the admin sees, or "read"),
seconds, peak RSS (VmHWM), and the RSS of the same subprocess before reading
(the baseline: Python with the importer loaded). Goal: every hostile file
answered in < 5 s under 300 MB; exits 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
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


def read_one(path: Path) -> dict[str, Any]:
    """Runs in the subprocess (also used by tests/integration/test_import_hostile.py)."""
    from bot.importing.read import load_table
    from domain.services.importing import ImportFileError, ImportKind

    baseline = _vm("VmRSS")
    started = time.perf_counter()
    try:
        table, _ = load_table(path, ImportKind.CUSTOMERS)
        outcome = f"read: {len(table.rows)} rows"
    except ImportFileError as exc:
        outcome = f"refused: {exc.message}"
    return {"outcome": outcome, "seconds": time.perf_counter() - started, "baseline_mb": baseline, "peak_mb": _vm("VmHWM")}


def main() -> int:
    from tests.hostile_files import HOSTILE

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit-mb", type=float, default=300.0)
    parser.add_argument("--limit-s", type=float, default=5.0)
    parser.add_argument("--read", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        print(json.dumps(read_one(Path(args.read)), ensure_ascii=False))
        return 0
    ok = True
    with tempfile.TemporaryDirectory(prefix="import-hostile-") as tmp:
        for key, (name, build) in HOSTILE.items():
            path = build(Path(tmp) / name)
            out = subprocess.run(
                [sys.executable, __file__, "--read", str(path)], capture_output=True, text=True, check=True, cwd=ROOT
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            ok &= r["seconds"] < args.limit_s and r["peak_mb"] < args.limit_mb
            size = path.stat().st_size / 1e6
            print(f"{key:<12} {size:>8.2f} MB  {r['seconds']:>6.2f} s  base {r['baseline_mb']:>4.0f} MB  "
                  f"peak {r['peak_mb']:>4.0f} MB  {r['outcome'][:90]}")  # fmt: skip
    print(f"goal < {args.limit_s:.0f} s and < {args.limit_mb:.0f} MB for every file: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
