"""Chinese date/time expressions ("下周三", "明天下午三点半", "3月5号", "两天后").

Everything is resolved against a ``now`` the caller passes (message time) in
business time (Asia/Shanghai); nothing here reads the clock, so the same
message always gives the same answer.

Rules worth knowing (each was a decision, not an accident):

* Weeks start on Monday. "下周三" is the Wednesday of next week, "本周五/这周五"
  the Friday of this week even if it has passed, "下周" alone is next Monday
  and "周末" is the Saturday of the week.
* A bare weekday ("周五", "星期一", "礼拜天") or a date without a year ("3月5日",
  "11-20", "5号") is *ambiguous*. Each match therefore carries two readings:
  ``future`` (the next occurrence on or after today — "周五再跟进" on a Wednesday
  is this Friday) and ``past`` (the most recent occurrence on or before today —
  "周一拜访了" is the Monday just gone). The caller picks by context; see
  ``handlers.understand.date_roles``.
* "下个月初" / "月初" is the first workday (Mon–Fri) among the 1st..3rd of the
  month: a reminder that fires on a Sunday gets ignored. Public holidays are not
  known here (Dec 1st and Jan 1st–3rd can differ from the official calendar).
  "月底" is the last calendar day of the month, "月中" the 15th, "下个月" alone
  the 1st of next month; "年底" is Dec 31st, "年底前" / "月底前" (deadlines) the last workday.
* "年后" / "年前" alone mean the Spring Festival break (not a year): the first workday after 正月初三,
  the last workday before 除夕 (``_resolve_spring_festival``).
* "过两天" / "这两天" are +2 days, "过几天"/"几天后" +3 days, "一周后" +7, "半个月后" +15,
  "N个月后" the same day N months later (clamped to the month's end).
* A clock time without a part of day uses business hours: 1–6 o'clock means
  the afternoon (13–18h), 7–12 the morning/noon; "下午/晚上" add 12 hours,
  "中午1点" is 13:00. A part of day without an hour ("下午") leaves ``value``
  a ``date`` and sets ``period``; ``PERIOD_DEFAULT_TIME`` gives the usual hour.
* The value is a ``date`` when no clock time was given and a timezone-aware
  ``datetime`` (in ``now``'s business time zone) when it was.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar
import cn2an
from lunardate import LunarDate

from domain.clock import BUSINESS_TZ
from domain.workcalendar import CalendarDataMissing, is_workday

# ---------------------------------------------------------------- numbers
# Why a thin wrapper around cn2an: the regexes of this package decide *where* a
# number is (cn2an's own ``transform`` is too eager — it turns "聊了一下" into
# "聊了1下" and "下周三" into "下周3" — and can take milliseconds); cn2an only
# converts the small token we hand it ("二十五", "三千万", "38.5万"). ASCII digits
# and single characters skip the library and results are cached, so the
# per-message cost stays in microseconds.
_SIMPLE = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
    "廿": 20,
    "半": 0.5,
}


@lru_cache(maxsize=4096)
def to_decimal(token: str) -> Decimal | None:
    """Value of a number token ("25", "二十五", "两", "3千万", "38.5万"), or None.

    Mixed forms such as "3千万" and "1万5" are what reps type; cn2an's
    "smart" mode understands them.
    """
    token = token.strip().replace(",", "")
    if not token:
        return None
    if token.isascii():
        try:
            return Decimal(token)
        except InvalidOperation:
            pass
    if token in _SIMPLE:
        return Decimal(str(_SIMPLE[token]))
    if token.startswith("廿"):
        rest = to_decimal(token[1:])
        return None if rest is None else 20 + rest
    try:
        value = cn2an.cn2an(token, "smart")
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return Decimal(str(value))


def to_int(token: str) -> int | None:
    """Integer value of a number token, None when it is not a whole number."""
    value = to_decimal(token)
    if value is None or value != value.to_integral_value():
        return None
    return int(value)


Prefer = Literal["past", "future", "current"]
Tense = Literal["past", "today", "future", "either"]

# Part of day → (name, default time when no hour is given).
PERIODS: dict[str, str] = {
    "凌晨": "dawn",
    "早上": "early",
    "早晨": "early",
    "今早": "early",
    "上午": "morning",
    "中午": "noon",
    "午后": "afternoon",
    "下午": "afternoon",
    "傍晚": "evening",
    "晚上": "evening",
    "夜里": "evening",
    "白天": "morning",
    "晚": "evening",
}
PERIOD_DEFAULT_TIME: dict[str, time] = {
    "dawn": time(6, 0),
    "early": time(9, 0),
    "morning": time(10, 0),
    "noon": time(12, 0),
    "afternoon": time(15, 0),
    "evening": time(19, 0),
}

_N = r"(?:\d{1,4}|[零〇一二两三四五六七八九十廿]{1,3})"
_WEEK = r"(?:周|週|星期|礼拜|禮拜)"
_PRE = r"(?:上上个?|下下个?|上个?|下个?|本|这个?)"
_YEAR_REL = r"(?:大前年|前年|去年|今年|明年|后年|次年)"
# Festivals by name → how to find the day in a year (see ``holiday_day``).
_HOLIDAYS: dict[str, tuple[str, int, int]] = {
    "元旦": ("solar", 1, 1),
    "春节": ("lunar", 1, 1),
    "过年": ("lunar", 1, 1),
    "大年初一": ("lunar", 1, 1),
    "除夕": ("eve", 1, 1),
    "大年三十": ("eve", 1, 1),
    "元宵": ("lunar", 1, 15),
    "情人节": ("solar", 2, 14),
    "妇女节": ("solar", 3, 8),
    "植树节": ("solar", 3, 12),
    "清明": ("qingming", 4, 4),
    "劳动节": ("solar", 5, 1),
    "五一": ("solar", 5, 1),
    "母亲节": ("nth_weekday", 5, 2 * 10 + 6),
    "儿童节": ("solar", 6, 1),
    "六一": ("solar", 6, 1),
    "端午": ("lunar", 5, 5),
    "父亲节": ("nth_weekday", 6, 3 * 10 + 6),
    "七夕": ("lunar", 7, 7),
    "建军节": ("solar", 8, 1),
    "中秋": ("lunar", 8, 15),
    "教师节": ("solar", 9, 10),
    "国庆": ("solar", 10, 1),
    "十一": ("solar", 10, 1),
    "重阳": ("lunar", 9, 9),
    "双十一": ("solar", 11, 11),
    "双11": ("solar", 11, 11),
    # the year-end shopping day, a deadline in sales chat (「双十二前把报价更新一版」)
    "双十二": ("solar", 12, 12),
    "双12": ("solar", 12, 12),
    "感恩节": ("nth_weekday", 11, 4 * 10 + 3),
    "平安夜": ("solar", 12, 24),
    "圣诞": ("solar", 12, 25),
    "腊八": ("lunar", 12, 8),
    "小年": ("lunar", 12, 23),
}
_YEAR_ANY = r"(?:大前年|前年|去年|今年|明年|后年|次年|(?:(?<!\d)\d{4}|(?<!\d)\d{2}|[二〇零一两三四五六七八九]{2,4})\s*年)"
_HOLIDAY_ALT = "|".join(sorted((h for h in _HOLIDAYS if h not in ("大年初一", "大年三十")), key=len, reverse=True))

_DATE_RX = re.compile(
    rf"""
    (?P<ymd>(?<!\d)(?P<ymd_y>(?:19|20)\d\d)\s*[-/.年]\s*(?P<ymd_m>\d{{1,2}})\s*[-/.月]\s*(?P<ymd_d>\d{{1,2}})(?:(?!\d)|(?=\d{{1,2}}[:：]\d))\s*[日号]?)
  | (?P<lun>(?P<lun_y>{_YEAR_REL}|(?:\d{{4}}|\d{{2}}|[二〇零一两三四五六七八九]{{2,4}})\s*年)?\s*(?:农历|阴历|旧历)\s*(?P<lun_m>闰?(?:正|腊|冬|{_N}))\s*月\s*(?P<lun_d>初[一二三四五六七八九十]|廿[一二三四五六七八九]?|{_N})\s*[日号]?
        |(?P<lun4_y>{_YEAR_ANY})?(?P<lun4_m>{_N})\s*月\s*(?P<lun4_d>初[一二三四五六七八九十]|廿[一二三四五六七八九]?|十[一二三四五六七八九]|[二三]十|二十[一二三四五六七八九])(?![日号\d零一二两三四五六七八九十点时:：])
        |(?P<lun2_y>{_YEAR_ANY})?(?P<lun2_m>正|腊|冬)月\s*(?P<lun2_d>初[一二三四五六七八九十]|廿[一二三四五六七八九]?|{_N})
        |(?P<lun3_y>{_YEAR_ANY})?大年(?P<lun3_d>初[一二三四五六七八九十]|三十))
  | (?P<hol>(?P<hol_past>过了|过完)?(?P<hol_y>{_YEAR_REL}|(?:\d{{4}}|\d{{2}}|[二〇零一两三四五六七八九]{{2,4}})\s*年)?(?<![\d零一二两三四五六七八九十])(?P<hol_n>{_HOLIDAY_ALT})(?![点号日月时个万千百亿元块分期楼层人天周倍次%\d零一二两三四五六七八九十])(?:节|假期|长假|假)?(?P<hol_w>后|之后|以后|过后|前(?!后)|之前|以前)?)
  | (?P<jie>(?<![春过中元端国])节(?P<jie_w>后|前))
  | (?P<ym>(?P<ym_y>{_YEAR_ANY})\s*(?P<ym_m>{_N})\s*月份?(?![\d零一二两三四五六七八九十日号底末初中上下旬]))
  | (?P<yst>(?P<yst_y>明年|后年|次年)年?初)
  | (?P<gnian>过完年|年过完|开年(?:以?后|之后))
  | (?P<nian>(?<![\d零一二两三四五六七八九十百几多半今明去前后每新当同该跨整全上下本这那过往近])年(?P<nian_w>后|前)(?![\d年天后夕]))
  | (?P<term>立春|雨水|惊蛰|春分|谷雨|立夏|小满|芒种|夏至|小暑|大暑|立秋|处暑|白露|秋分|寒露|霜降|立冬|小雪|大雪|冬至|小寒|大寒)
  | (?P<nth>(?P<nth_m>{_N})\s*月份?的?第(?P<nth_n>[一二三四五1-5])个?{_WEEK}(?P<nth_d>[一二三四五六日天1-7]))
  | (?P<dth>(?P<dth_y>{_YEAR_ANY})?的?第(?P<dth_n>{_N})天)
  | (?P<cmd>(?:(?P<cmd_y>(?:(?<!\d)20\d\d|(?<!\d)\d\d|[二〇零一两三四五六七八九]{{4}}|[二〇零一两三四五六七八九]{{2}})\s*年|{_YEAR_REL})\s*)?(?P<cmd_m>{_N})\s*月份?\s*(?P<cmd_d>{_N})\s*[日号]?)
  | (?P<yend>(?:(?P<yend_y>{_YEAR_REL}|(?:(?<!\d)20\d\d|(?<!\d)\d\d)\s*年)?(?:年底|年末)|(?P<yend_s>大前|前|去|今|明|后|次)年[底末]|(?P<yend_n>(?<!\d)20\d\d|(?<!\d)\d\d)\s*年[底末])(?P<yend_b>前|之前)?)
  | (?P<mwk>(?P<mwk_m>{_N})\s*月份?的?第(?P<mwk_n>[一二三四1-4])个?(?:周|星期|礼拜))
  | (?P<mpart>(?:(?P<mpart_y>{_YEAR_ANY})\s*的?)?(?P<mpart_m>{_N})\s*月份?(?P<mpart_w>上旬|中旬|下旬|初|中|底|末)(?!心|央))
  | (?P<nxm>(?P<nxm_p>上上个?|上个?|下下个?|下个?|本|这个?|当|同)月(?:份)?(?P<nxm_w>初|底|末|中旬|中|(?P<nxm_d>{_N})\s*(?:[号日]|(?=[\s,，。;；!！?？]|$)))?(?P<nxm_b>前|之前)?)
  | (?P<thm>(?<![个上下本这当同])月(?P<thm_w>初|底|末|中旬|中)(?!心|央)(?P<thm_b>前|之前)?)
  | (?P<nmd>(?<![\d.\-/:：])(?P<nmd_m>\d{{1,2}})\s?(?P<nmd_s>[-/.·])\s?(?P<nmd_d>\d{{1,2}})
        (?![\d.\-/:：%]|\s*(?:万|w|W|k|K|[mM](?![a-zA-Z])|million|千|百|亿|元|块|折|倍|个|吨|米|%|版|寸|kg|台|套|级|mm|cm|号[楼线门厅机库室栋车期])))
  | (?P<rel>现在(?!的)|此刻|大大前天|大大后天|大前天|大后天|当天|当日|当晚|本日|前天|昨天|昨日|昨儿|今天|今日|今儿|明天|明日|明儿|后天|今早|今晨|今晚|明早|明晨|明晚|昨晚|隔天|次日|这两天)
  | (?P<wd>(?P<wd_p>{_PRE})?(?:{_WEEK}的?\s?)?{_WEEK}(?P<wd_d>[一二三四五六日天1-7])(?![\d十]))
  | (?P<wk>(?P<wk_p>{_PRE}){_WEEK}(?:(?P<wk_e>末)|(?P<wk_in>内|之内))?)
  | (?P<wke>周末)
  | (?P<off>(?P<off_n>{_N}|半|几)\s*(?P<off_u>个?工作日|天|日|周|个?星期|个?礼拜|个?月)\s*(?P<off_d>以?后|之后|过后|以?内|之内|内|以?前|之前))
  | (?P<guo>[过隔](?P<guo_n>{_N}|几)?(?P<guo_u>天|周|个?星期))
  | (?P<day>(?<![\d月.\-/])(?P<day_d>{_N})\s*[号日](?![楼线门厅机库室栋车期炉窑罐仓泵台位房口码工柜厂]|高炉|产线|厂房|车间|工位|机组|机床|设备|基地|园区|仓库|码头))
    """,
    re.VERBOSE,
)

_PERIOD_ALT = "|".join(sorted(PERIODS, key=len, reverse=True))
_PERIOD2_ALT = "|".join(p for p in sorted(PERIODS, key=len, reverse=True) if len(p) == 2 and p != "今早")
_TIME_RX = re.compile(
    rf"""
    (?P<t>(?P<t_p>{_PERIOD_ALT})?\s*
        (?:(?P<t_hh>\d{{1,2}})\s*[:：]\s*(?P<t_mm>\d{{2}})
          |(?P<t_h>{_N})\s*(?:点钟?|时)(?:(?P<t_half>半)|(?P<t_q>一刻|三刻)|(?P<t_mi>{_N})\s*分?)?)
        (?![\d零一二两三四五六七八九十]*\s*[万亿千wWkK元块个%])
    )
  | (?P<p>{_PERIOD2_ALT})
    """,
    re.VERBOSE,
)

# Comparatives before "一点": "便宜一点", "快一点" mean "a bit", not 1 o'clock.
_A_BIT_BEFORE = set("宜快慢多少早晚高低好差大小些点有再稍")
_COUNTED_NOUNS = ("意见", "要求", "问题", "建议", "需求", "内容", "顾虑", "想法", "原因", "疑问", "共识")
_GAP_RX = re.compile(r"[\s的,，]{0,2}")

_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "7": 6}
_MONTH_SHIFT = {"上上": -2, "下下": 2, "上": -1, "下": 1, "本": 0, "这": 0, "当": 0, "同": 0}
_WEEK_SHIFT = {"上上": -2, "下下": 2, "上": -1, "下": 1, "本": 0, "这": 0}
_REL_DAYS = {
    "大前天": -3,
    "前天": -2,
    "昨天": -1,
    "昨日": -1,
    "昨儿": -1,
    "昨晚": -1,
    "今天": 0,
    "今日": 0,
    "今儿": 0,
    "今早": 0,
    "今晨": 0,
    "今晚": 0,
    "明天": 1,
    "明日": 1,
    "明儿": 1,
    "明早": 1,
    "明晨": 1,
    "明晚": 1,
    "隔天": 1,
    "次日": 1,
    "后天": 2,
    "大后天": 3,
    "大大后天": 4,
    "大大前天": -4,
    "当天": 0,
    "现在": 0,
    "此刻": 0,
    "当日": 0,
    "当晚": 0,
    "本日": 0,
    "这两天": 2,  # 「这两天给答复」: within a couple of days, as 过两天 (the rep asks on its last day)
}
_REL_PERIOD = {"当晚": "evening", "今早": "early", "今晨": "early", "明早": "early", "明晨": "early", "今晚": "evening", "明晚": "evening", "昨晚": "evening"}


@dataclass(frozen=True)
class TimeMatch:
    """One date/time expression found in a text, with both of its readings.

    ``past``/``future`` differ only for ambiguous expressions (bare weekday,
    date without year); ``period`` is set when a part of day was named without
    a clock time.
    """

    start: int
    end: int
    text: str
    past: date | datetime
    future: date | datetime
    period: str | None = None
    current: date | datetime | None = None

    def value(self, prefer: Prefer = "future") -> date | datetime:
        if prefer == "current":
            return self.current if self.current is not None else self.future
        return self.past if prefer == "past" else self.future

    @property
    def has_time(self) -> bool:
        return isinstance(self.future, datetime)

    def tense(self, today: date) -> Tense:
        """Where the expression lies relative to ``today`` ("either" when ambiguous)."""
        if self.past != self.future:
            return "either"
        day = _day_of(self.future)
        if day < today:
            return "past"
        return "today" if day == today else "future"


def _day_of(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _safe_date(year: int, month: int, day: int) -> date | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _first_weekday(year: int, month: int) -> date:
    """First Monday–Friday among the 1st..3rd (two weekend days can't cover three)."""
    return next(date(year, month, d) for d in (1, 2, 3) if date(year, month, d).weekday() < 5)


def _first_workday(year: int, month: int) -> date:
    """The month's first workday by China's working calendar (「1月初」 is 1月4日 in 2027: 元旦 is off by law),
    else its first Monday–Friday among the 1st..3rd (two weekend days can't cover three)."""
    for d in range(1, 11):
        candidate = date(year, month, d)
        if _workday(candidate):
            return candidate
    return _first_weekday(year, month)  # pragma: no cover - a month whose first ten days are all off


def _add_workdays(day: date, n: int) -> date:
    step = 1 if n >= 0 else -1
    left = abs(n)
    while left:
        day += timedelta(days=step)
        if day.weekday() < 5:
            left -= 1
    return day


def _year_ambiguous(today: date, month: int, day: int) -> tuple[date, date] | None:
    """(past, future) readings of a month/day without a year."""
    this_year = _safe_date(today.year, month, day)
    if this_year is None:
        return None
    if this_year == today:
        return this_year, this_year
    if this_year > today:
        past = _safe_date(today.year - 1, month, day) or this_year
        return past, this_year
    future = _safe_date(today.year + 1, month, day) or this_year
    return this_year, future


def _month_ambiguous(today: date, day: int) -> tuple[date, date] | None:
    """(past, future) readings of "5号": this month, or the neighbouring one."""
    if not 1 <= day <= 31:
        return None
    this_month = _month_end(today.year, today.month)
    candidate = this_month.replace(day=min(day, this_month.day))
    if candidate == today:
        return candidate, candidate
    if candidate > today:
        prev = _add_months(today.replace(day=1), -1)
        prev_end = _month_end(prev.year, prev.month)
        return prev_end.replace(day=min(day, prev_end.day)), candidate
    nxt = _add_months(today.replace(day=1), 1)
    nxt_end = _month_end(nxt.year, nxt.month)
    return candidate, nxt_end.replace(day=min(day, nxt_end.day))


# ---------------------------------------------------------------- years, lunar dates, festivals
_YEAR_SHIFT = {"大前年": -3, "前年": -2, "去年": -1, "今年": 0, "明年": 1, "次年": 1, "后年": 2}
_CN_DIGITS = "〇一二三四五六七八九"


def _year_of(token: str, today: date) -> int | None:
    """"2015年", "15年", "九零年", "去年" → a year. Two digits mean 20yy unless that is more
    than two years ahead ("98年" is 1998, "27年" said in 2026 is 2027)."""
    token = token.strip()
    if token in _YEAR_SHIFT:
        return today.year + _YEAR_SHIFT[token]
    token = token.rstrip("年").strip()
    raw = token.replace("零", "〇").replace("两", "二")
    digits = raw if raw.isdigit() else "".join(str(_CN_DIGITS.index(c)) for c in raw if c in _CN_DIGITS)
    if len(digits) != len(raw) or len(digits) not in (2, 4):
        return None
    if len(digits) == 4:
        return int(digits)
    yy = int(digits)
    return 2000 + yy if 2000 + yy <= today.year + 2 else 1900 + yy


def _lunar_day(token: str) -> int | None:
    if token.startswith("初"):
        return to_int(token[1:])
    if token.startswith("廿"):
        return 20 + (to_int(token[1:]) or 0) if len(token) > 1 else 20
    return to_int(token)


def _lunar_month(token: str) -> tuple[int | None, bool]:
    leap = token.startswith("闰")
    token = token.lstrip("闰")
    return {"正": 1, "冬": 11, "腊": 12}.get(token) or to_int(token), leap


def _lunar(year: int, month: int, day: int, leap: bool = False) -> date | None:
    """Gregorian day of a Chinese lunar date (lunardate's tables), None if it does not exist."""
    try:
        return LunarDate(year, month, day, leap).to_solar_date()
    except (ValueError, IndexError):
        return None


def _lunar_year(today: date) -> int:
    """The lunar year a festival without a year is read in: the Gregorian year's (JioNLP's convention:
    "除夕" said in June 2021 is the eve ending lunar 2021, "元宵" said on Jan 1st is the coming one)."""
    return today.year


def _workday(day: date) -> bool:
    """The official calendar (holidays and 调休) where it is known; Monday–Friday beyond it."""
    try:
        return is_workday(day)
    except CalendarDataMissing:
        return day.weekday() < 5


def _workday_after(day: date) -> date:
    day += timedelta(days=1)
    for _ in range(40):
        if _workday(day):
            return day
        day += timedelta(days=1)
    return day  # pragma: no cover - no holiday is 40 days long


def _workday_before(day: date) -> date:
    day -= timedelta(days=1)
    for _ in range(40):
        if _workday(day):
            return day
        day -= timedelta(days=1)
    return day  # pragma: no cover


def last_workday_of_month(day: date) -> date:
    """The month's last workday: "月底前把标书发他" is due before the weekend or holiday that ends it."""
    end = _month_end(day.year, day.month)
    return end if _workday(end) else _workday_before(end)


def holiday_day(name: str, year: int) -> date | None:
    """The day of a festival in ``year`` (the lunar year for lunar festivals)."""
    how, a, b = _HOLIDAYS[name]
    if how == "solar":
        return date(year, a, b)
    if how == "lunar":
        return _lunar(year, a, b)
    if how == "eve":
        new_year = _lunar(year + 1, 1, 1)
        return None if new_year is None else new_year - timedelta(days=1)
    if how == "qingming":
        terms = chinese_calendar.get_solar_terms(date(year, 4, 3), date(year, 4, 6))
        return next((d for d, term in terms if term == "清明"), date(year, 4, 5))
    # nth weekday of a month: b = n * 10 + weekday
    n, weekday = divmod(b, 10)
    first = date(year, a, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _readings(make: object, base_year: int, today: date, explicit: bool) -> tuple[date, date, date] | None:
    """(past, future, current) of a yearly day: the latest on/before today, the next on/after, this year's."""
    assert callable(make)
    current = make(base_year)
    if current is None:
        return None
    if explicit:
        return current, current, current
    days = [d for d in (make(base_year - 1), current, make(base_year + 1)) if d is not None]
    past = max((d for d in days if d <= today), default=current)
    future = min((d for d in days if d >= today), default=current)
    return past, future, current


# The festivals the law gives days off for (《全国年节及纪念日放假办法》); 春节's break starts on 除夕.
_STATUTORY = ("元旦", "除夕", "清明", "劳动节", "端午", "中秋", "国庆")


def _nearest_holiday_block(today: date) -> date | None:
    """First day of the statutory holiday we are in or that comes next (within 120 days).

    Past the last year chinesecalendar has the official schedule for (「节后」 said in late November, before
    next year's schedule is published), the next festival the law gives days off for is the holiday's start.
    """
    day, limit = today, today + timedelta(days=120)
    while day < limit:
        try:
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            days = (holiday_day(n, y) for n in _STATUTORY for y in range(day.year - 1, day.year + 2))
            return min((d for d in days if d is not None and day <= d < limit), default=None)
        if on_holiday and name is not None:
            return day
        day += timedelta(days=1)
    return None


def _weekday_index(token: str) -> int:
    if token.isdigit():
        return int(token) - 1 if token != "7" else 6
    return _WEEKDAY[token]


def _week_shift(prefix: str | None) -> int | None:
    if not prefix:
        return None
    return _WEEK_SHIFT[prefix.rstrip("个")]


def _count(token: str) -> float | None:
    if token == "半":
        return 0.5
    if token == "几":
        return 3
    if len(token) == 2 and all(c in _ROUGH_DIGITS for c in token) and _ROUGH_DIGITS.index(token[0]) < _ROUGH_DIGITS.index(token[1]):
        return _ROUGH_DIGITS.index(token[1]) + 1  # 「两三天后」, 「三五天后」: a rough count, its larger end (not 23)
    return to_int(token)


_ROUGH_DIGITS = "一两三四五六七八九"


def _resolve_date(
    m: re.Match[str], today: date
) -> tuple[date, date, str | None] | tuple[date, date, None, date] | None:
    """(past, future, implied period) for one date match, None if it is not a real date."""
    kind = m.lastgroup
    g = m.group
    monday = today - timedelta(days=today.weekday())
    if kind == "ymd":
        d = _safe_date(int(g("ymd_y")), int(g("ymd_m")), int(g("ymd_d")))
        return None if d is None else (d, d, None)
    if kind == "cmd":
        month, day = to_int(g("cmd_m")), to_int(g("cmd_d"))
        if month is None or day is None:
            return None
        if g("cmd_y"):
            year = _year_of(g("cmd_y"), today)
            d = None if year is None else _safe_date(year, month, day)
            return None if d is None else (d, d, None)
        pair = _year_ambiguous(today, month, day)
        return None if pair is None else (pair[0], pair[1], None)
    if kind == "nmd":
        pair = _year_ambiguous(today, int(g("nmd_m")), int(g("nmd_d")))
        return None if pair is None else (pair[0], pair[1], None)
    if kind == "day":
        n = to_int(g("day_d"))
        pair = None if n is None else _month_ambiguous(today, n)
        return None if pair is None else (pair[0], pair[1], None)
    if kind == "mpart":
        month = to_int(g("mpart_m"))
        if month is None or not 1 <= month <= 12:
            return None
        what = g("mpart_w")
        day = {"上旬": 5, "中旬": 15, "中": 15, "下旬": 25}.get(what, 1)
        # 「明年3月底」, 「2027年6月初」: the year named, not the nearest such month
        year = _year_of(g("mpart_y"), today) if g("mpart_y") else None
        named = None if year is None else _safe_date(year, month, day)
        pair = _year_ambiguous(today, month, day) if named is None else (named, named)
        if pair is None:
            return None
        past, future = pair
        if what in ("底", "末"):
            past, future = (_month_end(d.year, d.month) for d in (past, future))
        elif what == "初":
            past, future = (_first_workday(d.year, d.month) for d in (past, future))
        return past, future, None
    if kind in ("nxm", "thm"):
        month_shift = _MONTH_SHIFT.get(g("nxm_p").rstrip("个"), 0) if kind == "nxm" else 0
        base = _add_months(today.replace(day=1), month_shift)
        what = g(f"{kind}_w") or ""
        if kind == "nxm" and not what and not g("nxm_d") and month_shift == 0:
            return None  # "本月" / "这个月" name a span, not a day
        if g(f"{kind}_b") and what in ("底", "末"):
            d = last_workday_of_month(base)  # "月底前": due on the month's last workday
            return d, d, None
        if kind == "nxm" and g("nxm_d"):
            n = to_int(g("nxm_d"))
            if n is None or not 1 <= n <= 31:
                return None
            end = _month_end(base.year, base.month)
            d = end.replace(day=min(n, end.day))
        elif what in ("底", "末"):
            d = _month_end(base.year, base.month)
        elif what.startswith("中"):
            d = base.replace(day=15)
            if kind == "thm" and d < today:
                # 「月中再去一次」 on the 25th: the middle of next month for a plan, this month's for a report
                return d, _add_months(base, 1).replace(day=15), None
        elif what == "初":
            d = _first_workday(base.year, base.month)
            if kind == "thm" and d < today:
                nxt = _add_months(base, 1)
                return d, _first_workday(nxt.year, nxt.month), None
        else:
            d = base
        return d, d, None
    if kind == "lun":
        return _resolve_lunar(m, today)
    if kind == "yend":
        # 「明年底」 is 明年 + 底, 「2027年底」 is 2027年 + 底
        token = g("yend_y") or (g("yend_s") + "年" if g("yend_s") else None) or (g("yend_n") + "年" if g("yend_n") else None)
        year = _year_of(token, today) if token else today.year
        if year is None:
            return None
        # "年底前" is a deadline: the year's last workday, as "月底前" is the month's.
        d = last_workday_of_month(date(year, 12, 1)) if g("yend_b") else date(year, 12, 31)
        return d, d, None
    if kind == "hol":
        return _resolve_holiday(m, today)
    if kind == "term":
        def make_term(y: int) -> date | None:
            terms = chinese_calendar.get_solar_terms(date(y, 1, 1), date(y, 12, 31))
            return next((d for d, name in terms if name == g("term")), None)

        out = _readings(make_term, today.year, today, False)
        return None if out is None else (out[0], out[1], None, out[2])
    if kind == "nth":
        month, n = to_int(g("nth_m")), to_int(g("nth_n"))
        if month is None or n is None or not 1 <= month <= 12:
            return None
        wd = _weekday_index(g("nth_d"))
        first = date(today.year, month, 1)
        d = first + timedelta(days=(wd - first.weekday()) % 7 + 7 * (n - 1))
        return (d, d, None) if d.month == month else None
    if kind == "dth":
        n = to_int(g("dth_n"))
        if n is None or n < 1:
            return None
        if g("dth_y"):  # "2025年第一天": counted from New Year's Day
            year = _year_of(g("dth_y"), today)
            d = None if year is None else date(year, 1, 1) + timedelta(days=n - 1)
        else:  # "第三天": today is the first day
            d = today + timedelta(days=n - 1)
        return None if d is None else (d, d, None)
    if kind == "mwk":
        # 「12月第一周」: the week holding the month's first workday, from that workday; later weeks from Monday.
        month, n = to_int(g("mwk_m")), to_int(g("mwk_n"))
        if month is None or n is None or not 1 <= month <= 12:
            return None

        def make_week(y: int, month: int = month, n: int = n) -> date | None:
            first = _first_weekday(y, month)  # calendar weeks: 1月1日 on a Friday starts week one
            return first if n == 1 else first - timedelta(days=first.weekday()) + timedelta(weeks=n - 1)

        out = _readings(make_week, today.year, today, False)
        return None if out is None else (out[0], out[1], None, out[2])
    if kind == "nian":
        return _resolve_spring_festival(g("nian_w"), today)
    if kind == "yst":  # 「明年初」: the year's first workday
        year = _year_of(g("yst_y"), today)
        if year is None:
            return None
        d = date(year, 1, 1)
        d = d if _workday(d) else _workday_after(d)
        return d, d, None
    if kind == "gnian":  # 「过完年再联系」: the same as 年后
        return _resolve_spring_festival("后", today)
    if kind == "ym":  # 「明年3月招标」: a month of a named year, from its 1st (as 「下个月」 alone is)
        year, month = _year_of(g("ym_y"), today), to_int(g("ym_m"))
        if year is None or month is None or not 1 <= month <= 12:
            return None
        d = date(year, month, 1)
        return d, d, None
    if kind == "jie":
        start = _nearest_holiday_block(today)
        if start is None:
            return None
        d = _workday_after(start) if g("jie_w") == "后" else _workday_before(start)
        return d, d, None
    if kind == "rel":
        word = g("rel")
        d = today + timedelta(days=_REL_DAYS[word])
        return d, d, _REL_PERIOD.get(word)
    if kind == "wd":
        wd = _weekday_index(g("wd_d"))
        shift = _week_shift(g("wd_p"))
        if shift is not None:
            d = monday + timedelta(weeks=shift, days=wd)
            return d, d, None
        ahead = (wd - today.weekday()) % 7
        behind = (today.weekday() - wd) % 7
        return today - timedelta(days=behind), today + timedelta(days=ahead), None
    if kind == "wk":
        shift = _week_shift(g("wk_p"))
        if g("wk_in"):  # "本周内" / "下周之内": a deadline, the week's last workday
            sunday = monday + timedelta(weeks=shift or 0, days=6)
            d = sunday if _workday(sunday) else _workday_before(sunday)
            return d, d, None
        if g("wk_e"):
            d = monday + timedelta(weeks=shift or 0, days=5)
            return d, d, None
        if not shift:  # "这周"/"本周" name a span, not a day
            return None
        d = monday + timedelta(weeks=shift)
        return d, d, None
    if kind == "wke":
        d = monday + timedelta(days=5)
        return d, d, None
    if kind == "off":
        count = _count(g("off_n"))
        if count is None:
            return None
        unit, direction = g("off_u").lstrip("个"), g("off_d")
        sign = -1 if direction.endswith("前") else 1
        if unit == "工作日":
            d = _add_workdays(today, sign * int(count))
        elif unit == "月":
            d = today + timedelta(days=sign * 15) if count == 0.5 else _add_months(today, sign * int(count))
        elif unit in ("周", "星期", "礼拜"):
            d = today + timedelta(days=sign * round(7 * count))
        else:
            d = today + timedelta(days=sign * round(count))
        return d, d, None
    if kind == "guo":
        span = _count(g("guo_n")) if g("guo_n") else 2
        if span is None:
            return None
        days = round(span * 7) if g("guo_u") != "天" else round(span)
        d = today + timedelta(days=days)
        return d, d, None
    return None  # pragma: no cover - every alternative is handled above


def _resolve_lunar(m: re.Match[str], today: date) -> tuple[date, date, None, date] | None:
    """"农历八月十五", "腊月初十", "大年初十": a lunar date, in the lunar year named or the current one."""
    g = m.group
    if g("lun_m"):
        year_token, (month, leap), day = g("lun_y"), _lunar_month(g("lun_m")), _lunar_day(g("lun_d"))
    elif g("lun4_m"):
        year_token, (month, leap), day = g("lun4_y"), _lunar_month(g("lun4_m")), _lunar_day(g("lun4_d"))
    elif g("lun2_m"):
        year_token, (month, leap), day = g("lun2_y"), _lunar_month(g("lun2_m")), _lunar_day(g("lun2_d"))
    else:
        year_token, month, leap = g("lun3_y"), 1, False
        day = 30 if g("lun3_d") == "三十" else _lunar_day(g("lun3_d"))
        if day == 30:  # 大年三十 is the eve: the last day of the previous lunar year
            def make_eve(y: int) -> date | None:
                return holiday_day("除夕", y)

            year = _year_of(year_token, today) if year_token else None
            out = _readings(make_eve, year or _lunar_year(today), today, year is not None)
            return None if out is None else (out[0], out[1], None, out[2])
    if month is None or day is None or not 1 <= month <= 12 or not 1 <= day <= 30:
        return None
    year = _year_of(year_token, today) if year_token else None

    def make(y: int) -> date | None:
        return _lunar(y, month, day, leap)

    out = _readings(make, year or _lunar_year(today), today, year is not None)
    return None if out is None else (out[0], out[1], None, out[2])


def _resolve_holiday(m: re.Match[str], today: date) -> tuple[date, date, None, date] | None:
    """A festival ("国庆", "去年春节"), or the workday after / before its holiday ("国庆后", "春节前")."""
    name, when, year_token = m.group("hol_n"), m.group("hol_w"), m.group("hol_y")
    if m.group("hol_past") and not when:
        when = "后"  # 「过了元旦再说」: once the holiday is over, as 元旦后
    lunar_kind = _HOLIDAYS[name][0] in ("lunar", "eve")
    year = _year_of(year_token, today) if year_token else None
    base_year = year if year is not None else (_lunar_year(today) if lunar_kind else today.year)

    def make(y: int) -> date | None:
        day = holiday_day(name, y)
        if day is None or not when:
            return day
        return _workday_before(day) if "前" in when else _workday_after(day)

    out = _readings(make, base_year, today, year is not None)
    return None if out is None else (out[0], out[1], None, out[2])


def _resolve_spring_festival(when: str, today: date) -> tuple[date, date, None, date] | None:
    """「年后」 / 「年前」 said alone: after / before the Spring Festival break, as everyone in China reads them.

    The law fixes the break's core (《全国年节及纪念日放假办法》 as amended 2024: 除夕 and 正月初一–初三), so
    「年后」 is the first workday after 正月初三 and 「年前」 the last workday before 除夕; where the year's official
    schedule is known, the workday check also skips its 调休 extension.
    """

    def make(y: int) -> date | None:
        new_year = holiday_day("春节", y)
        if new_year is None:
            return None
        return _workday_after(new_year + timedelta(days=2)) if when == "后" else _workday_before(new_year - timedelta(days=1))

    out = _readings(make, today.year, today, False)
    return None if out is None else (out[0], out[1], None, out[2])


def _current_reading(m: re.Match[str], past: date, future: date, today: date) -> date:
    """JioNLP's default reading of an ambiguous date: the one in the current year / month / week."""
    if past == future:
        return future
    kind = m.lastgroup
    if kind == "day":
        return past if (past.year, past.month) == (today.year, today.month) else future
    if kind == "wd":
        monday = today - timedelta(days=today.weekday())
        return past if past >= monday else future
    return past if past.year == today.year else future


def _resolve_clock(m: re.Match[str], period: str | None) -> time | None:
    """Clock time of a time match, applying the part of day and business hours."""
    if m.group("t_hh"):
        hour, minute = int(m.group("t_hh")), int(m.group("t_mm"))
    else:
        h = to_int(m.group("t_h"))
        if h is None:
            return None
        hour, minute = h, 0
        if m.group("t_half"):
            minute = 30
        elif m.group("t_q"):
            minute = 15 if m.group("t_q") == "一刻" else 45
        elif m.group("t_mi"):
            mi = to_int(m.group("t_mi"))
            if mi is None:
                return None
            minute = mi
    if not (0 <= hour <= 24 and 0 <= minute < 60):
        return None
    if period in ("afternoon", "evening") and hour < 12 or period == "noon" and hour <= 3:
        hour += 12
    elif period == "evening" and hour == 12:
        hour = 24  # midnight
    elif period == "dawn" and hour == 12:
        hour = 0
    elif period is None and 1 <= hour <= 6 and not m.group("t_hh"):
        hour += 12  # business hours: "3点" is 15:00
    elif period is None and m.group("t_hh") and 1 <= hour <= 6:
        hour += 12
    if hour == 24:
        hour = 0
    return time(hour, minute)


def find_times(text: str, now: datetime) -> list[TimeMatch]:
    """Every date/time expression in ``text``, left to right.

    ``text`` should already be NFKC-normalised (``resolve`` does it) so that
    full-width digits and colons are seen; offsets refer to ``text`` as given.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    tz = now.tzinfo if isinstance(now.tzinfo, ZoneInfo) else BUSINESS_TZ
    local_now = now.astimezone(tz)
    today = local_now.date()

    dates: list[tuple[int, int, date, date, str | None, date]] = []
    for dm in _DATE_RX.finditer(text):
        resolved = _resolve_date(dm, today)
        if resolved is not None:
            past_d, future_d, implied = resolved[0], resolved[1], resolved[2]
            current_d = resolved[3] if len(resolved) == 4 else _current_reading(dm, past_d, future_d, today)
            dates.append((dm.start(), dm.end(), past_d, future_d, implied, current_d))

    results: list[TimeMatch] = []
    used_dates: set[int] = set()
    pos = 0
    while (m := _TIME_RX.search(text, pos)) is not None:
        start, end = m.span()
        pos = end
        inside = [de for ds, de, *_ in dates if ds <= start < de or ds < end <= de]
        if inside:
            # Overlaps a date ("今晚" is a date word with a part of day): look again after it.
            pos = max(max(inside), start + 1)
            continue
        # Attach to a date that ends right before this time ("明天 下午3点").
        owner = None
        for i, (_ds, de, *_rest) in enumerate(dates):
            if de <= start and _GAP_RX.fullmatch(text, de, start):
                owner = i
        if m.lastgroup == "p":
            part = PERIODS[m.group("p")]
            if owner is None:
                results.append(TimeMatch(start, end, text[start:end], today, today, part))
            else:
                ds, _de, past, future, _, current = dates[owner]
                used_dates.add(owner)
                results.append(TimeMatch(ds, end, text[ds:end], past, future, part, current))
            continue
        period_word = m.group("t_p")
        period: str | None = PERIODS[period_word] if period_word else None
        if owner is not None and period is None:
            period = dates[owner][4]
        if (
            period is None
            and owner is None
            and not m.group("t_hh")
            and m.group("t_h") in ("一", "两", "二")
            and not (m.group("t_half") or m.group("t_mi") or m.group("t_q"))
            and (start == 0 or text[start - 1] in _A_BIT_BEFORE or m.group("t_h") == "一")
        ):
            continue  # "便宜一点", "早一点": a bit, not a time
        if period is None and owner is None and text.startswith(_COUNTED_NOUNS, end):
            continue  # "提了三点要求": three points, not three o'clock
        clock = _resolve_clock(m, period)
        if clock is None:
            continue
        # "夜里12点" / "晚上12点" is the midnight that ends the day: the next day's 00:00.
        shift = timedelta(days=1) if clock == time(0) and period == "evening" else timedelta(0)
        if owner is None:
            at = datetime.combine(today, clock, tzinfo=tz) + shift
            results.append(TimeMatch(start, end, text[start:end], at, at))
        else:
            ds, _de, past, future, _, current = dates[owner]
            used_dates.add(owner)
            results.append(
                TimeMatch(
                    ds,
                    end,
                    text[ds:end],
                    datetime.combine(past, clock, tzinfo=tz) + shift,
                    datetime.combine(future, clock, tzinfo=tz) + shift,
                    None,
                    datetime.combine(current, clock, tzinfo=tz) + shift,
                )
            )
    for i, (ds, de, past, future, implied, current) in enumerate(dates):
        if i not in used_dates:
            results.append(TimeMatch(ds, de, text[ds:de], past, future, implied, current))
    results.sort(key=lambda r: r.start)
    return _in_the_week_named(text, results)


# A weekday of a named week (「下周一」, 「上周三」), and a bare weekday (「周四」) with nothing before it but a clock.
_SHIFTED_WEEKDAY = re.compile(rf"(?:上上|下下|上|下)个?{_WEEK}的?\s?(?:{_WEEK})?(?P<d>[一二三四五六日天1-7])")
_BARE_WEEKDAY = re.compile(rf"{_WEEK}(?P<d>[一二三四五六日天1-7])(?![\d十])")
_SPAN_JOIN = re.compile(r"\s*(?:到|至|~|～|-|—|一直到)\s*")


def _in_the_week_named(text: str, results: list[TimeMatch]) -> list[TimeMatch]:
    """A span from a weekday of a named week (「下周一到周三在外地 周四再约」) keeps its days in that week.

    周三 (its end) and 周四 (a day after the span) are next week's: this week's would come before the Monday
    they follow. Only a span moves the days after it: 「他们下周三开会 我周四跟进」 keeps this week's Thursday.
    """
    week_of: tuple[date, int] | None = None  # (Monday, weekday) of the span's first day
    later_week: tuple[date, int] | None = None  # (Monday, weekday) of the last weekday named in a week to come
    out: list[TimeMatch] = []
    for i, r in enumerate(results):
        day = _day_of(r.future)
        nxt = results[i + 1] if i + 1 < len(results) else None
        prev = results[i - 1] if i else None
        if (named := _SHIFTED_WEEKDAY.match(r.text)) is not None:
            monday_of = (day - timedelta(days=day.weekday()), _weekday_index(named.group("d")))
            later_week = monday_of if named.group(0).startswith("下") else None
            if prev is not None and week_of is not None and _SPAN_JOIN.fullmatch(text, prev.end, r.start):
                pass  # 「下周一到下周三都可以 约了周二上午」: the span's end, the span still counts from its first day
            elif nxt is not None and _SPAN_JOIN.fullmatch(text, r.end, nxt.start):
                week_of = monday_of
            else:
                week_of = None
        elif (bare := _BARE_WEEKDAY.match(r.text)) is not None and (
            week_of is not None
            # 「他们下周一放假 周二上班」: a later day after a day of a week to come is that week's, when this
            # week's has gone by (「他们下周三开会 我周四跟进」 keeps this week's Thursday, still ahead)
            or later_week is not None and r.current is not None and _day_of(r.current) < _day_of(r.future)
        ):
            week_of_day = week_of if week_of is not None else later_week
            assert week_of_day is not None
            wd = _weekday_index(bare.group("d"))
            if wd > week_of_day[1]:
                week_of = week_of_day
                d = week_of[0] + timedelta(days=wd)

                def moved(v: date | datetime, d: date = d) -> date | datetime:
                    return datetime.combine(d, v.timetz()) if isinstance(v, datetime) else d

                r = replace(r, past=moved(r.past), future=moved(r.future), current=moved(r.current or r.future))
        out.append(r)
    return out


def resolve(text: str, now: datetime, prefer: Prefer = "future") -> date | datetime | None:
    """The first date/time in ``text`` as a ``date`` or aware ``datetime``, or None.

    ``prefer`` picks the reading of ambiguous expressions: "future" for plans
    ("周五再跟进"), "past" for reports ("周一拜访了").
    """
    matches = find_times(unicodedata.normalize("NFKC", text), now)
    return matches[0].value(prefer) if matches else None
