"""The weekly leaderboard as words: the Monday markdown message and the CLI's plain table.

Pure formatting of a :class:`domain.services.leaderboard.Leaderboard`; the
numbers are never recomputed here, so the message, the chart and
``salesbot report leaderboard`` always agree.

WeCom refuses markdown over 2,048 bytes (UTF-8) in app and group chats, and a
Chinese character is 3 bytes, so a big team cannot get the long form for
everyone: the top three always get full lines, the others full lines while
they fit, then short lines, then "…另有 N 位" (the chart shows everyone).
"""

from __future__ import annotations

from decimal import Decimal

from cards.charts import charted
from domain import safe_text
from domain.services.leaderboard import Leaderboard, RepWeek, Standing

MARKDOWN_LIMIT = 2048  # bytes, WeCom app message / appchat markdown
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}
KIND_NOTE = "这一周暂无记录，新的一周加油！💪"
NO_DEAL = "本周暂无成交"


def yuan(amount: Decimal) -> str:
    return f"¥{amount:,.0f}"


def change(now: int | Decimal, before: int | Decimal, money: bool = False) -> str:
    """``↑2`` / ``↓1`` / ``→`` against the week before."""
    diff = now - before
    if diff == 0:
        return "→"
    size = yuan(abs(Decimal(diff))) if money else f"{abs(diff):,}"
    return ("↑" if diff > 0 else "↓") + size


