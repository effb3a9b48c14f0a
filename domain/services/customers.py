"""Customers, their aliases and contacts; finding a customer from what a rep typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, or_, select, update

from domain.errors import NotFound, ValidationFailed
from domain.models import AuditEntry, Contact, Customer, CustomerAlias, CustomerStatus, User
from domain.names import normalize_name
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


def get_customer(uow: UnitOfWork, customer_id: int) -> Customer:
    customer = uow.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"找不到客户 #{customer_id}")
    return customer


def find_customers(uow: UnitOfWork, text: str, limit: int = 5) -> list[CustomerMatch]:
    """Customers a rep may mean by ``text``, best first.

    Exact full name, alias, or a core match whose typed text appears in the full
    name → 1.0 (the same core alone → 0.95); one core contained in the
    other → 0.6–0.9 by how much of the name matched.
    """
    core = normalize_name(text)
    if not core:
        return []
    s = uow.session
    found: dict[int, CustomerMatch] = {}

    def offer(customer: Customer, score: float, reason: str) -> None:
        current = found.get(customer.id)
        if current is None or current.score < score:
            found[customer.id] = CustomerMatch(customer, score, reason)

    for c in s.scalars(select(Customer).where(Customer.name == text.strip())):
        offer(c, 1.0, "全称")
    typed = text.strip()
    for c in s.scalars(select(Customer).where(Customer.normalized_name == core)):
        # "苏州精工机械" is in 苏州精工机械有限公司 but not in 无锡精工科技有限公司, though both cores are 精工.
        offer(c, 1.0 if typed in c.name else 0.95, "简称")
    for a in s.scalars(select(CustomerAlias).where(CustomerAlias.normalized == core)):
        offer(a.customer, 1.0, "别名")
    # What the rep typed is matched literally: "查客户 %" or "_" must not match every name (issue #19).
    like = "%" + core.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    partial = s.scalars(
        select(Customer)
        .where(or_(Customer.normalized_name.like(like, escape="\\"), Customer.name.like(like, escape="\\")))
        .limit(50)
    )
    for c in partial:
        offer(c, 0.6 + 0.3 * len(core) / max(len(c.normalized_name), len(core)), "部分匹配")
    # The rep typed more than the stored core (e.g. "华为终端" vs core "华为").
    for c in s.scalars(select(Customer)):
        if c.id not in found and len(c.normalized_name) >= 2 and c.normalized_name in core:
            offer(c, 0.6 + 0.3 * len(c.normalized_name) / len(core), "部分匹配")
    ranked = sorted(found.values(), key=lambda m: (-m.score, m.customer.name))
    return ranked[:limit]


def add_contact(
    uow: UnitOfWork, customer: Customer, name: str, title: str | None = None, phone: str | None = None
) -> Contact:
    for existing in customer.contacts:
        if existing.name == name:
            if title and not existing.title:
                existing.title = title
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
