"""Who the rep met: the customer-side person a visit message names.

A person is written as a surname with an honorific or a title (张总, 采购部的刘经理, 张建国总监), a nickname
(老王, 小李, 强哥, 阿强), a full name beside a title or their honorific (采购总监 张建国, 李建国李总), a bare full name
where a name stands (right after the customer or a word of contact: 「长安董丽 报价」, 「跟周思远在比亚迪碰了一下」,
「接替他的是刘振宇」) or an English name (Tony 采购经理, 「先导Kevin」, 「Tony Wang 今天在博世见的」). A bare full name is
only read where the words after it end it (a blank, a mark, a word of speech or contact), and places and industry
words that start with a surname's character are no one. Of the people named the first one wins, except those the message says were not met: absent or
busy (张总临时出差了, 在开会), a call that did not get through (电话没接), someone unnamed who stood in for them
(赵总的秘书接待的), or the rep's own colleagues (跟同事小王一起, 公司王总带我去的); the one the message says was met
among several wins (「只见到了采购小邓」), and a message naming only our own people has no contact. The caller passes the customer names and the
dates as blocked spans, so 「跟徐工罗总吃饭」 names 罗总 at 徐工, not a 徐 engineer.

Written by hand: how reps glue names to titles and company names in chat is ours to know; the title words
themselves are ``titles.py``'s.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from domain.customer_names import INDUSTRY_WORDS, places
from handlers.understand.clauses import clause_after, clause_before, without_word_gaps
from handlers.understand.titles import (
    EN_TITLE,
    FUNCTIONS,
    PERSON_FUNCTION_TEXT,
    RANK,
    THIRD_PARTY,
    TITLE_TEXT,
    UNIT_TEXT,
    fix_typos,
)

# 长孙 right after a title ending in 长 (「研究院院长孙总」) is 院长 + 孙总.
_SURNAMES_2 = "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|令狐|慕容|夏侯|(?<![院厂科部队校行处组班所站局市县])长孙|公孙|端木|宇文|司徒"
_SURNAMES_1 = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫"
    "孔汤温康施牛樊葛邢齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿兰焦俞左柳甘祝包尚符舒阮柯纪梅童凌毕季裴霍"
    "涂苗谷盛曲翁冉骆蓝辛靳管柴蒙鲍喻祁蒲房滕屈饶牟艾尤穆卓吉缪褚娄窦戚岑党宫费卜冷晏卫柏宗瞿桂佟臧"
    "闵苟邬边卞姬仇栾隋刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝于"
    "杭单阎贝晁麦蔺冀郁芦闻景宁常"
)
# Every one-character surname (visit_text: a dictated surname and its honorific written apart, 「林 经理」).
SURNAME_CHARS = frozenset(_SURNAMES_1)
# Longest first: "总经理" before "总", "总工" before "总".
_TITLES = (
    "副总经理|总经理|副总裁|董事长|工程师|总裁|总监|总工|副总|经理|主任|主管|部长|科长|处长|厂长|院长|所长|局长|高工"
    "|书记|老板|老师|博士|教授|会计|秘书|助理|专员|组长|班长|课长|站长|女士|先生|小姐|师傅|总|工|姐|哥|董|处|科|部|局|院"
)
# The one-character forms of a rank (刘董, 王处, 张科, 李局, 陈院) and 女士 / 先生 say nothing of the title.
_TITLE_CANON = {"工": "工程师", "总工": "总工程师", "高工": "高级工程师", "姐": None, "哥": None, "女士": None, "先生": None, "小姐": None}
_TITLE_CANON |= dict.fromkeys(("师傅", "董", "处", "科", "部", "局", "院"))
_DEPARTMENTS = (
    "采购|技术|研发|生产|设备|工程|质量|品质|财务|行政|信息|IT|设计|项目|销售|市场|运营|供应链|物流|仓储|基建"
    "|动力|安全|总经办|人事|法务|商务|工艺|制造|质检|计划|综合|战略"
)
CONTACT_RX = re.compile(
    rf"""
    (?:(?P<dept>(?:{_DEPARTMENTS})(?:部门|部|中心|科|处)?)(?:的)?)?
    (?:
        (?P<name>(?:{_SURNAMES_2}|[{_SURNAMES_1}])(?P<given>[\u4e00-\u9fff]{{0,2}}?))
        (?P<title>{_TITLES})
        (?!(?<=总)[结部体共额价之算数量计包代裁监经工])
        (?!(?<=工)[作程期厂艺资具业人地序位件单况装])
        (?!(?<=[^总]董)事)(?!(?<=[^副]处)[理长])(?!(?<=[^副]科)[技学研室长])(?!(?<=[^副]部)[门长分件位署队委属落经])(?!(?<=[^副]局)[长面势部])(?!(?<=[^副]院)[长士校子])
      | (?P<nick>[老小](?:{_SURNAMES_2}|[{_SURNAMES_1}]))(?![\u4e00-\u9fff]{{0,1}}(?:{_TITLES}))
    )
    """,
    re.VERBOSE,
)
# A given name only follows a clear boundary ("见了张建国总监"), never in mid-word.
_NAME_BOUNDARY = set(" ,.;:!?，。；：！？、的了和跟与找约见访是位个(（\"'“")
# A given name does not end in the first character of a word ending in 工 (化工, 重工, 电工, 精工, 员工).
_WORD_BEFORE_GONG = set("化重电轻精军手木技员职施加民农分美矿石竣开复停完")
_NOT_GIVEN = set("的了和跟与是在去见到说把被给对向约等和总工经理部长主任老师司厂公们个位都也就还又再级")


# A surname character that ends a rank word (主任 + 董工).
_ENDS_IN_RANK = re.compile(rf"(?:{RANK.pattern})$")


@dataclass(frozen=True)
class ContactMention:
    start: int
    end: int
    name: str
    title: str | None


_LATIN_NAME_RX = re.compile(
    r"(?:的|见了?|和|跟|与|找|约了?|同事|联系人是?|对接人是?|经理|总监|主管|专员|助理|工程师)\s?(?P<n>[A-Z][a-z]{2,11})(?![A-Za-z])"
)
# A full name with no honorific is a person when a title stands right next to it (「采购总监 张建国」,
# 「张建国（采购总监）」); the name must end at a blank or a bracket, so its length is not guessed.
_FULL_NAME = rf"(?:{_SURNAMES_2}|[{_SURNAMES_1}])[\u4e00-\u9fff]{{1,2}}"
# The full name and what everyone calls them (「李建国李总」, 「王芳（王经理）」): the name is the contact, the
# honorific as written is the title.
_NAME_AND_HONORIFIC = re.compile(
    rf"(?:^|(?<=[\s,，。;；、的了见是和跟与]))(?P<full>(?P<s>{_SURNAMES_2}|[{_SURNAMES_1}])(?P<g>[\u4e00-\u9fff]{{1,2}}))"
    r"\s?[（(]?(?P=s)(?P<h>总经理|总监|经理|总工|总|工|主任|科长|部长|处长|厂长|主管)[）)]?"
)
# The honorific first and the full name after it (「精工李总李建华」): the full name is the contact.
_HONORIFIC_AND_NAME = re.compile(
    rf"(?P<s>{_SURNAMES_2}|[{_SURNAMES_1}])(?:总经理|总监|经理|总工|总|工|主任|科长|部长|处长|厂长|主管)\s?"
    r"(?P<full>(?P=s)[\u4e00-\u9fff]{1,2})(?=[\s,，。;；!！?？、（(]|$)"
)
# A full name first in the message, then what the person is (「上官婷是宁德时代的采购工程师 今天第一次对接」).
_LEADING_NAME_IS = re.compile(rf"^(?P<n>(?:{_SURNAMES_2}|[{_SURNAMES_1}])[\u4e00-\u9fff]{{1,2}}?)(?=是[^,，。;；!！?？\s]{{0,12}}的)")
# A name said after the title (「他是研发总监 叫蒋明」, 「她是采购部的 叫刘芳」).
_CALLED_NAME = re.compile(
    rf"(?:名字叫|名叫|叫)\s?(?P<n>(?:{_SURNAMES_2}|[{_SURNAMES_1}])[\u4e00-\u9fff]{{1,2}}?"
    # 「一个 ME 叫 David」, 「一个刚毕业的小姑娘，叫小米」
    r"|[A-Z][a-z]{2,11}|小[\u4e00-\u9fff])(?=[\s,，。;；!！?？、]|$)"
)
# 「今天见的是汪丽」, 「接待我的是小周」, 「今天见的是Jack和阿May」: the one met, said after 的是
_SEEN_IS = re.compile(
    rf"(?:见|接待(?:我|我们)?|对接|谈|聊|找|约)的是\s?(?P<n>(?:{_SURNAMES_2}|[{_SURNAMES_1}])[\u4e00-\u9fff]{{1,2}}?"
    r"|[A-Z][a-z]{2,11})(?=[\s,，。;；!！?？、和跟与]|$)"
)
# Only the surname, after the title (「设备科科长 姓钱」, 「她是总经办主任 姓董」): the contact is filed as the surname
# and the honorific the title's rank gives (钱科长, 董主任, 方工 for an engineer, 陆总 for a director).
SURNAME_SAID = re.compile(
    rf"(?P<t>{TITLE_TEXT})(?:\s*(?:的)?\s*[,，]?\s*|[^。;；!！?？]{{0,14}}?(?:对方|他|她)|"
    # 「新来的设备经理想认识一下供应商，聊了一个多钟头，人挺年轻的，姓蔡」: 姓X as a clause of its own, further on
    rf"(?<!我们的)(?<!我们)[^。;；!！?？]{{0,30}}?[,，\s])姓\s?(?P<s>{_SURNAMES_2}|[{_SURNAMES_1}])(?=[\s,，。;；!！?？、]|$)"
)
_HONORIFIC_OF_RANK = (
    ("科长", "科长"), ("主任", "主任"), ("经理", "经理"), ("部长", "部长"), ("处长", "处长"), ("厂长", "厂长"),
    ("院长", "院长"), ("所长", "所长"), ("主管", "主管"), ("工程师", "工"), ("总监", "总监"), ("总经理", "总"),
    ("总裁", "总"), ("董事长", "总"), ("副总", "总"), ("秘书", "秘书"), ("助理", "助理"), ("CTO", "总"), ("CEO", "总"), ("CFO", "总"), ("COO", "总"), ("VP", "总"),
)


def _honorific_for(title: str) -> str | None:
    """The honorific a title's rank gives a surname (设备科科长 → 科长, 主任工程师 → 工), else None."""
    return next((h for rank, h in _HONORIFIC_OF_RANK if title.endswith(rank)), None)


