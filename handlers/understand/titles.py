"""A contact's job title as the rep wrote it next to the name, built from its parts.

Chinese job titles are compositional, so they are parsed, not listed: an optional scope (集团, 华东区,
分公司, 基地), then a department (设备科, 采购部, 焊装车间, 总经办) or a function (采购, 战略采购, IT),
then a rank (科长, 经理, 总监, 副总, 工程师, 负责人, 助理) — 「设备科科长」, 「战略采购经理」,
「区域销售总监」, 「生产副总」, 「董事长助理」 — or an English title (CTO, GM, PM, 「Sales Director」).
The functions and ranks are closed word classes and are listed; a department may be any short stem before
部/科/课/处/室/中心/车间/办, so 「焊装车间主任」 needs no list entry, and so may an engineer's speciality.
The title may stand before the name (「设备科科长刘工」, 「见了采购经理王总」) or after it
(「刘工（设备科科长）」, 「刘工，设备科的科长」, 「王总 他们的厂长」).

Written by hand on purpose. The usual segmenter, jieba 0.42.1 (last released 2020), was measured on
these messages before writing this: about 1 s to load its dictionary and 0.3–1.6 ms a message (the whole
parse takes ~0.4 ms), and its part-of-speech tags split the words this needs (「曾/d 工/n」, 「小钱/n」,
the customer 「龙腾/nr」 tagged as a person, 「设备/vn 科/n 的/uj 科长/n」), so the title would still have to
be put together from its pieces by rules like these.
"""

from __future__ import annotations

import re

# Pinyin-input slips inside a title or an honorific (same length, so offsets stay): 采够经理, 周经里, 设被科.
_TYPO = {"采够": "采购", "彩购": "采购", "经里": "经理", "助里": "助理", "设被": "设备", "总间": "总监", "科张": "科长", "部张": "部长", "厂张": "厂长"}
# 张 is also a surname: 「采购部张经理」, 「研发部张伟」 are a person in the department; 张 is a slip for 长 only where
# no name goes on from it (「设备部张 刘工」, 「设备科张王工」, 「厂张老李」, the end of the text).
_NO_NAME_AFTER = r"(?=$|[^\u4e00-\u9fff]|[老小]|[\u4e00-\u9fff](?:总|工|经理|主任|姐|哥))"
_TYPO_RX = re.compile("|".join(k if "张" not in k else k + _NO_NAME_AFTER for k in _TYPO))


def fix_typos(text: str) -> str:
    """The text with the title typos above corrected, same length (offsets into it stay valid)."""
    return _TYPO_RX.sub(lambda m: _TYPO[m.group()], text)


