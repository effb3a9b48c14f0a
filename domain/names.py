"""Customer name normalisation, so "华为" finds "华为技术有限公司".

Reps never type a customer's registered name. For matching we reduce a name
to its core: drop brackets, legal-form suffixes ("有限公司", "股份有限公司"…),
a leading province/city ("苏州", "上海市"…) and trailing industry words
("技术", "机械", "科技"…). The full name is kept for display; only the core is
compared.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

LEGAL_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "集团公司",
    "总公司",
    "分公司",
    "公司",
    "集团",
    "工作室",
    "事务所",
    "研究院",
    "研究所",
    "厂",
)

# Industry words that are part of a registered name but never of what reps say.
INDUSTRY_WORDS = (
    "信息技术",
    "网络技术",
    "电子商务",
    "智能科技",
    "技术",
    "科技",
    "机械",
    "电子",
    "电气",
    "设备",
    "制造",
    "实业",
    "贸易",
    "工业",
    "控股",
    "网络",
    "信息",
    "软件",
    "医药",
    "材料",
    "精密",
    "自动化",
    "汽车",
    "新能源",
    "发展",
    "投资",
    "国际",
    "中国",
)

# Provinces and larger cities; a name starting with one of these loses it for matching.
PLACES = tuple(
    sorted(
        [
            "北京",
            "上海",
            "天津",
            "重庆",
            "河北",
            "山西",
            "辽宁",
            "吉林",
            "黑龙江",
            "江苏",
            "浙江",
            "安徽",
            "福建",
            "江西",
            "山东",
            "河南",
            "湖北",
            "湖南",
            "广东",
            "海南",
            "四川",
            "贵州",
            "云南",
            "陕西",
            "甘肃",
            "青海",
            "台湾",
            "内蒙古",
            "广西",
            "西藏",
            "宁夏",
            "新疆",
            "香港",
            "澳门",
            "石家庄",
            "太原",
            "沈阳",
            "大连",
            "长春",
            "哈尔滨",
            "南京",
            "苏州",
            "无锡",
            "常州",
            "南通",
            "扬州",
            "徐州",
            "杭州",
            "宁波",
            "温州",
            "嘉兴",
            "绍兴",
            "金华",
            "台州",
            "合肥",
            "芜湖",
            "福州",
            "厦门",
            "泉州",
            "南昌",
            "济南",
            "青岛",
            "烟台",
            "潍坊",
            "郑州",
            "洛阳",
            "武汉",
            "长沙",
            "广州",
            "深圳",
            "珠海",
            "佛山",
            "东莞",
            "中山",
            "惠州",
            "汕头",
            "海口",
            "成都",
            "绵阳",
            "贵阳",
            "昆明",
            "西安",
            "兰州",
            "西宁",
            "银川",
            "乌鲁木齐",
            "南宁",
            "桂林",
            "拉萨",
            "呼和浩特",
            "昆山",
            "常熟",
            "张家港",
            "江阴",
            "义乌",
        ],
        key=len,
        reverse=True,
    )
)

_BRACKETS = re.compile(r"[（(\[【][^）)\]】]*[）)\]】]")
_NOISE = re.compile(r"[\s·・,，.。、\-_/&＆]+")


def _strip_place(name: str) -> str:
    for place in PLACES:
        for form in (place + "市", place + "省", place):
            if name.startswith(form) and len(name) > len(form) + 1:
                return name[len(form) :]
    return name


def _strip_suffixes(name: str) -> str:
    changed = True
    while changed:
        changed = False
        for suffix in LEGAL_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                changed = True
                break
        for word in INDUSTRY_WORDS:
            if name.endswith(word) and len(name) > len(word) + 1:
                name = name[: -len(word)]
                changed = True
                break
    return name


def normalize_name(name: str) -> str:
    """The matching core of a company name ("苏州精工机械有限公司" → "精工").

    Full-width letters/digits become half-width and Latin letters lower-case,
    so "ABB（中国）有限公司" and "abb" meet.
    """
    text = unicodedata.normalize("NFKC", name).strip().lower()
    text = _BRACKETS.sub("", text)
    text = _NOISE.sub("", text)
    text = _strip_place(text)
    text = _strip_suffixes(text)
    return text or unicodedata.normalize("NFKC", name).strip().lower()


# ------------------------------------------------------------ de-duplication
# Legal forms that do not tell two companies apart ("有限公司" vs "有限责任公司").
# "分公司" is absent on purpose: a branch is a customer of its own.
LEGAL_FORMS = ("股份有限公司", "有限责任公司", "股份公司", "有限公司", "公司")
_EN_LEGAL_FORMS = ("companylimited", "coltd", "limited", "ltd", "incorporated", "inc", "corporation", "corp", "llc", "gmbh")
_BRACKET_PART = re.compile(r"[（(\[【]([^）)\]】]*)[）)\]】]")
_DROPPED_IN_BRACKETS = {"中国", "china", "有限合伙", "普通合伙"}


@dataclass(frozen=True)
class CompanyKey:
    """What decides whether two spellings name the same company.

    ``normalize_name`` is for finding ("精工" finds 苏州精工机械有限公司), and it is
    too loose to *merge* records: 苏州精工机械 and 无锡精工科技 share its core.
    Here only width, case, spaces, the legal form and the place are ignored,
    and the place is kept apart so 苏州X and 无锡X stay two companies while
    苏州X and X meet.
    """

    core: str
    place: str | None
    has_legal_form: bool


_PLACE_FORMS = {form: place for place in PLACES for form in (place, place + "市", place + "省")}
# Places by first character, longest first: the prefix loop below runs for every name in an import.
_PLACES_BY_FIRST: dict[str, list[str]] = {}
for _place in PLACES:
    _PLACES_BY_FIRST.setdefault(_place[0], []).append(_place)


def _place_of(text: str) -> str | None:
    return _PLACE_FORMS.get(text)


def company_key(name: str) -> CompanyKey:
    """The de-duplication key of a company name ("深圳市大疆创新科技有限公司" → 大疆创新科技 @ 深圳)."""
    text = unicodedata.normalize("NFKC", name).strip().lower()
    bracket_place: str | None = None

    def bracket(match: re.Match[str]) -> str:
        nonlocal bracket_place
        inner = _NOISE.sub("", match.group(1))
        place = _place_of(inner)
        if place is not None:
            bracket_place = bracket_place or place
            return ""
        return "" if inner in _DROPPED_IN_BRACKETS else inner

    text = _BRACKET_PART.sub(bracket, text)
    text = _NOISE.sub("", text)
    legal = text.endswith("分公司")
    changed = True
    while changed:
        changed = False
        for form in (*LEGAL_FORMS, *_EN_LEGAL_FORMS):
            if text.endswith(form) and len(text) > len(form) and not text.endswith("分" + form):
                text = text[: -len(form)]
                legal = changed = True
                break
    place: str | None = None
    stripped = True
    while stripped:
        stripped = False
        for candidate in _PLACES_BY_FIRST.get(text[:1], ()):
            for form in (candidate + "市", candidate + "省", candidate):
                if text.startswith(form) and len(text) >= len(form) + 2:
                    text = text[len(form) :]
                    place = candidate  # the last one stripped is the most specific (江苏省苏州市…)
                    stripped = True
                    break
            if stripped:
                break
    return CompanyKey(core=text, place=place or bracket_place, has_legal_form=legal)
