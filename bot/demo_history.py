"""Three weeks of a sales team's life for the demo: visits, deals moving, won, lost and stalled, quotes.

Why: a demo with an empty past shows nothing on the Monday leaderboard, the
dashboard's funnel or the stale-deal reminders. Everything here goes through
the domain services with a clock set back to when it "happened" (so stage
history, audit rows and leaderboard numbers are what real use would leave),
relative to the moment the demo is seeded: last week always has a winner, and so does this week (ranked
by the board the simulator's jump to next Monday posts).

The three sample quote photos in ``examples/quotes/`` are for customers seeded
here (owned by 张伟, each with an open opportunity), so sending one in the
simulator gives a card whose 确认 works at once.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from domain.clock import BUSINESS_TZ, Clock, FixedClock, to_local
from domain.models import Customer, Opportunity, Stage, User
from domain.money import to_upper_amount
from domain.services.customers import add_contact, create_customer
from domain.services.opportunities import change_stage, create_opportunity
from domain.services.org import OrgSpec
from domain.services.quotes import confirm, create_draft
from domain.services.visits import log_visit
from domain.uow import UnitOfWork

SAMPLE_QUOTES_DIR = Path(__file__).resolve().parent.parent / "examples" / "quotes"
DEMO_SOURCE = "（演示数据）"


@dataclass
class Story:
    """One customer's history, as steps at business-time moments (oldest first)."""

    name: str
    owner: str
    level: str
    contact: tuple[str, str]
    aliases: list[str] = field(default_factory=list)
    steps: list[tuple[datetime, str, dict[str, Any]]] = field(default_factory=list)

    def visit(self, at: datetime, summary: str, next_step: str | None = None, follow_up: date | None = None) -> Story:
        self.steps.append((at, "visit", {"summary": summary, "next_step": next_step, "follow_up": follow_up}))
        return self

    def opportunity(self, at: datetime, amount: int | None, stage: Stage = Stage.LEAD) -> Story:
        self.steps.append((at, "opportunity", {"amount": amount, "stage": stage}))
        return self

    def stage(self, at: datetime, stage: Stage) -> Story:
        self.steps.append((at, "stage", {"stage": stage}))
        return self

    def quote(self, at: datetime, number: str, lines: list[tuple[str, str, int, str]]) -> Story:
        """A confirmed quote; ``lines`` are (name, model, qty, unit price)."""
        self.steps.append((at, "quote", {"number": number, "lines": lines}))
        return self


