"""Customers, their aliases and contacts; finding a customer from what a rep typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, or_, select, update

from domain.customer_names import fold
from domain.errors import NotFound, ValidationFailed
from domain.models import AuditEntry, Contact, Customer, CustomerAlias, CustomerStatus, User
from domain.names import normalize_name
from domain.services.customer_index import current_index
from domain.snapshot import snapshot
from domain.uow import UnitOfWork

CUSTOMER_FIELDS = ("name", "level", "tags", "owner_id", "status")


@dataclass(frozen=True)
class CustomerMatch:
    """A candidate customer and how sure we are (1.0 = exact core or alias)."""

    customer: Customer
    score: float
    reason: str


def create_customer(
    uow: UnitOfWork,
    name: str,
    owner: User | None = None,
    level: str | None = None,
    tags: list[str] | None = None,
    aliases: list[str] | None = None,
) -> Customer:
    name = name.strip()
    if not name:
        raise ValidationFailed("客户名称不能为空")
    s = uow.session
    if s.scalar(select(Customer).where(Customer.name == name)) is not None:
        raise ValidationFailed(f"客户「{name}」已存在")
    customer = Customer(
        name=name,
        normalized_name=normalize_name(name),
        level=level,
        tags=list(tags or []),
        owner_id=owner.id if owner else None,
        status=CustomerStatus.ACTIVE,
        created_at=uow.clock.now(),
    )
    s.add(customer)
    for alias in aliases or []:
        customer.aliases.append(CustomerAlias(alias=alias, normalized=normalize_name(alias)))
    uow.flush()
    uow.audit("customer.create", "customer", customer.id, None, snapshot(customer, CUSTOMER_FIELDS))
    return customer


def add_alias(uow: UnitOfWork, customer: Customer, alias: str) -> None:
    if any(a.alias == alias for a in customer.aliases):
        return
    customer.aliases.append(CustomerAlias(alias=alias, normalized=normalize_name(alias)))
    uow.flush()
    uow.audit("customer.add_alias", "customer", customer.id, None, {"alias": alias})


def learn_alias(uow: UnitOfWork, customer: Customer, mention: str | None) -> bool:
    """A rep picked ``customer`` for what they wrote (a button, or 「客户改成…」): remember it.

    The mention becomes an alias for the whole company, so nobody is asked again;
    audited as ``customer.learn_alias`` and removable with ``remove_alias``. Nothing is
    learnt when the mention already means only this customer, is its whole name, or is
    another customer's name or alias (that would take it away from them).
    """
    text = (mention or "").strip()
    key = fold(text)
    if len(key) < 2 or len(text) > 60 or key == fold(customer.name):
        return False
    index = current_index(uow.session)
    slot = index.exact(key)
    if slot and max(slot.values()) >= 1.0 and {cid for cid, sc in slot.items() if sc >= 1.0} == {customer.id}:
        return False
    others = [cid for cid in slot if cid != customer.id]
    taken = uow.session.scalar(
        select(func.count())
        .select_from(Customer)
        .outerjoin(CustomerAlias, CustomerAlias.customer_id == Customer.id)
        .where(Customer.id.in_(others or [-1]), or_(Customer.name == text, CustomerAlias.alias == text))
    )
    if taken or any(fold(a.alias) == key for a in customer.aliases):
        return False
    customer.aliases.append(CustomerAlias(alias=text, normalized=normalize_name(text)))
    uow.flush()
    uow.audit("customer.learn_alias", "customer", customer.id, None, {"alias": text})
    return True


def remove_alias(uow: UnitOfWork, customer: Customer, alias: str) -> bool:
    """Take back an alias (a wrong pick taught the bot a wrong name); audited."""
    for existing in list(customer.aliases):
        if existing.alias == alias:
            customer.aliases.remove(existing)
            uow.flush()
            uow.audit("customer.remove_alias", "customer", customer.id, {"alias": alias}, None)
            return True
    return False


def get_customer(uow: UnitOfWork, customer_id: int) -> Customer:
    customer = uow.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"找不到客户 #{customer_id}")
    return customer


def find_customers(uow: UnitOfWork, text: str, limit: int = 5) -> list[CustomerMatch]:
    """Customers a rep may mean by ``text``, best first.

    Exact full name, alias, or a spelling made of whole parts of the registered
    name (字号, city + 字号, short name) whose typed text appears in the full name
    → 1.0 (0.95 when it does not); a unique start or short name → 0.5–0.9. Looked
    up in this process's customer index (``customer_index``): one query to check it
    is current and one to load the few customers found, whatever the list's size.
    """
    found = current_index(uow.session).lookup(text, limit)
    if not found:
        return []
    rows = {c.id: c for c in uow.session.scalars(select(Customer).where(Customer.id.in_([i for i, _, _ in found])))}
    return [CustomerMatch(rows[cid], score, reason) for cid, score, reason in found if cid in rows]


def add_contact(
    uow: UnitOfWork, customer: Customer, name: str, title: str | None = None, phone: str | None = None
) -> Contact:
    """The customer's contact ``name``, created if new; a title written now replaces the stored one.

    Why the newest title wins: a rep writes the title the person has today (a promotion, or a correction
    of an earlier guess such as 工程师 → 设备科科长); the old one stays in the audit trail.
    """
    for existing in customer.contacts:
        if existing.name == name:
            if title and existing.title != title:
                before = existing.title
                existing.title = title
                if before:
                    uow.audit("contact.update", "contact", existing.id, {"title": before}, {"title": title})
            return existing
    contact = Contact(name=name, title=title, phone=phone, created_at=uow.clock.now())
    customer.contacts.append(contact)
    uow.flush()
    uow.audit(
        "contact.create",
        "contact",
        contact.id,
        None,
        {"customer": customer.name, "name": name, "title": title},
    )
    return contact


def touch_customer(uow: UnitOfWork, customer: Customer) -> None:
    """An interaction happened (a visit, a confirmed quote): remember when, and wake a dormant customer."""
    customer.last_interaction_at = uow.clock.now()
    if customer.status == CustomerStatus.DORMANT:
        customer.status = CustomerStatus.ACTIVE
        customer.dormant_since = None  # since when it slept is in the customer.dormant audit entry
        uow.audit("customer.wake", "customer", customer.id, {"status": "dormant"}, {"status": "active"})


def mark_dormant(uow: UnitOfWork, customer: Customer) -> bool:
    if customer.status == CustomerStatus.DORMANT:
        return False
    customer.status = CustomerStatus.DORMANT
    customer.dormant_since = uow.clock.now()
    uow.audit(
        "customer.dormant",
        "customer",
        customer.id,
        {"status": "active"},
        {"status": "dormant", "dormant_since": _iso(customer.dormant_since)},
    )
    return True


def mark_dormant_many(uow: UnitOfWork, customer_ids: list[int], since: datetime, cutoff: datetime) -> list[int]:
    """The daily dormancy sweep: mark these customers 休眠 unless something woke them meanwhile.

    One conditional UPDATE per chunk (the bench has 100,000s of customers), re-checking
    "still active, no interaction since ``cutoff``", so a visit logged between the scan and
    this update keeps its customer active. Returns the ids actually marked; each is audited.
    """
    marked: list[int] = []
    for i in range(0, len(customer_ids), 500):
        chunk = customer_ids[i : i + 500]
        result = uow.session.execute(
            update(Customer)
            .where(
                Customer.id.in_(chunk),
                Customer.status == CustomerStatus.ACTIVE,
                or_(Customer.last_interaction_at.is_(None), Customer.last_interaction_at < cutoff),
            )
            .values(status=CustomerStatus.DORMANT, dormant_since=since)
            .returning(Customer.id)
            .execution_options(synchronize_session=False)
        )
        marked.extend(result.scalars())
    marked.sort()
    if marked:  # the same audit rows as uow.audit(...), written in one bulk INSERT
        now = uow.clock.now()
        after = {"status": "dormant", "dormant_since": _iso(since)}
        uow.session.execute(
            insert(AuditEntry),
            [
                {
                    "at": now,
                    "actor_id": uow.actor_id,
                    "actor_label": uow.actor_label,
                    "action": "customer.dormant",
                    "entity_type": "customer",
                    "entity_id": str(customer_id),
                    "before": {"status": "active"},
                    "after": after,
                    "cause_event": uow.cause,
                }
                for customer_id in marked
            ],
        )
    return marked


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()
