"""The contact and the contact's title as the rep wrote them (issue #15): titles built from their parts.

Every message here was written for these tests (none comes from the evaluation set); each group is one rule
of handlers/understand/titles.py or of the contact code in handlers/understand/contacts.py.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from domain.clock import BUSINESS_TZ
from handlers.understand.visit_text import CustomerRef, parse_visit

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BUSINESS_TZ)
CUSTOMERS = [
    CustomerRef(1, "华为技术有限公司", ("华为",)),
    CustomerRef(2, "华为终端有限公司", ("华为终端",)),
    CustomerRef(3, "苏州精工机械有限公司", ("精工", "苏州精工")),
    CustomerRef(4, "宁德时代新能源科技股份有限公司", ("宁德时代",)),
    CustomerRef(5, "西门子（中国）有限公司", ("西门子", "Siemens")),
    CustomerRef(6, "长安汽车股份有限公司", ("长安汽车",)),
]


def contact(text: str) -> tuple[str | None, str | None]:
    d = parse_visit(text, NOW, CUSTOMERS)
    return d.contact_name, d.contact_title


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        # function + rank, any function: 战略采购 / 供应链 / 物流 / 运营
        ("华为 战略采购经理 刘总 聊了年度框架", "刘总", "战略采购经理"),
        ("华为 供应链总监孙总 谈了交期", "孙总", "供应链总监"),
        ("华为 张总 物流总监 聊了仓储", "张总", "物流总监"),
        ("华为 李工 生产计划主管", "李工", "生产计划主管"),
        # a department on any stem: 设备课, 焊装车间, 总经办, 总裁办, 研发二部, 维修班
        ("宁德时代 设备课长张工 要报价", "张工", "设备课长"),
        ("华为 焊装车间主任老刘 带我看了现场", "老刘", "焊装车间主任"),
        ("苏州精工 总经办主任 刘姐 接待的", "刘姐", "总经办主任"),
        ("华为 总裁办主任王姐 接待", "王姐", "总裁办主任"),
        ("华为 研发二部经理王工 聊了新品", "王工", "研发二部经理"),
        ("华为 设备维修班班长老刘", "老刘", "设备维修班班长"),
        # a scope before: 集团, 华东区, 大中华区
        ("华为 张总 集团副总裁", "张总", "集团副总裁"),
        ("华为 陈经理 华东区销售经理", "陈经理", "华东区销售经理"),
        ("西门子 王总 大中华区总裁 见了一面", "王总", "大中华区总裁"),
        # ranks with 副 / 常务 / 首席, and an engineer of any speciality
        ("华为 副董事长李总 见了一面", "李总", "副董事长"),
        ("华为 王总 常务副总 亲自接待", "王总", "常务副总"),
        ("华为 研发中心副主任张工 聊了新项目", "张工", "研发中心副主任"),
        ("华为 首席科学家李博士 聊了合作", "李博士", "首席科学家"),
        ("苏州精工 张工 应用工程师 做了调试", "张工", "应用工程师"),
        ("华为 王工 高工 看了图纸", "王工", "高工"),
    ],
)
def test_a_title_is_built_from_scope_department_or_function_and_rank(text: str, name: str, title: str) -> None:
    assert contact(text) == (name, title)


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        ("华为的IT经理小张 看了系统", "小张", "IT经理"),
        ("华为 见了HR经理李姐", "李姐", "HR经理"),
        ("华为 何工 EHS主管 查了现场", "何工", "EHS主管"),
        ("华为 张总 CTO 聊了架构", "张总", "CTO"),
        ("华为的CTO李总 聊了架构", "李总", "CTO"),
        ("苏州精工 王总 GM 亲自接待", "王总", "GM"),
        ("华为 李工 PM 过了排期", "李工", "PM"),
        ("华为 何工（IT）聊了系统", "何工", "IT"),
        ("华为 王总 Sales Director 聊了渠道", "王总", "Sales Director"),  # written in English, kept so
        ("华为 Purchasing Manager 王总 谈了价格", "王总", "Purchasing Manager"),
        ("华为的技术VP李总", "李总", "技术VP"),
        ("华为 QC小王 检了货", "小王", "QC"),
    ],
)
def test_english_titles_and_english_functions(text: str, name: str, title: str) -> None:
    assert contact(text) == (name, title)


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        ("见了华为采购经理王总 谈了价格", "王总", "采购经理"),
        ("华为 见了他们的总经理王总", "王总", "总经理"),
        ("华为 刘工，设备科的科长，聊了备件", "刘工", "设备科科长"),
        ("华为 张总（采购总监）亲自接待", "张总", "采购总监"),
        ("华为 张总，采购总监，亲自接待", "张总", "采购总监"),
        ("华为的刘总是采购部经理", "刘总", "采购部经理"),
        ("华为 见了张总 他是采购部的部长", "张总", "采购部部长"),
        ("华为 见了王总，他是这边的厂长", "王总", "厂长"),
        ("华为 刘总 他们的厂长", "刘总", "厂长"),
        ("华为 张总，公司副总经理，亲自接待", "张总", "副总经理"),
        ("格力黄工设备科科长要报价", "黄工", "设备科科长"),  # dictated, glued to the name
        ("华为 王工/设备科长 要报价", "王工", "设备科长"),
        ("华为 王工-设备主管 要报价", "王工", "设备主管"),
        ("华为 王工【设备主管】要报价", "王工", "设备主管"),
        ("华为 总经理特助小李 安排的", "小李", "总经理特助"),
        ("华为王总不在 见了他们的采购经理李工", "李工", "采购经理"),
        ("华为 研发经理兼项目经理 张工", "张工", "研发经理兼项目经理"),  # two posts
    ],
)
def test_a_title_before_or_after_the_name(text: str, name: str, title: str) -> None:
    assert contact(text) == (name, title)


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        ("华为 采购中心 王经理 对了交期", "王经理", "采购中心经理"),  # the name's rank completes the department
        ("华为 刘科长 设备科 要了报价", "刘科长", "设备科科长"),
        ("华为 研发部 李工 测了样品", "李工", "研发部工程师"),
        ("华为 质量部的王工 提了改进", "王工", "质量部工程师"),
        ("华为 采购部 王总 聊了聊", "王总", "采购部"),  # 总 is an honorific, not a rank
        ("拜访华为 王主任（总经理室）", "王主任", "总经理室主任"),  # a department that starts like a rank
        ("华为 财务小李 对了账", "小李", "财务"),  # a function alone stays a function
        ("华为 小李 财务 对了账", "小李", "财务"),
        ("华为 采购 王经理", "王经理", "采购"),  # a job standing alone as a word
        ("华为 见到了管采购的王总", "王总", "采购"),  # not 采购总
        ("华为 仓管小刘 对了库存", "小刘", "仓管"),
        ("华为 品管王工", "王工", "品管"),
        ("宁德时代 陈工 工艺 聊了参数", "陈工", "工艺"),
        ("华为 部门经理王工 看了方案", "王工", "部门经理"),
        ("华为 总助小王 安排的", "小王", "总助"),
        ("给华为焊装车间主任老刘打了电话", "老刘", "焊装车间主任"),
        ("华为 王总的司机小李", "小李", "司机"),
    ],
)
def test_a_department_beside_a_ranked_name(text: str, name: str, title: str) -> None:
    assert contact(text) == (name, title)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("华为张总 聊了报价 下周三再跟进", "张总"),
        ("苏州精工 王总 说项目经理下周来对接", "王总"),  # another person's title
        ("华为张总让采购部经理跟我对接", "张总"),
        ("华为 李工 技术交流了两个小时", "李工"),  # an activity, not a function
        ("华为 张总 采购的事还没定", "张总"),
        ("华为 张经理 设备的事情下周再说", "张经理"),
        ("华为终端 李工 测试 周五", "李工"),
        ("苏州精工 周经理 项目 85万", "周经理"),
        ("苏州精工 黄工 老板说价格合适就签", "黄工"),  # what the boss said, not 黄工's title
        ("苏州精工 冯经理 客户那边采购经理换人了", "冯经理"),
        ("苏州精工 李工 带着工程师去现场量了尺寸", "李工"),
        ("今天拜访了恒瑞达电子的王总 聊了报价", "王总"),  # 电子 is the company's trade
        ("华为 王经理 李工都在", "王经理"),  # 经理 is 王经理's honorific
        ("华为 王总 lead time 要缩短", "王总"),  # English words that are no title
        ("华为 王总 3pm 开会", "王总"),
        ("华为 王总王工都在", "王总"),
        ("华为 聊了采购 王经理说下周定", "王经理"),  # 采购 is what was discussed
    ],
)
def test_no_title_where_none_is_written(text: str, name: str) -> None:
    assert contact(text) == (name, None)


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        ("华为的采购总监 张建国 谈了价格", "张建国", "采购总监"),
        ("华为 张建国（采购总监）", "张建国", "采购总监"),
        ("华为 采购经理Lily 对了交期", "Lily", "采购经理"),
        ("华为 Tony 采购经理 对了交期", "Tony", "采购经理"),
        ("华为 Kevin 说下周来", "Kevin", None),
        ("华为 对接人：李明，采购经理", "李明", "采购经理"),
        ("华为 联系人 王芳 财务", "王芳", "财务"),
        # the full name and the honorific everyone uses: the honorific as written is the title
        ("今天见了华为的张建国张总", "张建国", "张总"),
        ("华为 王芳（王经理）对了账", "王芳", "王经理"),
    ],
)
def test_a_full_name_beside_a_title_is_the_contact(text: str, name: str, title: str) -> None:
    assert contact(text) == (name, title)


def test_words_after_a_title_are_not_a_full_name() -> None:
    assert contact("华为技术总监 周五再约") == (None, None)
    assert contact("华为 技术总监 方案评审通过了") == (None, None)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("长安汽车李工 这周请假 下周回来再约", None),  # away and nothing said with him: not met
        ("长安汽车李工 这周出差 电话聊了几句", "李工"),  # a call while away is a contact
        ("苏州精工孙部长今天没空 改成明天了", None),
        ("去了趟精工 王工没在 跟他同事小李聊了聊", "小李"),  # the customer's colleague, not the rep's
        ("跟同事小王一起去了华为，见了陈博士", "陈博士"),  # the rep's colleague
        ("今天拜访了一家新客户 金禾化工 的刘总", "刘总"),  # 化工 is no 金禾化 工程师
        ("Sent the quotation to Siemens, Linda will reply by Friday", "Linda"),
        ("华为张总在开会 让李工接待的", "李工"),  # busy elsewhere: the one who received the rep
        ("华为 王总在忙 跟他们采购小张聊了聊", "小张"),
        ("跟华为张总开会讨论了方案", "张总"),  # a meeting with him
        ("华为张总没时间 改天再约", None),
    ],
)
def test_who_was_met(text: str, name: str | None) -> None:
    assert contact(text)[0] == name


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        ("Visited Huawei today, met Linda (purchasing manager), follow up next Wednesday", "Linda", "purchasing manager"),
        ("Visited Huawei, met Mr. Zhang, the plant manager, about the new line", "Mr. Zhang", "plant manager"),
        ("Met Huawei IT director Tony, budget 500k", "Tony", "IT director"),  # not 「Huawei」
        ("Met Tony, CTO of Huawei", "Tony", "CTO"),
        ("Visited Huawei today, met Mr. Zhang, budget 500k", "Mr. Zhang", None),
        ("Called Siemens, Siemens wants a demo next week", None, None),  # the customer is no contact
        ("Visited Huawei, met 刘总 (purchasing director), talked about pricing", "刘总", "purchasing director"),
        ("Visited Huawei, met 刘总 采购经理, talked about pricing", "刘总", "采购经理"),
    ],
)
def test_english_messages_keep_the_title_as_written(text: str, name: str | None, title: str | None) -> None:
    assert contact(text) == (name, title)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("华为 见了张女士 聊了报价", "张女士"),
        ("华为 李先生 看了样品", "李先生"),
        ("华为 王师傅 带我看了设备", "王师傅"),
        ("今天拜访华为刘董 谈了战略合作", "刘董"),  # 董 for 董事长, 处 / 科 / 局 / 院 for their heads
        ("华为 王处 聊了招标", "王处"),
        ("华为 张科 对了参数", "张科"),
        ("华为 李局 来视察", "李局"),
        ("华为 陈院 聊了合作", "陈院"),
    ],
)
def test_short_honorifics_name_a_contact_without_a_title(text: str, name: str) -> None:
    assert contact(text) == (name, None)


def test_words_ending_like_a_short_honorific_are_no_contact() -> None:
    assert contact("华为 方案处理完了 下周再约")[0] is None
    assert contact("华为 金科技术交流会")[0] is None


@pytest.mark.parametrize(
    ("text", "company"),
    [
        ("拜访了金禾化工设备科科长刘工", "金禾化工"),
        ("去了易联科技 见了采购经理王总", "易联科技"),
        ("拜访了金禾化工的采购部王经理", "金禾化工"),
    ],
)
def test_an_unknown_companys_name_stops_where_the_title_starts(text: str, company: str) -> None:
    """The name offered for 新建客户 is the company's, not 「金禾化工设备科科长」."""
    assert parse_visit(text, NOW, CUSTOMERS).customer_mention == company


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        # what the person is in charge of, before a rank, is the function: 分管 / 负责 / 主管 X 的
        ("华为 分管质量的副总李总 看了报告", "李总", "质量副总"),
        ("华为 张总 分管销售的副总裁 聊了渠道", "张总", "销售副总裁"),
        ("苏州精工 负责采购的经理小王 对了交期", "小王", "采购经理"),
        # ranks: 老板娘, an 员 of a listed kind, a designer of any speciality, a rank in the name after a department
        ("华为 老板娘王姐 对了账", "王姐", "老板娘"),
        ("华为 计划调度员小李 排了产", "小李", "计划调度员"),
        ("华为 李工 结构设计师 改了图", "李工", "结构设计师"),
        ("华为 采购部李专员 确认了交期", "李专员", "采购部专员"),
        ("华为 供应商开发工程师张工 来审厂", "张工", "供应商开发工程师"),
        # a function narrowed by another, and the role abbreviations, standing alone beside the name
        ("华为 李经理 大客户采购 聊了框架", "李经理", "大客户采购"),
        ("华为 王工 IQC 退了一批料", "王工", "IQC"),
    ],
)
def test_more_ranks_and_functions(text: str, name: str, title: str) -> None:
    assert contact(text) == (name, title)


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        # dictated, 他们的 glued to the name: apposition
        ("华为的王总他们的厂长带我看了车间", "王总", "厂长"),
        # said of the contact a few words on, with no one else named between
        ("去了华为找了设备部的李工聊完他是设备部的副部长", "李工", "设备部副部长"),
        ("宁德时代 陈姐对了交期 她是新来的计划主管", "陈姐", "计划主管"),
        # the assistant of someone named in the title
        ("华为 小周 张总的秘书 安排了会议", "小周", "秘书"),
        ("华为 小周 总经理秘书 安排了会议", "小周", "总经理秘书"),
    ],
)
def test_a_title_said_of_the_contact_further_on(text: str, name: str, title: str) -> None:
    assert contact(text) == (name, title)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # a title followed by what someone else does or is: that person's, not the contact's
        ("华为李工 他们厂长不同意这个方案", "李工"),
        ("华为王经理 采购总监换人了", "王经理"),
        ("华为张工 他们设备经理出差了 电话沟通的", "张工"),
        # the rep's own colleague
        ("华为刘总 我们技术总监也在 聊了方案", "刘总"),
    ],
)
def test_a_title_that_is_someone_elses(text: str, name: str) -> None:
    assert contact(text) == (name, None)


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        ("华为 顾问王总 聊了咨询项目", "王总", "顾问"),  # 顾 starts 顾问: no 顾问王
        ("华为 董秘李总 聊了投资者关系", "李总", "董秘"),
        ("华为 办公室主任任工 安排了参观", "任工", "办公室主任"),  # 任 ends 主任 only once
        ("华为 车间主任董工 带我看了产线", "董工", "车间主任"),
    ],
)
def test_a_rank_word_is_no_name(text: str, name: str, title: str) -> None:
    assert contact(text) == (name, title)


