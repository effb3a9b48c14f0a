"""Conversation state: expires after the timeout; in Redis only once the handler's work committed."""

from datetime import timedelta

import redis

from domain.clock import FixedClock
from domain.db import Database
from domain.uow import UnitOfWork
from handlers.conversation import DatabaseConversations, RedisConversations


def test_database_state_expires(db: Database, clock: FixedClock) -> None:
    store = DatabaseConversations()
    with UnitOfWork(db, clock) as uow:
        store.set(uow, "wecom", "ZhangWei", {"step": "ask_customer"}, timedelta(minutes=10))
        uow.commit()
    with UnitOfWork(db, clock) as uow:
        assert store.get(uow, "wecom", "ZhangWei") == {"step": "ask_customer"}
    clock.advance(timedelta(minutes=11))
    with UnitOfWork(db, clock) as uow:
        assert store.get(uow, "wecom", "ZhangWei") is None


def test_redis_state_is_written_after_commit_and_never_on_rollback(
    db: Database, clock: FixedClock, redis_url: str
) -> None:
    client = redis.Redis.from_url(redis_url)
    store = RedisConversations(client)
    with UnitOfWork(db, clock) as uow:
        store.set(uow, "wecom", "LiNa", {"step": "pick_customer"}, timedelta(minutes=10))
        uow.rollback()  # the handler failed: no question may be left behind
    with UnitOfWork(db, clock) as uow:
        assert store.get(uow, "wecom", "LiNa") is None
        store.set(uow, "wecom", "LiNa", {"step": "pick_customer"}, timedelta(minutes=10))
        assert store.get(uow, "wecom", "LiNa") is None  # not before the commit
        uow.commit()
        assert store.get(uow, "wecom", "LiNa") == {"step": "pick_customer"}
    assert 590 <= int(client.ttl("salesbot:conv:wecom:LiNa")) <= 600
    with UnitOfWork(db, clock) as uow:
        store.clear(uow, "wecom", "LiNa")
        uow.commit()
        assert store.get(uow, "wecom", "LiNa") is None
    client.close()
