"""Photo → text boxes → structured quotation.

``engines`` turns image bytes into positioned text boxes with one of several
interchangeable engines (ONNX Runtime or Paddle Inference running PP-OCR
models shipped inside PyPI wheels, never downloaded).
``extract`` turns those boxes into a quote the rep only has to confirm.

The heavy dependencies (onnxruntime, paddle, opencv, numpy, Pillow) live in the
optional ``ocr`` extra and are imported only when an engine is built, so this
package and the extraction import on a machine without them.
"""

from __future__ import annotations

from bot.ocr.engines import DEFAULT_ENGINE, OcrBox, OcrEngine, UnreadableImage, get_engine
from bot.ocr.extract import ExtractedLine, QuoteExtraction, extract_quote

__all__ = [
    "DEFAULT_ENGINE",
    "ExtractedLine",
    "OcrBox",
    "OcrEngine",
    "QuoteExtraction",
    "UnreadableImage",
    "extract_quote",
    "get_engine",
]