# Functions a title is built on (a closed class: what a company's people do).
FUNCTIONS = (
    "战略采购|采购|技术|研发|生产|设备|质量|品质|财务|销售|市场|项目|商务|工艺|行政|人事|人力资源|人力|法务|产品|"
    "电气|仓库|仓储|运营|供应商|供应链|物流|计划|测试|大客户|客户|硬件|软件|安全|环保|能源|结构|机械|自动化|售后|客服|维修|"
    "检验|质检|信息化|信息|数字化|工程|基建|制造|综合|战略|审计|投资|品牌|设计|精益|物控|物料|资材|工务|厂务|"
    "后勤|总务|营销|营业|渠道|外贸|业务|技改|保全|机电|电仪|仪表|实验|检测|化验|认证|体系|标准化|证券|党委|工会|"
    "售前|调试|算法|视觉|电控|焊接|涂装|注塑|品管|生管|物管|"
    "[A-Z]{2,4}(?![A-Za-z])"
)
# Where in the company: 集团副总裁, 华东区销售经理, 分公司总经理, 工厂厂长, 研究院院长.
_SCOPE = (
    r"集团|总部|分公司|子公司|事业部|事业群|基地|工厂|分厂|总厂|本部|[一二三四五六七八九十\d]厂|研究院|设计院|研究所|"
    r"(?:华[东南西北中]|[东西南北]|中国|亚太|大中华|海外|国际|国内|全国|省)区|区域|大区|片区|华[东南西北中]|海外|国际|"
    # any short place before 厂 / 基地 / 园区: 「发动机厂的设备经理」, 「四川基地的设备主管」
    r"(?:[\u4e00-\u9fff](?<![了的和跟与见是在去到说把被给对向们个这那他她我你也都就还又再很已刚及或着带让请叫找约陪帮]))"
    r"{1,4}?(?:厂|基地|园区)(?=的?[\u4e00-\u9fff])"
)
# A department: a function or any short stem (no particle, pronoun or verb in it) before a unit word.
_STEM = r"[\u4e00-\u9fff](?<![了的和跟与见是在去到说把被给对向们个这那他她我你也都就还又再很已刚及或着带让请叫找约陪帮])"
_UNIT = (
    rf"(?:(?:{FUNCTIONS}){{1,2}}(?:{_STEM}){{0,3}}?|(?:{_STEM}){{1,4}}?)(?:部门|事业部|部|科|课|处|中心|办公室|室|车间|组|办|工段)"
    r"|车间|办公室|实验室|中心|部门"  # alone: 「车间主任」, 「办公室主任」, 「部门经理」
)
_BASE_RANK = (
    # An engineer of any speciality (应用工程师, 现场工程师, 视觉工程师): the stem before 工程师 is open.
    rf"(?:{_STEM}){{1,3}}?(?:工程师|设计师)|科学家|架构师|设计师|分析师|"
    # the head of a section whose name is no function (「品保课长」, 「生技科长」)
    rf"(?:{_STEM}){{1,3}}?(?:科长|课长|处长|组长|班长)|班组长|拉长|"
    "总经理|总裁|董事长|董事|总监|总工程师|高级工程师|工程师|高工|总工(?!程)|经理|主管|主任|科长|课长|处长|部长|厂长|"
    "院长|所长|局长|站长|组长|班长|队长|主席|书记|总负责人|负责人|专员|助理|秘书|会计|出纳|专家|顾问|采购员|技术员|质检员|"
    r"业务员|文员|(?:管理|计划|调度|统计|检验|操作|安全|点检|巡检|工艺|维修|资料|化验|检测)员|合伙人|老板娘|老板|老总|仓管|库管|跟单|司机|总助|董秘|线长|工段长|首席[\u4e00-\u9fff]{2}官|"
    # owners, the heads of other kinds of organisation, the 总X师 posts, and the posts of Japanese-run firms
    r"联合创始人|创始人|股东|法人代表|法人|实控人|店长|行长|校长|园长|社长|秘书长|理事长|会长|监事长|监事|主编|"
    r"总会计师|总经济师|总设计师|总工艺师|本部长|次长|系长|担当|内勤|翻译"
)
# Longest first: 总经理助理 before 总经理, 副总经理 before 副总.
_RANK = (
    r"(?:总经理|董事长|总裁|厂长|总监|经理|部长|副总|老板|主任|主管|总工|院长|所长)(?:特别助理|助理|秘书|助手|特助)|"
    r"(?:常务|执行|资深|高级|首席)?副(?:总经理|总裁|董事长|总监|经理|主任|科长|课长|处长|部长|厂长|院长|所长|局长|"
    r"站长|组长|班长|队长|主席|书记|总工程师|总工|总)|"
    rf"(?:常务|执行|资深|高级|首席)?(?:{_BASE_RANK})|"
    r"(?<=[\u4e00-\u9fff])(?:S?VP|GM|C[A-Z]O)(?![A-Za-z])"  # 技术VP, 区域GM
)
# An English job title as written: functions and a rank word (「purchasing manager」, 「IT director」, 「CTO」).
_EN_FUNCTION = (
    r"(?:senior|chief|general|deputy|assistant|regional|purchasing|procurement|sourcing|buying|category|strategic|"
    r"project|product|sales|IT|technical|engineering|quality|plant|site|factory|facilit(?:y|ies)|production|"
    r"manufacturing|R&D|research|design|finance|financial|operations|supply chain|supplier|logistics|warehouse|"
    r"HR|marketing|business development|key account|account|customer service|service|commercial|"
    r"maintenance|equipment|process|test|EHS|QA|QC|electrical|mechanical|automation|software|hardware)"
)
EN_TITLE = (
    # 「head of procurement」, 「director of engineering」: the rank first, the function after 「of」
    rf"(?:head|director|manager|vice president|VP)\s+of\s+(?:the\s+)?{_EN_FUNCTION}(?:\s+department)?\b|"
    rf"(?:{_EN_FUNCTION}\s+){{1,3}}(?:manager|director|engineer|head|buyer|supervisor|lead|president|officer|"
    r"specialist|assistant|chief|leader)\b|(?:manager|director|engineer|buyer|supervisor|president)\b|"
    # alone only the words no message uses otherwise (not 「lead time」, 「head office」), and the
    # abbreviations in capitals (not 「3pm」)
    r"(?-i:(?<![A-Za-z\d])(?:C[A-Z]O|S?VP|GM|PM)(?![A-Za-z]))"
)
# English titles that stand alone: CTO, CEO, VP, GM, PM (not a time: 「3 PM」).
_ENGLISH = r"(?<![A-Za-z\d] )(?<![A-Za-z\d])(?:C[A-Z]O|S?VP|GM|PM)(?![A-Za-z])"
# The unit's 的 is kept out of the title (「设备科的科长」 → 设备科科长); a scope's 的 drops the scope
# (「他们基地的厂长」 → 厂长: the title is the rank, the place only says where).
_ONE_TITLE = (
    rf"(?:(?P<scope>{_SCOPE})(?P<scope_de>的)?)?"
    # 「分管生产的副总」, 「负责采购的经理」: what the person is in charge of is the function (生产副总)
    rf"(?:(?:分管|主管|负责|管)(?P<charge>(?:{FUNCTIONS}){{1,2}})的?"
    rf"|(?:(?P<unit>{_UNIT}|(?:{_STEM}){{1,4}}?班(?=班长|组长))(?:的 ?|新来的|新任的?|新上任的)?)?"
    rf"(?P<func>(?:{FUNCTIONS}){{1,3}})?)"
    rf"(?P<rank>{_RANK})(?!人事|人员|务|级|理)"
    rf"|(?P<english>{_ENGLISH}|(?i:{EN_TITLE}))"  # 「王总 Sales Director」, written in English
)
_ONE_TITLE_TEXT = re.sub(r"\(\?P<\w+>", "(?:", _ONE_TITLE)
# Two posts held at once: 「研发经理兼项目经理」.
TITLE = re.compile(rf"(?:{_ONE_TITLE})(?P<also>(?:兼(?:{_ONE_TITLE_TEXT}))*)")
# The same without its group names, to put inside other patterns (visit_text: a full name beside a title).
TITLE_TEXT = rf"(?:{_ONE_TITLE_TEXT})(?:兼(?:{_ONE_TITLE_TEXT}))*"
# A department alone (visit_text: a full name glued after it, 「采购部李娜」).
UNIT_TEXT = _UNIT
# A rank alone (visit_text: 「董秘罗总」, 「车间主任董工」 are no 董秘罗, 任董).
RANK = re.compile(_RANK)
_UNIT_ONLY = re.compile(rf"(?:(?P<scope>{_SCOPE}))?(?P<unit>{_UNIT})的?")
_FUNC_ONLY = re.compile(rf"(?P<func>(?:{FUNCTIONS}){{1,2}})")
# Ranks a name may carry (「王经理」, 「钱科长」): a department before it makes 采购部经理.
RANK_IN_NAME = re.compile(
    r"(?:副?(?:经理|科长|课长|处长|部长|主任|总监|主管|厂长|院长|所长)|负责人|会计|出纳|秘书|助理|专员|工程师)$"
)
# Where a title written before the name may start: after a blank, a particle or a verb of meeting.
_START_AFTER = set(" ,，。;；:：、（(的了和跟与找见是们位个约访到他她给问请向陪带等让叫被做搞管责") | {"\n"}
# Elsewhere a title written before the name starts only at a known scope or function (「金禾化工设备科科长」
# at 设备), never at a rank (「王经理 李工」: 经理 is 王经理's) nor at an unknown stem.
_KNOWN_START = re.compile(rf"(?:{_SCOPE}|{FUNCTIONS}|{_ENGLISH}|(?:分管|主管|负责|管)(?:{FUNCTIONS}))")