def test_someone_elses_absence_does_not_remove_the_contact() -> None:
    assert contact("华为李工 他们采购经理休假了 下周再约")[0] == "李工"


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        # a colon or dash between a department and the name, 这边 / 那边 after a function
        ("华为 研发部：张工 看了图纸", "张工", "研发部工程师"),
        ("华为 采购部-李经理 对了交期", "李经理", "采购部经理"),
        ("华为 财务那边的王姐 对了账", "王姐", "财务"),
        # what someone does, before the name: 做 / 搞 / 管 X 的 — the function (with 工 too: not X工程师)
        ("华为 做质量的小张 查了来料", "小张", "质量"),
        ("华为 搞研发的李工 看了样机", "李工", "研发"),
        ("华为 管仓库的老王 收了货", "老王", "仓库"),
    ],
)
def test_a_function_or_department_written_loosely_before_the_name(text: str, name: str, title: str) -> None:
    assert contact(text) == (name, title)


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        # a department and a function (事业部的工艺主管), 新来的 between, 的 and a blank before the rank
        ("华为 李工 终端事业部的品质主管 提了意见", "李工", "终端事业部品质主管"),
        ("华为 王工 是设备科新来的科长", "王工", "设备科科长"),
        ("华为 张工 测试中心的 主任 看了报告", "张工", "测试中心主任"),
        # any short place before 厂 / 基地 is a scope (its 的 drops it), 员 of more kinds
        ("华为 李经理 东莞基地的采购经理 谈了价格", "李经理", "采购经理"),
        ("华为 李经理 东莞基地采购经理 谈了价格", "李经理", "东莞基地采购经理"),
        ("华为 老刘 总装车间的巡检员 反馈了问题", "老刘", "总装车间巡检员"),
        # what the post is about, and 现在是
        ("华为 王工 他是这个项目的项目经理", "王工", "项目经理"),
        ("华为 李工 现在是质量部的经理了", "李工", "质量部经理"),
    ],
)
def test_titles_with_more_parts(text: str, name: str, title: str) -> None:
    assert contact(text) == (name, title)


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        ("华为的彩购经理王总 谈了价格", "王总", "采购经理"),  # pinyin slips inside a title or an honorific
        ("华为 李经里 说下周定", "李经理", None),
        ("华为 王工 设被部经理 要了报价", "王工", "设备部经理"),
    ],
)
def test_typos_inside_a_title_are_read_through(text: str, name: str, title: str | None) -> None:
    assert contact(text) == (name, title)


