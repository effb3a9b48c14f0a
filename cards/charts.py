"""The leaderboard chart: a portrait PNG for a phone, sent along with the markdown.

Why here: a picture is message content, like a card, and both the job and the
CLI (``--chart``) need it; the domain stays free of matplotlib.

Rendering uses matplotlib's object API on the Agg canvas (no pyplot, no
display, no global figure state) behind a lock, so a scheduler thread can call
it. Chinese text needs a CJK font: Debian's fonts-noto-cjk. If the font file is
missing, or a name has a character the font lacks, we raise
:class:`ChartFontMissing` instead of sending a picture of tofu boxes.
"""

from __future__ import annotations

import functools
import io
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from domain.services.leaderboard import Leaderboard, Standing

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CJK_BOLD = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
CJK_FAMILY = "Noto Sans CJK SC"  # face 2 of the collection: Simplified Chinese glyph shapes
CJK_FACE = 2
MAX_BYTES = 200 * 1024  # stay well under WeCom's image limits
MAX_ROWS = 20  # a phone screen and a half; reps with no record are left out first (the text lists them)

TOP_COLOURS = {1: "#D9480F", 2: "#F08C00", 3: "#F5B700"}  # warm colours for the top three
OTHER_COLOUR = "#4A7EBB"
PREVIOUS_COLOUR = "#DDE1E6"
IDLE_COLOUR = "#9CA3AF"

_lock = threading.Lock()
_font_ready = False


class ChartFontMissing(RuntimeError):
    """The CJK font is not installed (or lacks a character): refuse rather than draw tofu."""


class MissingGlyphs(ChartFontMissing):
    """A name uses a character the font does not have (a rare 生僻字): no chart for that board."""


@dataclass(frozen=True)
class Chart:
    png: bytes
    width: int
    height: int


def _ensure_font() -> None:
    global _font_ready
    if not CJK_FONT.is_file():  # checked every time: a font removed later must not turn into tofu
        raise ChartFontMissing(
            f"排行榜图表需要中文字体，但找不到 {CJK_FONT}。请安装：apt-get install fonts-noto-cjk"
            " / the leaderboard chart needs fonts-noto-cjk"
        )
    if _font_ready:
        return
    from matplotlib import font_manager

    if not any(f.name == CJK_FAMILY for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(CJK_FONT))
    _font_ready = True


def check_glyphs(texts: list[str]) -> None:
    """Every character we draw must exist in the CJK font (or be plain ASCII, drawn by DejaVu)."""
    from matplotlib.ft2font import FT2Font

    font = FT2Font(str(CJK_FONT), face_index=CJK_FACE)
    wanted = {ch for text in texts for ch in text if ord(ch) > 0x7F and not ch.isspace()}
    missing = sorted(ch for ch in wanted if not font.get_char_index(ord(ch)))
    if missing:
        raise MissingGlyphs(
            f"中文字体 {CJK_FONT.name} 缺少字符：{''.join(missing)}，为避免方块字，不生成图表"
        )


def charted(board: Leaderboard) -> list[Standing]:
    """The reps the chart shows: ranked ones first (up to ``MAX_ROWS``), then the unranked (no 成交)."""
    return board.standings[:MAX_ROWS]


def _wan(amount: Decimal) -> float:
    return float(amount) / 10_000


def _wan_label(amount: Decimal) -> str:
    if amount == 0:
        return "0"
    value = _wan(amount)
    return f"{value:,.1f}万" if value < 100 else f"{value:,.0f}万"


def _colour(s: Standing) -> str:
    if s.rank is None:
        return IDLE_COLOUR
    return TOP_COLOURS.get(s.rank, OTHER_COLOUR)


def _row_label(s: Standing) -> str:
    if s.rank is not None:
        return f"{s.rank}. {s.name}"
    return f"{s.name}（本周暂无成交）" if s.this.active else f"{s.name}（暂无记录）"


def render_leaderboard(board: Leaderboard, scale: float = 1.0) -> Chart:
    """A portrait picture for a phone: one row per rep, ranked top to bottom, in large type.

    Chat apps show a picture about a thumb wide in the bubble and open it full size on tap
    (an image message, not a card). So: 750 px wide (a phone screen in device pixels), names
    and numbers at 30 px, one bar per rep for 成交金额 with last week's as a grey bar beneath,
    visits as a number, the team and week on top; no axes or ticks to squint at.
    """
    _ensure_font()
    rows = charted(board)
    title = f"{board.team_name} 周排行榜"
    labels = [_row_label(s) for s in rows]
    legend = [board.week.label, "彩条 本周成交金额 · 灰条 前一周", "拜访", "排名：成交金额，金额相同名次相同；无成交不排名"]
    more = f"另有 {len(board.standings) - len(rows)} 人未画出" if len(board.standings) > len(rows) else ""
    values = [_wan_label(s.this.won_amount) for s in rows]
    check_glyphs([title, *labels, *legend, more, *values, "万暂无记录团队里还没有销售成员"])
    chart = _render(board, rows, title, labels, legend, more, values, scale)
    if len(chart.png) > MAX_BYTES and scale > 0.5:
        return render_leaderboard(board, scale * 0.8)
    return chart


WIDTH = 750
ROW = 96
HEAD = 150
FOOT = 90
MIN_HEIGHT = 1000  # 3:4 at the least: a phone shows a portrait picture larger than a banner


def _font(size: float, bold: bool = False) -> Any:

    path = CJK_BOLD if bold and CJK_BOLD.is_file() else CJK_FONT
    return _fonts(str(path), max(int(size), 8))


