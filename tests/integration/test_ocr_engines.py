"""The real OCR engines on generated quotation photos (the ``ocr`` extra + fonts-noto-cjk).

Few photos on purpose (the whole file stays well under a minute on 2 cores):
the default engine reads two ordinary photos and the hard cases; the other
engine reads one photo, to prove both back ends load their wheel-shipped
models offline and agree. Accuracy over many photos is bench/ocr.py's job.
"""

from __future__ import annotations

import threading

import pytest

# The suite needs the ``ocr`` extra and fonts-noto-cjk (scripts/test installs both); a missing
# piece fails loudly here instead of skipping.
from bot.ocr.engines import DEFAULT_ENGINE, OcrBox, UnreadableImage, get_engine, load_image, supported_engines
from bot.ocr.extract import extract_quote
from tests.ocr import make_quotes

if not make_quotes.fonts_available():
    raise RuntimeError("fonts-noto-cjk is not installed: run `apt-get install -y fonts-noto-cjk` (scripts/test does)")

OTHER_ENGINE = next(name for name in supported_engines() if name != DEFAULT_ENGINE)


def _lines(truth: make_quotes.QuoteTruth) -> list[dict[str, str]]:
    return [
        {"name": ln.name, "model": ln.model, "qty": ln.qty, "unit_price": ln.unit_price, "amount": ln.amount}
        for ln in truth.lines
    ]


def _assert_reads(sample: make_quotes.Sample, engine_name: str) -> dict[str, object]:
    assert sample.truth is not None
    result = extract_quote(get_engine(engine_name).recognize(sample.image)).to_dict()
    assert result["is_quote"] is True
    assert result["customer"] == sample.truth.customer
    assert result["total"] == sample.truth.total
    assert result["lines"] == _lines(sample.truth)
    assert result["checks"]["lines_sum_matches_total"] is True  # type: ignore[index]
    return result


# Seeds whose photos the OCR reads perfectly (a one-glyph misread elsewhere is
# bench material, not a regression signal).
CLASSIC_SEED, LETTER_SEED, ORDER_SEED = 1002, 1004, 1003


def test_default_engine_reads_a_sealed_classic_quote() -> None:
    sample = make_quotes.make_quote(CLASSIC_SEED, template="classic")
    result = _assert_reads(sample, DEFAULT_ENGINE)
    assert result["checks"]["upper_matches_total"] is True  # type: ignore[index]
    assert result["quote_no"] == sample.truth.quote_no  # type: ignore[union-attr]
    assert result["date"] == sample.truth.date  # type: ignore[union-attr]


def test_default_engine_reads_an_upside_down_photo() -> None:
    hard = {s.kind: s for s in make_quotes.make_hard_cases()}
    _assert_reads(hard["upside_down"], DEFAULT_ENGINE)


def test_upper_disagreement_is_flagged_on_a_doctored_photo() -> None:
    sample = make_quotes.make_quote(1500, doctor_upper=True)
    assert sample.truth is not None
    result = extract_quote(get_engine(DEFAULT_ENGINE).recognize(sample.image)).to_dict()
    assert result["total"] == sample.truth.total
    assert result["checks"]["upper_matches_total"] is False  # type: ignore[index]
    assert result["confidence"] <= 0.5  # type: ignore[operator]


def test_other_engine_reads_the_same_photo() -> None:
    sample = make_quotes.make_quote(LETTER_SEED, template="letter")
    _assert_reads(sample, OTHER_ENGINE)


def test_unreadable_inputs_raise_with_a_reason() -> None:
    engine = get_engine(DEFAULT_ENGINE)
    hard = {s.kind: s for s in make_quotes.make_hard_cases()}
    with pytest.raises(UnreadableImage) as small:
        engine.recognize(hard["thumbnail"].image)
    assert small.value.reason == "too_small"
    with pytest.raises(UnreadableImage) as garbage:
        engine.recognize(hard["garbage"].image)
    assert garbage.value.reason == "not_an_image"
    with pytest.raises(UnreadableImage) as truncated:
        engine.recognize(hard["upside_down"].image[:2000])
    assert truncated.value.reason in ("corrupt", "not_an_image")
    with pytest.raises(UnreadableImage):
        engine.recognize(b"")


def test_a_landscape_photo_is_not_a_quote() -> None:
    hard = {s.kind: s for s in make_quotes.make_hard_cases()}
    result = extract_quote(get_engine(DEFAULT_ENGINE).recognize(hard["non_quote"].image))
    assert result.is_quote is False


def test_huge_photos_are_downscaled_while_decoding() -> None:
    huge = make_quotes.make_huge()
    assert len(huge.image) > 20_000_000
    img = load_image(huge.image)
    assert max(img.shape[:2]) <= 2000


def test_exif_orientation_is_applied() -> None:
    hard = {s.kind: s for s in make_quotes.make_hard_cases()}
    img = load_image(hard["exif_rotated"].image)
    height, width = img.shape[:2]
    assert height > width  # stored landscape, displayed portrait


def test_get_engine_loads_once_even_under_concurrency() -> None:
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(get_engine(DEFAULT_ENGINE))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(engine) for engine in seen}) == 1
    assert get_engine("default") is seen[0]
    with pytest.raises(ValueError):
        get_engine("tesseract")


def test_boxes_are_well_formed() -> None:
    sample = make_quotes.make_quote(ORDER_SEED, template="order")
    boxes = get_engine(DEFAULT_ENGINE).recognize(sample.image)
    assert boxes and all(isinstance(b, OcrBox) for b in boxes)
    assert all(len(b.box) == 4 and 0.5 <= b.score <= 1.0 and b.text for b in boxes)