@pytest.mark.parametrize(
    ("text", "name"),
    [("华为 李部 聊了招标", "李部"), ("华为 王组长 反馈了问题", "王组长"), ("华为 张班长 带我看了产线", "张班长")],
)
def test_more_honorifics_name_a_contact_without_a_title(text: str, name: str) -> None:
    assert contact(text) == (name, None)


def test_words_ending_in_bu_are_no_contact() -> None:
    assert contact("华为 王部门经理 聊了聊")[0] != "王部"
    assert contact("华为 全部发货了")[0] is None


def test_someone_who_left_is_someone_else() -> None:
    assert contact("华为李工 他们采购经理离职了 项目缓一缓") == ("李工", None)


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        ("华为 技术经理 那个 李工 看了图纸", "李工", "技术经理"),  # fillers between the title and the name
        ("华为 采购部的 呃 王经理 对了交期", "王经理", "采购部经理"),
        ("华为 董事长的秘书小刘 安排了会议", "小刘", "董事长秘书"),  # a 的 inside the title
        ("华为 王经理的助理小刘 安排了会议", "小刘", "助理"),  # the assistant of a person: not 经理助理
        ("华为 他们财务 小陈 对了账", "小陈", "财务"),
        ("华为 研发部的 李工程师 做了测试", "李工程师", "研发部工程师"),
        ("华为 生技课长王工 要了报价", "王工", "生技课长"),  # a section that is no listed function
        ("华为 班组长老李 带我看了线", "老李", "班组长"),
        ("华为 拉长小周 反馈设备卡料", "小周", "拉长"),
    ],
)
def test_titles_around_fillers_and_line_posts(text: str, name: str, title: str) -> None:
    assert contact(text) == (name, title)


