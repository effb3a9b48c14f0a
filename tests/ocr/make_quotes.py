"""Deterministic generator of photographed-looking quotations (报价单) with ground truth.

Why synthetic: real customer quotations cannot be committed, and we need many
photos with *known* answers to measure per-field accuracy (bench/ocr.py) and to
pin behaviour in tests. Every sample is a pure function of its seed, so a
failure can be reproduced by number.

Each page is rendered with Noto CJK (Debian ``fonts-noto-cjk``) through
Pillow, then "photographed": perspective warp onto a desk, slight rotation,
uneven lighting, blur, sensor noise, JPEG artefacts and a red round seal
stamped over part of the total.

Usage::

    .venv/bin/python tests/ocr/make_quotes.py OUTDIR [--n 40] [--seed 1] [--hard]

writes ``NNN-kind.jpg`` plus ``truth.json`` (ground truth per file).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from domain.money import to_upper_amount

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
SANS = FONT_DIR / "NotoSansCJK-Regular.ttc"
SANS_BOLD = FONT_DIR / "NotoSansCJK-Bold.ttc"
SERIF = FONT_DIR / "NotoSerifCJK-Regular.ttc"
SC_INDEX = 2  # Simplified Chinese face inside the .ttc collections

CENT = Decimal("0.01")
PAGE_W, PAGE_H = 1240, 1754  # A4 at 150 dpi


def fonts_available() -> bool:
    """Whether Debian's fonts-noto-cjk is installed (the OCR tests need it and say so)."""
    return SANS.exists() and SANS_BOLD.exists() and SERIF.exists()


def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size, index=SC_INDEX)


# ------------------------------------------------------------------ vocabulary
CITIES = [
    "苏州", "无锡", "常州", "宁波", "杭州", "东莞", "佛山", "青岛", "天津", "合肥",
    "昆山", "温州", "嘉兴", "南通", "厦门", "成都", "武汉", "长沙", "郑州", "济南",
]  # fmt: skip
CORES = [
    "恒瑞", "华兴", "鼎盛", "博远", "金泰", "永信", "瑞丰", "新科", "宏达", "亚太",
    "中联", "盛世", "天成", "安泰", "精诚", "德力", "汇川", "海通", "众合", "卓越",
    "长江", "启明", "凯瑞", "远东", "日升", "联创", "三环", "正泰", "双林", "蓝海",
]  # fmt: skip
INDUSTRIES = [
    "精密机械", "自动化设备", "电子科技", "机电设备", "汽车零部件", "食品机械", "包装材料",
    "新能源科技", "模具", "五金制品", "环保设备", "智能装备", "液压机械", "电气",
]  # fmt: skip
SUFFIXES = ["有限公司", "有限公司", "有限公司", "股份有限公司", "制造有限公司"]
SELLER_TRADES = ["轴承", "工控设备", "机电", "传动设备", "电气自动化", "流体控制"]
PEOPLE = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴强"]


def _pick(rng: random.Random, options: list[str]) -> str:
    return options[rng.randrange(len(options))]


def company_name(rng: random.Random) -> str:
    return _pick(rng, CITIES) + _pick(rng, CORES) + _pick(rng, INDUSTRIES) + _pick(rng, SUFFIXES)


@dataclass(frozen=True)
class Product:
    name: str
    unit: str
    low: int
    high: int

    def model(self, rng: random.Random) -> str:
        return MODEL_MAKERS[self.name](rng)


