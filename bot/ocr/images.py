"""A photo is checked before it is decoded, and decoded at most at the size OCR needs.

Why a module of its own: any employee can send any file as a "photo", and
decoding is where a small file becomes a large process. A 644 KB PNG of
12,600 × 12,600 RGBA pixels (under Pillow's own bomb limit) costs 635 MB once
decoded; converting, compositing and resizing it at full size in the usual
way (each step a full-size copy) grew the serve process by about 3 GB. So:

1. Only the header is read first: format (a short list of photo formats; EPS
   and friends would start Ghostscript), mode (channels, bytes per channel),
   pixel count and side lengths are checked before any pixel is decoded.
2. JPEGs (almost every phone photo) are decoded at 1/2, 1/4 or 1/8 scale by
   libjpeg itself (Pillow's ``draft``), so an 8000 px photo never exists at
   full size. Progressive JPEGs need libjpeg's whole-image coefficient buffer
   (2 bytes per sample) whatever the scale, so that buffer is budgeted too.
3. Other formats cannot be decoded at a smaller scale by Pillow; they are
   decoded only if the full-size pixels fit ``MAX_DECODED_BYTES``, and are
   then reduced band by band (alpha flattened onto white, converted to RGB,
   box-averaged by an integer factor), so no second full-size copy is made.
4. Whatever is refused raises ``UnreadableImage`` with a reason the chat maps
   to a Chinese reply (``handlers/quotes.py``).

The caller gets an upright RGB image whose long side is at most ``max_side``
(the same frame ``bot/ocr/overlay.py`` computes from the header).
"""

from __future__ import annotations

import io
import math
import warnings
from typing import TYPE_CHECKING

from bot.ocr.engines import UnreadableImage

if TYPE_CHECKING:  # pragma: no cover - typing only
    from PIL import Image as PILImage

#: File size limit (WeCom's own image limit is 10 MB; DingTalk's 20 MB).
MAX_BYTES = 64 * 1024 * 1024
#: Pixel limit of the original photo (a 200 MP phone sensor is 16,320 × 12,240).
MAX_PIXELS = 160_000_000
#: Memory allowed for a full-size decode (formats that cannot be decoded at a
#: smaller scale) or a progressive JPEG's coefficient buffer: 48 MP of RGBA,
#: 64 MP of RGB. The OCR worker's budget is ~1.2 GB with the models loaded.
MAX_DECODED_BYTES = 200 * 1024 * 1024
#: Smaller than this is a thumbnail, not a readable page.
MIN_SHORT_SIDE = 200
MIN_LONG_SIDE = 320
#: Formats a phone or a screenshot produces. Everything else is refused
#: before Pillow's plugin for it runs (multi-picture JPEGs, MPO, open through the JPEG plugin).
FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF")
#: Bytes per pixel of the modes Pillow decodes these formats into.
_BYTES_PER_PIXEL = {
    "1": 1, "L": 1, "P": 1, "LA": 2, "La": 2, "PA": 2, "RGB": 3, "YCbCr": 3,
    "RGBA": 4, "RGBa": 4, "RGBX": 4, "CMYK": 4, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2,
    "I": 4, "F": 4,
}  # fmt: skip
#: Rows converted and reduced at a time (a band costs width × rows × 4 bytes at most).
_BAND_ROWS = 256
#: EXIF orientation → the transpose that makes the page upright (as ``ImageOps.exif_transpose``).
_ORIENTATION = {2: 0, 3: 3, 4: 1, 5: 5, 6: 4, 7: 6, 8: 2}  # values of Image.Transpose