def test_a_word_ending_in_bu_before_a_title_is_no_honorific() -> None:
    assert contact("华为 工程部经理助理小陈 对了图纸") == ("小陈", "工程部经理助理")
    assert contact("华为 王工 交期拉长了 要催一下") == ("王工", None)


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        # owners and founders, heads of other organisations, 总X师, the posts of Japanese-run firms
        ("华为 他们老总王总 亲自接待", "王总", "老总"),
        ("华为 创始人张总 聊了战略", "张总", "创始人"),
        ("华为 王总 联合创始人 聊了融资", "王总", "联合创始人"),
        ("华为 店长小王 反馈了销量", "小王", "店长"),
        ("华为 总会计师王总 对了账", "王总", "总会计师"),
        ("华为 采购担当小李 对了交期", "小李", "采购担当"),
        ("华为 次长李总 见了一面", "李总", "次长"),
        ("华为 营业本部长王总 聊了代理", "王总", "营业本部长"),
        ("华为 销售内勤小刘 对了订单", "小刘", "销售内勤"),
        ("华为 车间主任助理小陈 排了产", "小陈", "车间主任助理"),
        # 是 X 的: a function said of the contact (not 「采购的事情」)
        ("华为 李经理是采购的", "李经理", "采购"),
        ("华为 王总是采购的 很好说话", "王总", "采购"),
    ],
)
def test_more_kinds_of_post(text: str, name: str, title: str) -> None:
    assert contact(text) == (name, title)


def test_a_function_followed_by_what_it_is_about_is_no_title() -> None:
    assert contact("华为 李经理是采购的事情 还没定") == ("李经理", None)



@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        # 张 after 部 / 科 / 厂 is the surname when a name goes on from it, a slip for 长 only where none does
        ("华为 采购部张经理 对了交期", "张经理", "采购部经理"),
        ("华为 设备科张工 要报价", "张工", "设备科工程师"),
        ("华为 设备部张王工 要报价", "王工", "设备部长"),
        # a department before a full name and the rank glued after it make one title
        ("华为 采购部李娜经理 对了交期", "李娜", "采购部经理"),
    ],
)
def test_a_surname_after_a_department_is_a_person(text: str, name: str, title: str) -> None:
    assert contact(text) == (name, title)


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        # the clause before the comma is the title only when it has a rank (not what was discussed)
        ("华为，采购主管，小王，对了交期", "小王", "采购主管"),
        ("华为 聊了采购，王经理说下周定", "王经理", None),
        ("华为 设备经理不在，李工接待的", "李工", None),
        # full names beside a department or a title, with a blank, a comma or 他是 between
        ("华为 研发部 张伟 看了样品", "张伟", "研发部"),
        ("华为 项目经理，张伟，聊了进度", "张伟", "项目经理"),
        ("华为 见了王建国 他是采购总监", "王建国", "采购总监"),
        ("华为 总部高层还没批 李工说的", "李工", None),
        ("华为 采购 李娜 谈了价格", "李娜", "采购"),  # a job standing alone as a word on either side
        ("华为 李娜 采购 谈了价格", "李娜", "采购"),
        ("华为 项目总负责人李总", "李总", "项目总负责人"),
        ("华为 采购助里小王", "小王", "采购助理"),  # 助里: the pinyin slip of 助理
        ("华为 Lily 采购部的 对了交期", "Lily", "采购部"),
        # a title glued to what someone will do is that person's (not 张总's)
        ("华为 张总 项目经理下周来对接", "张总", None),
        ("华为张总，采购经理下周来对接", "张总", None),
        ("华为 研发部，李工，测了样品", "李工", "研发部工程师"),
        ("华为 设备部要扩产，张工说预算没问题", "张工", None),
        # 做 / 管 / 负责 X 的 after the name, not something done (做好的方案); 就是 / 现在是 as a whole word
        ("华为 王工 负责项目的 要方案", "王工", "项目"),
        ("华为 张总 做好的方案给他看了", "张总", None),
        ("华为 李总 就是他们的老板", "李总", "老板"),
        ("华为 李总 就是想要便宜点", "李总", None),
        ("华为 王工 现在是设备部在管", "王工", None),
    ],
)
def test_full_names_and_clauses_around_a_title(text: str, name: str, title: str | None) -> None:
    assert contact(text) == (name, title)