# Functions that name a person's job when they stand alone as a word beside the name (「小刘 采购」), unlike an
# activity (「美的刘工 测试」, 「周经理 项目 85万」); in brackets any function is a title (「孙部长（采购）」).
# A function before it narrows it (「周经理 战略采购」, 「王工 供应商质量」); the role abbreviations are listed
# because other capitals beside a name are things (「张总 MES 聊了」, 「王工 PLC 调试」).
_PERSON_FUNCTION = re.compile(
    rf"(?:{FUNCTIONS})?(?:采购|财务|人事|行政|法务|商务|销售|会计|出纳|前台|HR|IT|技术|研发|生产|质量|品质|质检|设备|工艺|"
    r"仓库|物流|计划|品管|生管|物控|QA|QC|EHS|PMC|SQE|SQA|[DPC]QE|QE|IQC|OQC|IPQC|PE|ME|TE|FAE|BD|HRBP)"
)

# The same as text, for a full name beside a job word (visit_text: 「采购 李娜」, 「李娜 采购」).
PERSON_FUNCTION_TEXT = _PERSON_FUNCTION.pattern


def _written(m: re.Match[str]) -> str:
    """The title a match spells, without its 的 (a scope's 的 drops the scope: see ``TITLE``)."""
    rank = m.group("rank")
    if rank is None:
        return m.group("english") + m.group("also")
    scope = m.group("scope") if m.group("scope") and not m.group("scope_de") else ""
    unit = m.group("unit") or ""
    return scope + unit + (m.group("charge") or m.group("func") or "") + rank.strip() + m.group("also")


