"""Demo data: an org, customers with aliases and contacts, a few opportunities and visits."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bot.demo_history import add_history, on_both_platforms
from bot.orgfile import load_org_file
from domain.clock import Clock, to_local
from domain.db import Database
from domain.models import Customer, Stage, User
from domain.services.customers import add_contact, create_customer
from domain.services.opportunities import change_stage, create_opportunity
from domain.services.org import import_org
from domain.services.visits import log_visit
from domain.uow import UnitOfWork

EXAMPLE_ORG = Path(__file__).resolve().parent.parent / "examples" / "org.yaml"

CUSTOMERS = [
    # name, aliases, level, owner key, contacts, opportunity (amount, stage)
    (
        "华为技术有限公司",
        ["华为"],
        "A",
        "zhangwei",
        [("张伟明", "采购总监"), ("李强", "工程师")],
        (480000, Stage.NEGOTIATION),
    ),
    ("华为终端有限公司", [], "A", "liuyang", [("王敏", "经理")], (120000, Stage.EVALUATION)),
    (
        "苏州精工机械有限公司",
        ["苏州精工"],
        "B",
        "zhangwei",
        [("陈建国", "总经理")],
        (380000, Stage.EVALUATION),
    ),
    ("上海宝钢股份有限公司", ["宝钢"], "A", "liuyang", [("周涛", "设备部主任")], (950000, Stage.LEAD)),
    (
        "深圳市大疆创新科技有限公司",
        ["大疆"],
        "A",
        "zhaolei",
        [("吴磊", "采购经理")],
        (260000, Stage.NEGOTIATION),
    ),
    ("杭州海康威视数字技术股份有限公司", ["海康", "海康威视"], "A", "zhangwei", [("郑丽", "采购")], None),
    ("宁波舜宇光学科技有限公司", ["舜宇"], "B", "zhaolei", [], (88000, Stage.LEAD)),
]


def seed_demo(db: Database, org_file: Path = EXAMPLE_ORG, clock: Clock | None = None) -> bool:
    """Seed once: returns False if the demo data is already there.

    ``clock``: the demo's clock, so the seeded past is relative to the demo's "now".
    """
    with UnitOfWork(db, clock, actor_label="demo") as uow:
        if uow.session.scalar(select(Customer).limit(1)) is not None:
            return False
        import_org(uow, on_both_platforms(load_org_file(org_file)))  # bot/demo_history.py
        users = {u.key: u for u in uow.session.scalars(select(User))}
        # Demo visits three days ago at 10:00 business time, like a real morning round.
        local = to_local(uow.clock.now())
        visit_time = (local - timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
        for name, aliases, level, owner_key, contacts, opp in CUSTOMERS:
            owner = users[owner_key]
            customer = create_customer(uow, name, owner=owner, level=level, aliases=aliases)
            for contact_name, title in contacts:
                add_contact(uow, customer, contact_name, title)
            if opp is not None:
                amount, stage = opp
                o = create_opportunity(uow, customer, owner, amount=Decimal(amount))
                if stage != Stage.LEAD:
                    change_stage(uow, o, stage)
            log_visit(
                uow,
                owner,
                customer,
                visited_at=visit_time,
                contact=customer.contacts[0] if customer.contacts else None,
                summary="初次拜访，了解需求",
                source_text="（演示数据）",
            )
        add_history(uow, users)  # three weeks of visits, deals and quotes (bot/demo_history.py)
        uow.commit()
    return True