MODEL_MAKERS: dict[str, Any] = {
    "深沟球轴承": lambda r: (
        f"SKF-{r.choice(['6205', '6206', '6304', '6308', '6010'])}-{r.choice(['2RS', 'ZZ'])}"
    ),
    "圆锥滚子轴承": lambda r: f"NSK-302{r.randint(5, 12):02d}",
    "交流接触器": lambda r: f"LC1-D{r.choice(['09', '12', '18', '25', '32'])}M7C",
    "小型断路器": lambda r: f"NXB-63-C{r.choice(['16', '20', '32', '40'])}",
    "变频器": lambda r: f"ACS580-01-{r.choice(['012A7', '026A2', '033A0'])}-4",
    "伺服电机": lambda r: f"MSMF{r.choice(['042', '082', '022'])}L1U2M",
    "光电传感器": lambda r: f"E3Z-D{r.choice(['61', '62', '81', '82'])}",
    "接近开关": lambda r: f"LJ12A3-{r.choice(['4', '8'])}-Z/BX",
    "标准气缸": lambda r: f"SC{r.choice(['50', '63', '80'])}X{r.choice(['100', '150', '200'])}",
    "电磁阀": lambda r: f"4V{r.choice(['210', '310', '410'])}-{r.choice(['08', '10', '15'])}",
    "蜗轮减速机": lambda r: f"RV{r.choice(['50', '63', '75'])}-{r.choice(['20', '30', '40'])}",
    "同步带": lambda r: f"HTD-{r.choice(['5', '8'])}M-{r.choice(['450', '600', '800'])}",
    "直线导轨": lambda r: f"HGH{r.choice(['15', '20', '25'])}CA",
    "梅花联轴器": lambda r: f"GR-{r.choice(['28', '38', '42'])}",
    "旋转编码器": lambda r: f"E6B2-CWZ6C-{r.choice(['360', '600', '1000'])}P",
    "PLC模块": lambda r: f"6ES7-214-1AG40-0XB{r.randint(0, 1)}",
    "不锈钢球阀": lambda r: f"Q41F-16P-DN{r.choice(['25', '32', '50'])}",
    "液压油缸": lambda r: f"HOB{r.choice(['40', '50', '63'])}X{r.choice(['100', '200'])}",
    "工业触摸屏": lambda r: f"TPC{r.choice(['7062Ti', '1061Ti'])}",
    "屏蔽电缆": lambda r: f"RVVP-{r.choice(['2', '3', '4'])}X{r.choice(['0.5', '1.0', '1.5'])}",
}
PRODUCTS = [
    Product("深沟球轴承", "个", 12, 180),
    Product("圆锥滚子轴承", "套", 40, 320),
    Product("交流接触器", "台", 80, 600),
    Product("小型断路器", "只", 15, 90),
    Product("变频器", "台", 2800, 16000),
    Product("伺服电机", "台", 1200, 6800),
    Product("光电传感器", "个", 90, 450),
    Product("接近开关", "个", 18, 85),
    Product("标准气缸", "支", 160, 900),
    Product("电磁阀", "个", 45, 260),
    Product("蜗轮减速机", "台", 450, 2600),
    Product("同步带", "条", 25, 180),
    Product("直线导轨", "根", 220, 1500),
    Product("梅花联轴器", "个", 35, 240),
    Product("旋转编码器", "个", 260, 1200),
    Product("PLC模块", "块", 1800, 5200),
    Product("不锈钢球阀", "个", 60, 480),
    Product("液压油缸", "支", 900, 4200),
    Product("工业触摸屏", "台", 1500, 3800),
    Product("屏蔽电缆", "米", 3, 28),
]


# ------------------------------------------------------------------ the truth
@dataclass
class TruthLine:
    name: str
    model: str
    qty: str
    unit: str
    unit_price: str
    amount: str


@dataclass
class QuoteTruth:
    """What a perfect extraction returns for a sample (money as 2-decimal strings)."""

    customer: str
    quote_no: str
    date: str
    lines: list[TruthLine]
    total: str
    total_upper: str
    template: str
    upper_matches_total: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Sample:
    """One photo: JPEG bytes, what kind of case it is, and the truth when it is a quote."""

    name: str
    kind: str
    image: bytes
    truth: QuoteTruth | None
    expect_unreadable: bool = False
    meta: dict[str, Any] = field(default_factory=dict)


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def make_truth(rng: random.Random, template: str) -> QuoteTruth:
    count = rng.randint(3, 12)
    products = rng.sample(PRODUCTS, count)
    lines = []
    total = Decimal(0)
    for product in products:
        qty = rng.choice([1, 2, 4, 5, 6, 8, 10, 12, 15, 20, 24, 30, 40, 50, 60, 80, 100, 120, 200, 500])
        if product.unit == "米":
            qty = rng.choice([50, 100, 200, 300, 500])
        if product.high > 2000:
            qty = rng.randint(1, 12)
        cents = rng.choice([0, 0, 0, 50, rng.randrange(0, 100)])
        price = Decimal(rng.randint(product.low, product.high)) + Decimal(cents) / 100
        amount = (price * qty).quantize(CENT)
        total += amount
        lines.append(
            TruthLine(product.name, product.model(rng), str(qty), product.unit, _money(price), _money(amount))
        )
    day = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 700))
    style = rng.randrange(4)
    if style == 0:
        quote_no = f"BJ{day:%Y%m%d}-{rng.randint(1, 999):03d}"
    elif style == 1:
        quote_no = f"QT-{day:%Y}-{rng.randint(1, 9999):04d}"
    elif style == 2:
        quote_no = f"HX{day:%y%m}{rng.randint(100, 999)}"
    else:
        quote_no = f"{rng.choice(['SZ', 'NB', 'WX'])}{day:%Y%m%d}{rng.randint(10, 99)}"
    return QuoteTruth(
        customer=company_name(rng),
        quote_no=quote_no,
        date=day.isoformat(),
        lines=lines,
        total=_money(total),
        total_upper=to_upper_amount(total),
        template=template,
    )