def _with_name(part: str, name: str) -> str:
    """A department or function beside a name: 「采购部 王经理」 → 采购部经理, 「研发部 李工」 → 研发部工程师,
    「采购部 王总」 → 采购部 (总 is an honorific, not a rank), 「采购 周经理」 → 采购 (a function alone)."""
    part = part.replace("的", "").replace(" ", "")
    if not re.search(r"(?:部门|部|科|课|处|中心|室|车间|组|办|工段)$", part):
        return part
    if rank := RANK_IN_NAME.search(name):
        return part + rank.group(0)
    if name.endswith("工") and not name.endswith("总工"):
        return part + "工程师"
    return part


def title_before(before: str, name: str, floor: int = 0) -> str | None:
    """The title written right before the name; ``before`` is the clause up to the name (blanks and 的 may
    stand between), ``floor`` where the customer's name in it ends: a title starts after it, or at a
    function word the customer's name ends with when a rank follows (「海康技术」 read as the customer,
    「总监何工」 after it: 技术总监)."""
    found = _before(before, name, floor)
    return found[1] if found else None


def title_start(before: str) -> int | None:
    """Where a title written right before a name starts in ``before`` (for an unknown company's name that
    must stop there: 「金禾化工设备科科长刘工」 → 金禾化工)."""
    found = _before(before, "", 0)
    return found[0] if found else None


# An English function before 的 and the name (「见了procurement的Lisa」, 「跟 purchasing 的 Frank」, 「IE 的 Tony」): the
# function is the title, as written (the Chinese functions are read by the loop in ``_before``).
# (capitals only as the job abbreviations: 「ABB的王工」 is a company)
_EN_FUNCTION_OF = re.compile(
    rf"(?<![A-Za-z])(?P<f>(?i:{_EN_FUNCTION})|(?:QA|QC|EHS|PMC|SQE|SQA|[DPC]QE|QE|IQC|OQC|IPQC|PE|ME|TE|IE|FAE|BD|HR|IT|PM)"
    r"|R&D)(?![A-Za-z])\s?的\s?$"
)


_NEW_IN_POST = re.compile(r"(?:新来|刚来|新上任|新任|刚上任|现任)的")