# fresh batch 3, written before running the parser (issue #15): messages typed the way field reps type them in
# WeCom (no punctuation, run-on, typos, any order), covering the weak spots noted before: a comma between the title
# and the name, glued full names, 是/任/做 after the name, departments of any name, more ranks, English titles.
@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        # a comma (，, 、) between the title and the name, either order
        ("华为 采购经理，王总，聊了下年度价格", "王总", "采购经理"),
        ("华为 王总，采购经理，说价格还要再压", "王总", "采购经理"),
        ("精工 采购经理,王总 报价发过去了", "王总", "采购经理"),
        ("宁德时代王总,采购经理,要我们下周送样", "王总", "采购经理"),
        ("拜访长安汽车，设备科长，刘工，聊了改造方案", "刘工", "设备科长"),
        ("西门子 李姐，财务主管，对了发票", "李姐", "财务主管"),
        ("华为 生产经理、张工 看了样机", "张工", "生产经理"),
        ("精工的厂长，老周，带我转了一圈车间", "老周", "厂长"),
        ("今天去宁德时代 见了陈总，分管采购的副总", "陈总", "采购副总"),
        ("华为 对接人王经理，项目经理", "王经理", "项目经理"),
        ("长安汽车 质量部长，赵工，提了几个问题", "赵工", "质量部长"),
        ("华为 孙工，工艺工程师，确认了参数", "孙工", "工艺工程师"),
        ("华为 李娜，采购部的，对了交期", "李娜", "采购部"),
        ("华为 对接人：张伟（设备科科长）", "张伟", "设备科科长"),
        # full names glued to a title or a department
        ("华为王建国经理 聊了报价", "王建国", "经理"),
        ("精工采购部李娜 对了交期", "李娜", "采购部"),
        ("宁德时代 对接人是设备科的刘工", "刘工", "设备科工程师"),
        ("华为 对接人是采购部的张伟", "张伟", "采购部"),
        ("长安汽车设备科科长刘建华 要报价", "刘建华", "设备科科长"),
        ("西门子采购经理陈静 谈了框架协议", "陈静", "采购经理"),
        ("精工的总经理周文斌 亲自接待", "周文斌", "总经理"),
        ("华为 见了李明主任 聊了培训", "李明", "主任"),
        ("宁德时代 技术部王磊工程师 看了图纸", "王磊", "技术部工程师"),
        ("拜访了长安汽车的杨帆 采购专员", "杨帆", "采购专员"),
        ("华为 联系人赵丽华 行政主管", "赵丽华", "行政主管"),
        ("精工厂长李国强 同意试用", "李国强", "厂长"),
        ("华为 研发部张伟 看了样品", "张伟", "研发部"),
        ("宁德时代 陈晓东总监 聊了产能", "陈晓东", "总监"),
        # the title after the name with 是 / 任 / 现任 / 做 … 的
        ("长安汽车 刘工是设备科科长 要了备件清单", "刘工", "设备科科长"),
        ("华为 张总是他们的采购总监", "张总", "采购总监"),
        ("精工 王姐是财务主管 说月底付款", "王姐", "财务主管"),
        ("宁德时代李工任设备部副部长", "李工", "设备部副部长"),
        ("华为 老陈 现任品质部经理 聊了来料问题", "老陈", "品质部经理"),
        ("精工 小刘 做采购的 对了价格", "小刘", "采购"),
        ("西门子 王工 做设备维护的 反馈了故障", "王工", "设备维护"),
        ("长安汽车的孙总 是分管生产的副总经理", "孙总", "生产副总经理"),
        ("华为 李经理 以前做销售现在是采购经理", "李经理", "采购经理"),
        ("宁德时代 周工 他是工艺科的科长", "周工", "工艺科科长"),
        ("华为 陈姐 她是总经理助理 约了下周见老板", "陈姐", "总经理助理"),
        ("精工 刘工是车间主任 带着看了产线", "刘工", "车间主任"),
        ("华为 张工是项目负责人 要方案", "张工", "项目负责人"),
        # departments of any name
        ("华为 设施管理部经理李工 聊了改造", "李工", "设施管理部经理"),
        ("宁德时代 动力保障处处长王总 要报价", "王总", "动力保障处处长"),
        ("长安汽车 冲压车间主任老黄 看了模具", "老黄", "冲压车间主任"),
        ("精工 精益推进办主任刘工 聊了自动化", "刘工", "精益推进办主任"),
        ("华为 数字化转型部总监陈总 聊了MES", "陈总", "数字化转型部总监"),
        ("西门子 客户服务中心经理小李", "小李", "客户服务中心经理"),
        ("宁德时代 安环部部长赵工 查了消防", "赵工", "安环部部长"),
        ("长安汽车 物料控制科科长周工", "周工", "物料控制科科长"),
        ("华为 基建办的王主任 聊了新厂房", "王主任", "基建办主任"),
        ("精工 模具课课长张工 要了报价", "张工", "模具课课长"),
        ("宁德时代 新能源事业部采购经理刘总", "刘总", "新能源事业部采购经理"),
        ("华为 后勤保障部的老孙 收了货", "老孙", "后勤保障部"),
        ("长安汽车 涂装车间的工段长小王 反馈漆面问题", "小王", "涂装车间工段长"),
        ("华为 王姐 人力资源部经理 聊了培训", "王姐", "人力资源部经理"),
        ("长安汽车 李主任 设备管理办公室的 要报价", "李主任", "设备管理办公室主任"),
        ("华为 设备处的张处长 要报价", "张处长", "设备处处长"),
        # 副 / 助理 / 主任 / 专员 / 工程师 / 负责人 / 老板 / 老板娘 / 厂长 / 董事长 / 总经理助理
        ("华为 副厂长刘总 看了方案", "刘总", "副厂长"),
        ("精工 老板王总 拍板了", "王总", "老板"),
        ("精工 老板娘 陈姐 对了账", "陈姐", "老板娘"),
        ("宁德时代 董事长助理小张 安排了参观", "小张", "董事长助理"),
        ("华为 总经理助理 李小姐 发来了需求", "李小姐", "总经理助理"),
        ("长安汽车 采购专员小吴 催了交期", "小吴", "采购专员"),
        ("西门子 项目负责人张工 聊了进度", "张工", "项目负责人"),
        ("精工 设备负责人老李 要备件报价", "老李", "设备负责人"),
        ("华为 电气工程师小周 调了程序", "小周", "电气工程师"),
        ("宁德时代 副总经理王总 亲自接待", "王总", "副总经理"),
        ("长安汽车 厂长 刘总 说月底前定", "刘总", "厂长"),
        ("华为 董事长张总 见了一面 聊得不错", "张总", "董事长"),
        ("精工 生产副总李总 要求下周到货", "李总", "生产副总"),
        ("华为 采购主任王姐 对了价格", "王姐", "采购主任"),
        ("宁德时代 质量总监助理小陈 拿了样品", "小陈", "质量总监助理"),
        ("西门子 销售助理小林 发了询价单", "小林", "销售助理"),
        ("长安汽车 设备副科长小孙", "小孙", "设备副科长"),
        ("华为 研发副总监 赵工 看了测试报告", "赵工", "研发副总监"),
        ("精工 办公室主任 刘姐 安排了午饭", "刘姐", "办公室主任"),
        ("华为 采购部副经理 李工", "李工", "采购部副经理"),
        ("宁德时代 安全专员小黄 带我们做了安全培训", "小黄", "安全专员"),
        ("长安汽车 车间负责人老张 反馈设备老停机", "老张", "车间负责人"),
        ("苏州精工 老板 孙总 说要再比比价", "孙总", "老板"),
        ("华为 李工 高级工程师 评审了方案", "李工", "高级工程师"),
        ("精工 总经理助理小吴 约了下周见王总", "小吴", "总经理助理"),
        ("精工 李总 副总经理 说这个月定", "李总", "副总经理"),
        ("华为 仓库主管老陈 收货了", "老陈", "仓库主管"),
        # English titles in mixed messages
        ("华为 Purchasing Manager Lisa 谈了年度价格", "Lisa", "Purchasing Manager"),
        ("西门子 王总（Plant Manager）看了产线", "王总", "Plant Manager"),
        ("西门子 Michael 项目经理 聊了交期", "Michael", "项目经理"),
        ("华为 buyer小李 发了PO", "小李", "buyer"),
        ("西门子 Engineering Manager 张工 聊了技术要求", "张工", "Engineering Manager"),
        ("宁德时代 Anna，采购主管，确认了订单", "Anna", "采购主管"),
        ("华为 CEO 王总 见了一面", "王总", "CEO"),
        ("西门子 sourcing manager Jack 要我们报价", "Jack", "sourcing manager"),
        ("长安汽车 SQE 刘工 来审厂", "刘工", "SQE"),
        ("西门子 李经理 Supply Chain Manager 对了交期", "李经理", "Supply Chain Manager"),
        ("华为 COO李总 聊了合作", "李总", "COO"),
        ("宁德时代 张工 是ME工程师 调试了设备", "张工", "ME工程师"),
        ("西门子 met Linda, procurement director, 下周二再去", "Linda", "procurement director"),
        # no title written
        ("去了宁德时代 跟陈工聊了半天 下周寄样", "陈工", None),
        ("精工王总说价格太高了要再便宜点", "王总", None),
        ("长安汽车 李姐 催款", "李姐", None),
        ("华为 今天见了刘总 合同下周签", "刘总", None),
        ("西门子 王工 要改图纸 采购那边还没批", "王工", None),
        ("宁德时代 小张 设备又坏了 让我们去修", "小张", None),
        ("华为 李工 说他们经理不同意", "李工", None),
        ("精工 老周 聊了下明年的计划 预算200万", "老周", None),
        # a full name with no honorific and no title beside it, right after the customer (section S has many)
        ("长安汽车 张伟 下周三来我们公司看样", "张伟", None),
        ("华为 赵总 厂里在搬迁 下个月再说", "赵总", None),
        ("宁德时代 王经理 项目延期了", "王经理", None),
        ("西门子 陈工 工程变更要走流程", "陈工", None),
        ("华为 孙总 采购流程走完了 下周下单", "孙总", None),
        ("精工 刘总 总经理办公会通过了", "刘总", None),
        ("长安汽车 王工 设备调试完了", "王工", None),
        ("华为 见了李总 他们老板出差了", "李总", None),
        ("宁德时代 张经理 说质量部还要测一轮", "张经理", None),
        ("精工 今天没见到人 电话跟王总聊的", "王总", None),
        # colloquial, run-on, typos
        ("今天去华为见了他们采够经理王总聊了下价格", "王总", "采购经理"),
        ("精工设备部长李工说下个月上新线", "李工", "设备部长"),
        ("宁德时代那边的品质经理张工说来料有问题", "张工", "品质经理"),
        ("跑了趟长安汽车 找设备科的老刘 要了备件清单", "老刘", "设备科"),
        ("华为 财务经里 王姐 对账", "王姐", "财务经理"),
        ("西门子的采购总监李总说下季度量会上来", "李总", "采购总监"),
        ("华为的张总 也就是他们的副总裁 拍板了", "张总", "副总裁"),
        ("精工那个管设备的王工 说电机坏了", "王工", "设备"),
        ("长安汽车 采购部王经理说价格ok", "王经理", "采购部经理"),
        ("精工 跟他们的技术负责人李工聊了一下午", "李工", "技术负责人"),
        ("宁德时代 采购小王 说下周下单", "小王", "采购"),
        ("西门子 见了他们新来的采购总监 Tom", "Tom", "采购总监"),
        ("华为 王总（老板）同意了价格", "王总", "老板"),
        ("长安汽车 供应商质量工程师 陈工 来审核", "陈工", "供应商质量工程师"),
        ("宁德时代 张工 设备部的 说要加急", "张工", "设备部工程师"),
        ("拜访了一家新客户 鑫达机械 见了采购经理周总", "周总", "采购经理"),
        ("新客户 恒通电子 老板娘 刘姐 管财务", "刘姐", "老板娘"),
    ],
)
def test_fresh_batch_3(text: str, name: str | None, title: str | None) -> None:
    assert contact(text) == (name, title)


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        # once 是 or 他们 says a title follows, any short stem before 的 is the part of the company the post is in
        ("长安汽车 孙经理 是他们底盘平台的质量经理 谈了来料", "孙经理", "底盘平台质量经理"),
        ("宁德时代陈工是他们电芯的工艺主管 聊了参数", "陈工", "电芯工艺主管"),
        ("华为 李工 他是他们总装线的工段长 看了现场", "李工", "总装线工段长"),
        # the head of any team: 机加班长, 夜班班长
        ("精工 老郑 他们的机加班长 反馈了刀具问题", "老郑", "机加班长"),
        # the name written again further on with its title
        ("精工刘总 今天去他们车间看了 刘总是他们的总经理 说要上新线", "刘总", "总经理"),
        ("华为李工 送了样品 李工是他们的质量主管", "李工", "质量主管"),
    ],
)
def test_a_title_told_in_an_apposition_or_a_later_sentence(text: str, name: str, title: str) -> None:
    assert contact(text) == (name, title)


