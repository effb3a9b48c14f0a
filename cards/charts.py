"""The leaderboard chart: a small PNG the Monday job sends along with the markdown.

Why here: a picture is message content, like a card, and both the job and the
CLI (``--chart``) need it; the domain stays free of matplotlib.

Rendering uses matplotlib's object API on the Agg canvas (no pyplot, no
display, no global figure state) behind a lock, so a scheduler thread can call
it. Chinese text needs a CJK font: Debian's fonts-noto-cjk. If the font file is
missing, or a name has a character the font lacks, we raise
:class:`ChartFontMissing` instead of sending a picture of tofu boxes.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from domain.services.leaderboard import Leaderboard, Standing

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CJK_FAMILY = "Noto Sans CJK SC"  # face 2 of the collection: Simplified Chinese glyph shapes
CJK_FACE = 2
MAX_BYTES = 200 * 1024  # stay well under WeCom's image limits
MAX_ROWS = 40  # beyond that the bars get unreadable; reps with no record are left out first

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
    """The reps the chart shows: ranked ones first (up to ``MAX_ROWS``), then those with no record."""
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
    return f"{s.rank}. {s.name}" if s.rank is not None else f"{s.name}（暂无记录）"


def render_leaderboard(board: Leaderboard, dpi: int = 100) -> Chart:
    """Two panels, reps ranked top to bottom: 成交金额 (万元) and 拜访次数, each against the week before."""
    _ensure_font()
    rows = charted(board)
    title = f"{board.team_name} 周排行榜  {board.week.label}"
    labels = [_row_label(s) for s in rows]
    legend = ["当周", "前一周", "成交金额（万元）", "拜访次数", "排名：成交金额，其次拜访次数"]
    more = f"另有 {len(board.standings) - len(rows)} 人未画出" if len(board.standings) > len(rows) else ""
    check_glyphs([title, *labels, *legend, more, "万暂无记录团队里还没有销售成员"])

    with _lock:
        return _render(board, rows, title, labels, legend, more, dpi)


def _render(
    board: Leaderboard,
    rows: list[Standing],
    title: str,
    labels: list[str],
    legend: list[str],
    more: str,
    dpi: int,
) -> Chart:
    from matplotlib.figure import Figure

    font: dict[str, Any] = {"family": [CJK_FAMILY, "DejaVu Sans"]}
    n = max(len(rows), 1)
    fig = Figure(figsize=(8.0, 1.5 + 0.42 * n), dpi=dpi, facecolor="white")
    axes = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [3, 2], "wspace": 0.08})
    fig.suptitle(title, fontsize=13, fontweight="bold", **font)

    ys = list(range(len(rows)))
    colours = [_colour(s) for s in rows]
    h = 0.38
    panels = (
        (axes[0], [_wan(s.this.won_amount) for s in rows], [_wan(s.previous.won_amount) for s in rows], legend[2]),
        (axes[1], [float(s.this.visits) for s in rows], [float(s.previous.visits) for s in rows], legend[3]),
    )
    for i, (ax, now, before, heading) in enumerate(panels):
        ax.barh([y + h / 2 for y in ys], before, height=h, color=PREVIOUS_COLOUR, label=legend[1])
        ax.barh([y - h / 2 for y in ys], now, height=h, color=colours, label=legend[0])
        top = max([*now, *before, 0.0]) or 1.0
        ax.set_xlim(0, top * 1.28)
        for y, value, s in zip(ys, now, rows, strict=True):
            text = _wan_label(s.this.won_amount) if i == 0 else f"{s.this.visits}"
            ax.text(value + top * 0.02, y - h / 2, text, va="center", fontsize=8, **font)
        ax.set_title(heading, fontsize=10, **font)
        ax.tick_params(axis="x", labelsize=8)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.grid(axis="x", color="#EEEEEE", linewidth=0.8)
        ax.set_axisbelow(True)
    axes[0].set_yticks(ys)
    axes[0].set_yticklabels(labels, fontsize=9, **font)
    for tick, s in zip(axes[0].get_yticklabels(), rows, strict=True):
        if s.top_three:
            tick.set_fontweight("bold")
        if s.rank is None:
            tick.set_color("#6B7280")
    axes[0].invert_yaxis()  # rank 1 on top
    if not rows:
        axes[0].text(0.5, 0.5, "团队里还没有销售成员", transform=axes[0].transAxes, ha="center", **font)
    handles, names = axes[1].get_legend_handles_labels()
    axes[1].legend(
        handles[::-1], names[::-1], loc="lower right", frameon=False, prop={"family": font["family"], "size": 8}
    )
    footer = legend[4] + (f"；{more}" if more else "")
    fig.text(0.99, 0.01, footer, ha="right", va="bottom", fontsize=7, color="#6B7280", **font)
    fig.subplots_adjust(left=0.2, right=0.98, top=1 - 0.85 / fig.get_figheight(), bottom=0.55 / fig.get_figheight())

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    buf = io.BytesIO()
    canvas.print_png(buf)
    width, height = (int(v) for v in canvas.get_width_height())
    png = buf.getvalue()
    if len(png) > MAX_BYTES and dpi > 50:
        return _render(board, rows, title, labels, legend, more, int(dpi * 0.75))
    return Chart(png, width, height)
