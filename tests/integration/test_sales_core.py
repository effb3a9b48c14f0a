"""Customers, opportunities, visits and the audit trail at the service layer, on both databases."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from domain.clock import BUSINESS_TZ, FixedClock, to_local
from domain.db import Database
from domain.errors import Conflict, InvalidTransition, ValidationFailed
from domain.models import AuditEntry, Customer, CustomerStatus, Opportunity, Stage, User, Visit
from domain.services.customers import add_contact, create_customer, find_customers, mark_dormant
from domain.services.opportunities import (
    change_stage,
    create_opportunity,
    get_opportunity,
    open_opportunity_of,
    update_opportunity,
)
from domain.services.visits import Place, log_visit
from domain.uow import UnitOfWork
from tests.factories import load_example_org


@pytest.fixture
def org(db: Database, clock: FixedClock) -> Database:
    load_example_org(db, clock)
    with UnitOfWork(db, clock) as uow:
        zhang = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        for name, aliases in [
            ("华为技术有限公司", ["华为"]),
            ("华为终端有限公司", []),
            ("苏州精工机械有限公司", []),
            ("苏州精密仪器有限公司", []),
        ]:
            create_customer(uow, name, owner=zhang, aliases=aliases)
        uow.commit()
    return db


def _user(uow: UnitOfWork, key: str) -> User:
    user = uow.session.scalar(select(User).where(User.key == key))
    assert user is not None
    return user


def _customer(uow: UnitOfWork, name: str) -> Customer:
    c = uow.session.scalar(select(Customer).where(Customer.name == name))
    assert c is not None
    return c


def test_short_names_find_the_registered_customer(org: Database, clock: FixedClock) -> None:
    with UnitOfWork(org, clock) as uow:
        top = find_customers(uow, "华为")
        assert top[0].customer.name == "华为技术有限公司" and top[0].score == 1.0
        assert "华为终端有限公司" in [m.customer.name for m in top]  # offered as a weaker candidate
        assert top[1].score < 1.0
        assert find_customers(uow, "苏州精工")[0].customer.name == "苏州精工机械有限公司"
        assert find_customers(uow, "华为终端")[0].customer.name == "华为终端有限公司"
        assert find_customers(uow, "腾讯") == []


def test_duplicate_customer_is_refused(org: Database, clock: FixedClock) -> None:
    with UnitOfWork(org, clock) as uow, pytest.raises(ValidationFailed, match="已存在"):
        create_customer(uow, "华为技术有限公司")


def test_contacts_are_not_duplicated(org: Database, clock: FixedClock) -> None:
    with UnitOfWork(org, clock) as uow:
        huawei = _customer(uow, "华为技术有限公司")
        first = add_contact(uow, huawei, "张总")
        again = add_contact(uow, huawei, "张总", title="采购总监")
        uow.commit()
        assert first.id == again.id and again.title == "采购总监"
        assert len(huawei.contacts) == 1


def test_a_newer_title_replaces_the_stored_one_and_the_old_one_is_audited(org: Database, clock: FixedClock) -> None:
    with UnitOfWork(org, clock) as uow:
        huawei = _customer(uow, "华为技术有限公司")
        liu = add_contact(uow, huawei, "刘工", title="工程师")
        again = add_contact(uow, huawei, "刘工", title="设备科科长")
        kept = add_contact(uow, huawei, "刘工")  # no title written: the stored one stays
        uow.commit()
        assert liu.id == again.id == kept.id and kept.title == "设备科科长"
        entries = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "contact.update")).all()
        assert [(e.before, e.after) for e in entries] == [({"title": "工程师"}, {"title": "设备科科长"})]


def test_stage_history_and_allowed_transitions(org: Database, clock: FixedClock) -> None:
    with UnitOfWork(org, clock) as uow:
        zhang = _user(uow, "zhangwei")
        uow.act_as(zhang)
        opp = create_opportunity(uow, _customer(uow, "华为技术有限公司"), zhang, amount=Decimal("500000"))
        clock.advance(timedelta(days=1))
        change_stage(uow, opp, Stage.EVALUATION)
        clock.advance(timedelta(days=2))
        change_stage(uow, opp, Stage.NEGOTIATION)
        change_stage(uow, opp, Stage.WON)
        with pytest.raises(InvalidTransition, match="不能从「成交」改为「谈判」"):
            change_stage(uow, opp, Stage.NEGOTIATION)
        uow.commit()
        opp_id = opp.id
    with UnitOfWork(org, clock) as uow:
        opp = get_opportunity(uow, opp_id)
        assert [(h.from_stage, h.to_stage) for h in opp.history] == [
            (None, "lead"),
            ("lead", "evaluation"),
            ("evaluation", "negotiation"),
            ("negotiation", "won"),
        ]
        assert opp.history[1].changed_at == datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
        assert opp.closed_at is not None and opp.amount == Decimal("500000.00")
        assert open_opportunity_of(uow, opp.customer) is None


def test_stale_version_is_a_conflict_not_an_overwrite(org: Database, clock: FixedClock) -> None:
    with UnitOfWork(org, clock) as uow:
        zhang = _user(uow, "zhangwei")
        opp_id = create_opportunity(uow, _customer(uow, "华为技术有限公司"), zhang).id
        uow.commit()
    with UnitOfWork(org, clock) as a, UnitOfWork(org, clock) as b:
        opp_a = get_opportunity(a, opp_id)
        opp_b = get_opportunity(b, opp_id)
        update_opportunity(a, opp_a, amount=Decimal("100"))
        a.commit()
        opp_b.amount = Decimal("999")
        with pytest.raises(Conflict, match="刷新后重试"):
            b.commit()
    with UnitOfWork(org, clock) as uow:
        assert get_opportunity(uow, opp_id).amount == Decimal("100.00")
        with pytest.raises(Conflict):
            get_opportunity(uow, opp_id, expected_version=1)


def test_visit_touches_customer_and_opportunity_and_wakes_dormant(org: Database, clock: FixedClock) -> None:
    with UnitOfWork(org, clock) as uow:
        zhang = _user(uow, "zhangwei")
        huawei = _customer(uow, "华为技术有限公司")
        opp = create_opportunity(uow, huawei, zhang)
        mark_dormant(uow, huawei)
        uow.commit()
        created = opp.last_touched_at
    clock.advance(timedelta(days=3))
    with UnitOfWork(org, clock, actor_label="张伟", cause="wecom:msg-42") as uow:
        zhang = _user(uow, "zhangwei")
        huawei = _customer(uow, "华为技术有限公司")
        contact = add_contact(uow, huawei, "张总")
        visit = log_visit(
            uow,
            zhang,
            huawei,
            contact=contact,
            place=Place(31.2304, 121.4737, "上海市浦东新区"),
            summary="谈了报价",
            next_follow_up=date(2026, 12, 2),
            source_text="今天拜访华为张总，谈了报价，下周三再跟进",
        )
        uow.commit()
        visit_id = visit.id
    with UnitOfWork(org, clock) as uow:
        huawei = _customer(uow, "华为技术有限公司")
        assert huawei.status == CustomerStatus.ACTIVE
        assert huawei.last_interaction_at == clock.now()
        opp2 = uow.session.scalar(select(Opportunity).where(Opportunity.customer_id == huawei.id))
        assert opp2 is not None and opp2.last_touched_at > created
        v = uow.session.get(Visit, visit_id)
        assert (
            v is not None and v.location_label == "上海市浦东新区" and v.next_follow_up == date(2026, 12, 2)
        )
        assert to_local(v.visited_at).hour == 10  # stored UTC, shown in Asia/Shanghai
        entry = uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "visit.create"))
        assert entry is not None and entry.cause_event == "wecom:msg-42" and entry.actor_label == "张伟"
        assert entry.after is not None and entry.after["summary"] == "谈了报价"
        wake = uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "customer.wake"))
        assert wake is not None and wake.before == {"status": "dormant"}


def test_times_round_trip_timezone_aware(org: Database) -> None:
    shanghai_evening = FixedClock(datetime(2026, 11, 25, 23, 30, tzinfo=BUSINESS_TZ))
    with UnitOfWork(org, shanghai_evening) as uow:
        c = create_customer(uow, "测试时区有限公司")
        uow.commit()
        cid = c.id
    with UnitOfWork(org) as uow:
        c2 = uow.session.get(Customer, cid)
        assert c2 is not None and c2.created_at.tzinfo is not None
        assert c2.created_at == datetime(2026, 11, 25, 15, 30, tzinfo=UTC)


def test_naive_datetimes_are_refused(org: Database) -> None:
    with UnitOfWork(org, FixedClock(datetime(2026, 1, 1, tzinfo=UTC))) as uow:
        c = create_customer(uow, "测试有限公司")
        c.last_interaction_at = datetime(2026, 1, 1)  # naive
        with pytest.raises(Exception, match="naive"):
            uow.flush()
