"""Write the example import sheets next to this file.

Run: ``.venv/bin/python examples/import/make_examples.py``

The sheets look like what sales teams actually keep: a title row above a
two-row header (联系人 merged over 姓名 / 手机 / 邮箱), a blank row, one
customer written two ways, phone numbers with +86 and dashes, amounts like
"38万", dates as Excel dates. They import cleanly against examples/org.yaml:

    salesbot org import examples/org.yaml
    salesbot import customers examples/import/customers.xlsx --dry-run
    salesbot import contacts examples/import/contacts.csv
    salesbot import opportunities examples/import/opportunities.xlsx
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent
FIXED = datetime(2026, 11, 25, 10, 0)  # workbook timestamps, so regenerating changes no bytes needlessly

CUSTOMERS = [
    ["华为技术有限公司", "华为", "张伟", "A", "通信设备", "深圳", "重点、战略", "王强", "138 0013 8000", "wangqiang@huawei.example"],
    ["苏州精工机械有限公司", "", "刘洋", "B", "机械制造", "苏州", "", "李明", "+86 139-1234-5678", "liming@jinggong.example"],
    ["精工机械有限责任公司", "", "刘洋", "", "", "", "", "周敏", "13700001111", ""],
    [None] * 10,
    ["深圳市大疆创新科技有限公司", "大疆", "赵磊", "A", "无人机", "深圳", "", "陈峰", "13600002222", "chenfeng@dji.example"],
    ["上海宝钢股份有限公司", "宝钢", "zhangwei", "B", "钢铁", "上海", "", "", "", ""],
]

CONTACTS = [
    ["客户", "联系人", "职务", "手机", "电话", "邮箱"],
    ["华为技术有限公司", "王强", "采购经理", "13800138000", "0755-28780808", "wangqiang@huawei.example"],
    ["华为", "刘芳", "技术总监", "13900139000", "", "liufang@huawei.example"],
    ["苏州精工机械有限公司", "李明", "总经理", "13912345678", "", ""],
    ["上海宝钢股份有限公司", "孙建国", "设备部长", "+86 135 0000 3333", "021-26641234", ""],
]

OPPORTUNITIES = [
    ["华为技术有限公司", "华为 2027 年产线改造", "张伟", "商务谈判", "38万", datetime(2026, 12, 20)],
    ["苏州精工", "精工 数控机床备件", "刘洋", "方案", "¥126,500.00", datetime(2027, 1, 15)],
    ["深圳市大疆创新科技有限公司", "大疆 仓储自动化", "ZhaoLei", "初步接触", "2,000,000", "2027年3月31日"],
    ["上海宝钢股份有限公司", "宝钢 备件年度框架", "张伟", "赢单", "88万", "2026/11/18"],
]


def _workbook(title: str) -> tuple[openpyxl.Workbook, object]:
    wb = openpyxl.Workbook()
    wb.properties.created = FIXED
    wb.properties.modified = FIXED
    wb.properties.creator = "salesbot"
    ws = wb.active
    assert ws is not None
    ws.title = title
    return wb, ws


def customers_xlsx(path: Path) -> None:
    wb, ws = _workbook("客户清单")
    ws.append(["客户清单（示例，2026 年 11 月）"])
    ws.merge_cells("A1:J1")
    ws.append(["客户名称", "简称", "负责人", "级别", "行业", "地区", "标签", "联系人", None, None])
    ws.append([None, None, None, None, None, None, None, "姓名", "手机", "邮箱"])
    for col in "ABCDEFG":
        ws.merge_cells(f"{col}2:{col}3")  # one header cell over both header rows
    ws.merge_cells("H2:J2")  # "联系人" over 姓名 / 手机 / 邮箱
    for row in CUSTOMERS:
        ws.append(row)
    ws["A1"].font = Font(bold=True, size=14)
    for cell in ws[2] + ws[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for col, width in zip("ABCDEFGHIJ", (30, 10, 10, 6, 12, 8, 12, 10, 18, 28), strict=True):
        ws.column_dimensions[col].width = width
    wb.save(path)


def contacts_csv(path: Path) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(CONTACTS)
    path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))  # UTF-8 with BOM, as Excel saves "CSV UTF-8"


def opportunities_xlsx(path: Path) -> None:
    wb, ws = _workbook("商机")
    ws.append(["客户名称", "商机名称", "负责人", "阶段", "金额", "预计成交日期"])
    for row in OPPORTUNITIES:
        ws.append(row)
    for cell in ws["F"][1:]:
        if isinstance(cell.value, datetime):
            cell.number_format = "yyyy/m/d"
    for col, width in zip("ABCDEF", (30, 26, 10, 10, 14, 14), strict=True):
        ws.column_dimensions[col].width = width
    wb.save(path)


def main() -> None:
    customers_xlsx(HERE / "customers.xlsx")
    contacts_csv(HERE / "contacts.csv")
    opportunities_xlsx(HERE / "opportunities.xlsx")
    print(f"wrote customers.xlsx, contacts.csv, opportunities.xlsx to {HERE}")


if __name__ == "__main__":
    main()
