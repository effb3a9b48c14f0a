"""Two processes change the same opportunity at once: one wins, the other gets a clear conflict."""

import multiprocessing as mp
from decimal import Decimal

from sqlalchemy import func, select

from domain.db import Database
from domain.errors import Conflict
from domain.models import AuditEntry, Customer, User
from domain.services.customers import create_customer
from domain.services.opportunities import create_opportunity, get_opportunity, update_opportunity
from domain.uow import UnitOfWork
from tests.factories import load_example_org


def _writer(url: str, opp_id: int, amount: str, barrier, results) -> None:  # runs in a child process
    db = Database(url)
    try:
        with UnitOfWork(db, actor_label=f"writer-{amount}") as uow:
            opp = get_opportunity(uow, opp_id)
            barrier.wait(timeout=20)  # both have read version 1 before either writes
            update_opportunity(uow, opp, amount=Decimal(amount))
            uow.commit()
        results.put((amount, "ok"))
    except Conflict as exc:
        results.put((amount, f"conflict: {exc.message}"))
    finally:
        db.dispose()


def test_two_processes_one_wins_one_conflicts(db: Database, db_url: str) -> None:
    load_example_org(db)
    with UnitOfWork(db) as uow:
        owner = uow.session.scalar(select(User).where(User.key == "zhangwei"))
        assert owner is not None
        customer: Customer = create_customer(uow, "苏州精工机械有限公司", owner=owner)
        opp_id = create_opportunity(uow, customer, owner).id
        uow.commit()

    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_writer, args=(db_url, opp_id, amt, barrier, results))
        for amt in ("100000", "200000")
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    outcome = dict(results.get(timeout=5) for _ in procs)

    winners = [amt for amt, res in outcome.items() if res == "ok"]
    losers = [res for res in outcome.values() if res.startswith("conflict")]
    assert len(winners) == 1 and len(losers) == 1, outcome
    assert "刷新后重试" in losers[0]
    with UnitOfWork(db) as uow:
        opp = get_opportunity(uow, opp_id)
        assert opp.amount == Decimal(winners[0])
        assert opp.version == 2
        updates = uow.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "opportunity.update")
        )
        assert updates == 1  # the loser's audit row was rolled back with its change
