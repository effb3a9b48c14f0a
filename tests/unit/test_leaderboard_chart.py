"""The leaderboard picture: a real portrait PNG for a phone, small enough for WeCom, with the bars and
the Chinese text drawn large.

The rendered file is kept at ``<tmp>/leaderboard.png`` (printed with ``-s``) so a
person can look at it.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from cards import charts
from cards.charts import MAX_BYTES, ChartFontMissing, MissingGlyphs, render_leaderboard
from domain.services.leaderboard import IsoWeek, Leaderboard, RepWeek, Standing

W47 = IsoWeek(2026, 47)


def week(visits: int = 0, won: int = 0, n_won: int = 0, closed: int = 0) -> RepWeek:
    return RepWeek(visits, 0, Decimal(won), n_won, closed, 0)


SAMPLE = Leaderboard(
    1,
    "华东销售一部",
    W47,
    [
        Standing(1, "张伟", 1, week(3, 120_000, 1, 2), week(2, 50_000, 1, 1)),
        Standing(2, "刘洋", 2, week(7, 80_000, 1, 1), week(7)),
        Standing(3, "欧阳娜娜", 3, week(5), week(1)),
        Standing(4, "赵磊", 4, week(1), week(0)),
        Standing(5, "安静", None, week(), week(2)),
    ],
)


def _hex(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def test_chart_is_a_small_png_with_bars_and_text(tmp_path: Path) -> None:
    chart = render_leaderboard(SAMPLE)
    out = tmp_path / "leaderboard.png"
    out.write_bytes(chart.png)
    print(f"leaderboard chart: {out}")

    assert chart.png.startswith(b"\x89PNG\r\n\x1a\n")
    assert 5_000 < len(chart.png) < MAX_BYTES
    image = Image.open(io.BytesIO(chart.png))
    image.verify()
    image = Image.open(io.BytesIO(chart.png)).convert("RGB")
    assert image.size == (chart.width, chart.height)
    assert image.width == 750 and image.height >= image.width * 4 / 3  # portrait, a phone's width

    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None
    counts = {rgb: n for n, rgb in colours}
    white = counts.get((255, 255, 255), 0)
    assert white < image.width * image.height * 0.95  # not a blank page
    assert len(counts) > 20  # anti-aliased text, not a flat placeholder
    # the top three in their own colours, the rep with no record in grey, last week's ghost bars
    for colour in (*charts.TOP_COLOURS.values(), charts.OTHER_COLOUR, charts.PREVIOUS_COLOUR):
        assert counts.get(_hex(colour), 0) > 100, colour
    dark = sum(n for rgb, n in counts.items() if sum(rgb) < 200)
    assert dark > 2_000  # title, names and numbers are drawn


def test_a_big_team_still_fits_under_the_size_limit(tmp_path: Path) -> None:
    many = [
        Standing(i, f"销售{i:02d}号", i, week(40 - i, 2_000_000 - i * 37_000, 1, 2), week(20, 900_000))
        for i in range(1, 46)
    ]
    chart = render_leaderboard(Leaderboard(2, "华南销售部", W47, many))
    (tmp_path / "big.png").write_bytes(chart.png)
    assert len(chart.png) < MAX_BYTES
    assert chart.height <= 2200


def test_missing_font_is_a_clear_error_not_tofu(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(charts, "CJK_FONT", tmp_path / "NotoSansCJK-Regular.ttc")
    with pytest.raises(ChartFontMissing, match="fonts-noto-cjk"):
        render_leaderboard(SAMPLE)


def test_a_character_the_font_lacks_is_refused() -> None:
    board = Leaderboard(1, "华东销售一部", W47, [Standing(1, "王𠀀", 1, week(1), week())])
    with pytest.raises(MissingGlyphs, match="𠀀"):
        render_leaderboard(board)


def test_a_small_team_is_portrait_too() -> None:
    chart = render_leaderboard(Leaderboard(1, "华东销售一部", W47, SAMPLE.standings[:2]))
    assert chart.height >= chart.width * 4 / 3


def test_type_is_large_enough_to_read_in_a_chat_bubble() -> None:
    image = Image.open(io.BytesIO(render_leaderboard(SAMPLE).png)).convert("L")
    width, _ = image.size
    # the first rep's name: the rows of its line that hold dark ink, left part of the picture
    first_row = image.crop((0, charts.HEAD, width // 2, charts.HEAD + charts.ROW // 2))
    inked = [y for y in range(first_row.height) if first_row.crop((0, y, first_row.width, y + 1)).getextrema()[0] < 100]
    assert inked and inked[-1] - inked[0] >= 24  # ≈ 34 px type: still ≈ 11 px in a 240 px wide bubble


def test_many_boards_are_drawn_in_worker_processes_the_same_as_here() -> None:
    boards = [
        Leaderboard(t, f"测试团队{t}", W47, [Standing(t * 10 + i, f"销售{t}{i}", i, week(i, 10_000 * i, 1, 1), week()) for i in range(1, 4)])
        for t in range(charts.PARALLEL_FROM)
    ]
    here = charts.render_many(boards, workers=1)
    there = charts.render_many(boards, workers=2)
    assert here == there and all(isinstance(p, bytes) and p.startswith(b"\x89PNG") for p in there)
