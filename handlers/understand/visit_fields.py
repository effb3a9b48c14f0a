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
    ("visit", re.compile(r"拜访|走访|上门|去了|跑了趟|到了|见了|面谈|当面|现场|过去|visited|visit\b|\bmet\b", re.I)),
    ("phone", re.compile(r"电话|打了个?电话|通话|致电|call(?:ed)?\b|phone", re.I)),
    ("wechat", re.compile(r"微信|企微|wechat", re.I)),
    ("meeting", re.compile(r"视频会|腾讯会议|线上会|开了个?会|会议|meeting|zoom", re.I)),
)

# Titles written next to the name: 「设备科科长刘工」, 「刘工（设备科科长）」, 「他助理小杨」.
_FUNCTIONS = r"采购|技术|研发|生产|设备|质量|品质|财务|销售|市场|项目|商务|工艺|行政|人事|法务"
_TITLE = (
    rf"(?:[\u4e00-\u9fff]{{1,4}}?(?:科|部|处|办|室|中心|车间|厂)|{_FUNCTIONS})?(?:科长|处长|部长|主任|总监|总经理|副总|经理|工程师|"
    r"主管|厂长|董事长|助理|秘书|负责人|会计|书记|院长|老板)"
)
_TITLE_BEFORE = re.compile(rf"(?P<t>{_TITLE})(?:的)?$")
# 「跟采购小李聊了会」: a bare function written right before the name is the title.
_FUNCTION_BEFORE = re.compile(rf"(?:[跟和与找见了的]|^)(?P<t>{_FUNCTIONS})$")
_TITLE_AFTER = re.compile(rf"^\s*[（(,，、]\s*(?P<t>{_TITLE})\s*[）)]?")

_WON_PHRASES = re.compile(r"我们中了|中标了|我们中标|拿下了|签下来了|合同签了|签约了|赢单|成交了|we won", re.I)
_LOST_PHRASES = re.compile(
    r"丢标|丢单|没戏|黄了|选了(?:别家|别人|[\u4e00-\u9fff]{1,6}的方案)|这单没了|落标|没中|lost the deal", re.I
)
_CONDITIONAL_SIGN = re.compile(r"(?:再|如果|要是|只要).{0,10}就(?:能)?签")


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
    for m in _LOST_PHRASES.finditer(text):
        clause = text[max(text.rfind(c, 0, m.start()) for c in ",，。;；!！ ") + 1 : m.start()]
        if not re.search(r"如果|要是|万一|差点|不是|没有|否则", clause):
            return Stage.LOST  # not 「如果价格降不下来…就没戏了」, 「差点丢单」, 「不是丢单」
    if re.search(r"没谈拢|谈不拢", text):
        return Stage.NEGOTIATION  # still talking: not lost yet
    if _CONDITIONAL_SIGN.search(text):
        return Stage.NEGOTIATION
    won = _WON_PHRASES.search(text)
    if won and not re.search(r"[没不未]$", text[max(0, won.start() - 2) : won.start()]):
        return Stage.WON
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
        channel=detect_channel(norm),
    )