def _stories(today: date, now: datetime) -> list[Story]:
    monday = today - timedelta(days=today.weekday())
    last, before = monday - timedelta(days=7), monday - timedelta(days=14)

    def lw(day: int, hour: int, minute: int = 0) -> datetime:  # last week, Monday = 0
        return datetime.combine(last + timedelta(days=day), time(hour, minute), tzinfo=BUSINESS_TZ)

    def pw(day: int, hour: int, minute: int = 0) -> datetime:  # the week before
        return datetime.combine(before + timedelta(days=day), time(hour, minute), tzinfo=BUSINESS_TZ)

    def days_ago(n: int, hour: int = 10) -> datetime:
        return datetime.combine(today - timedelta(days=n), time(hour, 0), tzinfo=BUSINESS_TZ)

    def this_week(minutes_ago: int) -> datetime:
        """A moment of this week before now: the coming Monday's board (the simulator's 「下周一 09:00」) ranks
        this week, so it needs a deal won in it whatever day the demo starts (on a Monday just after midnight,
        the first minutes of the week)."""
        start = datetime.combine(monday, time(0, 0), tzinfo=BUSINESS_TZ)
        return min(max(now - timedelta(minutes=minutes_ago), start), now)

    tomorrow = today + timedelta(days=1)
    stories = [
        Story("无锡恒瑞精密机械有限公司", "zhangwei", "A", ("孙建华", "采购经理"), ["无锡恒瑞"])
        .opportunity(pw(0, 10), 268000)
        .visit(pw(0, 10, 30), "初次拜访，介绍伺服和变频器产品线", "发送选型资料")
        .visit(pw(3, 14, 30), "技术交流，确认了选型", "准备报价")
        .stage(pw(3, 17), Stage.EVALUATION)
        .visit(lw(1, 10), "当面沟通报价，客户要求九五折", "申请折扣")
        .stage(lw(1, 11), Stage.NEGOTIATION)
        .quote(lw(1, 16), "HR-2026-118", [("伺服电机", "MSMF082L1U2M", 20, "5600.00"), ("变频器", "ACS580-01-026A2-4", 12, "13000.00")])
        .visit(lw(3, 15), "签订合同", "安排发货")
        .stage(lw(3, 16), Stage.WON),
        Story("杭州博远自动化设备有限公司", "liuyang", "B", ("钱峰", "总工程师"), ["杭州博远"])
        .opportunity(pw(1, 9, 30), 186000)
        .visit(pw(1, 10), "拜访钱总工，了解产线改造计划")
        .visit(pw(4, 14), "现场勘查", "出方案")
        .visit(lw(0, 10), "方案汇报，客户认可", "谈价格")
        .stage(lw(0, 11), Stage.NEGOTIATION)
        .quote(lw(0, 16), "BY-1107", [("PLC模块", "6ES7-214-1AG40-0XB0", 30, "4200.00"), ("工业触摸屏", "TPC7062Ti", 20, "2400.00")])
        .visit(this_week(90), "签约", "跟进首付款")  # won this week: the next Monday's board has a winner too
        .stage(this_week(60), Stage.WON),
        Story("厦门联创电气有限公司", "zhaolei", "B", ("林晓东", "设备科长"), ["厦门联创"])
        .opportunity(pw(2, 9), 98000, Stage.EVALUATION)
        .visit(pw(2, 10), "拜访设备科，样品测试通过")
        .visit(lw(1, 10), "商务谈判，当场签约", "安排交付")
        .stage(lw(1, 11), Stage.WON),
        Story("东莞鼎盛五金制品有限公司", "zhaolei", "C", ("黄志强", "厂长"), ["东莞鼎盛"])
        .opportunity(pw(0, 9), 150000, Stage.EVALUATION)
        .visit(lw(2, 14), "客户比价中，竞品报价低 8%", "再争取一次")
        .stage(lw(4, 17), Stage.LOST),
        Story("常州天成模具有限公司", "liuyang", "B", ("马丽", "采购主管"), ["常州天成"])
        .opportunity(days_ago(20), 320000, Stage.EVALUATION)
        .visit(days_ago(17), "初步沟通模具温控需求", "等客户内部立项"),
        Story("佛山永信包装材料有限公司", "zhaolei", "A", ("何伟", "副总经理"), ["佛山永信"])
        .opportunity(pw(0, 9, 30), 420000)
        .visit(pw(0, 10), "拜访何总，介绍整线方案")
        .stage(pw(0, 17), Stage.EVALUATION)
        .visit(lw(0, 10), "技术交流，客户关心交期", "确认交期")
        .stage(lw(0, 16), Stage.NEGOTIATION)
        .visit(lw(3, 10), "交期确认，等客户审批预算"),
        Story("南京启明机电设备有限公司", "liuyang", "C", ("赵琳", "采购"), ["南京启明"])
        .visit(pw(2, 10), "陌生拜访，留下资料")
        .visit(pw(3, 15), "电话约见后上门，了解需求")
        .opportunity(pw(3, 16), None)
        .visit(lw(3, 10), "客户有小批量采购意向", "发送报价"),
    ]
    samples = _sample_customers()
    # The quote photos' customers: new leads of 张伟 last week, so a photo confirms straight into a deal.
    plan = [
        (lw(2, 10), None, Stage.EVALUATION, "初次拜访，客户要求提供报价单", tomorrow),
        (lw(3, 14), 100000, Stage.NEGOTIATION, "商务沟通，对方采购在比价", None),
        (lw(4, 10), None, Stage.LEAD, "电话约访后上门，了解需求", None),
    ]
    for (name, contact), (at, amount, stage, summary, follow_up) in zip(samples, plan, strict=False):
        story = Story(name, "zhangwei", "B", contact)
        if name == samples[0][0]:
            story.visit(pw(4, 15), "展会上认识，约了下周拜访")
        story.opportunity(at - timedelta(minutes=30), amount, stage).visit(at, summary, "等报价单", follow_up)
        stories.append(story)
    return [s for s in stories if all(at <= now for at, _, _ in s.steps)]