def percent(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


def rate_change(now: RepWeek, before: RepWeek) -> str:
    """Only a direction: a rate of last week with nothing closed has nothing to compare with."""
    a, b = now.win_rate, before.win_rate
    if a is None or b is None:
        return ""
    return " ↑" if a > b else (" ↓" if a < b else " →")


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def _badge(s: Standing) -> str:
    """🥇 / 2. … for the ranked; an unranked rep (no 成交) gets a dash, never a number."""
    if s.rank is None:
        return "—"
    return MEDALS.get(s.rank, f"{s.rank}.")


def _won(s: Standing) -> str:
    t, p = s.this, s.previous
    if s.rank is None:
        return NO_DEAL
    return f"成交 {yuan(t.won_amount)} {change(t.won_amount, p.won_amount, money=True)}"


def full_line(s: Standing) -> str:
    t, p = s.this, s.previous
    name = f"**{safe_text.markdown(s.name)}**" if s.top_three else safe_text.markdown(s.name)
    return (
        f"{_badge(s)} {name} {_won(s)}"
        f" · 拜访 {t.visits} {change(t.visits, p.visits)}"
        f" · 新商机 {t.new_opportunities} {change(t.new_opportunities, p.new_opportunities)}"
        f" · 赢单率 {percent(t.win_rate)}{rate_change(t, p)}"
        f" · 推进 {t.stage_advances} {change(t.stage_advances, p.stage_advances)}"
    )


def medium_line(s: Standing) -> str:
    t, p = s.this, s.previous
    return f"{_badge(s)} {s.name} {_won(s)} · 拜访 {t.visits} {change(t.visits, p.visits)}"


def short_line(s: Standing) -> str:
    won = NO_DEAL if s.rank is None else f"成交 {yuan(s.this.won_amount)}"
    return f"{_badge(s)} {s.name} {won} · 拜访 {s.this.visits}"


def total_line(board: Leaderboard) -> str:
    t, p = board.total, board.previous_total
    return (
        f"> 团队合计：成交 {yuan(t.won_amount)} {change(t.won_amount, p.won_amount, money=True)}"
        f" · 拜访 {t.visits} {change(t.visits, p.visits)}"
        f" · 新商机 {t.new_opportunities} {change(t.new_opportunities, p.new_opportunities)}"
        f" · 赢单率 {percent(t.win_rate)}"
    )


def inactive_line(names: list[str], budget: int) -> str:
    """The reps with no record, named kindly; shortened to "等 N 人" if the list is long."""
    shown = list(names)
    while True:
        rest = len(names) - len(shown)
        who = "、".join(shown) + (f" 等 {len(names)} 人" if rest else "")
        line = f'<font color="comment">{who}：{KIND_NOTE}</font>'
        if _bytes(line) <= budget or len(shown) <= 1:
            return line
        shown.pop()


def _fit(ranked: list[Standing], budget: int, in_chart: set[int]) -> list[str]:
    """Lines for the ranked reps within ``budget`` bytes, one style for all below the top three.

    Everyone in full if it fits; else the top three in full and the rest with
    成交 and 拜访 only (with, then without the changes); else as many short
    lines as fit and "…另有 N 位".
    """

    def size(lines: list[str]) -> int:
        return sum(_bytes(line) + 1 for line in lines)

    full = [full_line(s) for s in ranked]
    if size(full) <= budget:
        return full
    for style in (medium_line, short_line):
        lines = full[:3] + [style(s) for s in ranked[3:]]
        if size(lines) <= budget:
            return lines
    out = full[:3] if size(full[:3]) <= budget // 2 else [short_line(s) for s in ranked[:3]]
    for i, line in enumerate(lines[3:], start=3):
        left = ranked[i:]
        where = "见图表" if all(r.user_id in in_chart for r in left) else "未能全部列出"
        more = f"…另有 {len(left)} 位同事的成绩{where}"
        if size([*out, line, more]) > budget:
            return [*out, more]
        out.append(line)
    return out  # pragma: no cover - the whole list did not fit, so the loop returns


def leaderboard_markdown(board: Leaderboard, limit: int = MARKDOWN_LIMIT) -> str:
    """The Monday message for a team chat and its managers, never longer than ``limit`` bytes."""
    head = [
        f"## {board.team_name} · 周排行榜",
        f'<font color="comment">{board.week.label}　按成交金额排名，金额相同名次相同；箭头为与前一周相比</font>',
        "",
    ]
    if not board.standings:
        return "\n".join([*head, "团队里还没有销售成员。"])
    tail: list[str] = [""]
    if board.inactive:
        tail.append(inactive_line([s.name for s in board.inactive], limit // 3))
    tail.append(total_line(board))
    if board.ranked:
        tail.append("📊 排名图表见下方")

    budget = limit - _bytes("\n".join(head + tail)) - 1
    listed = board.ranked + board.no_deal  # the unranked with activity: 「— 名字 本周暂无成交 · 拜访 …」
    lines = _fit(listed, budget, {s.user_id for s in charted(board)})
    if not board.ranked and not board.no_deal:
        lines.append("这一周大家都还没有记录。")
    elif not board.ranked:
        lines.insert(0, "这一周还没有成交，暂不排名。")
    text = "\n".join(head + lines + tail)
    assert _bytes(text) <= limit, "leaderboard markdown over the platform limit"
    return text


def leaderboard_text(board: Leaderboard) -> str:
    """Plain table for the terminal (``salesbot report leaderboard``): every rep, no cut."""
    out = [
        f"{board.team_name}  {board.week.label}",
        "排名  姓名      成交金额           拜访      新商机    赢单率   阶段推进",
    ]
    for s in board.standings:
        t, p = s.this, s.previous
        rank = "—" if s.rank is None else str(s.rank)
        out.append(
            f"{rank:<4}  {s.name:<6}  {yuan(t.won_amount):>10} {change(t.won_amount, p.won_amount, True):<8}"
            f"{t.visits:>3} {change(t.visits, p.visits):<5}"
            f"{t.new_opportunities:>3} {change(t.new_opportunities, p.new_opportunities):<5}"
            f"{percent(t.win_rate):>5}{rate_change(t, p):<2}  "
            f"{t.stage_advances:>3} {change(t.stage_advances, p.stage_advances)}"
            + ("" if s.rank is not None else "   " + (NO_DEAL if t.active else KIND_NOTE))
        )
    t = board.total
    out.append(
        f"合计            {yuan(t.won_amount):>10}          {t.visits:>3}       {t.new_opportunities:>3}"
        f"       {percent(t.win_rate):>5}    {t.stage_advances:>3}"
    )
    return "\n".join(out)