def test_a_stem_before_de_is_no_title_without_a_rank_after_it() -> None:
    # 「他们产线的问题」 is what was discussed, not a post; 「李工说下周回复」 names no title
    assert contact("华为 李工 是他们产线的问题 下周再看") == ("李工", None)
    assert contact("华为李工 送了样品 李工说下周回复") == ("李工", None)


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        ("Visited Huawei, met Ms. Zhao, head of IT, she needs a demo", "Ms. Zhao", "head of IT"),
        ("Met Mr. Li (Siemens director of engineering), follow up next week", "Mr. Li", "director of engineering"),
        ("Met Ms. Chen (Huawei quality manager) at the expo", "Ms. Chen", "quality manager"),
    ],
)
def test_english_titles_with_of_or_the_company_in_brackets(text: str, name: str, title: str) -> None:
    assert contact(text) == (name, title)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # someone unnamed stood in for the person named: that person was not met (wherever the name is written again)
        ("去了宁德时代 王总的秘书接待的 王总在外地", None),
        ("华为李总的助理打电话说李总下周有空 约了周四", None),
        ("精工刘总的助理接待的 陈工也在 聊了方案", "陈工"),  # someone else met
        ("华为张总的秘书小刘接待的", "小刘"),  # the stand-in named is the contact
        # a call that did not get through, unless it was returned
        ("长安汽车王经理 电话打了三次都没接 发了短信", None),
        ("精工李工 电话打不通 明天再打", None),
        ("华为孙总 电话没接 后来回过来了 聊了交期", "孙总"),
        ("宁德时代陈工 打了电话没接 晚上微信回的", "陈工"),
        # someone gone: the successor is the contact
        ("华为周经理离职了 现在对接的是采购部的小赵 加了微信", "小赵"),
        ("精工老刘调走了 新来的王工接手 聊了备件", "王工"),
    ],
)
def test_who_was_met_when_someone_else_stood_in(text: str, name: str | None) -> None:
    assert contact(text)[0] == name


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # the person written right after the company: a first name, a pinyin surname with its honorific (in pinyin or
        # in Chinese), never the company itself
        ("Call with Siemens Kevin, demo confirmed for next week", "Kevin"),
        ("Siemens Kevin wechat: demo confirmed", "Kevin"),
        ("meeting with Huawei Li gong, they need the drawings by Friday", "Li gong"),
        ("Huawei Wang jingli visit, quotation sent", "Wang jingli"),
        ("Siemens Zhao 总 visit, talked about the retrofit project", "Zhao 总"),
        # a place of the company is no person; the contact the parser reads in Chinese comes first
        ("Visited Huawei Shenzhen office today, budget 500k", None),
        ("visited Huawei Dongguan, met 王工, they want a trial next month", "王工"),
    ],
)
def test_english_contacts_after_the_company(text: str, name: str | None) -> None:
    assert contact(text)[0] == name


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("见了华为张总 张总的秘书打电话说下次直接约她", "张总"),  # met all the same
        ("华为王工说设备关机后报警 要派人看", "王工"),  # a machine switched off is no unanswered call
        ("精工李工说样品还没接收 下周再看", "李工"),
        ("Met Huawei 工程师 today, budget 500k", None),  # the 工 of 工程师 is no honorific
    ],
)
def test_words_like_a_missed_call_or_a_stand_in_that_are_not(text: str, name: str | None) -> None:
    assert contact(text)[0] == name


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # a bare full name right after the customer, ending where a blank or a word of speech or contact begins
        ("华为董丽 报价 她说下个月中旬给结果", "董丽"),
        ("华为 孙晓东 AGV项目 报价230K", "孙晓东"),
        ("上周四去了华为 梁建军说年降的事要等总部通知", "梁建军"),
        ("跟华为的总工程师吴建平通了电话", "吴建平"),
        ("华为Kevin 今天说订单取消了", "Kevin"),
        ("华为 Mr. Li 说框架价格要重谈", "Mr. Li"),
        ("华为 Tony Wang 说下周来", "Tony Wang"),  # the whole name, not 「Wang 说」
        ("华为的采购Tony Wang说RFQ下周五截止", "Tony Wang"),
        # after a word of meeting or contact, after 那边, or first before a blank
        ("跟王海涛通了电话 华为那边要报价", "王海涛"),
        ("王海涛 华为 采购 要了报价", "王海涛"),
        ("华为那边王海涛说价格还要降", "王海涛"),
        ("约了华为王海涛下周二见面", "王海涛"),
        # what colleagues call someone, the 高工 rank, an assistant named after their boss
        ("华为 强哥 说下周来", "强哥"),
        ("华为 阿强 说下周来", "阿强"),
        ("华为王高工 聊了新方案", "王高工"),
        ("华为王总助理 小李 说下周来", "小李"),
        ("华为 大哥 说下周来", None),
        # a place or a workshop is no one
        ("华为 跟车间 聊了一下排产", None),
        ("华为 和常州 那边的人聊了", None),
        # words that start with a surname's character are no one
        ("华为 方案改了两版", None),
        ("华为 高层变动 项目暂停", None),
        ("华为 Zoom 聊了方案", None),
        ("华为 Tencent会议 过了报价", None),
        # our own manager is no contact
        ("我们的销售经理老陈带我去了华为 见了研发的郑工", "郑工"),
    ],
)
def test_a_bare_full_name_after_the_customer_is_the_contact(text: str, name: str | None) -> None:
    assert parse_visit(text, NOW, CUSTOMERS).contact_name == name