# Words after a title that start with a surname's character but name no one (「技术总监 周五再约」, 「方案」).
_NOT_IN_FULL_NAME = set("一二三四五六七日天末案额序务本兴排元点号月年期后前次会议价单款")
_TITLED_NAME_RX = re.compile(
    rf"(?:{TITLE_TEXT})\s?[,，、:：]?\s?(?P<n>{_FULL_NAME})(?=[\s,，。;；!！?？、（(]|$)"
    rf"|(?:^|(?<=[\s,，。;；、的了见是]))(?P<m>{_FULL_NAME})(?=\s*[（(]\s*(?:{TITLE_TEXT})\s*[）)])"
    # 「杨帆 采购专员」, 「李娜，采购部的，」, 「王建国 他是采购总监」: a title or a department after a blank or a
    # comma, as a whole word
    rf"|(?:^|(?<=[\s,，。;；、的了见是和跟与]))(?P<a>{_FULL_NAME})"
    rf"(?=\s*[,，、]?\s*(?:[他她]?是)?(?:{TITLE_TEXT}|(?:{UNIT_TEXT})的?)(?:\s|[）),，。;；!！?？]|$)"
    rf"|\s+(?:{PERSON_FUNCTION_TEXT})(?:\s|[）),，。;；!！?？]|$))"  # 「李娜 采购 谈了价格」: a job as a word
    # 「华为 采购 李娜」
    rf"|(?<=\s)(?:{PERSON_FUNCTION_TEXT})\s+(?P<j>{_FULL_NAME})(?=[\s,，。;；!！?？、（(]|$)"
    # 「采购部李娜」, 「研发部的张伟」, 「研发部 张伟」: a full name after a department
    rf"|(?:{UNIT_TEXT})[的\s:：]?(?P<d>{_FULL_NAME})(?=[\s,，。;；!！?？、（(]|$)"
    # 「对接人：李明，采购经理」, 「联系人 王芳」
    rf"|(?:对接人|联系人|接待人)(?:是|为)?[:：\s]*(?P<k>{_FULL_NAME})(?=[\s,，。;；!！?？、（(]|$)"
    # 「Tony 采购经理 对了交期」, 「Amy（采购）」: an English name with a title after it (a whole word)
    rf"|(?<![A-Za-z])(?P<l>[A-Z][a-z]{{2,11}})(?=\s*[（(,，]?\s*(?:{TITLE_TEXT}|(?:{UNIT_TEXT})的?)(?:\s|[）),，。;；!！?？]|$))"
    # 「华为 Kevin 说下周来」: an English name saying or asking something
    r"|(?<![A-Za-z])(?P<v>[A-Z][a-z]{2,11})(?=\s*(?:说|问|表示|反馈|答应|同意|觉得|希望|催|要了|要\s?我们|拉了|让\s?我们|发了|约了|提了))"
)
# A bare full name right after the customer's name or a date (「长安董丽 报价」, 「大华 孙晓东 AGV项目」,
# 「潍柴梁建军说」), or after a title with a verb glued on (「总工程师吴建平通了电话」): where it ends is read from
# what follows (a blank, a mark, or a word of speech or contact), so the given name's length is not guessed
# (the shortest given name that such a word follows wins: 「董丽说」 is 董丽).
_AFTER_NAME = (
    r"(?=[\s,，。;；!！?？、（(:：]|$|(?:说|讲|问|通了|通电话|聊|打了|打电话|发了|发来|回了|回复|要了|要的|让我|带我|给了|"
    r"今天|昨天|上午|下午|晚上|微信|电话|视频|那边|这边|的微信|的电话|反馈|表示|答应|同意|觉得|希望|催|来电|来了|也在|报了|吃了?|代为|代表|交了|"
    r"喝了?|见了?|对了|过了|打来|下周|下礼拜|明天|后天|这周|本周|上周|前天|刚才?|周[一二三四五六日天]|也说|"
    # 「跟周思远在比亚迪碰了一下」, 「找赵立新签了」, 「见了田甜和她领导」, 「苏晴 她调到研发去了」, 「谭静出来接待」
    r"在|签了?|和她|和他|问了|一起|等我|出来|接待|带我|带着|"
    # report style: 「与采购经理周涛进行了商务谈判」, 「与技术中心主任工程师马建华讨论了方案」
    r"进行了?|讨论了?|商谈|洽谈|会谈|面谈|就))"
)
_BARE_FULL_NAME = re.compile(
    rf"(?:的|\s)?\s*(?P<n>(?:{_SURNAMES_2}|[{_SURNAMES_1}])[\u4e00-\u9fff]{{1,2}}?){_AFTER_NAME}"
)
# After a word of meeting or contact (「跟王海涛通了电话」, 「约了比亚迪王海涛下周二见面」 is the customer's), after
# 「那边」 (「比亚迪那边王海涛说」), or first in the message before a blank (「王海涛 比亚迪 采购 要了报价」).
# What colleagues call someone by the given name (「强哥」, 「芳姐」, 「阿强」), at a word's start and before a word of
# speech or contact (not 「大哥」, 「表姐」, 「阿里」).
_GIVEN_NICKNAME = re.compile(
    rf"(?:^|(?<=[\s,，。;；、的了和跟与找见约是])|(?<=同事|程师|经理|主管|总监|主任|专员|助理|文员|采购))(?P<n>(?![大二三小老表师堂])[\u4e00-\u9fff](?:哥|姐)|阿(?![里姨婆公伯叔])[\u4e00-\u9fff]){_AFTER_NAME}"
)
# 「文员小霞」, 「助理小芳」: 小 and a given name right after a title is a person (elsewhere 小 starts words: 小批量)
_XIAO_AFTER_TITLE = re.compile(rf"(?<=程师|经理|主管|总监|主任|专员|助理|文员|秘书|购员|跟单|内勤)(?P<n>小[\u4e00-\u9fff]){_AFTER_NAME}")
_NICKNAME_AFTER_CUSTOMER = re.compile(
    rf"\s?(?P<n>(?![大二三小老表师堂])[\u4e00-\u9fff](?:哥|姐)|阿(?![里姨婆公伯叔])[\u4e00-\u9fff]){_AFTER_NAME}"
)
_CONTACT_VERB_FULL_NAME = re.compile(
    # (dictated with a blank inside the verb: 「见 了 郭晓峰 聊 了」)
    rf"(?:(?<![跟紧])跟|(?<![暖温])和|与|找|见\s?了|见\s?到\s?了?|约\s?了|联系\s?了|拜访\s?了?|陪|请|那边|这边|给|碰\s?到\s?了?|遇\s?到\s?了?|电话里|微信上|"
    rf"接替他的是|接替的是|(?<=[\s,，])是|^|"
    # a full name opening a later clause and speaking (「…老板最后同意降八万，覃海波说回去请示」)
    r"(?<=[,，。;；])(?=[\u4e00-\u9fff]{2,3}(?:说|表示|答应|同意|反馈|回复)))"
    rf"\s?(?P<n>(?:{_SURNAMES_2}|[{_SURNAMES_1}])"
    rf"[\u4e00-\u9fff]{{1,2}}?){_AFTER_NAME}"
)
# 「Tony Wang 今天在博世苏州厂见的」, 「Linda 美的采购总监」, 「Mr. Wang from 隆基 called」, 「微信上 Eric Chen 发了…」:
# an English name first in the message (or after where it was said) is the person the message is about.
_LEADING_LATIN_NAME = re.compile(
    r"^(?:(?:今天|昨天|上午|下午)?\s?(?:微信上|电话里|电话|微信)\s?)?(?P<n>(?:Mr|Ms|Mrs|Miss|Dr)\.?\s?[A-Z][a-z]{1,11}|"
    r"[A-Z][a-z]{2,11}(?:\s[A-Z][a-z]{1,11}|[哥姐])?)(?![A-Za-z])(?=\s?[\u4e00-\u9fff]|\s+(?:from|at|of|called|said)\b)"
)
_TITLED_LATIN_NAME = re.compile(
    rf"(?:{TITLE_TEXT}|{PERSON_FUNCTION_TEXT})\s?(?P<n>[A-Z][a-z]{{2,11}}(?:\s[A-Z][a-z]{{1,11}})?)(?![A-Za-z])(?=\s?[\u4e00-\u9fff]|\s*$)"
)
_TITLED_FULL_NAME_GLUED = re.compile(
    rf"(?:{TITLE_TEXT}|{PERSON_FUNCTION_TEXT})的?\s?(?P<n>(?:{_SURNAMES_2}|[{_SURNAMES_1}])[\u4e00-\u9fff]{{1,2}}?){_AFTER_NAME}"
)
# An English name right after the customer's name (「先导Kevin 今天说」, 「ABB Linda 发的RFQ」, 「西门子Mr. Li」,
# 「上汽的采购Tony Wang说」): one or two capitalised words, or Mr./Ms. and a surname.
_BARE_LATIN_NAME = re.compile(
    r"(?:的|\s)?\s*(?P<n>(?:Mr|Ms|Mrs|Miss|Dr)\.?\s?[A-Z][a-z]{1,11}|[A-Z][a-z]{2,11}(?:\s[A-Z][a-z]{1,11})?)(?![A-Za-z])"
    # among Chinese words only: in an English message a capitalised word after the customer is a place or an app
    # (「visited CATL Ningde」, 「XCMG Tencent meeting」)
    r"(?=\s?[\u4e00-\u9fff]|\s?\d|\s*$)"
)
_EN_WORDS_NO_NAME = re.compile(
    rf"{EN_TITLE}|\b(?:Purchasing|Procurement|Sales|Technical|Engineering|Quality|Project|Team|Meeting|Online|Video|"
    r"Call|Today|Tomorrow|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|China|Shanghai|Beijing|Demo|Sample|"
    r"Zoom|Teams|Tencent|Wechat|Dingtalk|Feishu|Lark|Email|Mail|Excel|Word|Office|Plant|Factory|Office|Group|Invoice|Order)\b",
    re.I,
)
# Two-character words that start with a surname's character but are no one's name (「高级采购经理」, 「方案」).
_NOT_A_FULL_NAME = {
    "高级", "方案", "谢谢", "金额", "石化", "江苏", "江西", "王牌", "万元", "于是", "周五", "周一", "周二", "周三", "周四",
    "周六", "周日", "周末", "常规", "任务", "申请", "包装", "林业", "黄金", "白班", "夏天", "冬天", "安装", "向上",
    "关于", "原来", "万一", "程序", "包括", "费用", "成本", "文件", "高层", "高管", "牛逼", "顾问", "龙头", "齐全",
    "车间", "单子", "单价", "方面", "方便", "管理", "石油", "金属", "成品", "施工", "钱款", "常务", "史上", "毛利",
    "贾经", "宁愿", "任何", "应该", "严格", "武汉", "苏州", "杭州", "余款", "党委", "安全", "安排", "时间", "邵阳",
}


