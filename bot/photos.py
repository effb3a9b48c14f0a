"""Quote photos kept by us, in a local directory (issue #19, point 13).

Why: the quote page used to fetch the photo from the platform's media store,
which keeps it 3 days (WeCom media); after that the evidence behind an
approved contract was gone. The OCR job now stores the photo it read here,
named by its SHA-256 (the same photo twice is one file), and the quote page
serves it from here, falling back to the platform only for quotes read
before this existed. ``salesbot photos prune`` deletes photos older than the
retention period (``SALESBOT_PHOTO_RETENTION_DAYS``; run it from cron).

S3-compatible storage is not built: a mounted bucket (s3fs, rclone mount)
used as ``SALESBOT_PHOTO_DIR`` gives the same result without a dependency.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

_KEY = re.compile(r"^[0-9a-f]{64}$")


class PhotoStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path | None:
        if not _KEY.match(key):  # keys come from our own records, but never let one walk the disk
            return None
        return self.root / key[:2] / key

    def put(self, data: bytes) -> str:
        """Store ``data`` (atomically: a crash leaves no half file); returns its key."""
        key = hashlib.sha256(data).hexdigest()
        path = self._path(key)
        assert path is not None
        if path.exists():
            os.utime(path)  # seen again: its retention starts over
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        return path.read_bytes()

    def prune(self, now: datetime, retention: timedelta) -> int:
        """Delete photos stored (or last seen) before ``now - retention``; returns how many."""
        cutoff = now.timestamp() - retention.total_seconds()
        removed = 0
        if not self.root.is_dir():
            return 0
        for path in self.root.glob("??/*"):
            if _KEY.match(path.name) and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def store_from_settings(photo_dir: str) -> PhotoStore:
    return PhotoStore(Path(photo_dir).expanduser())