def _fmt_money(value: str, style: int) -> str:
    amount = Decimal(value)
    if style == 0:
        return f"{amount:,.2f}"
    if style == 1:
        return f"¥{amount:,.2f}"
    return f"{amount:.2f}"


def _fmt_date(iso: str, style: int) -> str:
    day = date.fromisoformat(iso)
    return [
        day.isoformat(),
        f"{day.year}年{day.month}月{day.day}日",
        f"{day:%Y.%m.%d}",
        f"{day:%Y/%m/%d}",
    ][style % 4]


# ------------------------------------------------------------------ rendering
TEMPLATES = ["classic", "order", "letter"]

HEADERS = {
    "classic": ["序号", "品名", "型号", "数量", "单位", "单价", "金额"],
    "order": ["序号", "产品名称", "规格型号", "单位", "数量", "单价(元)", "金额(元)"],
    "letter": ["名称", "规格", "数量", "单价", "金额"],
}
WEIGHTS = {
    "classic": [0.6, 2.0, 2.4, 0.9, 0.7, 1.4, 1.6],
    "order": [0.6, 2.0, 2.4, 0.7, 0.9, 1.4, 1.6],
    "letter": [2.2, 2.6, 1.0, 1.6, 1.8],
}


def _cell_values(template: str, index: int, line: TruthLine, money_style: int) -> list[str]:
    price = _fmt_money(line.unit_price, money_style)
    amount = _fmt_money(line.amount, money_style)
    if template == "classic":
        return [str(index), line.name, line.model, line.qty, line.unit, price, amount]
    if template == "order":
        return [str(index), line.name, line.model, line.unit, line.qty, price, amount]
    return [line.name, line.model, line.qty, price, amount]