# 一 in a given name (「朱一鸣」, 「王一」), not a number starting a word (「王一个人」, 「周一下午」).
_NOT_AFTER_ONE = set("个次下些点半天周年月号起共样直定般切再批台套件份")


def _one_in_name(name: str, end: int) -> int:
    """How many 一 of ``name`` may be read as part of a given name (0 or 1): only its second character, not
    followed by a measure word or a date word."""
    if len(name) < 2 or name[1] != "一" or name[:2] in _NOT_A_FULL_NAME:
        return 0
    return int(len(name) == 2 or name[2] not in _NOT_AFTER_ONE)


def _no_one(name: str) -> bool:
    """A place or an industry word that starts with a surname's character (「常州」, 「金属」, 「温州」) is no one."""
    big, _ = places()
    return name in big or name in INDUSTRY_WORDS


# People the rep did NOT meet: planned but absent, or the rep's own colleagues.
_ABSENT = re.compile(
    r"不在|出差|外出|请假|休假|没见到|没见着|没见上|没碰上|没遇到|没在|换人|本来约|原本约|原来约|本来要见|约的是|"
    r"在开会|临时开会|开会去了|叫去开会|去开会了|在忙|没时间|没空|(?:这次|今天)?没(?:来|过来|出面|露面)(?![^,，。;；!！?？\s]{0,3}(?:得及|电话))|"  # busy elsewhere (「张总在开会 让李工接待的」), not 「跟张总开会」
    # only said hello and left (「程总打了个招呼就走了 具体是跟滕工谈的」), or introduced someone else (「Jason介绍我认识了
    #他们的采购Helen」): the talk was with the other person
    r"(?:打了?个?招呼|露了?个?面)就走|介绍(?:我|我们)?认识|"
    r"(?<![要会将快想])(?:退休|离职|辞职)|调走|"  # gone (「王经理退休了 接替他的是小刘」), not 「快退休了」
    # sent elsewhere (「孙工被派去重庆了」, 「被调去总部了」), on leave (「休陪产假了」, 「休产假」)
    r"被(?:派|调|叫|借调)(?:去|到)|休[^,，。;；!！?？\s]{0,2}假"
)
_ABSENT_BEFORE = re.compile(r"本来约|原本约|原来约|本来要见|约的是")
_NOT_MET = re.compile(
    r"不在|没见到|没见着|没见上|没碰上|没遇到|没在|没空|没时间|"
    # a call that did not get through (「打了两次电话没接」, 「电话打不通」), unless it was returned
    r"没接(?!受|到|触|待|手|收|洽|单|活)|没人接|没接通|未接通|不接电话|没打通|打不通|(?:手机|电话)关机|没回(?:电话|微信|消息)|"
    r"(?:微信|消息|短信|电话)[^,，。;；!！?？]{0,6}?没回复?(?=$|[\s,，。;；!！?？])"
)
# (「电话没接 最后微信回的」, 「后来回过来了」: reached after all)
_CALLED_BACK = re.compile(r"(?<![没未不])回(?:了个?电话|电话|过来|的|了|复了|消息)|打回来|回拨|后来(?:聊|通)|又打(?:了|过来)")
# Away (出差, 请假) and nothing said with them either (「长安董工 这周出差 下周回来再约」); a call while away is a
# contact (「孙部长 这周在外地出差 电话聊了几句」).
_AWAY = re.compile(r"出差(?!回来)|外出|请假|休假")
_TALKED = re.compile(r"电话|微信|视频|语音|通话|聊|谈|沟通|说|交流|对接")
# 「去了海康 没见到何经理」: the miss written before the name
_NOT_MET_BEFORE = re.compile(r"(?:没见到|没见着|没见上|没碰上|没碰到|没遇到)$")
_OWNER_OF = re.compile(r"\s*的?(?:秘书|助理|助手|下属|手下|副手|徒弟|技术员|司机)的?\s*")
# 「赵总的秘书接待的」, 「张总的助理打电话说…」: someone unnamed stood in for the person named, who was not met.
_STOOD_IN = re.compile(
    # (「葛部长让他秘书给我打电话」: sent by the one named)
    r"(?:(?:让|叫|派)(?:他|她)?)?的?(?:秘书|助理|助手|下属|副手|司机)\s*(?:给我|跟我)?(?:接待|接的|出面|代[为他她]?|打(?:了个?)?电话|打来|来电|回(?:了个?)?电话|"
    r"转告|通知|带我|陪我)"
)
_MET_BEFORE = re.compile(r"(?<![没未])(?:见了|见到了?|面谈了?)\s*(?:[\u4e00-\u9fff]{1,6}?的?)?$")
# (「跟他同事小钱聊了聊」: the customer's colleague is a contact, only the rep's own is not)
_COLLEAGUE = re.compile(
    r"(?:(?<![他她])(?<!他们)(?<!对方)同事|我们的?|我司|领导|陪同|"
    # 「公司王总带我去的中车」, 「和公司的李工一起」: our company, said first or after 和/跟 (not 「物流公司的刘总」)
    r"(?:^|(?<=[和跟与同]))公司的?)[^,，。;；]{0,2}$|"
    # 「陪我们大区的Steven」: a part of our company before 的
    r"(?:我们|我司)(?:公司)?[\u4e00-\u9fff]{1,4}的$|"
    # 「我们的销售经理老陈带我去了汇川」: our own manager, named by a post of ours
    r"(?:我们|我司)的?(?:销售|技术|售后|项目|区域|大区|华东|华南|华北)?(?:经理|总监|工程师|主管|老板|总)$"
)
# Said of the person right after the name: 「王总 是我们公司的」, 「让小王替我去了趟比亚迪」.
_OURS_AFTER = re.compile(r"^\s?(?:是(?:我们|我司)|替我)")
# The one the rep went with (「和小王一起去了宁德时代」, 「陪小刘去了三一」, 「带新人小陈去了汇川」): a colleague when named
# without a customer's honorific (not 「跟张总去了车间」: their 张总 showing the plant).
# (also with our post or department between: 「跟销售总监老吕一起去的潍柴」, 「带技术部小吴去了长安」, 「跟技术的小吴」)
_WENT_WITH_BEFORE = re.compile(
    rf"(?:和|跟|陪|陪着|带|带着|带了|同)(?:新人|新同事|徒弟|同事|(?:{UNIT_TEXT}|{FUNCTIONS})的?|{TITLE_TEXT})?$"
)
# (「跟采购Peter见的」 met Peter: 见 says the rep went with someone only after 一起)
_WENT_AFTER = re.compile(r"^(?:一起|一块儿?)(?:去|拜访|跑|见|线上|到|过去|上门|visit|在)|^(?:去|拜访|跑|到|过去|上门|线上|visit)", re.I)
_HONORIFIC_END = re.compile(r"(?:总|工|经理|科长|部长|处长|主任|厂长|总监|主管|老师|师傅|博士|董)$")
# Not ours and not theirs: the partner who came along (「跟代理商的老李一起去的」).
_PARTNER_BEFORE = re.compile(
    r"(?:跟|和|与|同|陪)[^,，。;；\s]{0,3}?(?:代理商|经销商|代理|渠道商|合作伙伴)的?$"
    r"|(?:^|[:：])(?:代理商|经销商|渠道商|合作伙伴)的?$"  # 「隆基：代理商刘总带我见了他们新来的厂长」
)
# The one the rep did meet among several (「只见到了采购小邓」, 「今天只有丁经理在」, 「只约到易工」).
_ONLY_MET_BEFORE = re.compile(r"只(?:约到了?|见到了?|见了|有|跟)$")