@pytest.mark.parametrize(
    ("text", "title"),
    [
        # dictated titles: the blanks between the words of one title are closed
        ("华为 采购部 经理 邓经理 说框架协议续签没问题", "采购部经理"),
        ("华为 泵送事业部 采购 经理 赵永刚 电话问了产能", "泵送事业部采购经理"),
        ("华为 杨工 设备科 副科长 今天调试点胶机", "设备科副科长"),
        ("华为的 技术经理 兼 项目负责人 何伟 电话里确认了尺寸", "技术经理兼项目负责人"),
        ("华为 黄芳(采购部 经理) 微信发来询价单", "采购部经理"),
    ],
)
def test_a_title_dictated_in_words_is_read_whole(text: str, title: str | None) -> None:
    assert parse_visit(text, NOW, CUSTOMERS).contact_title == title


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # a bare full name before the customer, after 给 / 电话里 / 是, before 在 / 签 / 和她
        ("上午跟周思远在华为碰了一下 他们想加一条检测线", "周思远"),
        ("给马骏打了电话 华为那批编码器交期能提前一周", "马骏"),
        ("华为的报价发了 电话里杜鹏说下周三给结果", "杜鹏"),
        ("华为的老张退休了 接替他的是刘振宇 今天第一次见", "刘振宇"),
        # an English name first in the message
        ("Tony Wang 今天在华为苏州厂见的 聊了检测设备", "Tony Wang"),
        ("Mr. Wang from 华为 called 说合同已经盖章寄回了", "Mr. Wang"),
        # the one met among several; our own people are no contact
        ("华为 王总 李总 都 不在 只 见到 了 采购 小邓 报价 给 她 了", "小邓"),
        ("华为的侯总电话打不通 后来他同事彭经理回了电话", "彭经理"),
        ("我们的技术总监刘博士今天给华为做了一场技术交流", None),
        ("今天和公司的李工一起到华为做了现场勘测 对方负责人没来", None),
        ("今天 陪 我们 大区 的 Steven 去 了 华为 见 了 采购 Monica", "Monica"),
        ("杭州 一家 物流 公司 的 刘总 电话 说 项目 年后 再 启动", "刘总"),  # their company, not ours
        ("华为肖总 报价发过去三天了 还没回 明天打电话问问", "肖总"),  # no reply yet is no missed meeting
    ],
)
def test_who_was_met_when_several_are_named(text: str, name: str | None) -> None:
    assert parse_visit(text, NOW, CUSTOMERS).contact_name == name


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        # said after 是 in words with blanks between them: the words are closed up, a short stem before kept
        ("华为张总 他是 数字能源 采购总监 今天 第一次 见", "张总", "数字能源采购总监"),
        ("精工 钱工 是 冷轧厂 设备 主管 今天 去他们 现场", "钱工", "冷轧厂设备主管"),
        ("西门子韩总 韩总他们是 组件事业部 采购 负责人 说 我们 中标 了", "韩总", "组件事业部采购负责人"),
        # typed with a blank after every character (the words before stay words)
        ("精工 见了杨帆 她 是 新 来 的 项 目 经 理", "杨帆", "项目经理"),
    ],
)
def test_a_title_said_after_is_in_separate_words(text: str, name: str, title: str) -> None:
    assert contact(text) == (name, title)


