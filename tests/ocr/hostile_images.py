"""Hostile photos made in memory: tiny files that decode into huge images.

A PNG is written chunk by chunk (the IDAT stream compressed while generated),
so making a 12,600 × 12,600 RGBA PNG costs a few MB, not the 635 MB its
pixels take once decoded.
"""

from __future__ import annotations

import struct
import zlib

_PNG_COLOUR = {"L": (0, 1), "RGB": (2, 3), "LA": (4, 2), "RGBA": (6, 4)}


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def giant_png(width: int = 12_600, height: int = 12_600, mode: str = "RGBA") -> bytes:
    """A valid PNG of blank (transparent / black) pixels: ~640 KB for 12,600² RGBA."""
    colour_type, channels = _PNG_COLOUR[mode]
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    row = b"\x00" * (1 + width * channels)  # filter byte 0 + pixels
    rows_per_block = max(1, (4 << 20) // len(row))
    block = row * rows_per_block
    packer = zlib.compressobj(9)
    parts: list[bytes] = []
    left = height
    while left:
        n = min(rows_per_block, left)
        parts.append(packer.compress(block if n == rows_per_block else row * n))
        left -= n
    parts.append(packer.flush())
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")
