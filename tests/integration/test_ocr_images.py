"""Photos are checked before decoding and decoded at most at OCR's working size (issue #19, point 2).

Memory itself is measured by bench/ocr_memory.py (peak RSS); these tests pin
the behaviour that keeps it bounded: what is refused, with which reason, and
that what is accepted comes out upright, flattened onto white and small.
"""

from __future__ import annotations

import io
from functools import lru_cache

import pytest
from PIL import Image

from bot.ocr.engines import WORK_MAX_SIDE, UnreadableImage, load_image
from bot.ocr.images import FORMATS, MAX_DECODED_BYTES, decode_for_ocr
from bot.ocr.overlay import working_frame
from handlers.quotes import UNREADABLE
from tests.ocr.hostile_images import giant_png


@lru_cache(maxsize=1)
def _the_644_kb_png() -> bytes:
    return giant_png(12_600, 12_600, "RGBA")


def _reason(data: bytes) -> str:
    with pytest.raises(UnreadableImage) as refused:
        load_image(data)
    return refused.value.reason


def test_the_12600_px_rgba_png_is_refused_from_its_header() -> None:
    data = _the_644_kb_png()
    assert len(data) < 700_000
    assert _reason(data) == "too_large"
    assert UNREADABLE["too_large"].startswith("图片太大")


def test_a_png_too_big_to_decode_at_once_is_refused_but_a_smaller_one_is_read() -> None:
    # 8,000 × 7,000 RGBA is 213 MB of pixels once decoded: over the budget.
    assert MAX_DECODED_BYTES < 8_000 * 7_000 * 4
    assert _reason(giant_png(8_000, 7_000, "RGBA")) == "too_large"
    # The same pixel count in grey (56 MB) is decoded and reduced band by band.
    grey = giant_png(8_000, 7_000, "L")
    img = decode_for_ocr(grey, WORK_MAX_SIDE)
    assert img.mode == "RGB" and img.size == working_frame(grey) == (2000, 1750)


def test_transparent_pixels_come_out_white_at_working_size() -> None:
    page = Image.new("RGBA", (3000, 4000), (0, 0, 0, 0))  # a fully transparent page…
    page.paste((0, 0, 0, 255), (1000, 1000, 2000, 2000))  # …with one black square
    buf = io.BytesIO()
    page.save(buf, "PNG")
    img = decode_for_ocr(buf.getvalue(), WORK_MAX_SIDE)
    assert img.size == (1500, 2000)
    assert img.getpixel((100, 100)) == (255, 255, 255)
    assert img.getpixel((750, 750)) == (0, 0, 0)


def test_a_progressive_jpeg_whose_coefficients_do_not_fit_is_refused() -> None:
    # libjpeg keeps a progressive JPEG's coefficients for the whole image (2 bytes a sample) at any scale.
    big = Image.new("RGB", (7_000, 5_300), (250, 250, 250))
    assert MAX_DECODED_BYTES < 7_000 * 5_300 * 3 * 2
    progressive, baseline = io.BytesIO(), io.BytesIO()
    big.save(progressive, "JPEG", progressive=True, quality=50)
    big.save(baseline, "JPEG", quality=50)
    del big
    assert _reason(progressive.getvalue()) == "too_large"
    assert max(load_image(baseline.getvalue()).shape[:2]) == WORK_MAX_SIDE  # decoded at 1/2 scale by libjpeg


def test_formats_that_are_not_photos_are_never_handed_to_their_decoder() -> None:
    # EPS would be rendered by Ghostscript; a photo never arrives as EPS.
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 1000 1400\nshowpage\n%%EOF\n"
    assert "EPS" not in FORMATS
    assert _reason(eps) == "not_an_image"


def test_every_refusal_has_a_chinese_reply() -> None:
    for reason in ("empty", "not_an_image", "corrupt", "too_small", "too_large", "unsupported"):
        assert reason in UNREADABLE
