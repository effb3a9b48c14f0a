"""Second look at a parsed visit: how it happened (channel), the contact's title as written, and the
stage phrases reps use that the first pass misses.

Kept apart from ``visit_text`` (which the customer-matching work also edits) so both can change
without conflicts; ``parse_visit`` calls :func:`refine` once at its end.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from domain.models import Stage

if TYPE_CHECKING:
    from handlers.understand.visit_text import VisitDraft

_CHANNELS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # A visit word wins: 「去了海康，电话里约了下次」 was a visit.
    # 「到了」 as arrived, not 收到了 / 拿到了 / 看到了 (the thing reached someone).
    ("visit", re.compile(
        r"拜访|走访|上门|去了|跑了趟|(?<![收拿看听想得找办做遇碰接等感受达])到了|见了|面谈|当面|现场|过去|来访|参观|考察|"
        r"展会|展位|吃饭|吃了个?饭|饭局|茶叙|喝茶|visited|visit\b|\bmet\b",
        re.I,
    )),
    ("phone", re.compile(r"电话|打了个?电话|通话|致电|来电|回电|电联|call(?:ed)?\b|phone", re.I)),
    ("wechat", re.compile(r"微信|企微|wechat", re.I)),
    ("meeting", re.compile(r"视频|腾讯会议|钉钉会|飞书会|线上会|开了个?会|会议|meeting|zoom|teams", re.I)),
)

# Titles written next to the name: 「设备科科长刘工」, 「刘工（设备科科长）」, 「他助理小杨」.
_FUNCTIONS = r"采购|技术|研发|生产|设备|质量|品质|财务|销售|市场|项目|商务|工艺|行政|人事|法务"
# A unit (设备科, 研发中心, 车间), a function (采购, 工艺) or a senior title (总经理助理, 董事长秘书) may come
# before the title word; longer title words first (副总经理 before 副总).
_TITLE = (
    rf"(?:[\u4e00-\u9fff]{{0,4}}?(?:科|部|处|办|室|中心|车间|厂)|{_FUNCTIONS}|总经理|董事长|总裁|厂长|总监)?"
    r"(?:副总经理|总经理|副总裁|董事长|科长|处长|部长|主任|总监|副总|经理|工程师|"
    r"主管|厂长|助理|助手|秘书|负责人|会计|书记|院长|老板)"
)
_TITLE_BEFORE = re.compile(rf"(?P<t>{_TITLE})(?:的)?$")
# 「跟采购小李聊了会」: a bare function written right before the name is the title.
_FUNCTION_BEFORE = re.compile(rf"(?:[跟和与找见了的]|^)(?P<t>{_FUNCTIONS})$")
# 「刘工（设备科科长）」, 「谢工，质量部负责人，」, 「董工 生产部主管 聊了…」: the title right after the name.
_TITLE_AFTER = re.compile(rf"^\s*[（(,，、]?\s*(?P<t>{_TITLE})(?=\s|[）),，。;；!！]|$)")

# Word families, not exact sentences: an order or a contract that has come through (PO下来了, 订单确认了,
# 合同盖章了, 下了个50k的试单, 首付款到账了) is a won deal.
_WON_PHRASES = re.compile(
    r"我们中了|中标了|我们中标|拿下了|签下来了|合同签了|签约了|赢单|成交了|we won|"
    r"(?:订单|(?<![a-z])po(?![a-z])|合同)(?:已经?|都)?(?:下来|下达|确认|盖章|盖好|回传|下了)|(?:盖好|盖完)章|"
    r"下了[^,，。;；!！?？\s]{0,8}?单|下了?(?<![a-z])po(?![a-z])|(?:首付|预付|定金|订金|货款|尾款|[万千元])[^,，。;；!！?？\s]{0,3}到账|"
    r"付了[^,，。;；!！?？\s]{0,5}(?:预付款|首付|定金|订金|货款)",
    re.I,
)
# Lost: beaten by someone (被…抢了 / 截胡 / 输给…), not chosen (不考虑我们, 没选我们), the customer does it
# itself (他们自己做), the project is off.
_LOST_PHRASES = re.compile(
    r"丢标|丢单|没戏|黄了|选了(?:别家|别人|[\u4e00-\u9fff]{1,6}的方案)|这单没了|落标|没中|lost the deal|"
    r"被[^,，。;；!！?？\s]{0,6}?(?:抢|截胡|撬|拿走|翻盘)|输(?:单|标|给|掉)|"
    r"(?:不|没)(?:再)?(?:考虑|选|用|要)(?:我们|我司|咱们)|自己(?:做|干|生产|开发)(?=$|[,，。;；!！\s了])|"
    r"没(?:希望|机会)了|不了了之|换了供应商|被否了|(?:选|定|用)了别的|淘汰|项目(?:终止|取消)|终止了"
)
_CONDITIONAL_SIGN = re.compile(r"(?:再|如果|要是|只要|若).{0,10}就(?:能|可以)?(?:签|下单|定|成交|合作|用我们)")
# Phrases of the later stages the keyword families miss: price pushed down (降到 / 压到 / 年降),
# the commercial phase (进入商务阶段, 价格基本定了), a contract under review (合同在法务那边审).
_NEGOTIATION_PHRASES = re.compile(
    r"(?:降|压|砍|让)(?:到|至)|年降|商务阶段|谈商务|"
    r"价格[^,，。;；!！?？\s]{0,4}(?:定了|敲定|确定了)|合同[^,，。;；!！?？\s]{0,8}(?:审|走流程)|磨价|价格还在磨|"
    r"(?<![一二三四五六七八九十])[一二三四五六七八九]{1,2}折|打折|优惠|返点|底价|最低价|等[^,，。;；!！?？\s]{0,3}(?:盖章|签字|回签)|"
    r"价格战|确定合作|合同[^,，。;；!！?？\s]{0,4}走"
)
# Evaluation work the families miss: tenders (标书, 开标, 述标, 入围, 流标), trial production, asking a price,
# choosing among suppliers.
_EVALUATION_PHRASES = re.compile(
    r"标书|开标|述标|入围|流标|废标|竞标|重新招|候选|试产|小试|中试|小批量|试单|问(?:问|了)?(?:一下|下)?价|"
    r"在[^,，。;；!！?？\s]{0,4}(?:里面|中间|之间|当中)?选|选供应商|需求[^,，。;；!！?？\s]{0,3}确认|确认了?需求"
)
_LEAD_PHRASES = re.compile(r"名片|加了微信|互相介绍|刚认识|新认识|朋友介绍|转介绍")


def detect_channel(text: str) -> str:
    """拜访 / 电话 / 微信 / 会议: the first kind whose words the message uses (visit words first)."""
    for channel, rx in _CHANNELS:
        if rx.search(text):
            return channel
    return "visit"


def written_title(text: str, name: str, customer: str | None = None) -> str | None:
    """The contact's title where the message writes it next to the name, else None.

    「设备科科长刘工」 → 设备科科长; 「他助理小杨」 → 助理; 「刘工（设备科科长）」 → 设备科科长.
    """
    at = text.find(name)
    if at < 0:
        return None
    before = text[max(0, at - 10) : at]
    if customer and customer in before:
        before = before[before.rindex(customer) + len(customer) :]
    if m := _TITLE_BEFORE.search(before):
        return m.group("t")
    if m := _FUNCTION_BEFORE.search(before):
        return m.group("t")
    if m := _TITLE_AFTER.match(text[at + len(name) :]):
        return m.group("t")
    return None


def _honorific_only(name: str, title: str) -> bool:
    """「李总」 → 「总」, 「王经理」 → 「经理」, 「刘工」 → 「工程师」: the title only restates the honorific."""
    return title in name or (name.endswith("工") and title in ("工程师", "总工程师"))


def stage_from_phrases(text: str, first_pass: Stage | None) -> Stage | None:
    """Stage phrases the first pass misses (我们中了, 丢标, 没谈拢); a conditional 「再让3个点就签」 is
    still a negotiation, not a deal."""
    conditional_loss = False
    for m in _LOST_PHRASES.finditer(text):
        clause = text[max(text.rfind(c, 0, m.start()) for c in ",，。;；!！ ") + 1 : m.start()]
        if re.search(r"如果|要是|万一|否则|不然|的话", clause):
            conditional_loss = True  # 「如果价格降不下来就没戏了」: the price is still being talked about
        elif not re.search(r"差点|险些|不是|没有|[没不未]被?$", clause):
            return Stage.LOST  # not 「差点丢单」, 「不是丢单」
    if re.search(r"没谈拢|谈不拢", text) or conditional_loss:
        return Stage.NEGOTIATION  # still talking: not lost yet
    if _CONDITIONAL_SIGN.search(text):
        return Stage.NEGOTIATION
    won = _WON_PHRASES.search(text)
    if won and not re.search(r"[没不未等要]$", text[max(0, won.start() - 2) : won.start()]):
        return Stage.WON
    if first_pass in (Stage.WON, Stage.LOST):
        return first_pass
    if _NEGOTIATION_PHRASES.search(text):
        return Stage.NEGOTIATION
    if first_pass is None or first_pass is Stage.LEAD:
        if _EVALUATION_PHRASES.search(text):
            return Stage.EVALUATION
        if first_pass is None and _LEAD_PHRASES.search(text):
            return Stage.LEAD
    return first_pass


def refine(draft: VisitDraft, norm: str) -> VisitDraft:
    """The draft with the contact's title as written and the extra stage phrases applied."""
    title = draft.contact_title
    if draft.contact_name:
        if title and _honorific_only(draft.contact_name, title):
            title = None
        title = written_title(norm, draft.contact_name, draft.customer_mention) or title
    return replace(
        draft,
        contact_title=title,
        stage_hint=stage_from_phrases(norm, draft.stage_hint),
        channel=detect_channel(_without_plan(norm, draft.next_step)),
    )


def _without_plan(norm: str, next_step: str | None) -> str:
    """The message without its next-step clauses: 「电话沟通 明天去现场」 was a call, the visit is the plan.
    Only when something is left (「下周二上门」 alone keeps its words)."""
    rest = norm
    for piece in (next_step or "").split("，"):
        if piece:
            rest = rest.replace(piece, " ")
    return rest if rest.strip() and any(rx.search(rest) for _, rx in _CHANNELS) else norm