def _before(before: str, name: str, floor: int) -> tuple[int, str] | None:
    if (en := _EN_FUNCTION_OF.search(before)) and en.start() >= floor:
        return en.start(), en.group("f")
    tail = before.rstrip()
    spaced = len(tail) < len(before)
    tail = re.sub(r"(?:\s*(?:那个|这个|嗯+|呃|额|就是))+\s*$", "", tail)  # fillers: 「采购经理 那个 王总」
    tail = re.sub(r"\s*(?:名字叫|名叫|叫|姓)$", "", tail).rstrip()  # 「他是研发总监 叫蒋明」, 「设备科科长 姓钱」
    tail = re.sub(r"\s*[:：\-—/、,，]$", "", tail)  # 「技术部：刘工」, 「采购部-王经理」, 「生产经理、张工」
    tail = re.sub(r"(?:这边|那边)?的?$", "", tail).rstrip()  # 「采购这边的王经理」
    if 0 < floor < len(tail) and (f := re.search(rf"(?:{FUNCTIONS})(?<![A-Za-z])$", tail[:floor])):
        floor = f.start()
    for i in range(floor, len(tail)):
        if not (i == floor or tail[i - 1] in _START_AFTER or _KNOWN_START.match(tail, i)):
            continue
        if m := TITLE.fullmatch(tail, i):
            return i, _written(m).replace("的", "")
        # 「总经理的助理小杨」: a 的 inside the title (not 「新来的品质部部长」: 新来 says when, the title starts after it)
        if "的" in tail[i:] and not _NEW_IN_POST.match(tail, i) and (m := TITLE.fullmatch(tail[i:].replace("的", ""))) and m.group("rank"):
            return i, _written(m)
        if m := _UNIT_ONLY.fullmatch(tail, i):
            return i, _with_name((m.group("scope") or "") + m.group("unit"), name)
        # 「采购小李」, 「跟他们采购周经理」 (not 「恒瑞达电子的王总」: a bare function only after a boundary)
        at_boundary = i in (0, floor) or tail[i - 1] in _START_AFTER
        if not spaced and at_boundary and (m := _FUNC_ONLY.fullmatch(tail, i)):
            return i, m.group("func")
        # 「华为 采购 王经理」: a job standing alone as a word (not 「聊了采购 王经理说…」)
        alone = i == floor or tail[i - 1].isspace() or tail[:i].endswith(("他们", "她们"))  # 「他们采购 小王」
        if spaced and alone and (m := _PERSON_FUNCTION.fullmatch(tail, i)):
            return i, m.group()
    # 「赵总助理小王」: the assistant of the person named just before.
    if m := re.search(r"(?<=[总工理长监])的?(?P<t>助理|秘书|助手)$", tail):
        return m.start("t"), m.group("t")
    return None


