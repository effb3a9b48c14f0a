"""The deal amount a visit message names: which of its figures is the deal's.

A price talk names several figures: the opening quote and the one it ended on (「报价从50万降到了46万」), unit
prices and the total (「每台6万 总共30万」), a discount or a gap (「让利两万」), the company's size (「年产值5个亿」),
another deal's or a competitor's (「竞品报价80万」), a range, another currency. The figure the talk ended on
wins, else the total, else the first money figure after a money word, else the first money figure; the rest are
not the deal's amount. Also used for an amount typed as a correction (「金额改为35万」).

Written by hand because it is about how reps phrase a price talk; reading each figure (units, 大写, 万八) is
``domain.money.parse_amount``'s, the one reader everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from domain.money import TYPED_UNITS, find_amount, parse_amount
from handlers.understand.notes import dictated
from handlers.understand.timeexpr import to_decimal

_GAP = re.compile(r"(?<=[\u4e00-\u9fff\d])\s+(?=[\u4e00-\u9fff\d])")

_AMOUNT_RX = re.compile(
    # (not 「几十万」 / 「数百万」: no figure)
    # (大写 too: 「报价 叁拾贰万」)
    r"(?P<num>\d[\d,]*(?:\.\d+)?|(?<![几数])[零一二两三四五六七八九十百千壹贰叁肆伍陆柒捌玖拾佰仟]+(?:点[零一二三四五六七八九]+)?)\s*"
    r"(?P<unit>亿|千万|百万|万|w|W|千|k|K|M|m(?!m)|(?<=\d)\s?(?:million|mn)\b)?(?![a-zA-Z])\s*(?P<cur>元|块钱|块|rmb|RMB|人民币|yuan\b|cny\b)?"
    r"(?![台套件个只吨米片颗箱批人天周月年号点%])",
    re.I,
)
_UNIT = TYPED_UNITS  # one table of money units (domain/money.py)
_UNIT_WORDS = {"million": "m", "mn": "m"}  # 「budget 1.5 million」: the English word for the table's m
_MONEY_WORDS = re.compile(
    r"(?:预算|报价|金额|合同|价格|总价|单子|订单|标的|项目|货款|采购额|额度|报了|价|费用|费|投资|"
    r"(?<![a-z])(?:amount|budget|price|quot\w*|total|value|po|order|contract|deal)(?![a-z]))[^,，。;；]{0,6}$",
    re.I,
)


# What a figure is, from the words around it (hand-written: these are how reps phrase a price talk):
# a discount or a gap, not the deal (「让利两万」, 「比预算高了二十万」);
# (「比竞品贵2万」, 「能帮他们省30万」, 「返点3万」, 「再降1万就签」: a difference, a saving, money back)
_NOT_DEAL_BEFORE = re.compile(
    r"(?:让利|优惠|便宜|降了|少了|差了?|高了|低了|单价|贵了?|省了?|节省|节约|返点|返利|折让|罚款|赔偿|违约金|(?:降|让)价?)"
    r"[^,，。;；\s]{0,2}$|"
    # a ceiling on the unit price (「单价不能超过八千」, 「单价别超过十五万」), a unit price in English
    r"单价[^,，。;；\s]{0,5}$|unit\s*price[^,，。;；]{0,8}$|\bper\s+(?:unit|set|piece|pc)[^,，。;；]{0,6}$",
    re.I,
)
# 「给了5万的优惠」: the figure named before what it is
# (glued to it: 「合同800万 返点2%谈下来了」 is the contract, then a term)
_DISCOUNT_AFTER = re.compile(r"^(?:\s?的\s?)?(?:优惠|折扣|让利|返点|返利|差价|差距|补贴|罚款|违约金)")
# a unit price (「1.05万一台」, 「800/套」, and 「每台45万」 when the message counts the machines: 「2台 每台45万」);
_PER_UNIT_AFTER = re.compile(
    r"^\s*(?:(?:/|每|一)(?:台|套|个|件|只|吨|米|片|颗|箱|平|支|桶|瓶|袋|包|卷|盒|张|平方|平米|小时|天|人)|/?\s*(?:per|a|each)\s+(?:unit|set|piece|pc|machine)|each\b)", re.I
)
_PER_UNIT_BEFORE = re.compile(
    r"(?:每|单)(?:台|套|个|件|只|吨|米|片|颗|箱|平|支|桶|瓶|袋|包|卷|盒|张|平方|平米|小时|天|人)[^,，。;；\s]{0,3}$"
)
# 「他问一个多少钱 我说一台两万二」, 「一套十万 他们要一百套」: the price of one where the price of one was asked or
# the message counts more (not 「冲压模具一套 七十五万」: one set is the deal)
_PRICE_ASKED = re.compile(r"多少钱|什么价|啥价|怎么卖|单价")
_ONE_UNIT_BEFORE = re.compile(
    r"(?<![\d零一二两三四五六七八九十百千万])一(?:台|套|个|件|只|吨|片|颗|箱|支|桶|瓶|袋|包|盒|张|平方|平米)(?:是|要|卖|报)?$"
)
_COUNTED = re.compile(r"[\d两二三四五六七八九十千百万]\s*(?:台|套|件|只|吨|片|颗|箱|支|桶|瓶|袋|卷|盒)")
# A rate by the hour, day, person or month (「每小时人工费三百八」, 「一天八百」) is never a deal's value.
_RATE_BEFORE = re.compile(r"(?:每|一)(?:小时|个?工时|人天|天|人)[^,，。;；\s]{0,5}$")
# A ceiling (「预算在三百五十万以内」) is the deal's figure only when the message names no other: 「报价叁拾贰万 他嫌贵
# 希望30万以内」 is the quote.
_BOUND_AFTER = re.compile(r"^\s*(?:以内|之内|以下|以上|封顶|为限)")
# the figure the talk ended on, which wins over the opening one (「报价从50万降到了46万」, 「最终二十八万成交」,
# 「从60万让到55万」, 「现在是45万」);
_FINAL_BEFORE = re.compile(
    r"(?:(?:降|压|砍|谈|让|调|改|减|落|定|给)(?:到|至|在)|最终|最后|成交价|现在是?)了?[^,，。;；\s]{0,2}$"
)
# the price the customer wants to push us to (「他们嫌贵想压到22万」): their counter-offer, not the deal's figure
_WISHED_BEFORE = re.compile(r"(?:想|要求|希望|打算|想要|让我们|要我们)(?:再)?(?:降|压|砍|让|谈)(?:到|至|在)[^,，。;；\s]{0,2}$")
# the total, which wins over the parts and unit prices it sums (「每台6万 总共30万」, 「首付20万 总价八十万」);
# (with tax over without: 「不含税45万 含税50.85万」)
_TOTAL_BEFORE = re.compile(
    r"(?:总共|共计|合计|总计|一共|总价|总额|总金额|总包价?|总投资|总预算|总盘子|(?<![不未])含税)[^,，。;；\s]{0,3}$"
)
# money paid or received on the deal is not its value: a deposit, an instalment, a payment in (「定金5万已付」,
# 「回款20万到了」, 「首付20万 总价八十万」: the total still wins) — the card would otherwise put the deposit on
# the deal as its amount;
_PAYMENT_BEFORE = re.compile(
    r"(?:定金|订金|预付款?|首付款?|首期款?|回款|尾款|进度款|保证金|押金|质保金|承兑|到账|收到|收了|付了|打了|打过来)"
    r"了?[^,，。;；\s]{0,2}$"
)
_PAYMENT_AFTER = re.compile(
    r"^(?:的)?(?:定金|订金|预付|首付|尾款|回款|进度款|保证金|押金|质保金)|"
    r"^(?:已经?|也|都)?(?:到账|到了|已到|打过来|付了|已付|收到了|回来了)"
)
# the size of the company, not of the deal (「年产值5个亿」, 「注册资本1000万」);
_COMPANY_SIZE_BEFORE = re.compile(r"(?:产值|营收|营业额|注册资本|市值|年收入|销售额|流水|身家)[^,，。;；\s]{0,4}$")
# a range gives no one figure (「预算在80到100万之间」); another currency is no yuan amount (「USD 20k」).
_RANGE_AFTER = re.compile(r"^\s*(?:到|至|~|～|-|—)\s*[\d零一二两三四五六七八九十]")
_RANGE_BEFORE = re.compile(r"[\d零一二两三四五六七八九十][万千wWkK]?(?:到|至|~|～|-|—)\s*$")
# a figure of another deal or a competitor's, in its own clause (「去年的合同金额是200万」, 「竞品报价80万」).
_OTHER_DEAL_CLAUSE = re.compile(
    r"去年|前年|上个项目|上一个项目|竞品|竞争对手|对手|友商|别家|同行|别的供应商|其他供应商|"
    # a past order (「上次那单三十万」, 「上一台是五十五万买的」, 「以前买过一批…二十万」, 「老项目的回款」)
    r"上次那[单台批个]|上一[台套单批个次期]|以前|之前买|老项目|那单是"
)
# The whole project's figure when the message says we take part of it (「总包1.5个亿 我们报的是整线物流 报价三千二百万」,
# 「整体投资1.2亿 我们能做的是其中的电控部分」): that figure is the customer's, not our deal's.
_PROJECT_FIGURE_BEFORE = re.compile(r"(?:总包|整体投资|总投资|投资|总预算|整线|项目总额|体量)[^,，。;；]{0,4}$")
_OUR_PART = re.compile(r"(?:我们|我司)[^。;；!！?？]{0,10}?(?:其中|一部分|部分|只做|参与|报的是|这块|这一块)")
_FOREIGN_BEFORE = re.compile(r"(?:usd|us\$|\$|eur|€|jpy|美元|美金|欧元|日元)\s*$", re.I)
_FOREIGN_AFTER = re.compile(r"^\s*(?:usd|dollars?|eur|euros?|美元|美金|欧元|日元)", re.I)
_COUNT_AFTER = "台套件个只吨米片颗箱批人天周月年号点%"


def deal_amount(text: str, blocked: Sequence[tuple[int, int]]) -> Decimal | None:
    """The deal amount: the figure the talk ended on, else the total, else the first money figure after a money
    word, else the first money figure. Discounts, gaps, savings, unit prices, ranges, the company's size, other
    currencies, payments and deposits, and figures of another deal or a competitor are not the deal's amount.

    Written by hand because it is about how reps phrase a price talk; reading each figure (units, 大写, 万八)
    is ``domain.money.parse_amount``'s, the one reader everywhere.
    """
    first: Decimal | None = None
    after_word: Decimal | None = None
    total: Decimal | None = None
    bound: Decimal | None = None
    skipped = False
    # 「1.5个亿」, 「五十多万」, 「二十来万」: the round figure (same length, so spans stay)
    text = re.sub(r"(?<=[\d一二两三四五六七八九十])个(?=亿|万)|(?<=[0十百千])[多来几](?=[万亿wW])", " ", text)
    for m in _AMOUNT_RX.finditer(text):
        # 「样板费三千五」: a spoken figure with 千/百 in it counts after a money word, without a unit.
        spoken = re.search(r"[千百]", m.group("num")) and _MONEY_WORDS.search(text[: m.start()])
        # 「RMB680,000」, 「¥ 73,500」: the currency written before the figure
        cur_before = re.search(r"(?:rmb|cny|¥|￥|人民币)\s*$", text[: m.start()], re.I)
        if _FOREIGN_BEFORE.search(text[: m.start()]) or _FOREIGN_AFTER.match(text[m.end() :]):
            skipped = True  # 「$15,000」: not in yuan, and not for the shared reader below either
            continue
        if not (m.group("unit") or m.group("cur") or spoken or cur_before):
            continue
        if any(s < m.end() and m.start() < e for s, e in blocked):
            continue
        head, tail = text[: m.start()], text[m.end() :]
        clause = re.split(r"[\s,，。;；!！?？]", head)[-1]
        head = head.rstrip()  # 「定金 50万」, 「单价 三百五」: the word before the figure, a blank between
        if dictated(text):
            # 「尾款 八万 今天到了」: in dictated text every word comes with blanks between them
            head = _GAP.sub("", head)
            tail = _GAP.sub("", tail)
            clause = re.split(r"[,，。;；!！?？]", head)[-1]
        if (
            _OTHER_DEAL_CLAUSE.search(clause)
            or (_NOT_DEAL_BEFORE.search(head) and not _FINAL_BEFORE.search(head))  # not 「降到46万」
            or _DISCOUNT_AFTER.match(text[m.start() + len(m.group().rstrip()) :])
            or _PER_UNIT_AFTER.match(tail)
            or _COMPANY_SIZE_BEFORE.search(head)
            or _PAYMENT_BEFORE.search(head)
            or (_PROJECT_FIGURE_BEFORE.search(head) and _OUR_PART.search(text, m.end()))
            # (only when glued to the figure: 「四十二万 首付三成」 is the contract, then a term)
            or (_PAYMENT_AFTER.match(text[m.end() :]) and not m.group(0)[-1:].isspace())
            or _RANGE_AFTER.match(tail)
            or _RATE_BEFORE.search(head)
            or (_WISHED_BEFORE.search(head) and first is not None)
            or _RANGE_BEFORE.search(head)
            or (_PER_UNIT_BEFORE.search(head) and _COUNTED.search(text))
            or (_ONE_UNIT_BEFORE.search(head) and (_COUNTED.search(text) or _PRICE_ASKED.search(text)))
        ):
            skipped = True
            continue
        value = _typed_value(text, m)
        if value is None:
            number = to_decimal(m.group("num").replace("点", "."))
            if number is None:
                number = to_decimal(m.group("num"))
            if number is None:
                continue
            unit = (m.group("unit") or "").strip().lower()
            value = number * _UNIT.get(_UNIT_WORDS.get(unit, unit), Decimal(1))
        if value == value.to_integral_value():
            value = value.quantize(Decimal(1))
        if _BOUND_AFTER.match(tail) and not _FINAL_BEFORE.search(head):
            bound = value if bound is None else bound
            continue
        if _FINAL_BEFORE.search(head):
            return value
        if total is None and _TOTAL_BEFORE.search(head):
            total = value
        if after_word is None and _MONEY_WORDS.search(head):
            after_word = value
        if first is None:
            first = value
    if total is not None:
        return total
    if after_word is not None:
        return after_word
    if first is None and not skipped:  # 大写 ("壹拾万元整") and "12,000" with a money word: the shared reader
        found = find_amount(text)
        if (
            found is not None
            and not any(s < found[1] and found[0] < e for s, e in blocked)
            # (or the thousands separator of 「签了 1,080,000」: counts and dates are not written so)
            and (
                _MONEY_WORDS.search(text[: found[0]])
                or "元" in text[found[0] : found[1]]
                or re.search(r"\d,\d{3}(?!\d)", text[found[0] : found[1]]) is not None
            )
            and (text[found[1] : found[1] + 1] or " ") not in _COUNT_AFTER  # 「首批200台」 counts machines
            and not _NOT_DEAL_BEFORE.search(text[: found[0]])  # 「单价1200」
            # 「订单号 4500012345」, 「PO# 88001」: a number that names a document
            and not re.search(r"(?:号|编号|单号|no\.?|#)\s*[:：]?\s*$", text[: found[0]], re.I)
            and not re.fullmatch(r"\d{8,}", text[found[0] : found[1]].strip())
        ):
            value = found[2]
            return value.quantize(Decimal(1)) if value == value.to_integral_value() else value
    return first if first is not None else bound


def _typed_value(text: str, m: re.Match[str]) -> Decimal | None:
    """The figure as ``domain.money.parse_amount`` reads it (the same everywhere), incl. "三万八"."""
    typed = m.group("num") + (m.group("unit") or "")
    # 「十二万八千」, 「一百零八万五千」: the lower section spelled out after 万 belongs to the figure
    lower = re.match(r"[零一二两三四五六七八九]?[一二两三四五六七八九][千百](?:[零一二两三四五六七八九]十?)?", text[m.end() :])
    if m.group("unit") == "万" and not m.group("cur") and lower and re.fullmatch(r"[零一二两三四五六七八九十百千]+", m.group("num")):
        whole = parse_amount(typed + lower.group(0))
        if whole is not None:
            return whole
    nxt = text[m.end(): m.end() + 1]
    if m.group("unit") in ("万", "千") and not m.group("cur") and nxt and nxt in "123456789一二两三四五六七八九":
        after = text[m.end() + 1: m.end() + 2]
        # 「六十万 二期待定」 is 60万 then 二期, not 六十万二
        if not after or not (after.isdigit() or after in "十百千万台套件个只吨米片颗箱批人天周月年号点%期级代届次线楼"):
            spoken = parse_amount(typed + nxt)
            if spoken is not None:
                return spoken
    return parse_amount(typed)