def render_page(truth: QuoteTruth, rng: random.Random) -> tuple[Image.Image, tuple[int, int]]:
    """Draw the flat page; returns it and the page position of the total (for the seal)."""
    template = truth.template
    page = Image.new("RGB", (PAGE_W, PAGE_H), (250, 250, 247))
    draw = ImageDraw.Draw(page)
    body_path = SERIF if rng.random() < 0.35 else SANS
    size = rng.randint(21, 24)
    body = _font(body_path, size)
    small = _font(body_path, size - 3)
    bold = _font(SANS_BOLD, size + 14)
    seller = _pick(rng, CITIES) + _pick(rng, CORES) + _pick(rng, SELLER_TRADES) + "有限公司"
    ink = (20, 20, 24)
    margin = 90
    y = 80

    def center(text: str, font: ImageFont.FreeTypeFont, y_pos: int) -> None:
        width = draw.textlength(text, font=font)
        draw.text(((PAGE_W - width) / 2, y_pos), text, font=font, fill=ink)

    center(seller, _font(SANS_BOLD, size + 6), y)
    y += size + 22
    center(
        f"地址：{_pick(rng, CITIES)}市工业园区{rng.randint(1, 200)}号  电话：0{rng.randint(510, 599)}-{rng.randint(60000000, 69999999)}",
        small,
        y,
    )
    y += size + 30
    title = {"classic": "报价单", "order": "产品报价单", "letter": "报 价 单"}[template]
    center(title, bold, y)
    y += size + 50
    date_style = rng.randrange(4)
    labels = {
        "classic": (["客户名称：", "客户："], ["报价单号：", "单号："], ["报价日期：", "日期："]),
        "order": (["购货单位：", "客户名称："], ["编号：", "报价编号："], ["日期：", "报价日期："]),
        "letter": (["致：", "致:"], ["单号：", "报价单号："], ["报价日期：", "日期："]),
    }[template]
    customer_label, no_label, date_label = (rng.choice(options) for options in labels)
    contact = f"联系人：{_pick(rng, PEOPLE)}  电话：1{rng.randint(3, 9)}{rng.randint(100000000, 999999999)}"
    if template == "letter":
        draw.text((margin, y), customer_label + truth.customer, font=body, fill=ink)
        y += size + 18
        draw.text((margin, y), contact, font=small, fill=ink)
        draw.text((PAGE_W * 0.58, y), no_label + truth.quote_no, font=body, fill=ink)
        y += size + 18
        draw.text((PAGE_W * 0.58, y), date_label + _fmt_date(truth.date, date_style), font=body, fill=ink)
        y += size + 18
        draw.text((margin, y), "感谢贵司垂询，现将我司产品报价如下：", font=body, fill=ink)
    else:
        draw.text((margin, y), customer_label + truth.customer, font=body, fill=ink)
        draw.text((PAGE_W * 0.62, y), no_label + truth.quote_no, font=body, fill=ink)
        y += size + 20
        draw.text((margin, y), contact, font=small, fill=ink)
        draw.text((PAGE_W * 0.62, y), date_label + _fmt_date(truth.date, date_style), font=body, fill=ink)
    y += size + 36

    # ---- table
    headers = HEADERS[template]
    weights = WEIGHTS[template]
    table_w = PAGE_W - 2 * margin
    xs: list[float] = [margin]
    for weight in weights:
        xs.append(xs[-1] + table_w * weight / sum(weights))
    row_h = size + rng.randint(22, 30)
    grid = template != "order"
    money_style = rng.randrange(3)
    numeric_cols = {i for i, h in enumerate(headers) if h.startswith(("数量", "单价", "金额"))}
    rows = [headers] + [
        _cell_values(template, i + 1, line, money_style) for i, line in enumerate(truth.lines)
    ]
    top = y
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            font = _font(SANS_BOLD, size) if r == 0 else body
            width = draw.textlength(text, font=font)
            if r == 0 or c not in numeric_cols:
                x = xs[c] + (xs[c + 1] - xs[c] - width) / 2 if (r == 0 or c == 0) else xs[c] + 10
            else:
                x = xs[c + 1] - 10 - width
            draw.text((x, y + (row_h - size) / 2 - 3), text, font=font, fill=ink)
        y += row_h
        if grid or r == 0:
            draw.line([(margin, y), (PAGE_W - margin, y)], fill=(60, 60, 60), width=2)
    # Total row
    total_text = _fmt_money(truth.total, money_style)
    total_xy: tuple[int, int]
    if template == "classic":
        draw.text((xs[1] + 10, y + (row_h - size) / 2 - 3), "合计", font=_font(SANS_BOLD, size), fill=ink)
        width = draw.textlength(total_text, font=body)
        total_xy = (int(xs[-1] - 10 - width / 2), int(y + row_h / 2))
        draw.text((xs[-1] - 10 - width, y + (row_h - size) / 2 - 3), total_text, font=body, fill=ink)
        y += row_h
        draw.line([(margin, y), (PAGE_W - margin, y)], fill=(60, 60, 60), width=2)
    bottom = y
    draw.line([(margin, top), (PAGE_W - margin, top)], fill=(60, 60, 60), width=2)
    if grid:
        for x in xs:
            draw.line([(x, top), (x, bottom)], fill=(60, 60, 60), width=2)
    else:
        draw.line([(margin, bottom), (PAGE_W - margin, bottom)], fill=(60, 60, 60), width=2)
    y += 30
    if template == "order":
        label = rng.choice(["总计：", "合计："])
        text = label + ("¥" if money_style != 1 else "") + total_text
        draw.text((PAGE_W * 0.55, y), text, font=body, fill=ink)
        total_xy = (int(PAGE_W * 0.55 + draw.textlength(text, font=body) * 0.6), int(y + size / 2))
        y += size + 24
        draw.text(
            (margin, y), rng.choice(["大写：", "人民币大写："]) + truth.total_upper, font=body, fill=ink
        )
    elif template == "letter":
        label = rng.choice(["合计金额：", "总金额："])
        text = label + f"{Decimal(truth.total):,.2f}元"
        draw.text((margin, y), text, font=body, fill=ink)
        total_xy = (int(margin + draw.textlength(text, font=body) * 0.7), int(y + size / 2))
        y += size + 24
        draw.text((margin, y), "合计人民币（大写）：" + truth.total_upper, font=body, fill=ink)
    else:
        draw.text((margin, y), "人民币大写：" + truth.total_upper, font=body, fill=ink)
    y += size + 40
    notes = [
        "备注：1. 以上价格含13%增值税；",
        f"2. 交货期：合同签订后{rng.randint(3, 30)}个工作日内；",
        f"3. 本报价有效期{rng.choice([15, 30, 60])}天。",
    ]
    for note in notes:
        draw.text((margin, y), note, font=small, fill=ink)
        y += size + 12
    y += 20
    draw.text((margin, y), f"报价人：{_pick(rng, PEOPLE)}", font=body, fill=ink)
    draw.text((PAGE_W * 0.55, y), f"供方（盖章）：{seller}", font=small, fill=ink)
    return page, total_xy