# What may come between the name and a title written after it: 「（」, 「，」, 「是」, 「他是」, 「他们的」, 「他们公司的」.
# (「我们的销售总监」 is the rep's colleague, never the contact's title: 我们 is matched to be refused.)
_WHOSE = (
    r"(?:(?:他们|她们|我们)(?:公司|厂里|这边|那边)?的?|(?:对方|客户|人家|这边|那边)的|公司的?|厂里的?)?"
    r"(?:新来的|刚来的|新上任的|新任的?|现在的)?"
    # what the post is about: 「他是这个项目的技术负责人」, 「他是做项目的项目经理」
    r"(?:(?:这个|那个)?项目(?:上)?的|做[\u4e00-\u9fff]{1,3}?的)?"
)
# 「是」, 「他现在是」, 「现任」, 「也就是」 (「张总 也就是他们的副总裁」)
_IS = r"(?:也就是|就是|(?:他|她)?(?:现在|目前|现)?(?:是|任|担任))"
_AFTER_SEP = re.compile(
    rf"(?P<mark>\s*[（(【\[,，、:：/|—-]\s*|\s+)(?P<is>{_IS})?\s?{_WHOSE}\s*"
    rf"|(?P<is2>{_IS}){_WHOSE}\s*"
    # dictated, glued to the name: 「曾总他们的总经理约了下周二吃饭」
    r"|(?P<whose>(?:他们|她们)(?:公司|厂里|这边|那边)?的?)"
)
# What a person other than the contact does, glued to a title after the name: 「黄工 他们总经理不同意这个价」,
# 「韩工 项目经理换人了」, 「肖工 他们质量经理休假了」 — that title is the other person's.
OTHER_PERSON_DOES = re.compile(
    r"[也都还又]?(?:不同意|同意了|不批|没批|批了|换人|换了|休假|请假|出差|不在|没在|在开会|不满意|很满意|去了|来了|在场|"
    r"参加|觉得|认为|嫌|要求|离职|辞职|走了|调走|退休|说(?!了算)|"
    # with someone else named (「葛部长，老板跟葛部长是大学同学」: 老板 is ours)
    r"(?:跟|和)(?=[\u4e00-\u9fff]{1,2}(?:总|工|经理|部长|科长|处长|主任|厂长))|"
    # glued to a time that starts what they will do: 「张总 项目经理下周来对接」
    r"(?:下周|下星期|下礼拜|明天|后天|下个?月|改天|回头|过两天|过几天)(?:再|会|要)?(?:来|过来|去|到|对接|联系))"
)
# Where the words about someone else start, after a contact (「肖工 他们质量经理休假了」: 休假 is not 肖工's).
THIRD_PARTY = re.compile(rf"(?:(?:他们|她们|我们)的?)?(?:{TITLE_TEXT})(?={OTHER_PERSON_DOES.pattern})")
# 「小赵 赵总的助理」: the assistant of someone named in the title (the contact is the assistant).
_ASSISTANT_OF = re.compile(r"[\u4e00-\u9fff]{1,2}?(?:总|工|经理|董|主任|部长)的?(?P<t>助理|秘书|助手|特助|司机)")
_AFTER_END = re.compile(r"\s|[）)】\],，。;；!！?？、/|]|$")
# Another person right after a title (「王总 采购经理李工也在」): the title is that person's.
_NEXT_PERSON = re.compile(
    r"[\u4e00-\u9fff]{1,3}?(?:总|工|经理|科长|部长|主任|姐|哥)(?![\u4e00-\u9fff])|[老小][\u4e00-\u9fff](?![\u4e00-\u9fff])"
)
# A bare function after the name is a title only when it stands alone (「小刘 采购 问了报价」), not the start of
# what was discussed (「张总 技术 交流了参数」, 「王总 采购的事」).
_NOT_A_ROLE_AFTER = re.compile(r"\s*(?:交流|对接|问题|方案|资料|参数|需求|部分|方面|这块|那块|的|流程|计划|合同|价格)")


# What the contact does, said after the name as a whole phrase: 「小刘 做采购的 对了价格」 → 采购 (not 「做好的方案」:
# it starts with a function and its 的 ends the phrase).
_DOES_AFTER = re.compile(
    rf"\s*[,，、]?\s*(?:(?:他|她)?是)?(?:做|搞|管|负责)(?P<f>(?:{FUNCTIONS})[\u4e00-\u9fff]{{0,2}}?)的"
    r"(?=\s|[,，。;；!！?？）)]|$)"
)


def _title_at(after: str, at: int, of_contact: bool = False) -> re.Match[str] | None:
    """A title starting at ``at`` that is not the title of another person named right after it, nor of someone
    doing something else there (unless ``of_contact``: 「他是设备部的主管说…」 says whose title it is)."""
    m = TITLE.match(after, at)
    if m is None or _NEXT_PERSON.match(after, m.end()):
        return None
    return None if not of_contact and OTHER_PERSON_DOES.match(after, m.end()) else m


# 「是他们动力总成的采购经理」, 「他们供应链的部长」: once 是 or 他们 says a title follows, any short stem before 的 is
# the part of the company the post belongs to (a product line, a function), whatever its word.
_OWN_UNIT = re.compile(rf"(?P<own>(?:{_STEM}){{2,6}}?)的\s*")


def _own_unit_title(after: str, at: int) -> str | None:
    """A title with a rank after 「stem的」 at ``at``, written whole (as the rep wrote it, without the 的)."""
    u = _OWN_UNIT.match(after, at)
    if u is None:
        return None
    m = _title_at(after, u.end(), of_contact=True)
    if m is None or not m.group("rank") or not _AFTER_END.match(after, m.end()):
        return None
    return u.group("own") + _written(m).replace("的", "")


