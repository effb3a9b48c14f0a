"""What the quote page needs to draw OCR boxes over the photo, kept in ``quotes.extracted``.

Why store it: the rep checks a reading by seeing *where* it came from. The
engine's boxes are in the coordinates of its working page (EXIF-upright, the
long side at most ``WORK_MAX_SIDE``), so the frame size is stored with them;
the page scales that frame onto the photo. A page the engine had to turn
(sideways or upside down) is drawn in the engine's frame and may not line up
with the photo: rare for photos taken by hand, and the fields stay correct.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from bot.ocr.engines import WORK_MAX_SIDE, OcrBox

# EXIF orientations that swap width and height (rotated 90° / 270°, possibly mirrored).
_SWAPPING_ORIENTATIONS = {5, 6, 7, 8}


def working_frame(data: bytes, max_side: int = WORK_MAX_SIDE) -> tuple[int, int] | None:
    """(width, height) of the engine's working page for this photo, from the header only."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            orientation = img.getexif().get(0x0112, 1)
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    if orientation in _SWAPPING_ORIENTATIONS:
        width, height = height, width
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def ocr_overlay(data: bytes, boxes: Sequence[OcrBox]) -> dict[str, Any] | None:
    """``{"width", "height", "boxes": [{"text", "score", "points"}]}`` or None if the photo has no frame."""
    frame = working_frame(data)
    if frame is None:
        return None
    return {
        "width": frame[0],
        "height": frame[1],
        "boxes": [
            {
                "text": b.text,
                "score": round(float(b.score), 3),
                "points": [[round(float(x), 1), round(float(y), 1)] for x, y in b.box],
            }
            for b in boxes
        ],
    }