def _contacts(text: str, blocked: Sequence[tuple[int, int]]) -> list[ContactMention]:
    """Every person named in the message, left to right."""
    text = fix_typos(text)  # 「周经里」 is 周经理 (same length: offsets stay)
    found: list[ContactMention] = []
    for full in _NAME_AND_HONORIFIC.finditer(text):
        a = full.start("full")
        if not any(c in _NOT_GIVEN for c in full.group("g")) and not any(s < full.end() and a < e for s, e in blocked):
            found.append(ContactMention(a, full.end(), full.group("full"), full.group("s") + full.group("h")))
    for full in _HONORIFIC_AND_NAME.finditer(text):
        a, b = full.span("full")
        if not any(c in _NOT_GIVEN or c in _NOT_IN_FULL_NAME for c in full.group("full")[1:]) and not any(s < b and a < e for s, e in blocked):
            found.append(ContactMention(full.start(), b, full.group("full"), None))
    for said in SURNAME_SAID.finditer(text):
        if (honorific := _honorific_for(said.group("t").replace(" ", ""))) and not any(s < said.end() and said.start("s") < e for s, e in blocked):
            found.append(ContactMention(said.start("s") - 1, said.end(), said.group("s") + honorific, None))
    pos = 0
    while (m := CONTACT_RX.search(text, pos)) is not None:
        pos = m.start() + 1
        start, end = m.span()
        core_start = m.start("name") if m.group("name") else m.start("nick")
        if any(s < end and core_start < e for s, e in blocked) or any(c.start <= core_start < c.end for c in found):
            continue
        if m.group("nick"):
            found.append(ContactMention(core_start, end, m.group("nick"), None))
            continue
        given = m.group("given") or ""
        # A rank word is no name: 「董秘罗总」 is 董秘 + 罗总, 「车间主任董工」 主任 + 董工, 「顾问王总」 顾问 + 王总.
        if (r := RANK.match(text, core_start, m.start("title"))) and r.end() < m.start("title"):
            continue
        if core_start and _ENDS_IN_RANK.search(text, max(0, core_start - 4), core_start + 1):
            continue
        if given:
            before = text[core_start - 1] if core_start > 0 else " "
            boundary = core_start == 0 or before in _NAME_BOUNDARY or any(e == core_start for _, e in blocked)
            # 「技术部王磊工程师」: a department's unit word ends where the name starts
            boundary = boundary or bool(m.group("dept") and m.group("dept")[-1] in "部门心科处")
            if not boundary or any(c in _NOT_GIVEN for c in given) or m.group("name") in _NOT_A_FULL_NAME:
                continue  # (「常务副总黄总」: 常务 is no 常 + 务)
        title_word = m.group("title")
        if title_word == "部" and core_start and text[core_start - 1] not in _NAME_BOUNDARY:
            continue  # 「工程部」 is no 程部: 部 as an honorific only after a boundary (「李部」)
        if title_word == "工" and given and given[-1] in _WORD_BEFORE_GONG:
            continue  # 「金禾化工 的刘总」: 化工 is the company's trade, not 金禾化 工程师
        canon = _TITLE_CANON.get(title_word, title_word)
        name = m.group("name") if given else m.group("name") + title_word
        dept = m.group("dept")
        dept_start = m.start("dept") if dept else core_start
        if dept and any(s < m.end("dept") and dept_start < e for s, e in blocked):
            dept = None  # "汇川联合动力李工": the "department" is the customer's name
        if dept and canon:
            # 「管采购的王总」: 采购, not 采购总; 「搞技术的王工」: 技术 (a function with 工 is the function, a
            # department with 工 its engineer: 「研发部 李工」 → 研发部工程师)
            alone = canon == "总" or (title_word == "工" and dept[-1] not in "部科处心门")
            canon = dept if alone else dept + canon  # 「管采购的王总」: 采购, not 采购总
        found.append(ContactMention(dept_start if dept else core_start, end, name, canon))
    for m in _TITLED_NAME_RX.finditer(text):
        group = next(g for g in ("n", "m", "a", "j", "d", "k", "l", "v") if m.group(g))
        a, b = m.span(group)
        given = m.group(group)[1:]
        if m.group(group) in _NOT_A_FULL_NAME or any(c in _NOT_GIVEN or c in _NOT_IN_FULL_NAME for c in given):
            continue
        if any(c.start < b and a < c.end for c in found):
            continue
        if not any(s < b and a < e for s, e in blocked):
            found.append(ContactMention(a, b, m.group(group), None))

    def add_bare(m: re.Match[str] | None) -> None:
        """Keep a name found without an honorific (group ``n``) unless it is a word, a place, inside a customer's
        name or a date, or overlaps a person already found; one it contains wholly (「Wang」 of 「Tony Wang」) gives way."""
        if m is None:
            return
        a, b = m.span("n")
        name = m.group("n")
        if name in _NOT_A_FULL_NAME or name[:2] in _NOT_A_FULL_NAME or _no_one(name):
            return
        if name[0].isascii() and _EN_WORDS_NO_NAME.search(name):
            return  # 「华为 Purchasing Manager 王总」: a title in English, not a person
        if not name[0].isascii() and any(c in _NOT_GIVEN or c in _NOT_IN_FULL_NAME for c in name[1:].replace("一", "", _one_in_name(name, b))):
            return
        if any(s < b and a < e for s, e in blocked):
            return
        inside = [c for c in found if a <= c.start and c.end <= b and (c.start, c.end) != (a, b) and c.title is None]
        if any(c.start < b and a < c.end for c in found if c not in inside):
            return
        for c in inside:
            found.remove(c)  # 「Tony Wang 说」: the whole name, not 「Wang」 found saying something
        found.append(ContactMention(a, b, name, None))

    for _, end in blocked:
        add_bare(_BARE_FULL_NAME.match(text, end))
        add_bare(_BARE_LATIN_NAME.match(text, end))
        add_bare(_NICKNAME_AFTER_CUSTOMER.match(text, end))  # 「比亚迪阿杰 下周三之前」, 「和宝钢强哥吃饭」
    for m in _CALLED_NAME.finditer(text):
        add_bare(m)
    for m in _SEEN_IS.finditer(text):
        add_bare(m)
    add_bare(_LEADING_NAME_IS.match(text))
    for m in _XIAO_AFTER_TITLE.finditer(text):
        add_bare(m)
    for m in _TITLED_FULL_NAME_GLUED.finditer(text):
        add_bare(m)
    for m in _CONTACT_VERB_FULL_NAME.finditer(text):
        add_bare(m)
    for m in _GIVEN_NICKNAME.finditer(text):
        add_bare(m)
    for m in _TITLED_LATIN_NAME.finditer(text):
        add_bare(m)  # 「上汽的采购Tony Wang说」
    add_bare(_LEADING_LATIN_NAME.match(text))
    for m in _LATIN_NAME_RX.finditer(text):
        if not any(s < m.end("n") and m.start("n") < e for s, e in blocked):
            found.append(ContactMention(m.start("n"), m.end("n"), m.group("n"), None))
    found.sort(key=lambda c: c.start)
    return found