def working_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The size OCR works at: the long side at most ``max_side``, aspect kept."""
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def open_checked(data: bytes) -> PILImage.Image:
    """Open ``data`` lazily (header only) and refuse it unless it is safe to decode."""
    from PIL import Image, UnidentifiedImageError

    if not isinstance(data, bytes | bytearray | memoryview):
        raise UnreadableImage("not_an_image", f"expected bytes, got {type(data).__name__}")
    if len(data) == 0:
        raise UnreadableImage("empty", "no bytes")
    if len(data) > MAX_BYTES:
        raise UnreadableImage("too_large", f"{len(data) / 1e6:.0f} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=FORMATS)
    except UnidentifiedImageError as exc:
        raise UnreadableImage("not_an_image", "unknown image format") from exc
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise UnreadableImage("corrupt", str(exc)[:200]) from exc
    width, height = img.size
    if width * height > MAX_PIXELS:
        raise UnreadableImage("too_large", f"{width}×{height} px")
    if min(width, height) < MIN_SHORT_SIDE or max(width, height) < MIN_LONG_SIDE:
        raise UnreadableImage("too_small", f"{width}×{height} px")
    if img.mode not in _BYTES_PER_PIXEL:
        raise UnreadableImage("unsupported", f"mode {img.mode}")
    return img


def decode_for_ocr(data: bytes, max_side: int) -> PILImage.Image:
    """Upright RGB image of the photo, long side at most ``max_side``, decoded within budget."""
    from PIL import Image

    img = open_checked(data)
    width, height = img.size
    target = working_size(width, height, max_side)
    if img.format in ("JPEG", "MPO"):
        if img.info.get("progressive") or img.info.get("progression"):
            coefficients = width * height * 2 * len(img.getbands())
            if coefficients > MAX_DECODED_BYTES:
                raise UnreadableImage("too_large", f"progressive {width}×{height} px")
        if target != (width, height):
            img.draft("RGB", target)  # libjpeg decodes at the smallest 1/n scale still >= target
    decoded = img.size[0] * img.size[1] * _BYTES_PER_PIXEL[img.mode]
    if decoded > MAX_DECODED_BYTES:
        raise UnreadableImage("too_large", f"{width}×{height} px {img.mode} ({decoded / 2**20:.0f} MB decoded)")
    try:
        # Only now: a PNG's getexif() decodes the whole image to look for a trailing eXIf chunk.
        orientation = img.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block only loses the orientation
        orientation = 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img.load()
        small = _reduce_to_rgb(img, target)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise UnreadableImage("corrupt", str(exc)[:200]) from exc
    finally:
        img.close()
    if orientation in _ORIENTATION:
        small = small.transpose(Image.Transpose(_ORIENTATION[orientation]))
    return small


def _reduce_to_rgb(img: PILImage.Image, target: tuple[int, int]) -> PILImage.Image:
    """RGB at ``target`` from a loaded image, one band of rows at a time.

    Pillow's ``convert``/``resize`` of RGBA or palette images make full-size
    copies (RGBA is premultiplied into a second image first); doing it per
    band keeps the extra memory to one band, whatever the image size.
    """
    from PIL import Image

    width, height = img.size
    factor = max(1, min(width // target[0], height // target[1]))
    rows = max(factor, _BAND_ROWS - _BAND_ROWS % factor)
    out = Image.new("RGB", (math.ceil(width / factor), math.ceil(height / factor)))
    for top in range(0, height, rows):
        band = _flatten(img.crop((0, top, width, min(height, top + rows))))
        if factor > 1:
            band = band.reduce(factor)
        out.paste(band, (0, top // factor))
    if out.size != target:
        out = out.resize(target, Image.Resampling.BILINEAR)
    return out


def _flatten(band: PILImage.Image) -> PILImage.Image:
    """The band as RGB, transparent parts on white (as a viewer shows them)."""
    from PIL import Image

    if (band.mode == "P" and "transparency" in band.info) or band.mode in ("PA", "La", "RGBa"):
        band = band.convert("RGBA")
    elif band.mode.startswith("I;16"):
        band = band.convert("I").point(lambda v: v * (1 / 257)).convert("L")  # 16-bit grey: scale, don't clip
    elif band.mode in ("I", "F"):
        band = band.convert("L")
    if band.mode in ("LA", "RGBA"):
        rgba = band.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        band = Image.alpha_composite(white, rgba)
    return band.convert("RGB") if band.mode != "RGB" else band
