"""Import cleaning as pure functions: cells, header rows, company keys, grouping — no files, no database."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from bot.importing.read import decode_text
from domain.models import Stage
from domain.names import company_key, normalize_name
from domain.services.importing import Field, ImportFileError, ImportKind, read_table, table_from_records
from domain.services.importing.cleaning import (
    CellError,
    clean_company_name,
    clean_email,
    clean_level,
    clean_mobile,
    clean_phone,
    parse_amount,
    parse_date,
    parse_stage,
)
from domain.services.importing.dedupe import ExistingCustomer, cluster_customers
from domain.services.importing.rows import UserDirectory, UserRef, clean_row


# ------------------------------------------------------------------ phones
@pytest.mark.parametrize(
    "typed",
    ["13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000", "+8613800138000", "8613800138000",
     "0086-138-0013-8000", 13800138000, 13800138000.0, "１３８００１３８０００"],
)  # fmt: skip
def test_mobile_numbers_lose_prefixes_and_separators(typed: object) -> None:
    assert clean_mobile(typed) == "13800138000"


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("1380013800", "10 位"),
        ("138001380001", "12 位"),
        ("23800138000", "1 开头"),
        ("138-0013-800O", "手机号格式不正确"),
        ("1.38001E+10", "科学计数法"),
    ],
)
def test_bad_mobile_numbers_are_refused_with_the_value(typed: str, words: str) -> None:
    with pytest.raises(CellError) as err:
        clean_mobile(typed)
    assert words in err.value.message
    assert typed in err.value.message


def test_phone_column_also_takes_landlines_and_service_numbers() -> None:
    assert clean_phone("0512-66881234") == "0512-66881234"
    assert clean_phone("(021) 6888 1234") == "021-68881234"
    assert clean_phone("010-12345678转808") == "010-12345678-808"
    assert clean_phone("400-820-8820") == "400-820-8820"
    assert clean_phone("+86 139 1234 5678") == "13912345678"
    with pytest.raises(CellError):
        clean_phone("66881234")  # a landline without its area code
    assert clean_phone("-") is None and clean_mobile(None) is None


# ------------------------------------------------------------------ e-mail
def test_emails() -> None:
    assert clean_email(" Wang.Qiang@HUAWEI.com ") == "wang.qiang@huawei.com"
    assert clean_email("li＠jinggong.cn") == "li@jinggong.cn"
    assert clean_email("mailto:a@b.cn") == "a@b.cn"
    for bad in ("wangqiang", "a@b", "a@@b.cn", "a b@c.cn", "a..b@c.cn"):
        with pytest.raises(CellError, match="邮箱格式不正确"):
            clean_email(bad)


# ------------------------------------------------------------------- dates
@pytest.mark.parametrize(
    "cell",
    [
        datetime(2026, 12, 1, 0, 0),
        date(2026, 12, 1),
        46357,  # Excel serial
        46357.0,
        "46357",
        "2026/12/1",
        "2026-12-01",
        "2026.12.01",
        "2026年12月1日",
        "2026 年 12 月 1 日",
        "20261201",
        "2026-12-01 00:00:00",
    ],
)
def test_dates_in_every_form_excel_produces(cell: object) -> None:
    assert parse_date(cell) == date(2026, 12, 1)


def test_serial_46000_and_bad_dates() -> None:
    assert parse_date(46000) == date(2025, 12, 9)
    with pytest.raises(CellError, match="日期不存在"):
        parse_date("2026-02-30")
    with pytest.raises(CellError, match="缺少"):
        parse_date("2026年12月")
    with pytest.raises(CellError, match="无法识别"):
        parse_date("下个月")
    with pytest.raises(CellError, match="无法识别"):
        parse_date(12)  # not a serial of any plausible business date


# ----------------------------------------------------------------- amounts
@pytest.mark.parametrize(
    ("cell", "yuan"),
    [
        ("38万", "380000"),
        ("38.5万元", "385000"),
        ("¥380,000.00", "380000"),
        ("￥1,234.5", "1234.50"),
        ("RMB 38,000元", "38000"),
        ("1.2亿", "120000000"),
        ("12k", "12000"),
        ("叁拾捌万元整", "380000"),
        (380000, "380000"),
        (380000.0, "380000"),
        (1234.567, "1234.57"),
    ],
)
def test_amounts(cell: object, yuan: str) -> None:
    assert parse_amount(cell) == Decimal(yuan)


def test_amount_column_in_wan_scales_bare_numbers_only() -> None:
    wan = Decimal(10_000)
    assert parse_amount(38, wan) == Decimal(380_000)
    assert parse_amount("38", wan) == Decimal(380_000)
    assert parse_amount("38万", wan) == Decimal(380_000)  # the cell names its own unit


def test_bad_and_undecided_amounts() -> None:
    assert parse_amount("待定") is None and parse_amount("") is None
    with pytest.raises(CellError, match="负数"):
        parse_amount("-5000")
    with pytest.raises(CellError, match="金额无法识别"):
        parse_amount("三十多万")


# ------------------------------------------------------------------ stages
@pytest.mark.parametrize(
    ("label", "stage"),
    [
        ("潜在", Stage.LEAD),
        ("初步接触", Stage.LEAD),
        ("线索", Stage.LEAD),
        ("评估", Stage.EVALUATION),
        ("方案", Stage.EVALUATION),
        ("方案阶段", Stage.EVALUATION),
        ("评估(30%)", Stage.EVALUATION),
        ("谈判", Stage.NEGOTIATION),
        ("商务谈判", Stage.NEGOTIATION),
        ("3.谈判", Stage.NEGOTIATION),
        ("成交", Stage.WON),
        ("赢单", Stage.WON),
        ("Closed Won", Stage.WON),
        ("流失", Stage.LOST),
        ("输单", Stage.LOST),
        ("closed lost", Stage.LOST),
        ("negotiation", Stage.NEGOTIATION),
    ],
)
def test_stage_labels(label: str, stage: Stage) -> None:
    assert parse_stage(label) == stage


def test_unknown_stage_lists_the_valid_ones() -> None:
    with pytest.raises(CellError) as err:
        parse_stage("搁置")
    assert "搁置" in err.value.message and "潜在、评估、谈判、成交、流失" in err.value.message


def test_levels() -> None:
    assert [clean_level(x) for x in ("a", "A类", "B级客户", " c ", "重点")] == ["A", "A", "B", "C", "重点"]
    with pytest.raises(CellError):
        clean_level("非常非常重要的战略客户")


# ---------------------------------------------------------- company names
@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("苏州精工机械有限公司", "苏州精工机械有限责任公司"),
        ("苏州精工机械有限公司", "苏州 精工机械 有限公司"),
        ("苏州精工机械有限公司", "精工机械有限公司"),
        ("苏州精工机械有限公司", "苏州市精工机械有限公司"),
        ("苏州精工机械有限公司", "精工机械（苏州）有限公司"),
        ("苏州精工机械有限公司", "江苏省苏州市精工机械有限公司"),
        ("深圳市大疆创新科技有限公司", "大疆创新科技有限公司"),
        ("ABB（中国）有限公司", "ＡＢＢ有限公司"),
        ("ABB（中国）有限公司", "abb co., ltd."),
        ("上海宝钢股份有限公司", "宝钢股份有限公司"),
    ],
)
def test_spellings_of_one_company_share_a_key(one: str, other: str) -> None:
    a, b = company_key(one), company_key(other)
    assert a.core == b.core
    assert a.place is None or b.place is None or a.place == b.place


def test_different_companies_keep_different_keys() -> None:
    assert company_key("苏州精工机械有限公司").place != company_key("无锡精工机械有限公司").place
    assert company_key("苏州精工机械有限公司").core != company_key("苏州精工科技有限公司").core
    assert company_key("华为技术有限公司").core != company_key("华为技术有限公司苏州分公司").core
    assert company_key("华为技术有限公司").core != company_key("华为终端有限公司").core
    assert company_key("南京").core == "南京"


def test_find_normalisation_is_unchanged() -> None:
    assert normalize_name("苏州精工机械有限公司") == "精工"


def test_display_form_of_company_names() -> None:
    assert clean_company_name("  苏州 精工机械　有限公司 ") == "苏州精工机械有限公司"
    assert clean_company_name("ABB(中国)有限公司") == "ABB（中国）有限公司"
    assert clean_company_name("ＡＢＢ Robotics") == "ABB Robotics"


# ------------------------------------------------------------ header rows
def test_title_row_and_merged_two_row_header_are_understood() -> None:
    grid = [
        ["2026 年华东区客户清单", "2026 年华东区客户清单", "2026 年华东区客户清单", "2026 年华东区客户清单", None],
        ["*客户名称", "联系人", "联系人", "联系人", "销售"],
        ["*客户名称", "姓名", "手机", "E-mail", "销售"],
        [None, None, None, None, None],
        ["华为技术有限公司", "王强", "13800138000", "wq@huawei.com", "张伟"],
        ["  ", "", None, None, None],
        ["苏州精工机械有限公司", "李明", "13912345678", None, "刘洋"],
    ]
    table = read_table(grid, ImportKind.CUSTOMERS)
    assert table.header_row == 3
    assert [(c.header, c.field) for c in table.columns] == [
        ("*客户名称", Field.CUSTOMER),
        ("联系人/姓名", Field.CONTACT),
        ("联系人/手机", Field.MOBILE),
        ("E-mail", Field.EMAIL),  # "联系人E-mail" is no header; the lower cell alone is
        ("销售", Field.OWNER),
    ]
    assert [r.number for r in table.rows] == [5, 7]  # Excel's row numbers, blank rows skipped
    assert table.rows[1].values[Field.OWNER] == "刘洋"


def test_english_headers_units_and_ignored_columns() -> None:
    table = table_from_records(
        [{"Company Name": "Huawei", "Deal": "X", "Stage": "won", "Amount (万元)": 38, "Close Date": 46357, "Remark": "vip"}],
        ImportKind.OPPORTUNITIES,
    )
    assert table.fields == {Field.CUSTOMER, Field.OPPORTUNITY, Field.STAGE, Field.AMOUNT, Field.CLOSE_DATE}
    assert table.amount_unit == Decimal(10_000)
    assert table.ignored == ["Remark"]
    assert any("Remark" in w for w in table.warnings)


def test_owner_column_can_be_named() -> None:
    records = [{"客户名称": "华为", "销售": "张伟", "跟进人": "刘洋"}]
    default = table_from_records(records, ImportKind.CUSTOMERS)
    assert default.rows[0].values[Field.OWNER] == "张伟"
    chosen = table_from_records(records, ImportKind.CUSTOMERS, owner_column="跟进人")
    assert chosen.rows[0].values[Field.OWNER] == "刘洋"
    with pytest.raises(ImportFileError, match="找不到负责人列"):
        table_from_records(records, ImportKind.CUSTOMERS, owner_column="客户经理")


def test_missing_required_column_is_a_file_error_with_hints() -> None:
    with pytest.raises(ImportFileError) as err:
        table_from_records([{"名字": "华为", "电话": "13800138000"}], ImportKind.CUSTOMERS)
    assert "客户名称" in err.value.message and "公司名称" in err.value.message
    with pytest.raises(ImportFileError, match="联系人"):
        table_from_records([{"客户名称": "华为", "手机": "13800138000"}], ImportKind.CONTACTS)


# ---------------------------------------------------------------- one row
USERS = UserDirectory(
    [
        UserRef(1, "zhangwei", "张伟", True, "ZhangWei", "0155667788"),
        UserRef(2, "liuyang", "刘洋", True, "LiuYang"),
    ]
)


def _row(kind: ImportKind, **cells: object) -> object:
    table = table_from_records([cells], kind)
    return clean_row(table.rows[0], kind, USERS, table.amount_unit)


def test_owner_by_name_key_or_platform_id() -> None:
    for typed in ("张伟", "zhangwei", "ZHANGWEI", "ZhangWei", "0155667788"):
        row = _row(ImportKind.CUSTOMERS, 客户名称="华为", 负责人=typed)
        assert not isinstance(row, list) and row.owner is not None and row.owner.id == 1


def test_malformed_optional_values_are_dropped_and_the_customer_kept() -> None:
    row = _row(ImportKind.CUSTOMERS, 客户名称="华为", 负责人="王五", 联系人="王强", 手机="1380013800", 邮箱="x@")
    assert not isinstance(row, list) and row.customer == "华为"
    assert row.owner is None and row.contact is not None and row.contact.name == "王强"
    assert (row.contact.phone, row.contact.email) == (None, None)
    assert len(row.dropped) == 3
    assert any("找不到负责人「王五」" in p for p in row.dropped)
    assert any("手机号格式不正确：「1380013800」" in p for p in row.dropped)
    assert any("邮箱格式不正确：「x@」" in p for p in row.dropped)


def test_only_a_row_without_a_customer_name_is_rejected() -> None:
    problems = _row(ImportKind.CUSTOMERS, 客户名称="", 负责人="王五", 联系人="王强", 手机="1380013800")
    assert isinstance(problems, list) and problems[0] == "缺少客户名称"
    assert any("手机号格式不正确" in p for p in problems)  # rejected anyway: everything is said


def test_contact_with_title_in_brackets_and_two_numbers() -> None:
    row = _row(ImportKind.CONTACTS, 客户="华为", 联系人="王强（采购经理）", 电话="13800138000 / 0755-28780808")
    assert not isinstance(row, list) and row.contact is not None
    assert (row.contact.name, row.contact.title, row.contact.phone) == ("王强", "采购经理", "13800138000")
    assert row.contact.other_phones == ["0755-28780808"]


def test_phone_without_a_contact_name_is_left_out() -> None:
    row = _row(ImportKind.CUSTOMERS, 客户名称="华为", 手机="13800138000")
    assert not isinstance(row, list) and row.contact is None
    assert row.dropped == ["填写了电话、邮箱或职务，但没有联系人姓名，这些联系方式未导入"]


# ---------------------------------------------------------------- grouping
def _cluster(names: list[str], existing: list[ExistingCustomer] | None = None):
    entries = [(i + 2, n, company_key(n)) for i, n in enumerate(names)]
    return cluster_customers(entries, existing or [])


def test_spellings_in_one_file_become_one_customer() -> None:
    result = _cluster(["苏州精工机械有限公司", "精工机械有限责任公司", "苏州 精工机械有限公司", "苏州市精工机械有限公司"])
    assert len(result.clusters) == 1 and not result.ambiguous
    assert result.clusters[0].name() == "苏州精工机械有限公司"  # fullest and most used spelling
    assert result.clusters[0].rows == [2, 3, 4, 5]


def test_same_name_in_two_cities_is_two_customers_and_the_bare_name_is_ambiguous() -> None:
    result = _cluster(["苏州精工机械有限公司", "无锡精工机械有限公司", "精工机械有限公司"])
    assert sorted(c.name() for c in result.clusters) == ["无锡精工机械有限公司", "苏州精工机械有限公司"]
    assert 4 in result.ambiguous and "无锡精工机械有限公司" in result.ambiguous[4]


def test_short_names_join_the_customer_they_abbreviate() -> None:
    existing = [ExistingCustomer(7, "华为技术有限公司", ["华为"])]
    result = _cluster(["华为", "苏州精工", "苏州精工机械有限公司", "华为技术有限公司"], existing)
    by_name = {c.name(): c for c in result.clusters}
    assert set(by_name) == {"华为技术有限公司", "苏州精工机械有限公司"}
    assert by_name["华为技术有限公司"].existing is not None and by_name["华为技术有限公司"].rows == [2, 5]
    assert by_name["苏州精工机械有限公司"].rows == [3, 4]


def test_a_short_name_fitting_two_customers_is_ambiguous() -> None:
    existing = [ExistingCustomer(1, "苏州精工机械有限公司"), ExistingCustomer(2, "无锡精工科技有限公司")]
    result = _cluster(["精工"], existing)
    assert result.clusters == [] and "请写全称" in result.ambiguous[2]


# ------------------------------------------------------------------ files
def test_csv_bytes_in_the_encodings_excel_writes() -> None:
    text = "客户名称,联系人\r\n苏州精工机械有限公司,李明\r\n"
    assert decode_text(text.encode("gbk")) == text
    assert decode_text(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert decode_text(text.encode("utf-16")) == text
    assert decode_text(text.encode("utf-8")) == text