@functools.lru_cache(maxsize=32)
def _fonts(path: str, size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.truetype(path, size, index=CJK_FACE)


def _render(
    board: Leaderboard,
    rows: list[Standing],
    title: str,
    labels: list[str],
    legend: list[str],
    more: str,
    values: list[str],
    scale: float,
) -> Chart:
    """Pillow's ImageDraw, not matplotlib: the picture is rows of text and bars, and matplotlib
    took ~0.6 s a board (6 ms per CJK label), 25 s for a 100-team Monday; this takes ~20 ms."""
    from PIL import Image, ImageDraw

    def px(v: float) -> int:
        return int(round(v * scale))

    n = max(len(rows), 1)
    row = max(ROW, min(MIN_HEIGHT - HEAD - FOOT, 160 * n) / n)  # a small team spreads out a little
    # and is still portrait: a phone shows a tall picture larger than a banner (the rest stays white)
    width, height = px(WIDTH), px(max(HEAD + row * n + FOOT, MIN_HEIGHT))
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    margin = px(30)
    draw.text((margin, px(24)), title, font=_font(px(44), bold=True), fill="#111827")
    draw.text((margin, px(90)), legend[0], font=_font(px(26)), fill="#6B7280")

    top = max([_wan(s.this.won_amount) for s in rows] + [_wan(s.previous.won_amount) for s in rows] + [0.0]) or 1.0
    bar_span = width - 2 * margin - px(190)  # numbers sit right of the longest bar
    name_font, value_font, small = _font(px(34)), _font(px(34), bold=True), _font(px(24))
    bold_name = _font(px(34), bold=True)
    for i, (s, label, value) in enumerate(zip(rows, labels, values, strict=True)):
        y = px(HEAD + row * i)
        colour = _colour(s)
        draw.text(
            (margin, y + px(6)), label, font=bold_name if s.top_three else name_font,
            fill="#111827" if s.rank is not None else "#6B7280",
        )
        now = max(int(bar_span * _wan(s.this.won_amount) / top), px(4))
        before = max(int(bar_span * _wan(s.previous.won_amount) / top), px(4))
        draw.rectangle((margin, y + px(56), margin + now, y + px(72)), fill=colour)
        draw.rectangle((margin, y + px(76), margin + before, y + px(84)), fill=PREVIOUS_COLOUR)
        draw.text((width - margin, y + px(6)), value, font=value_font, fill=colour, anchor="ra")
        draw.text((width - margin, y + px(54)), f"{legend[2]} {s.this.visits}", font=small, fill="#374151", anchor="ra")
    if not rows:
        draw.text((width // 2, px(HEAD + ROW / 2)), "团队里还没有销售成员", font=name_font, fill="#6B7280", anchor="mm")
    small_grey = _font(px(22))
    draw.text((margin, height - px(FOOT - 12)), legend[1], font=small_grey, fill="#6B7280")
    footer = legend[3] + (f"；{more}" if more else "")
    draw.text((margin, height - px(FOOT - 46)), footer, font=small_grey, fill="#6B7280")

    buf = io.BytesIO()
    # Our own colours (and their blends with white for smooth edges) as the palette: exact
    # colours, a file a third of RGB's size, and quicker than computing a palette per picture.
    image.quantize(palette=_palette(), dither=Image.Dither.NONE).save(buf, format="PNG", compress_level=6)
    return Chart(buf.getvalue(), width, height)


TEXT_COLOURS = ("#111827", "#6B7280", "#374151")


@functools.lru_cache(maxsize=1)
def _palette() -> Any:
    from PIL import Image

    def rgb(colour: str) -> tuple[int, int, int]:
        return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))

    colours: list[tuple[int, ...]] = []
    for colour in (*TOP_COLOURS.values(), OTHER_COLOUR, PREVIOUS_COLOUR, IDLE_COLOUR, *TEXT_COLOURS):
        for alpha in (1.0, 0.75, 0.5, 0.25):
            colours.append(tuple(round(v * alpha + 255 * (1 - alpha)) for v in rgb(colour)))
    colours += [(v, v, v) for v in range(0, 256, 17)]  # greys for anti-aliased text, white last
    unique = list(dict.fromkeys(colours))
    flat = [x for c in unique for x in c] + [255, 255, 255] * (256 - len(unique))
    palette = Image.new("P", (1, 1))
    palette.putpalette(flat)
    return palette


def chart_png(board: Leaderboard) -> bytes | str | None:
    """For a worker process: the board's PNG, None for a board with nobody ranked (a picture of
    empty bars says nothing the text does not), or the MissingGlyphs message (a rare 生僻字)."""
    if not board.ranked:
        return None
    try:
        return render_leaderboard(board).png
    except MissingGlyphs as exc:
        return str(exc)


def render_many(boards: list[Leaderboard], workers: int | None = None) -> list[bytes | str | None]:
    """Every board's :func:`chart_png`, in parallel processes when there are many.

    Drawing is CPU-bound Python (the GIL stays held), so threads would not help; a
    ``forkserver`` pool starts clean workers (forking a process that runs scheduler and
    database threads is unsafe). A handful of boards is drawn here: a pool's start costs more.
    A missing font (ChartFontMissing) is raised before any worker starts.
    """
    import os

    _ensure_font()
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if workers <= 1 or len(boards) < PARALLEL_FROM:
        return [chart_png(b) for b in boards]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("forkserver")
    chunk = max(1, len(boards) // (workers * 4))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(chart_png, boards, chunksize=chunk))


PARALLEL_FROM = 8  # boards; below this one process draws them faster than a pool can start
