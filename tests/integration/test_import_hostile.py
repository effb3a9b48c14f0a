"""Hostile spreadsheets get a clear message naming the limit, within a memory cap (issue #19, points 3 and 12).

Each file is read in a subprocess (``bench/import_hostile.py --read``, the
code path of ``salesbot import``) whose address space is capped at 1 GB:
the probe's files took 1.3–3.75 GB before this, so reading one the old way
dies of MemoryError here. Time and peak RSS are printed by the bench itself.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile_files import HOSTILE

ROOT = Path(__file__).resolve().parents[2]
CAP = 1 << 30

EXPECTED = {
    "far_cell": "每个工作表最多 50,000 行（工作表「客户」第 1,048,576 行有数据）",
    "far_column": "最多 200 列（工作表「客户」第 3 行第 16,384 列有数据）",
    "merged_down": "read: 1 rows",  # clipped to the rows that exist: the customer on row 2 is read
    "zip_bomb": "解压后最多 150 MB（本文件 900 MB）",
    "entity": "含有不允许的 XML 声明（DTD / 实体）",
    "big_csv": "文件大小 50.6 MB，最多 20 MB",
    "long_csv": "最多 50,000 行",
}


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))


@pytest.mark.parametrize("key", sorted(HOSTILE))
def test_a_hostile_file_is_answered_with_the_limit_it_breaks(key: str, tmp_path: Path) -> None:
    name, build = HOSTILE[key]
    path = build(tmp_path / name)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "import_hostile.py"), "--read", str(path)],
        capture_output=True, text=True, cwd=ROOT, preexec_fn=_cap, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    outcome = json.loads(proc.stdout.strip().splitlines()[-1])["outcome"]
    assert EXPECTED[key] in outcome
    if outcome.startswith("refused"):
        assert "文件超出导入上限" in outcome or "DTD" in outcome