def find_contact(text: str, blocked: Sequence[tuple[int, int]]) -> ContactMention | None:
    """The customer-side person the rep met ("张总", "采购部的刘经理", "张建国总监", "老王").

    The first one named wins, except people the text says were absent
    ("张总临时出差了") or who are the rep's colleagues ("跟同事小王一起").
    """
    people = _contacts(text, blocked)
    if not people:
        return None

    def segment(i: int) -> str:
        """Person ``i`` and what follows, up to the clause's end or the next person named
        (「唐总不在 跟采购小李聊了会」: 不在 is about 唐总 only)."""
        c = people[i]
        hi = min(c.end + len(clause_after(text, c.end)), people[i + 1].start if i + 1 < len(people) else len(text))
        if other := THIRD_PARTY.search(text, c.end, hi):
            hi = other.start()  # 「肖工 他们质量经理休假了」: the leave is the 质量经理's
        return text[c.start : hi]

    def stood_in(i: int) -> bool:
        """Someone unnamed stood in for person ``i``, wherever the same name is written (「张总的助理打电话说张总
        下周三有空」: one 张总, not met)."""
        same = [p for p in people if p.name == people[i].name]
        if any(_MET_BEFORE.search(text, 0, p.start) for p in same):
            return False  # 「见了张总 张总的秘书打电话说…」: met all the same
        return any(_STOOD_IN.match(text, p.end) is not None for p in same)

    def ours_here(c: ContactMention) -> bool:
        before = without_word_gaps(clause_before(text, c.start)).rstrip()
        after = without_word_gaps(text[c.end : c.end + 12])
        # With an honorific only when the going leads to the customer (「跟刘总一起去了趟三一」, 「陪王总去博世苏州」),
        # not about their own site (「跟张总去了车间」: their 张总 showing the plant).
        to_customer = any(c.end <= s <= c.end + 10 and not text.startswith("的", e) for s, e in blocked)
        went_with = (
            _WENT_WITH_BEFORE.search(before)
            and _WENT_AFTER.match(after)
            and (not _HONORIFIC_END.search(c.name) or to_customer)
        )
        return bool(_COLLEAGUE.search(before) or _PARTNER_BEFORE.search(before) or _OURS_AFTER.match(after) or went_with)

    def ours(i: int) -> bool:
        """Our own colleague (「同事小王」, 「我们大区的 Steven」, 「王总 是我们公司的」) or a partner who came along
        (「代理商的老李」), read without dictation blanks, wherever the same name is written (「和同事阿斌一起去的
        美的 阿斌讲技术」)."""
        return any(ours_here(p) for p in people if p.name == people[i].name)

    def demerit(i: int) -> int:
        c = people[i]
        before = clause_before(text, c.start)
        if i and people[i - 1].end > c.start - len(before):
            before = text[people[i - 1].end : c.start]
        said = segment(i)
        # away wherever the same name is written (「约的是曾工 结果曾工请假 是他同事小潘接待的」)
        away = any(_ABSENT.search(segment(j)) for j, p in enumerate(people) if p.name == c.name)
        absent = away or _ABSENT_BEFORE.search(before) or stood_in(i)
        missed = (m := _NOT_MET.search(said)) is not None and not _CALLED_BACK.search(said, m.end())
        # 「唐总的秘书小刘接待的」: 唐总 only says whose 秘书 小刘 is; 小刘 is the one met.
        owner = i + 1 < len(people) and _OWNER_OF.fullmatch(text[c.end : people[i + 1].start]) is not None
        only = _ONLY_MET_BEFORE.search(without_word_gaps(text[max(0, c.start - 12) : c.start]).rstrip().removesuffix("采购"))
        return int(bool(absent)) + int(ours(i)) + int(owner) + int(missed) - 2 * int(bool(only))

    best = min(range(len(people)), key=lambda i: (demerit(i), people[i].start))
    if ours(best):
        return None  # only our own people are named (「我们的技术总监刘博士…对方来了七八个人」)
    said = segment(best)
    not_met = _NOT_MET.search(said)
    if (not_met and not _CALLED_BACK.search(said, not_met.end())) or stood_in(best):
        return None  # 「赵经理 临时开会没见上」, 「肖总 电话没接」, 「赵总的秘书接待的」: the person named was not met
    if _NOT_MET_BEFORE.search(clause_before(text, people[best].start)):
        return None
    if _AWAY.search(said) and not _TALKED.search(text):
        return None
    return people[best]
