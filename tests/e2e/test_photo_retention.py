"""``salesbot photos prune`` deletes stored quote photos past the retention period, and only those (#19, pt 13)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bot.photos import PhotoStore


def test_prune_keeps_recent_photos_and_deletes_old_ones(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path / "photos")
    old, recent = store.put(b"old photo" * 10), store.put(b"recent photo" * 10)
    past = time.time() - 400 * 86400
    old_path = tmp_path / "photos" / old[:2] / old
    os.utime(old_path, (past, past))
    env = {**os.environ, "SALESBOT_PHOTO_DIR": str(tmp_path / "photos"), "SALESBOT_PHOTO_RETENTION_DAYS": "365"}
    r = subprocess.run(
        [sys.executable, "-m", "bot.cli", "photos", "prune"], env=env, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    assert "已删除 1 张" in r.stdout
    assert store.get(old) is None and store.get(recent) == b"recent photo" * 10
    assert store.get("../../etc/passwd") is None  # keys are hashes, never paths