# After 「是」 the words up to the clause's end may be a title written in words with blanks between them
# (「他是 数字能源 采购总监」, 「是 冷轧厂 设备 主管」, 「现在是 动力总成 采购 科长」).
_SAID_IS = re.compile(rf"^\s*[,，]?\s*(?:[他她](?:们)?)?\s*{_IS}\s*(?:(?:他们|她们)\s*的?\s*)?")
_STEM_AND_TITLE = re.compile(rf"(?P<own>(?:{_STEM}|[A-Z\d]){{2,6}}?)的?(?P<t>{TITLE_TEXT})")


def _spaced_title_after_is(after: str) -> str | None:
    """A title said after 「是」 in words with blanks between them, closed up: the longest run of up to five words
    that reads as a title with a rank, a short stem before it kept (数字能源采购总监)."""
    said = _SAID_IS.match(after)
    if said is None:
        return None
    rest = re.split(r"[,，。;；!！?？（(]", after[said.end() :], maxsplit=1)[0]
    words = rest.split()[:5]
    for k in range(len(words), 0, -1):
        run = "".join(words[:k])
        if (m := TITLE.fullmatch(run)) and m.group("rank"):
            return _written(m).replace("的", "")
        if (s := _STEM_AND_TITLE.fullmatch(run)) and (m := TITLE.fullmatch(s.group("t"))) and m.group("rank"):
            return s.group("own") + _written(m).replace("的", "")
    return None


def title_after(after: str, name: str) -> str | None:
    """The title written right after the name (``after`` starts where the name ends): 「刘工（设备科科长）」,
    「谢工，质量部负责人」, 「陈工 是研发部经理」, 「赵总 他们的生产总监」, 「刘工，设备科的科长」; said after 是 in
    words with blanks between them (「张总 他是 数字能源 采购总监」)."""
    return _title_after(after, name) or _spaced_title_after_is(after)


def _title_after(after: str, name: str) -> str | None:
    """The title written right after the name (``after`` starts where the name ends): 「刘工（设备科科长）」,
    「谢工，质量部负责人」, 「陈工 是研发部经理」, 「赵总 他们的生产总监」, 「刘工，设备科的科长」."""
    if d := _DOES_AFTER.match(after):
        return d.group("f")  # 「小刘 做采购的」, 「王工 做设备维护的」
    sep = _AFTER_SEP.match(after)
    if sep is None:
        # Glued to the name (dictated: 「格力黄工设备科科长要报价」): only a title that starts with a known word
        # and has a rank (not 「张总让采购部…」, 「王总采购的事」).
        m = _title_at(after, 0)
        known = _KNOWN_START.match(after) or (m and m.start("rank") == 0)
        return _written(m).replace("的", "") if m and m.group("rank") and known else None
    if "我们" in sep.group():
        return None  # 「曹总 我们销售总监也去了」: the rep's colleague
    at = sep.end()
    a = _ASSISTANT_OF.match(after, at)
    if a and not TITLE.fullmatch(a.group()) and _AFTER_END.match(after, a.end()):  # not 「总经理助理」
        return a.group("t")
    bracket = any(b in sep.group() for b in "（(【[")
    # Only a blank between: a bare rank running on into words is what the contact said or did, not their
    # title (「黄工 老板说价格合适就签」).
    blank_only = not sep.group().strip()
    m = _title_at(after, at, of_contact=bool(sep.group("is") or sep.group("is2")))
    if m and blank_only and m.start("rank") == at and not _AFTER_END.match(after, m.end()):
        m = None
    if m and _AFTER_END.match(after, m.end()):
        return _written(m).replace("的", "")
    # 「王主任（总经理室）」: a department that only starts like a rank (总经理 + 室)
    if (u := _UNIT_ONLY.match(after, at)) and _AFTER_END.match(after, u.end()):
        return _with_name((u.group("scope") or "") + u.group("unit"), name)
    if m:
        return _written(m).replace("的", "")  # 「赵总，生产副总今天见了」
    said = bool(sep.group("is") or sep.group("is2")) or re.search("[他她]们", sep.group()) is not None
    if said and (own := _own_unit_title(after, at)):
        return own  # 「宋经理 是他们动力总成的采购经理」
    f = _FUNC_ONLY.match(after, at)
    if f and (sep.group("is") or sep.group("is2")) and after.startswith("的", f.end()) and _AFTER_END.match(after, f.end() + 1):
        return f.group("func")  # 「李经理是采购的」
    if not f or not _AFTER_END.match(after, f.end()) or _NOT_A_ROLE_AFTER.match(after, f.end()):
        return None
    return f.group("func") if bracket or _PERSON_FUNCTION.fullmatch(f.group("func")) else None


