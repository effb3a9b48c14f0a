"""Corrections to a visit just logged, typed without tapping 修改 first.

「联系人是刘工，设备科科长」, 「刘工是设备科科长，不是工程师」: a contact and the title *as written*
(never a title guessed from the honorific: 「刘工」 alone says nothing about 工程师 vs 设备科科长).
Everything else (「改成周四跟进」, 「金额是35万」, 「客户改成…」) is ``visit_text.parse_edit``'s.
"""

from __future__ import annotations

import re
from datetime import datetime

from handlers.understand.visit_text import EditRequest, parse_edit

_NAME = (
    r"(?:[\u4e00-\u9fff]{1,2}(?:工|总|经理|主任|科长|处长|部长|老师|总监|主管|厂长|姐|哥)"
    r"|[小老][\u4e00-\u9fff]|[\u4e00-\u9fff]{2,3}|[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)"
)
_TITLE_END = (
    r"(?:长|总|经理|主任|主管|总监|工程师|专员|助理|老师|秘书|负责人|采购|会计|出纳|技术员|董事|书记|顾问|"
    r"主席|院长|代表|老板|工|师)"
)
_CONTACT_IS = re.compile(
    rf"^(?:联系人|对接人|见的人?|见的是)(?:姓名)?\s*(?:改成|改为|应该是|是|为|:|：)\s*(?P<name>{_NAME})"
    rf"(?:\s*[，,、\s（(]\s*(?P<title>[^，,。）)\s]{{2,14}}?)\s*[）)]?)?$"
)
_TITLE_IS = re.compile(
    rf"^(?P<name>{_NAME})(?:的)?(?:职位|职务|头衔)?\s*(?:是|为|改成|改为|应该是)\s*(?P<title>[^，,。\s]{{1,12}}?{_TITLE_END})"
    r"(?:\s*[，,]?\s*(?:不是|而不是).*)?$"
)


def parse_correction(text: str, now: datetime) -> EditRequest | None:
    """A correction to the visit just logged, or None when the message is not one."""
    norm = text.strip().rstrip("。.!！~～")
    if m := _CONTACT_IS.match(norm):
        return EditRequest(contact_name=m.group("name"), contact_title=m.group("title"))
    if m := _TITLE_IS.match(norm):
        return EditRequest(contact_name=m.group("name"), contact_title=m.group("title"))
    edit = parse_edit(text, now)
    if edit is not None and edit.contact_name and edit.contact_title and edit.contact_title not in norm:
        # parse_edit guesses a title from the honorific ("刘工" → 工程师); a correction keeps only what was written.
        edit = EditRequest(contact_name=edit.contact_name)
    return edit