def _sample_customers() -> list[tuple[str, tuple[str, str]]]:
    """(customer, contact) for each sample quote photo, in file order."""
    contacts = [("周敏", "采购经理"), ("吴刚", "设备部长"), ("郑洁", "采购")]
    path = SAMPLE_QUOTES_DIR / "truth.json"
    if not path.exists():
        return []
    truth: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    names = [item["customer"] for _, item in sorted(truth.items())]
    return list(zip(names, contacts, strict=False))


def on_both_platforms(spec: OrgSpec) -> OrgSpec:
    """The demo company uses WeCom and DingTalk: everyone gets a DingTalk id, every team a group.

    Ids are derived from the user key / team name (stable across runs); ids in the file win.
    """
    taken = {u.dingtalk_userid for u in spec.users if u.dingtalk_userid}
    for user in spec.users:
        if user.dingtalk_userid:
            continue
        n = int(hashlib.sha1(user.key.encode()).hexdigest()[:12], 16)
        candidate = f"01{n % 10**8:08d}"
        while candidate in taken:
            n += 1
            candidate = f"01{n % 10**8:08d}"
        taken.add(candidate)
        user.dingtalk_userid = candidate
    for team in spec.teams:
        if not team.dingtalk_conversation_id and not team.dingtalk_webhook_url:
            digest = base64.b64encode(hashlib.sha1(team.name.encode()).digest()[:16]).decode()
            team.dingtalk_conversation_id = "cid" + digest
    return spec


def sample_photos() -> list[Path]:
    return sorted(SAMPLE_QUOTES_DIR.glob("*.jpg"))


def add_history(uow: UnitOfWork, users: dict[str, User]) -> int:
    """Write the stories through the domain services, each step at its own moment; returns customers added."""
    real: Clock = uow.clock
    now = real.now()
    past = FixedClock(now)
    uow.clock = past
    added = 0
    try:
        for story in _stories(to_local(now).date(), now):
            owner = users.get(story.owner)
            if owner is None:
                continue
            _play(uow, past, story, owner)
            added += 1
    finally:
        uow.clock = real
    return added


def _play(uow: UnitOfWork, past: FixedClock, story: Story, owner: User) -> None:
    customer: Customer | None = None
    opp: Opportunity | None = None
    contact = None
    for at, action, args in story.steps:
        past.set(at)
        if customer is None:
            customer = create_customer(uow, story.name, owner=owner, level=story.level, aliases=story.aliases)
            contact = add_contact(uow, customer, *story.contact)
        if action == "visit":
            log_visit(
                uow,
                owner,
                customer,
                visited_at=at,
                contact=contact,
                summary=args["summary"],
                next_step=args["next_step"],
                next_follow_up=args["follow_up"],
                source_text=DEMO_SOURCE,
            )
        elif action == "opportunity":
            amount = Decimal(args["amount"]) if args["amount"] is not None else None
            opp = create_opportunity(uow, customer, owner, amount=amount)
            if args["stage"] != Stage.LEAD:
                change_stage(uow, opp, args["stage"])
        elif action == "stage" and opp is not None:
            change_stage(uow, opp, args["stage"])
        elif action == "quote":
            _confirmed_quote(uow, owner, customer, args["number"], at.date(), args["lines"])


def _confirmed_quote(
    uow: UnitOfWork, rep: User, customer: Customer, number: str, day: date, lines: list[tuple[str, str, int, str]]
) -> None:
    rows = [
        {
            "name": name,
            "model": model,
            "qty": str(qty),
            "unit_price": price,
            "amount": f"{Decimal(price) * qty:.2f}",
        }
        for name, model, qty, price in lines
    ]
    total = sum((Decimal(r["amount"]) for r in rows), Decimal("0"))
    extracted = {
        "customer": customer.name,
        "quote_no": number,
        "date": day.isoformat(),
        "lines": rows,
        "total": f"{total:.2f}",
        "total_upper": to_upper_amount(total),
        "checks": {"upper_matches_total": True, "lines_sum_matches_total": True},
        "confidence": 0.97,
        "is_quote": True,
    }
    confirm(uow, create_draft(uow, rep, customer, extracted, None))
