"""The customer index of this process, kept current with every other worker and process.

Building the index reads every customer once (two queries); after that a
message costs one query: ``SELECT version FROM customer_index_version``. Any
transaction that adds or renames a customer, changes its owner or its aliases
(chat, import, CLI, another process) bumps that row with one
``UPDATE … RETURNING`` and writes which customers changed to
``customer_changes``, so the next message anywhere reloads just those.

Why a counter row and not Redis pub/sub: the bump commits with the change
itself, so no process can see a version without its changes, and it works on
SQLite without Redis. The row lock makes concurrent writers take versions in
commit order, so "everything up to version v" is a consistent cut.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, event, insert, select, update
from sqlalchemy.orm import Session, attributes

from domain.customer_mentions import CustomerIndex, CustomerRef
from domain.models import Customer, CustomerAlias, CustomerChange, CustomerIndexVersion

__all__ = ["current_index", "note_changed"]

FULL_RELOAD_ABOVE = 5_000  # more changed customers than this: rebuild instead of patching
_TX_VERSION = "customer_index.tx_version"
_TX_INDEX = "customer_index.tx_index"


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.index: CustomerIndex | None = None
        self.version = -1


_caches: weakref.WeakKeyDictionary[Engine, _Cache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _cache_for(engine: Engine) -> _Cache:
    with _caches_lock:
        cache = _caches.get(engine)
        if cache is None:
            cache = _caches[engine] = _Cache()
        return cache


def _root_tx(session: Session) -> Any:
    tx = session.get_transaction()
    return tx if tx is None else id(tx)


def current_index(session: Session) -> CustomerIndex:
    """This process's index, brought up to date: one query when nothing changed.

    Within one transaction the index is checked once. A transaction that has
    itself changed customers does not feed its uncommitted changes into the
    shared index (they could still roll back); it sees the last committed state.
    """
    tx = _root_tx(session)
    held = session.info.get(_TX_INDEX)
    if held is not None and held[0] == tx:
        return held[1]
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    cache = _cache_for(engine)
    version = session.scalar(select(CustomerIndexVersion.version).where(CustomerIndexVersion.id == 1)) or 0
    own = session.info.get(_TX_VERSION)
    if own is not None and own[0] == tx:
        # This transaction changed customers itself: what it reads now may still roll back.
        index = cache.index if cache.index is not None else CustomerIndex(_load(session, None))
        session.info[_TX_INDEX] = (tx, index)
        return index
    with cache.lock:
        if cache.index is None or version < cache.version:  # first use, or the database was reset
            cache.index = CustomerIndex(_load(session, None)).warm()
            cache.version = version
        elif version != cache.version:
            changed = list(
                session.scalars(
                    select(CustomerChange.customer_id).where(CustomerChange.version > cache.version).distinct()
                )
            )
            if len(changed) > FULL_RELOAD_ABOVE:
                cache.index = CustomerIndex(_load(session, None)).warm()
            else:
                refs = _load(session, changed)
                seen = {r.id for r in refs}
                cache.index.update(refs, removed=[cid for cid in changed if cid not in seen])
            cache.version = version
        index = cache.index
    session.info[_TX_INDEX] = (tx, index)
    return index


def _load(session: Session, ids: list[int] | None) -> list[CustomerRef]:
    """Customers (all, or these ids) as index records: one query for customers, one for aliases."""
    rows: list[tuple[int, str, int | None]] = []
    aliases: dict[int, list[str]] = {}
    chunks: Iterable[list[int] | None] = [None] if ids is None else (ids[i : i + 500] for i in range(0, len(ids), 500))
    for chunk in chunks:
        query = select(Customer.id, Customer.name, Customer.owner_id)
        alias_query = select(CustomerAlias.customer_id, CustomerAlias.alias).order_by(CustomerAlias.id)
        if chunk is not None:
            query = query.where(Customer.id.in_(chunk))
            alias_query = alias_query.where(CustomerAlias.customer_id.in_(chunk))
        rows.extend(session.execute(query).tuples())
        for cid, alias in session.execute(alias_query).tuples():
            aliases.setdefault(cid, []).append(alias)
    return [CustomerRef(cid, name, tuple(aliases.get(cid, ())), owner) for cid, name, owner in rows]


def note_changed(session: Session, customer_ids: Iterable[int]) -> None:
    """Record that these customers changed; called by the flush hook, and by bulk writers."""
    ids = sorted({int(i) for i in customer_ids})
    if not ids:
        return
    tx = _root_tx(session)
    held = session.info.get(_TX_VERSION)
    if held is not None and held[0] == tx:
        version = held[1]
    else:
        version = session.execute(
            update(CustomerIndexVersion)
            .where(CustomerIndexVersion.id == 1)
            .values(version=CustomerIndexVersion.version + 1)
            .returning(CustomerIndexVersion.version)
        ).scalar()
        if version is None:  # the row is made by migration 0008; a wiped table gets it back here
            version = 1
            session.execute(insert(CustomerIndexVersion).values(id=1, version=version))
        session.info[_TX_VERSION] = (tx, version)
    session.execute(insert(CustomerChange), [{"version": version, "customer_id": cid} for cid in ids])


_WATCHED = ("name", "owner_id")


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    """Every ORM change to a customer's name, owner or aliases bumps the index version."""
    changed: set[int] = set()
    for obj in session.new:
        if isinstance(obj, Customer) and obj.id is not None:
            changed.add(obj.id)
        elif isinstance(obj, CustomerAlias):
            changed.add(obj.customer_id)
    for obj in session.dirty:
        if isinstance(obj, Customer) and any(
            attributes.get_history(obj, name).has_changes() for name in _WATCHED
        ):
            changed.add(obj.id)
        elif isinstance(obj, CustomerAlias):
            changed.add(obj.customer_id)
    for obj in session.deleted:
        if isinstance(obj, Customer):
            changed.add(obj.id)
        elif isinstance(obj, CustomerAlias):
            changed.add(obj.customer_id)
    if changed:
        note_changed(session, changed)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_TX_VERSION, None)
    session.info.pop(_TX_INDEX, None)
