"""Importing messy real-world sheets into the sales records, on SQLite and PostgreSQL.

Files are written as Excel and Chinese-Windows tools write them (merged
header cells, blank rows, GBK CSV, date serials, "38万") and read through the
same code the CLI uses.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from bot.importing.read import load_table
from domain.clock import FixedClock
from domain.db import Database
from domain.models import AuditEntry, Contact, Customer, Opportunity, Stage, StageChange, User
from domain.services.customers import add_contact, create_customer, find_customers
from domain.services.importing import ImportKind, ImportReport, run_import, table_from_records
from domain.services.opportunities import create_opportunity
from domain.uow import UnitOfWork
from tests.factories import load_example_org


@pytest.fixture
def org(db: Database, clock: FixedClock) -> Database:
    load_example_org(db, clock)
    return db


def _import(
    db: Database,
    clock: FixedClock,
    path: Path,
    kind: ImportKind,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
) -> ImportReport:
    table, _ = load_table(path, kind)
    with UnitOfWork(db, clock, actor_label="import", cause=f"import:{path.name}") as uow:
        report = run_import(uow, table, dry_run=dry_run, skip_invalid=skip_invalid)
        if report.applied:
            uow.commit()
    return report


def _count(db: Database, model: Any) -> int:
    with db.sessions() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _xlsx(path: Path, rows: list[list[Any]], merges: tuple[str, ...] = ()) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    for cells in merges:
        ws.merge_cells(cells)
    wb.save(path)
    return path


def _user_id(db: Database, name: str) -> int:
    with db.sessions() as s:
        uid = s.scalar(select(User.id).where(User.name == name))
        assert uid is not None
        return uid


def _rejected(report: ImportReport) -> dict[int, str]:
    return {r.row: "；".join(r.reasons) for r in report.rejected}


# --------------------------------------------------------------- customers
MESSY_CUSTOMERS = [
    ["客户资料导出（2026-11）", None, None, None, None, None, None],  # 1: title, merged A1:G1
    ["客户名称", "负责人", "级别", "联系人", None, None, "行业"],  # 2: 联系人 merged D2:F2
    [None, None, None, "姓名", "手机", "邮箱", None],  # 3: A/B/C/G merged over rows 2–3
    ["苏州精工机械有限公司", "刘洋", "B", "王强", "138 0013 8000", "wangqiang@jinggong.cn", "机械"],  # 4
    ["苏州 精工机械有限责任公司", "刘洋", None, "李明", "+86 139-1234-5678", None, None],  # 5
    [None, None, None, None, None, None, None],  # 6: blank
    ["精工机械（苏州）有限公司", None, None, "周敏", "13700001111", None, None],  # 7
    ["华为技术有限公司", "张伟", "A类", "刘芳", "1380013800", None, "通信"],  # 8: 10-digit mobile
    ["华为技术有限责任公司", "zhangwei", None, "赵六", "13600002222", None, None],  # 9: owner by key
    ["深圳市大疆创新科技有限公司", "ZhaoLei", "A", "陈峰", "13500003333", "chenfeng@dji.com", "无人机"],  # 10
    ["大疆创新科技有限公司", "张伟", None, None, None, None, None],  # 11: a second owner for 大疆
    ["苏州精工机械有限公司", None, None, "王强", "13999999999", None, None],  # 12: 王强's second number
    ["ＡＢＢ（中国）有限公司", "李娜", "C", "孙悦", "021-61237890", None, None],  # 13: full-width; merged A13:A14
    [None, None, None, "钱峰", "13311112222", "qianfeng@abb.com", None],  # 14: same customer (merged cell)
    ["合计", None, None, None, None, None, None],  # 15: a total row
]
MESSY_MERGES = ("A1:G1", "D2:F2", "A2:A3", "B2:B3", "C2:C3", "G2:G3", "A13:A14")


def test_messy_customer_sheet_report_then_all_or_nothing(org: Database, clock: FixedClock, tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "客户.xlsx", MESSY_CUSTOMERS, MESSY_MERGES)

    report = _import(org, clock, path, ImportKind.CUSTOMERS, dry_run=True)
    assert report.header_row == 3
    rejected = _rejected(report)
    assert set(rejected) == {11, 12}
    # A malformed optional value loses only itself: 华为 (row 8) still comes in, without the phone.
    [dropped] = [w for w in report.warnings if w.startswith("第 8 行：")]
    assert "手机号格式不正确：「1380013800」" in dropped and "10 位" in dropped and "已略去该值" in dropped
    assert "负责人前后不一致：第 10 行为「赵磊」，此行为「张伟」" in rejected[11]
    assert "联系人「王强」（苏州精工机械有限公司）的电话前后不一致" in rejected[12]
    assert "13800138000" in rejected[12] and "13999999999" in rejected[12]
    created = [line.text.split("：")[0] for line in report.customers.created]
    assert created == ["苏州精工机械有限公司", "华为技术有限公司", "深圳市大疆创新科技有限公司", "ABB（中国）有限公司"]
    assert report.customers.created[0].rows == (4, 5, 7)  # row 12 is rejected
    merged = {line.text for line in report.merged}
    assert "「苏州精工机械有限责任公司」→ 苏州精工机械有限公司（同一客户的不同写法）" in merged
    assert "「精工机械（苏州）有限公司」→ 苏州精工机械有限公司（同一客户的不同写法）" in merged
    assert any("合计行" in w for w in report.warnings)
    assert report.blocked and not report.applied
    text = "\n".join(report.render())
    assert "第 8 行：手机号格式不正确" in text and "试运行，未写入任何数据" in text
    assert _count(org, Customer) == 0

    refused = _import(org, clock, path, ImportKind.CUSTOMERS)
    assert not refused.applied and "未写入任何数据" in refused.outcome()
    assert _count(org, Customer) == 0 and _count(org, Contact) == 0

    done = _import(org, clock, path, ImportKind.CUSTOMERS, skip_invalid=True)
    assert done.applied and _rejected(done).keys() == {11, 12}
    with UnitOfWork(org) as uow:
        s = uow.session
        jinggong = s.scalar(select(Customer).where(Customer.name == "苏州精工机械有限公司"))
        assert jinggong is not None
        assert sorted(a.alias for a in jinggong.aliases) == ["精工机械（苏州）有限公司", "苏州精工机械有限责任公司"]
        assert (jinggong.level, jinggong.industry) == ("B", "机械")
        assert jinggong.owner_id == _user_id(org, "刘洋")
        phones = {c.name: c.phone for c in jinggong.contacts}
        assert phones == {"王强": "13800138000", "李明": "13912345678", "周敏": "13700001111"}
        huawei = s.scalar(select(Customer).where(Customer.name == "华为技术有限公司"))
        assert huawei is not None and huawei.level == "A"  # row 8 came in without its bad phone
        assert [a.alias for a in huawei.aliases] == ["华为技术有限责任公司"]
        assert sorted((c.name, c.phone) for c in huawei.contacts) == [("刘芳", None), ("赵六", "13600002222")]
        dji = s.scalar(select(Customer).where(Customer.name == "深圳市大疆创新科技有限公司"))
        assert dji is not None and dji.aliases == [] and dji.owner_id == _user_id(org, "赵磊")
        abb = s.scalar(select(Customer).where(Customer.name == "ABB（中国）有限公司"))
        assert abb is not None and sorted(c.name for c in abb.contacts) == ["孙悦", "钱峰"]
        assert {c.phone for c in abb.contacts} == {"021-61237890", "13311112222"}
        entries = [
            (e.actor_label, e.action)
            for e in s.scalars(select(AuditEntry).where(AuditEntry.cause_event == "import:客户.xlsx"))
        ]
    assert {label for label, _ in entries} == {"import"}
    actions = [action for _, action in entries]
    assert (actions.count("customer.create"), actions.count("contact.create")) == (4, 8)

    audit_before = _count(org, AuditEntry)
    again = _import(org, clock, path, ImportKind.CUSTOMERS, skip_invalid=True)
    assert again.applied and again.changes == 0
    assert again.customers.unchanged == 4 and again.contacts.unchanged == 8
    assert "没有需要写入的变化" in again.outcome()
    assert _count(org, AuditEntry) == audit_before
    assert (_count(org, Customer), _count(org, Contact)) == (4, 8)


def test_imported_customers_are_found_by_what_reps_type(org: Database, clock: FixedClock, tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "c.xlsx",
        [["公司名称", "销售"], ["华为技术有限公司", "张伟"], ["苏州精工机械有限公司", "刘洋"], ["精工机械有限责任公司", "刘洋"]],
    )
    assert _import(org, clock, path, ImportKind.CUSTOMERS).applied
    with UnitOfWork(org, clock) as uow:
        assert find_customers(uow, "华为")[0].customer.name == "华为技术有限公司"
        assert find_customers(uow, "苏州精工")[0].customer.name == "苏州精工机械有限公司"
        alias_hit = find_customers(uow, "精工机械有限责任公司")[0]
        assert alias_hit.customer.name == "苏州精工机械有限公司" and alias_hit.score == 1.0


def test_existing_owner_is_never_silently_replaced(org: Database, clock: FixedClock) -> None:
    with UnitOfWork(org, clock) as uow:
        zhang = uow.session.scalar(select(User).where(User.name == "张伟"))
        create_customer(uow, "华为技术有限公司", owner=zhang, level="B")
        uow.commit()
    table = table_from_records(
        [
            {"客户名称": "华为技术有限公司", "负责人": "刘洋", "级别": "A"},
            {"客户名称": "华为技术有限公司", "负责人": "张伟", "级别": "A", "行业": "通信"},
        ],
        ImportKind.CUSTOMERS,
    )
    with UnitOfWork(org, clock, actor_label="import") as uow:
        report = run_import(uow, table, skip_invalid=True)
        uow.commit()
    assert _rejected(report) == {2: "客户「华为技术有限公司」已有负责人 张伟，此行为 刘洋（导入不更换负责人，请在系统中转交）"}
    assert [line.text for line in report.customers.updated] == ["华为技术有限公司：级别 B → A；行业 空 → 通信"]
    with org.sessions() as s:
        huawei = s.scalar(select(Customer).where(Customer.name == "华为技术有限公司"))
        assert huawei is not None and (huawei.level, huawei.industry) == ("A", "通信")
        update = s.scalar(select(AuditEntry).where(AuditEntry.action == "customer.update"))
        assert update is not None and update.actor_label == "import"
        assert update.before == {"level": "B", "industry": None} and update.after == {"level": "A", "industry": "通信"}


def test_a_name_that_fits_two_customers_is_reported(org: Database, clock: FixedClock) -> None:
    with UnitOfWork(org, clock) as uow:
        create_customer(uow, "苏州精工机械有限公司")
        create_customer(uow, "无锡精工机械有限公司")
        uow.commit()
    table = table_from_records([{"客户": "精工机械有限公司", "联系人": "王强"}, {"客户": "精工", "联系人": "李明"}], ImportKind.CONTACTS)
    with UnitOfWork(org, clock, actor_label="import") as uow:
        report = run_import(uow, table)
    rejected = _rejected(report)
    assert set(rejected) == {2, 3}
    for row in (2, 3):
        assert "苏州精工机械有限公司" in rejected[row] and "无锡精工机械有限公司" in rejected[row]
    assert _count(org, Contact) == 0


# ---------------------------------------------------------------- contacts
def test_gbk_csv_of_contacts_merges_into_existing_customers(org: Database, clock: FixedClock, tmp_path: Path) -> None:
    with UnitOfWork(org, clock) as uow:
        huawei = create_customer(uow, "华为技术有限公司", aliases=["华为"])
        add_contact(uow, huawei, "王强", phone="13800138000")
        uow.commit()
    csv_text = (
        "客户,联系人,职务,手机,邮箱\r\n"
        "华为,王强,采购经理,13800138000,\r\n"
        "华为技术有限公司,王强,,139 0000 0000,\r\n"
        ",,,,\r\n"
        "华为 技术有限公司,刘芳,技术总监,13900139000,LiuFang@Huawei.com\r\n"
        "苏州精工机械有限公司,李明,总经理,13912345678,\r\n"
        "精工机械有限公司,周敏,,+86 137 0000 1111,zhoumin@jinggong\r\n"
        "精工机械有限公司,周敏,,+86 137 0000 1111,\r\n"
    )
    path = tmp_path / "联系人.csv"
    path.write_bytes(csv_text.encode("gbk"))

    report = _import(org, clock, path, ImportKind.CONTACTS, dry_run=True)
    rejected = _rejected(report)
    assert set(rejected) == {3}
    assert "联系人「王强」（华为技术有限公司）的电话已是 13800138000，此行为 13900000000" in rejected[3]
    assert any(w.startswith("第 7 行：邮箱格式不正确：「zhoumin@jinggong」") for w in report.warnings)
    assert "「华为」→ 已有客户 华为技术有限公司（已有别名）" in {line.text for line in report.merged}
    assert [line.text for line in report.contacts.updated] == ["华为技术有限公司 / 王强：职务 空 → 采购经理"]
    created = sorted(line.text for line in report.contacts.created)
    assert created == [
        "华为技术有限公司 / 刘芳：技术总监，13900139000，liufang@huawei.com",
        "苏州精工机械有限公司 / 周敏：13700001111",
        "苏州精工机械有限公司 / 李明：总经理，13912345678",
    ]

    assert _import(org, clock, path, ImportKind.CONTACTS, skip_invalid=True).applied
    with org.sessions() as s:
        contacts = {(c.customer.name, c.name): c for c in s.scalars(select(Contact))}
        assert set(contacts) == {
            ("华为技术有限公司", "王强"),
            ("华为技术有限公司", "刘芳"),
            ("苏州精工机械有限公司", "李明"),
            ("苏州精工机械有限公司", "周敏"),
        }
        assert contacts[("华为技术有限公司", "王强")].title == "采购经理"
        assert contacts[("华为技术有限公司", "王强")].phone == "13800138000"
        jinggong = s.scalar(select(Customer).where(Customer.name == "苏州精工机械有限公司"))
        assert jinggong is not None and [a.alias for a in jinggong.aliases] == ["精工机械有限公司"]
        assert s.scalar(select(func.count()).select_from(Customer)) == 2


# ----------------------------------------------------------- opportunities
def test_opportunities_with_serials_wan_amounts_and_stage_words(org: Database, clock: FixedClock, tmp_path: Path) -> None:
    with UnitOfWork(org, clock) as uow:
        zhang = uow.session.scalar(select(User).where(User.name == "张伟"))
        assert zhang is not None
        huawei = create_customer(uow, "华为技术有限公司", owner=zhang)
        create_opportunity(uow, huawei, zhang, "华为 产线改造", Decimal(300_000), stage=Stage.NEGOTIATION)
        create_opportunity(uow, huawei, zhang, "华为 旧项目", Decimal(50_000), stage=Stage.WON)
        uow.commit()
    path = _xlsx(
        tmp_path / "商机.xlsx",
        [
            ["客户名称", "商机名称", "销售", "商机阶段", "金额（元）", "预计成交日期"],
            ["华为", "华为 产线改造", "张伟", "赢单", "38万", 46357],
            ["华为技术有限公司", "华为 旧项目", "zhangwei", "商务谈判", None, None],
            ["苏州精工机械有限公司", "数控机床备件", "LiuYang", "方案", "¥126,500.00", "2027/1/15"],
            ["苏州精工", "精工 二期", "刘洋", "初步接触", "1.2万", "2027年3月1日"],
            [None, None, None, None, None, None],
            ["无锡精工科技", "X", "王五", "搁置", "三十多万", "2027-02-30"],
            ["大疆", None, None, "输单", 80000, None],
        ],
    )
    report = _import(org, clock, path, ImportKind.OPPORTUNITIES, dry_run=True)
    rejected = _rejected(report)
    assert set(rejected) == {3, 7, 8}
    assert "商机「华为 旧项目」不能从「成交」改为「谈判」" in rejected[3]
    for words in ("找不到负责人「王五」", "无法识别的阶段：「搁置」", "金额无法识别：「三十多万」", "日期不存在：「2027-02-30」"):
        assert words in rejected[7]  # an opportunity needs an owner; rejected, the row says all that is wrong
    assert "商机「大疆 商机」没有负责人" in rejected[8]
    assert [line.text for line in report.opportunities.updated] == [
        "华为技术有限公司 / 华为 产线改造：阶段 谈判 → 成交；金额 ¥300,000.00 → ¥380,000.00；预计成交日期 空 → 2026-12-01"
    ]
    assert [line.text for line in report.opportunities.created] == [
        "苏州精工机械有限公司 / 数控机床备件：评估，负责人 刘洋，¥126,500.00，预计 2027-01-15 成交",
        "苏州精工机械有限公司 / 精工 二期：潜在，负责人 刘洋，¥12,000.00，预计 2027-03-01 成交",
    ]
    assert "「苏州精工」→ 苏州精工机械有限公司（简称）" in {line.text for line in report.merged}

    refused = _import(org, clock, path, ImportKind.OPPORTUNITIES)
    assert not refused.applied and _count(org, Opportunity) == 2

    assert _import(org, clock, path, ImportKind.OPPORTUNITIES, skip_invalid=True).applied
    with org.sessions() as s:
        opps = {o.name: o for o in s.scalars(select(Opportunity))}
        assert set(opps) == {"华为 产线改造", "华为 旧项目", "数控机床备件", "精工 二期"}
        line = opps["华为 产线改造"]
        assert (line.stage, line.amount, line.expected_close_date) == (Stage.WON, Decimal("380000.00"), date(2026, 12, 1))
        assert line.closed_at is not None
        moves = [(h.from_stage, h.to_stage) for h in s.scalars(select(StageChange).where(StageChange.opportunity_id == line.id).order_by(StageChange.id))]
        assert moves == [(None, Stage.NEGOTIATION), (Stage.NEGOTIATION, Stage.WON)]
        spare = opps["数控机床备件"]
        assert (spare.stage, spare.amount, spare.owner.name) == (Stage.EVALUATION, Decimal("126500.00"), "刘洋")
        assert spare.customer.name == "苏州精工机械有限公司" and spare.customer.owner_id == spare.owner_id
        assert opps["精工 二期"].customer_id == spare.customer_id
        actions = [
            e.action
            for e in s.scalars(select(AuditEntry).where(AuditEntry.actor_label == "import").order_by(AuditEntry.id))
        ]
    assert actions.count("opportunity.create") == 2
    assert "opportunity.stage" in actions and "opportunity.update" in actions

    again = _import(org, clock, path, ImportKind.OPPORTUNITIES, skip_invalid=True)
    assert again.changes == 0 and again.opportunities.unchanged == 3
    assert _count(org, Opportunity) == 4