def stamp_seal(page: Image.Image, center: tuple[int, int], rng: random.Random) -> None:
    """A red round company seal, semi-transparent, partly over the total (as reps' photos have)."""
    radius = rng.randint(80, 100)
    size = radius * 2 + 8
    seal = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(seal)
    red = (210, 30, 35, 255)
    draw.ellipse([4, 4, size - 4, size - 4], outline=red, width=6)
    c = size / 2
    star_r = radius * 0.28
    points = []
    for k in range(10):
        angle = -math.pi / 2 + k * math.pi / 5
        r = star_r if k % 2 == 0 else star_r * 0.4
        points.append((c + r * math.cos(angle), c + r * math.sin(angle)))
    draw.polygon(points, fill=red)
    font = _font(SANS_BOLD, int(radius * 0.22))
    label = "合同专用章"
    width = draw.textlength(label, font=font)
    draw.text((c - width / 2, c + radius * 0.38), label, font=font, fill=red)
    # Arc text: the seller's name around the rim, glyph by glyph.
    arc = "报价专用" * 3
    for k, ch in enumerate(arc):
        angle = math.radians(-200 + k * (220 / max(len(arc) - 1, 1)))
        glyph = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((6, 2), ch, font=_font(SANS_BOLD, int(radius * 0.2)), fill=red)
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.Resampling.BICUBIC)
        gx = c + (radius * 0.72) * math.cos(angle) - 20
        gy = c + (radius * 0.72) * math.sin(angle) - 20
        seal.alpha_composite(glyph, (int(gx), int(gy)))
    alpha = rng.uniform(0.55, 0.75)
    seal.putalpha(seal.getchannel("A").point(lambda v: int(v * alpha)))
    seal = seal.filter(ImageFilter.GaussianBlur(0.6))
    offset_x = rng.randint(-radius // 2, radius // 2)
    offset_y = rng.randint(-radius // 3, radius // 3)
    base = page.convert("RGBA")
    base.alpha_composite(seal, (center[0] - size // 2 + offset_x, center[1] - size // 2 + offset_y))
    page.paste(base.convert("RGB"))


def photograph(page: Image.Image, rng: random.Random, long_side: int = 1500) -> Image.Image:
    """Perspective warp onto a desk, rotate a little, light unevenly, blur, add noise."""
    import cv2

    nprng = np.random.default_rng(rng.randrange(2**32))
    out_h = long_side
    out_w = int(long_side * 0.75)
    src = np.array([[0, 0], [PAGE_W, 0], [PAGE_W, PAGE_H], [0, PAGE_H]], dtype=np.float32)
    inset = rng.uniform(0.03, 0.08)
    dst = np.array(
        [
            [out_w * inset, out_h * inset],
            [out_w * (1 - inset), out_h * inset],
            [out_w * (1 - inset), out_h * (1 - inset)],
            [out_w * inset, out_h * (1 - inset)],
        ],
        dtype=np.float32,
    )
    dst += nprng.uniform(-0.025, 0.025, size=(4, 2)).astype(np.float32) * np.array([out_w, out_h], np.float32)
    angle = math.radians(rng.uniform(-3.0, 3.0))
    centre = dst.mean(axis=0)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]], np.float32)
    dst = (dst - centre) @ rot.T + centre
    matrix = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    desk_color = np.array(rng.choice([(120, 90, 60), (150, 150, 150), (90, 70, 55), (180, 170, 150)]))
    desk = np.ones((out_h, out_w, 3), np.float32) * desk_color
    desk += nprng.normal(0, 8, size=desk.shape)
    warped = cv2.warpPerspective(
        np.asarray(page), matrix, (out_w, out_h), flags=cv2.INTER_AREA, borderValue=(0, 0, 0)
    )
    mask = cv2.warpPerspective(np.full((PAGE_H, PAGE_W), 255, np.uint8), matrix, (out_w, out_h))
    mask_f = (mask.astype(np.float32) / 255.0)[..., None]
    img = warped.astype(np.float32) * mask_f + desk * (1 - mask_f)
    # Uneven light: a gradient plus a soft vignette, sometimes a shadow band.
    yy, xx = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    gx, gy = rng.uniform(-0.25, 0.25), rng.uniform(-0.25, 0.25)
    light = 1.0 + gx * (xx / out_w - 0.5) + gy * (yy / out_h - 0.5)
    cxn, cyn = rng.uniform(0.3, 0.7) * out_w, rng.uniform(0.3, 0.7) * out_h
    dist = np.sqrt(((xx - cxn) / out_w) ** 2 + ((yy - cyn) / out_h) ** 2)
    light *= 1.0 - rng.uniform(0.1, 0.3) * dist
    if rng.random() < 0.3:
        x0 = rng.uniform(0.2, 0.8) * out_w
        light *= 1.0 - 0.18 / (1.0 + np.exp(-(xx - x0) / 25.0))
    img *= light[..., None] * rng.uniform(0.9, 1.05)
    # Slightly warm/cool white balance.
    img *= np.array([rng.uniform(0.93, 1.0), rng.uniform(0.95, 1.0), rng.uniform(0.93, 1.0)], np.float32)
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.0))
    img += nprng.normal(0, rng.uniform(2.0, 5.0), size=img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def _jpeg(img: Image.Image, quality: int, exif: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    if exif is not None:
        img.save(buffer, format="JPEG", quality=quality, exif=exif)
    else:
        img.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def make_quote(seed: int, template: str | None = None, doctor_upper: bool = False) -> Sample:
    """One photographed quotation; ``doctor_upper`` prints a 大写 that disagrees with the total."""
    rng = random.Random(seed)
    chosen = template or TEMPLATES[seed % len(TEMPLATES)]
    truth = make_truth(rng, chosen)
    if doctor_upper:
        # A classic fraud/typo: capitals one digit off from the figures.
        wrong = Decimal(truth.total) + Decimal(rng.choice([1000, 10000, -100, 90]))
        truth.total_upper = to_upper_amount(wrong)
        truth.upper_matches_total = False
    page, total_xy = render_page(truth, rng)
    stamp_seal(page, total_xy, rng)
    photo = photograph(page, rng)
    return Sample(
        name=f"{seed:03d}-{chosen}" + ("-doctored" if doctor_upper else ""),
        kind="doctored" if doctor_upper else "quote",
        image=_jpeg(photo, rng.randint(55, 85)),
        truth=truth,
    )


def make_set(count: int, seed: int = 1) -> list[Sample]:
    """The bench/accuracy set: ``count`` ordinary photos, templates in rotation."""
    return [make_quote(seed * 1000 + i) for i in range(count)]


def _landscape(rng: random.Random, width: int = 1500, height: int = 1000) -> Image.Image:
    """A photo with no document in it: sky, hills, sun, noise."""
    nprng = np.random.default_rng(rng.randrange(2**32))
    yy = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    sky = np.array([120, 170, 235], np.float32) * (1 - yy) + np.array([230, 235, 245], np.float32) * yy
    img = np.broadcast_to(sky, (height, width, 3)).copy()
    xs = np.arange(width)
    for layer, color in enumerate([(90, 120, 80), (60, 95, 60), (40, 70, 45)]):
        base = height * (0.45 + 0.15 * layer)
        ridge = base + 60 * np.sin(xs / rng.uniform(80, 200) + rng.uniform(0, 6)) + 30 * np.sin(xs / 37.0)
        mask = np.arange(height)[:, None] > ridge[None, :]
        img[mask] = color
    img += nprng.normal(0, 6, size=img.shape)
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    ImageDraw.Draw(pil).ellipse([1100, 120, 1220, 240], fill=(255, 240, 200))
    return pil.filter(ImageFilter.GaussianBlur(1.2))


def make_hard_cases(seed: int = 7) -> list[Sample]:
    """Inputs a rep will send sooner or later, each with the behaviour we expect."""
    rng = random.Random(seed)
    samples: list[Sample] = []

    base = make_quote(seed * 1000 + 1, template="classic")
    upside = Image.open(io.BytesIO(base.image)).rotate(180)
    samples.append(Sample("hard-upside-down", "upside_down", _jpeg(upside, 85), base.truth))

    sideways = make_quote(seed * 1000 + 2, template="order")
    # Stored sideways with an EXIF Orientation tag, as phones do for portrait shots.
    stored = Image.open(io.BytesIO(sideways.image)).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° CW to display
    samples.append(
        Sample("hard-exif-rotated", "exif_rotated", _jpeg(stored, 85, exif.tobytes()), sideways.truth)
    )

    dark = make_quote(seed * 1000 + 3, template="letter")
    arr = np.asarray(Image.open(io.BytesIO(dark.image))).astype(np.float32)
    arr = 255.0 * (arr / 255.0) ** 1.8 * 0.55
    samples.append(
        Sample("hard-dark", "dark", _jpeg(Image.fromarray(arr.clip(0, 255).astype(np.uint8)), 80), dark.truth)
    )

    thumb = Image.open(io.BytesIO(base.image)).resize((100, 100))
    samples.append(Sample("hard-thumbnail", "thumbnail", _jpeg(thumb, 80), None, expect_unreadable=True))

    samples.append(Sample("hard-landscape", "non_quote", _jpeg(_landscape(rng), 85), None))

    samples.append(
        Sample("hard-not-an-image", "garbage", b"%PDF-1.4 not really" * 50, None, expect_unreadable=True)
    )

    doctored = make_quote(seed * 1000 + 4, doctor_upper=True)
    samples.append(Sample("hard-doctored", "doctored", doctored.image, doctored.truth))
    return samples


def make_huge(seed: int = 7, target_mb: float = 30.0) -> Sample:
    """A ~30 MB, 8000 px phone JPEG (upscaled photo + sensor noise so it does not compress)."""
    sample = make_quote(seed * 1000 + 5, template="classic")
    photo = Image.open(io.BytesIO(sample.image)).resize((6000, 8000), Image.Resampling.BICUBIC)
    nprng = np.random.default_rng(seed)
    arr = np.asarray(photo).astype(np.int16)
    arr += nprng.integers(-14, 15, size=arr.shape, dtype=np.int16)
    noisy = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    data = _jpeg(noisy, 97)
    return Sample(
        "hard-huge", "huge", data, sample.truth, meta={"mb": round(len(data) / 1e6, 1), "target": target_mb}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hard", action="store_true", help="also write the hard cases (incl. a 30 MB photo)")
    args = parser.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    samples = make_set(args.n, args.seed)
    if args.hard:
        samples += make_hard_cases(args.seed) + [make_huge(args.seed)]
    truth: dict[str, Any] = {}
    for sample in samples:
        path = args.outdir / f"{sample.name}.jpg"
        path.write_bytes(sample.image)
        truth[path.name] = {
            "kind": sample.kind,
            "expect_unreadable": sample.expect_unreadable,
            "truth": sample.truth.to_dict() if sample.truth else None,
        }
    (args.outdir / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"wrote {len(samples)} samples to {args.outdir}")


if __name__ == "__main__":
    main()