def test_an_english_leader_is_a_title() -> None:
    assert contact("Meeting with 华为 on Teams 跟他们的project leader Jack过了一遍technical spec") == ("Jack", "project leader")


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        # a report's 「与<title><full name>进行了…」: the full name, and its title
        ("今天下午拜访了西门子，与设备经理王海涛进行了技术交流，下周三再沟通。", "王海涛", "设备经理"),
        ("今日与宁德时代的结构工程师蔡明讨论了电池托盘的方案。", "蔡明", "结构工程师"),
        # the surname said after the title, the honorific used from then on
        ("与华为的采购总监进行了会面，对方姓卢。卢总监希望我们下周报价。", "卢总监", "采购总监"),
        ("见了精工的厂长 姓严 严厂长说价格合适就定", "严厂长", None),  # the title only restates the honorific
    ],
)
def test_a_title_before_a_name_or_a_surname_said_in_a_report(text: str, name: str, title: str | None) -> None:
    assert contact(text) == (name, title)


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        # a department or a job with no rank, said of the contact with 他/她是 or 负责
        ("微信给华为马丽丽发了样品照片 她是采购", "马丽丽", "采购"),
        ("西门子慕容芳 她负责供应链 问了交期", "慕容芳", "供应链"),
        ("给精工的老何打了个电话 老何是他们仓储部的 问了货架的事", "老何", "仓储部"),
        # not a job: what was discussed
        ("见了华为老何 他是技术交流的时候认识的", "老何", None),
    ],
)
def test_a_department_said_of_the_contact_later(text: str, name: str, title: str | None) -> None:
    assert contact(text) == (name, title)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # the colleague or boss the rep went with, with an honorific, when the going leads to the customer
        ("跟刘总一起去了趟精工，见了他们设备科的赵科长", "赵科长"),
        ("今天陪王总去西门子，采购员小周接待的", "小周"),
        ("上周三跟王总去了华为，金总说合同法务还在改", "金总"),
        # with our post or department between
        ("我跟销售总监老吕一起去的宁德时代，对方是采购副总金总", "金总"),
        ("带技术部小吴去了长安汽车，给焊装车间的冯工做了演示", "冯工"),
        ("跟老吕一起在华为谈了一下午，金总说价格太高", "金总"),
        # their own 张总 showing the plant is still the contact
        ("跟华为张总去了车间 看了设备", "张总"),
    ],
)
def test_the_colleague_the_rep_went_with_is_not_the_contact(text: str, name: str) -> None:
    assert contact(text)[0] == name


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        # an English function before 的 and the name is the title, as written
        ("今天去西门子见了procurement的Lisa 聊了明年的价格", "Lisa", "procurement"),
        ("华为 跟 IE 的 Tony 过了一下 line balance", "Tony", "IE"),
        ("精工 见了 R&D 的 Kevin, 讨论 joint test", "Kevin", "R&D"),
    ],
)
def test_an_english_function_before_the_name(text: str, name: str, title: str) -> None:
    assert contact(text) == (name, title)


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        # 姓X as a clause of its own, a few words after the title: the nearest title before it
        ("下午去了华为，他们新来的设备经理想认识一下供应商，聊了半个钟头，姓蔡，说以后设备归他管", "蔡经理", "设备经理"),
        ("精工 本来找采购部长唐建平 他不在 见了他们的副部长 姓邹 邹部长说价格还要谈", "邹部长", "副部长"),
        # sent by the one named: the secretary is the one who called
        ("华为葛部长让他秘书给我打电话，秘书姓唐，说下周二下午有空", "唐秘书", "秘书"),
        # the partner who brought the rep is not the contact
        ("精工：代理商刘总带我见了他们新来的生产厂长，姓邵，聊了很多", "邵厂长", "生产厂长"),
        # a Latin title after 是 with blanks and the company between
        ("Peter 是 华为 的 project manager 今天 看了现场", "Peter", "project manager"),
    ],
)
def test_a_surname_said_on_its_own_and_who_sent_whom(text: str, name: str, title: str | None) -> None:
    assert contact(text) == (name, title)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("华为：今天跟采购Peter见的，PO过两天下来", "Peter"),  # met Peter, did not go with him
        ("cold call 了 华为, 找到 一个 ME 叫 David, 他 说 有 需求", "David"),
        ("去了精工，本来约的孙工不在，接待我的是一个刚毕业的小姑娘，叫小米", "小米"),
        ("精工：今天见的是汪丽，之前一直跟她下面的小孟对接", "汪丽"),
        ("在 华为, Linda 要 我们 quotation 再降 5%", "Linda"),
        ("今天和小赵线上跟华为开了个会 华为那边是技术中心的马建华", "马建华"),
    ],
)
def test_the_one_met_said_after_jiao_or_de_shi_or_before_a_request(text: str, name: str) -> None:
    assert contact(text)[0] == name


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        # a ranked title said later with 是 wins over a function alone before the name
        ("请华为终端供应链的罗总吃了个饭，罗总是他们平台采购部的部长，饭桌上聊了明年", "罗总", "平台采购部部长"),
        # 新来的 says when, not what
        ("华为：新来的品质部部长叫陶勇，今天去认识了一下", "陶勇", "品质部部长"),
        # our boss with the contact is not the contact's title
        ("带老板去了一趟精工，见了他们设备部的葛部长，老板跟葛部长是大学同学", "葛部长", "设备部部长"),
    ],
)
def test_which_title_is_the_contacts(text: str, name: str, title: str) -> None:
    assert contact(text) == (name, title)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # a full name opening a later clause and speaking
        ("跟老板去精工谈最后的价格，老板同意降八万，覃海波说回去请示", "覃海波"),
        # sent elsewhere or on leave: the one who stood in
        ("去了华为，本来约的孙工，结果孙工被派去重庆了，接待我的是一个刚毕业的小姑娘，叫小米", "小米"),
        ("打电话找精工石工，说石工休陪产假了，有事找他们组长老钱，老钱说他先接着", "老钱"),
        # a clause opening with a word, not a name
        ("华为张总 聊了价格，高层说可以", "张总"),
    ],
)
def test_a_name_opening_a_clause_and_who_is_away(text: str, name: str) -> None:
    assert contact(text)[0] == name