# 「找采购的小唐送资料她是新来的采购专员」: the title said of the contact a few words on, with no one else named between.
_LATER = re.compile(
    rf"(?P<gap>[^,，。;；!！?？\n]{{0,12}}?)(?:[他她](?:现在|目前)?|(?P<now>现在|目前|现))(?:是|任|担任){_WHOSE}\s*"
)
_SOMEONE = re.compile(r"[老小][\u4e00-\u9fff]|[\u4e00-\u9fff](?:总|工|经理|科长|部长|主任)")


def title_later(after: str) -> str | None:
    """A title with a rank said of the contact later in the sentence (「刘工那边他是设备部的主管」, 「李经理 以前做销售
    现在是采购经理」), else None."""
    lead = _LATER.match(after)
    if lead is None or "我们" in lead.group() or _SOMEONE.search(lead.group("gap")):
        return _title_later_does(after)
    m = _title_at(after, lead.end(), of_contact=True)
    if m and lead.group("now") and not _AFTER_END.match(after, m.end()):
        return None  # 「以前做销售现在是采购经理」 without 他 only as a whole word (not 「现在是采购经理在管」)
    if m is None and (own := _own_unit_title(after, lead.end())):
        return own  # 「他是他们总装线的班组长」
    if m is None and lead.group("now") is None:
        return _unit_or_job_alone(after, lead.end())  # 「她是采购」, 「他是物流部的」
    return _written(m).replace("的", "") if m and m.group("rank") else None


def _unit_or_job_alone(after: str, at: int, in_charge: bool = False) -> str | None:
    """A department or a job with no rank said of the contact, ending its phrase (「她是采购」, 「他是他们物流部的」,
    「她负责供应链」: ``in_charge``, any function), else None: without 他/她 是 before it a bare function word is
    what was discussed."""
    if (u := _UNIT_ONLY.match(after, at)) and _AFTER_END.match(after, u.end()):
        return (u.group("scope") or "") + u.group("unit")
    f = _FUNC_ONLY.match(after, at)
    if f is None or not (in_charge or _PERSON_FUNCTION.fullmatch(f.group("func"))):
        return None
    end = f.end() + 1 if after.startswith("的", f.end()) else f.end()
    return f.group("func") if _AFTER_END.match(after, end) else None


# 「她负责供应链」, 「他管采购的」: what the contact is in charge of, said of them a few words on.
_LATER_DOES = re.compile(r"(?P<gap>[^,，。;；!！?？\n]{0,12}?)[他她](?:主要)?(?:负责|管|分管)")


def _title_later_does(after: str) -> str | None:
    lead = _LATER_DOES.match(after)
    if lead is None or "我们" in lead.group() or _SOMEONE.search(lead.group("gap")):
        return None
    return _unit_or_job_alone(after, lead.end(), in_charge=True)


# Dictated titles come in words with blanks between them (「采购部 经理」, 「设备科 副科长」, 「技术经理 兼 项目负责人」,
# 「董事长 特别助理」): the blanks inside a title are closed before the title is read. Only a department, a function
# or a rank followed by a rank, 副/高级 or 兼 is closed, so 「采购 数量」 and 「经理 邓经理」 stay apart.
_TITLE_GAP = re.compile(
    rf"(?P<left>(?:{_UNIT})|(?:{FUNCTIONS})|(?:{_RANK})|兼)\s+(?=(?:{_RANK})(?![\u4e00-\u9fff]?(?:总|工)(?![\u4e00-\u9fff]))|兼|(?:{FUNCTIONS})\s?(?:{_RANK}))"
)


def close_title_gaps(text: str) -> str:
    """The text with the blanks inside a title written in separate words removed (the offsets change)."""
    for _ in range(3):  # 「泵送事业部 采购 经理」: one gap closes per pass where they chain
        closed = _TITLE_GAP.sub(lambda m: m.group("left"), text)
        if closed == text:
            break
        text = closed
    return text

