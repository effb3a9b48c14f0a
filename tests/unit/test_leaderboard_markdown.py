"""The Monday leaderboard message as the team reads it: medals, arrows, "—", kindness, and WeCom's size limit."""

from __future__ import annotations

from decimal import Decimal

from cards.leaderboard import MARKDOWN_LIMIT, leaderboard_markdown, leaderboard_text
from domain.services.leaderboard import IsoWeek, Leaderboard, RepWeek, Standing

W47 = IsoWeek(2026, 47)


def week(visits: int = 0, new: int = 0, won: int = 0, n_won: int = 0, closed: int = 0, adv: int = 0) -> RepWeek:
    return RepWeek(visits, new, Decimal(won), n_won, closed, adv)


def board(*standings: Standing) -> Leaderboard:
    return Leaderboard(1, "华东销售一部", W47, list(standings))


SAMPLE = board(
    Standing(1, "张伟", 1, week(3, 2, 120_000, 1, 2, 3), week(2, 1, 50_000, 1, 1, 1)),
    Standing(2, "刘洋", None, week(5), week(1)),  # no 成交: unranked (domain.services.leaderboard)
    Standing(3, "王强", None, week(5), week(5)),
    Standing(4, "钱多", None, week(1, closed=1), week(3)),
    Standing(5, "安静", None, week(), week(2)),
)


def test_message_shows_week_ranking_changes_and_medals() -> None:
    text = leaderboard_markdown(SAMPLE)
    lines = text.splitlines()
    assert lines[0] == "## 华东销售一部 · 周排行榜"
    assert "2026-W47（11月16日—11月22日）" in lines[1] and "按成交金额排名，金额相同名次相同" in lines[1]
    assert (
        "🥇 **张伟** 成交 ¥120,000 ↑¥70,000 · 拜访 3 ↑1 · 新商机 2 ↑1 · 赢单率 50% ↓ · 推进 3 ↑2"
        in lines
    )
    # no 成交: no number and no medal, 「本周暂无成交」 with what they did
    assert any(line.startswith("— 刘洋 本周暂无成交 · 拜访 5 ↑4") for line in lines)
    assert any(line.startswith("— 王强 本周暂无成交 · 拜访 5 →") for line in lines)
    assert any(line.startswith("— 钱多 本周暂无成交 · 拜访 1 ↓2") for line in lines)
    assert "🥈" not in text and "🥉" not in text and not any(line.startswith("2.") for line in lines)


def test_equal_amounts_share_a_medal_and_the_next_rank_is_three() -> None:
    text = leaderboard_markdown(
        board(
            Standing(1, "张伟", 1, week(3, won=120_000, n_won=1, closed=1), week()),
            Standing(2, "刘洋", 1, week(2, won=120_000, n_won=1, closed=1), week()),
            Standing(3, "王强", 3, week(1, won=80_000, n_won=1, closed=1), week()),
            Standing(4, "钱多", None, week(4), week()),
        )
    )
    lines = text.splitlines()
    assert [line.split(" 成交")[0] for line in lines if "成交 ¥" in line and not line.startswith(">")] == [
        "🥇 **张伟**", "🥇 **刘洋**", "🥉 **王强**"
    ]
    assert any(line.startswith("— 钱多 本周暂无成交") for line in lines)
    table = leaderboard_text(
        board(
            Standing(1, "张伟", 1, week(3, won=120_000), week()),
            Standing(2, "刘洋", 1, week(2, won=120_000), week()),
            Standing(3, "王强", 3, week(1, won=80_000), week()),
            Standing(4, "钱多", None, week(4), week()),
        )
    ).splitlines()
    assert [row.split()[0] for row in table[2:6]] == ["1", "1", "3", "—"] and "本周暂无成交" in table[5]


def test_win_rate_without_closes_is_a_dash_and_a_lost_week_is_zero() -> None:
    text = leaderboard_markdown(SAMPLE)
    liu = next(line for line in text.splitlines() if "刘洋" in line)
    assert "赢单率 — ·" in liu  # nothing closed: no rate, no arrow
    qian = next(line for line in text.splitlines() if "钱多" in line)
    assert "赢单率 0%" in qian


def test_reps_without_records_are_encouraged_not_ranked() -> None:
    text = leaderboard_markdown(SAMPLE)
    assert '<font color="comment">安静：这一周暂无记录，新的一周加油！💪</font>' in text
    assert not any(line.startswith(("5.", "🏅")) and "安静" in line for line in text.splitlines())
    assert "> 团队合计：成交 ¥120,000 ↑¥70,000 · 拜访 14 ↑1 · 新商机 2 ↑1 · 赢单率 33%" in text


def test_a_team_of_twenty_keeps_everyone_with_won_amount_and_visits() -> None:
    twenty = [
        Standing(i, f"销售{i:04d}", i, week(20 - i % 7, 2, 500_000 - i * 20_000, 1, 2, 1), week(9, 1, 300_000))
        for i in range(1, 21)
    ]
    lines = leaderboard_markdown(board(*twenty)).splitlines()
    assert sum(line.startswith(("🥇", "🥈", "🥉")) and "赢单率" in line for line in lines) == 3
    assert "4. 销售0004 成交 ¥420,000 ↑¥120,000 · 拜访 16 ↑7" in lines
    assert "20. 销售0020 成交 ¥100,000 ↓¥200,000 · 拜访 14 ↑5" in lines
    assert not any(line.startswith("…另有") for line in lines)


def test_a_big_team_still_fits_wecom_markdown_limit_top_three_in_full() -> None:
    many = [
        Standing(i, f"销售员{i:02d}号", i, week(30 - i, 3, 1_000_000 - i * 10_000, 2, 3, 4), week(10, 1, 5_000))
        for i in range(1, 41)
    ] + [Standing(100 + i, f"新同事{i:02d}", None, week(), week()) for i in range(60)]
    text = leaderboard_markdown(board(*many))
    assert len(text.encode("utf-8")) <= MARKDOWN_LIMIT
    lines = text.splitlines()
    assert any(line.startswith("🥇 **销售员01号** 成交 ¥990,000 ↑¥985,000 · 拜访 29") for line in lines)
    assert any(line.startswith("🥉 **销售员03号**") and "推进 4 ↑4" in line for line in lines)
    # the phone chart shows the top 20 only, so the rest are not claimed to be "in the chart"
    assert any(line.startswith("…另有 ") and line.endswith("位同事的成绩未能全部列出") for line in lines)
    assert "新同事00、" in text and "等 60 人：这一周暂无记录" in text


def test_everyone_idle_and_an_empty_team() -> None:
    idle = leaderboard_markdown(board(Standing(1, "张伟", None, week(), week(3))))
    assert "这一周大家都还没有记录。" in idle and "张伟：这一周暂无记录" in idle
    assert "📊" not in idle  # nothing ranked: the job sends no chart either
    assert "团队里还没有销售成员" in leaderboard_markdown(board())


def test_terminal_table_lists_everyone_with_the_same_numbers() -> None:
    text = leaderboard_text(SAMPLE)
    lines = text.splitlines()
    assert lines[0] == "华东销售一部  2026-W47（11月16日—11月22日）"
    zhang = next(line for line in lines if "张伟" in line).split()
    assert zhang[:7] == ["1", "张伟", "¥120,000", "↑¥70,000", "3", "↑1", "2"]
    assert "50%" in zhang and "↓" in zhang
    assert "这一周暂无记录" in next(line for line in lines if "安静" in line)
    assert lines[-1].split()[:3] == ["合计", "¥120,000", "14"]
