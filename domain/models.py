"""The sales core's records (SQLAlchemy 2 typed mappings).

Every table the product keeps is declared here so that one Alembic history
describes the whole schema. Times are ``UTCDateTime`` (UTC in the database,
shown in Asia/Shanghai by the callers).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from domain.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(14, 2)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    DIRECTOR = "director"
    LEGAL = "legal"
    FINANCE = "finance"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.REP: "销售",
    Role.MANAGER: "销售经理",
    Role.DIRECTOR: "区域总监",
    Role.LEGAL: "法务",
    Role.FINANCE: "财务",
    Role.ADMIN: "管理员",
}


class CustomerStatus(StrEnum):
    ACTIVE = "active"
    DORMANT = "dormant"


CUSTOMER_STATUS_LABELS = {CustomerStatus.ACTIVE: "活跃", CustomerStatus.DORMANT: "休眠"}


class Stage(StrEnum):
    LEAD = "lead"
    EVALUATION = "evaluation"
    NEGOTIATION = "negotiation"
    WON = "won"
    LOST = "lost"


STAGE_LABELS = {
    Stage.LEAD: "潜在",
    Stage.EVALUATION: "评估",
    Stage.NEGOTIATION: "谈判",
    Stage.WON: "成交",
    Stage.LOST: "流失",
}


# --------------------------------------------------------------------- org
class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    wecom_chat_id: Mapped[str | None] = mapped_column(String(128))
    wecom_webhook_key: Mapped[str | None] = mapped_column(String(128))
    dingtalk_conversation_id: Mapped[str | None] = mapped_column(String(128))
    dingtalk_webhook_url: Mapped[str | None] = mapped_column(String(512))
    dingtalk_webhook_secret: Mapped[str | None] = mapped_column(String(128))
    # The platform department this team follows (org sync): a renamed department renames the team.
    wecom_department_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    dingtalk_department_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    # False once its department was deleted on the platform (``orgsync.retire_department_team``):
    # no leaderboard, not listed as a team; members and history stay. The department's id
    # coming back (``orgsync.sync_teams``) makes it live again.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    members: Mapped[list[User]] = relationship(back_populates="team")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # stable id from the org file / platform
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16), default=Role.REP)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    wecom_userid: Mapped[str | None] = mapped_column(String(64), unique=True)
    dingtalk_userid: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Which attributes came from the org file; platform sync never overwrites these.
    managed_by_file: Mapped[bool] = mapped_column(Boolean, default=False)
    # The platform this person last wrote from: where notices reach them when they have both.
    last_platform: Mapped[str | None] = mapped_column(String(16))

    team: Mapped[Team | None] = relationship(back_populates="members")
    manager: Mapped[User | None] = relationship(remote_side="User.id")


# --------------------------------------------------------------- customers
class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    normalized_name: Mapped[str] = mapped_column(String(200), index=True)
    level: Mapped[str | None] = mapped_column(String(8))
    tags: Mapped[list[Any]] = mapped_column(default=list)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default=CustomerStatus.ACTIVE)
    industry: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    last_interaction_at: Mapped[datetime | None]
    dormant_since: Mapped[datetime | None]

    owner: Mapped[User | None] = relationship()
    aliases: Mapped[list[CustomerAlias]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerAlias.id"
    )
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Contact.id"
    )


class CustomerAlias(Base):
    __tablename__ = "customer_aliases"
    __table_args__ = (UniqueConstraint("customer_id", "alias"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(200))
    normalized: Mapped[str] = mapped_column(String(200), index=True)

    customer: Mapped[Customer] = relationship(back_populates="aliases")


class CustomerIndexVersion(Base):
    """One row: bumped (UPDATE … RETURNING) by every transaction that changes a customer's
    name, owner or aliases, so each process's in-memory customer index checks with one
    cheap query per message whether it is current. The row lock orders the versions."""

    __tablename__ = "customer_index_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class CustomerChange(Base):
    """Which customers changed at which index version: the index reloads only those."""

    __tablename__ = "customer_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, index=True)
    customer_id: Mapped[int]


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    customer: Mapped[Customer] = relationship(back_populates="contacts")


# ----------------------------------------------------------- opportunities
class Opportunity(Base):
    __tablename__ = "opportunities"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(16), default=Stage.LEAD)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    expected_close_date: Mapped[date | None] = mapped_column(Date)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_touched_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    # Optimistic concurrency: every UPDATE checks and bumps the version, so two
    # writers never silently overwrite each other (the loser gets Conflict).
    __mapper_args__ = {"version_id_col": version}

    customer: Mapped[Customer] = relationship()
    owner: Mapped[User] = relationship()
    history: Mapped[list[StageChange]] = relationship(
        back_populates="opportunity", cascade="all, delete-orphan", order_by="StageChange.id"
    )


class StageChange(Base):
    __tablename__ = "stage_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), index=True
    )
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime]
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    opportunity: Mapped[Opportunity] = relationship(back_populates="history")


# ------------------------------------------------------------------ visits
VISIT_CHANNEL_LABELS = {"visit": "拜访", "phone": "电话", "wechat": "微信", "meeting": "会议"}


class Visit(Base):
    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    visited_at: Mapped[datetime]
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    location_label: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    next_step: Mapped[str | None] = mapped_column(Text)
    next_follow_up: Mapped[date | None] = mapped_column(Date)
    source_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    # How it happened: visit (拜访) / phone (电话) / wechat (微信) / meeting (会议); 0008_conversation.
    channel: Mapped[str] = mapped_column(String(16), default="visit", server_default="visit")

    customer: Mapped[Customer | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    rep: Mapped[User] = relationship()


# ------------------------------------------------ quotes, contracts, approvals
class Quote(Base):
    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(64), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunities.id"))
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft / confirmed / void
    quote_date: Mapped[date | None] = mapped_column(Date)
    total: Mapped[Decimal | None] = mapped_column(Money)
    total_uppercase: Mapped[str | None] = mapped_column(String(100))
    extracted: Mapped[dict[str, Any]] = mapped_column(default=dict)  # OCR output, per-field confidences
    photo_hash: Mapped[str | None] = mapped_column(String(64), index=True)  # same photo twice → one quote
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]

    customer: Mapped[Customer | None] = relationship()
    lines: Mapped[list[QuoteLine]] = relationship(
        back_populates="quote", cascade="all, delete-orphan", order_by="QuoteLine.position"
    )


class QuoteLine(Base):
    __tablename__ = "quote_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(100))
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    unit_price: Mapped[Decimal | None] = mapped_column(Money)
    amount: Mapped[Decimal | None] = mapped_column(Money)

    quote: Mapped[Quote] = relationship(back_populates="lines")


class Contract(Base):
    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)  # HT-20261126-001
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id"))
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunities.id"))
    submitter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    # submitted / approved / rejected / withdrawn
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]

    customer: Mapped[Customer] = relationship()
    submitter: Mapped[User] = relationship()
    quote: Mapped[Quote | None] = relationship()


class ApprovalFlow(Base):
    __tablename__ = "approval_flows"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    rule_name: Mapped[str] = mapped_column(String(100))
    rule_version: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/approved/rejected/withdrawn
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    last_nudged_at: Mapped[datetime | None]  # 催办: once per 4 hours
    # 重新提交: each resubmission of a rejected contract is a new flow (round 2, 3 …) with the
    # submitter's note; earlier rounds stay as they were, with their decisions and reasons.
    round: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    note: Mapped[str | None] = mapped_column(Text)

    contract: Mapped[Contract] = relationship()
    steps: Mapped[list[ApprovalStep]] = relationship(
        back_populates="flow", cascade="all, delete-orphan", order_by="ApprovalStep.position"
    )


class ApprovalStep(Base):
    __tablename__ = "approval_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("approval_flows.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(50))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # waiting / pending / approved / rejected / skipped
    status: Mapped[str] = mapped_column(String(16), default="waiting", index=True)
    started_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]  # the 24 h reminder went out
    escalated_at: Mapped[datetime | None]  # the 48 h escalation went out
    escalated_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)

    flow: Mapped[ApprovalFlow] = relationship(back_populates="steps")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    escalated_to: Mapped[User | None] = relationship(foreign_keys=[escalated_to_id])


class ApprovalRuleSet(Base):
    """One version of the approval rules (which chain for which contract).

    Versions are immutable: loading a changed rules file adds a new active
    version, and each approval flow records the name and version that chose it.
    """

    __tablename__ = "approval_rule_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)  # sha256 of the source, shortened
    source: Mapped[str] = mapped_column(Text)  # the YAML as the admin wrote it
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)  # parsed and validated
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(100))


class Delegation(Base):
    """"委托 李四 至 12月5日": the delegate may decide the user's approval steps until ``ends_on``."""

    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    delegate_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ends_on: Mapped[date] = mapped_column(Date)  # inclusive, business calendar day
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    delegate: Mapped[User] = relationship(foreign_keys=[delegate_id])


class WebhookEndpoint(Base):
    """An ERP (金蝶/用友) endpoint that receives signed JSON events; HTTP 410 disables it."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(512), unique=True)
    secret: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)


# --------------------------------------------------------------- scheduling
class ScheduledRun(Base):
    """One occurrence of a scheduled job (e.g. leaderboard @ Monday 09:00).

    The unique (job, occurrence, run_no 0) is the cross-process lock: whichever
    scheduler inserts the row runs the occurrence; everyone else skips it.
    Manual runs (``salesbot jobs run``) are rows of their own (run_no 1, 2, …),
    so they never take, hide or overwrite the scheduled occurrence's row.
    """

    __tablename__ = "scheduled_runs"
    __table_args__ = (UniqueConstraint("job", "occurrence", "run_no", name="uq_scheduled_runs_run"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    occurrence: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="running")  # running/done/skipped/failed
    run_no: Mapped[int] = mapped_column(default=0, server_default="0")  # 0 = the scheduler's; 1, 2, … manual
    runner: Mapped[str | None] = mapped_column(String(100))  # host:pid that took it
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class WorkCalendarDay(Base):
    """A day of an official holiday schedule entered as data (``salesbot calendar load``).

    Only the exceptions are stored: holidays (``workday`` false, with the
    holiday's name) and make-up workdays (``workday`` true). A year counts as
    loaded when it has at least one row; its other days follow Monday–Friday.
    """

    __tablename__ = "work_calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(200))  # the file (and its title) the day came from
    loaded_at: Mapped[datetime]


# --------------------------------------------------------------- reminders
class ReminderMark(Base):
    """What a person did with one item of a reminder card (issue #16): 已跟进 or 明天再提醒.

    ``kind`` is ``followup`` (``entity_id`` a visit with a follow-up date), ``opportunity``
    (a stale opportunity) or ``customer`` (a dormant customer); one row per item and person.
    ``snoozed_until`` (明天再提醒): the jobs leave the item out until that workday's morning.
    ``done_at`` (已跟进): a follow-up is closed by it; an opportunity or customer is touched
    instead (``last_touched_at`` / ``last_interaction_at``), which is what the jobs read.
    """

    __tablename__ = "reminder_marks"
    __table_args__ = (UniqueConstraint("kind", "entity_id", "user_id", name="uq_reminder_marks_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    snoozed_until: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


# ------------------------------------------------------------------- audit
class AuditEntry(Base):
    """Who did what to which record, when, before/after, and which inbound event caused it."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(100))  # user name, "system", "org-file", "scheduler"
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    cause_event: Mapped[str | None] = mapped_column(String(200), index=True)


# -------------------------------------------------- inbox / outbox (chat I/O)
class InboxEvent(Base):
    """An inbound platform event, stored before the callback is acknowledged.

    The unique (platform, dedupe_key) makes platform retries a no-op: one
    atomic insert decides who processes the event.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("platform", "dedupe_key"),
        Index("ix_inbox_pending", "status", "locked_until"),
        # One person's (or group chat's) unfinished events, oldest first: the per-sender line.
        Index("ix_inbox_order", "order_key", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    dedupe_key: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    sender_id: Mapped[str] = mapped_column(String(128))
    # Events with the same key are handled one at a time in arrival order (domain/services/inbox.py).
    order_key: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/done/failed/ignored
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class OutboxMessage(Base):
    """A message we owe someone, written in the same transaction as the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # Unsent rows per recipient, oldest first: one person's replies leave in the order written.
        Index("ix_outbox_recipient_order", "platform", "target", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    platform: Mapped[str] = mapped_column(String(16))
    target_kind: Mapped[str] = mapped_column(String(16))  # user / chat / webhook
    target: Mapped[str] = mapped_column(String(512))
    msg_type: Mapped[str] = mapped_column(String(32))  # text/markdown/card/card_update/image
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    card_id: Mapped[str | None] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/sending/sent/failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    platform_msgid: Mapped[str | None] = mapped_column(String(128))
    last_errcode: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    cause_event: Mapped[str | None] = mapped_column(String(200))


class CardRecord(Base):
    """A card we sent: what it is about, and its current neutral content.

    ``card_id`` is the platform card id (WeCom task_id, DingTalk outTrackId).
    Updates re-render ``content`` and go out through the outbox.
    """

    __tablename__ = "cards"

    card_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(40))  # help / visit / quote / approval …
    entity_type: Mapped[str | None] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    recipients: Mapped[list[Any]] = mapped_column(default=list)  # platform user ids that got it
    content: Mapped[dict[str, Any]] = mapped_column(JSON)  # cards.serialize.card_to_dict
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / decided / expired
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CardResponseCode(Base):
    """The latest single-use WeCom response_code per card and user (send result or tap)."""

    __tablename__ = "card_response_codes"
    __table_args__ = (UniqueConstraint("card_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[str] = mapped_column(String(128), index=True)
    user_id: Mapped[str] = mapped_column(String(128))
    code: Mapped[str] = mapped_column(String(256))
    received_at: Mapped[datetime]
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class Conversation(Base):
    """A pending multi-turn exchange with one person (a question we asked, a draft being edited)."""

    __tablename__ = "conversations"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    expires_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Job(Base):
    """Slow work queued by a handler (OCR of a photo), run by a worker after the ack.

    Leased like the inbox: a worker killed mid-job leaves the lease to run
    out and the job runs again; ``dedupe_key`` keeps a redelivered photo from
    queueing the same job twice.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "status", "locked_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/done/failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    cause_event: Mapped[str | None] = mapped_column(String(200))


# ------------------------------------------- indexes for the scheduled jobs' scans (migration 0006)
# Declared apart from the classes so each feature's indexes stay in one place.
Index("ix_visits_customer_visited", Visit.customer_id, Visit.visited_at)
Index("ix_visits_visited_at", Visit.visited_at)
Index("ix_visits_next_follow_up", Visit.next_follow_up)
Index("ix_opportunities_stage_touched", Opportunity.stage, Opportunity.last_touched_at)
Index("ix_customers_status_interaction", Customer.status, Customer.last_interaction_at)
Index("ix_stage_changes_opp_changed", StageChange.opportunity_id, StageChange.changed_at)
Index("ix_stage_changes_changed_at", StageChange.changed_at)
Index("ix_quotes_customer_created", Quote.customer_id, Quote.created_at)
Index("ix_quotes_confirmed_at", Quote.confirmed_at)

# ------------------------------------------- indexes for the weekly leaderboard (migration 0006)
# visits per rep and week; new opportunities per owner and week (the week's stage
# changes use ix_stage_changes_changed_at above)
Index("ix_visits_rep_visited", Visit.rep_id, Visit.visited_at)
Index("ix_opportunities_owner_created", Opportunity.owner_id, Opportunity.created_at)

# ------------------------------------------- indexes for 成交金额 from contracts (migration 0008_deals)
# approved contracts per submitter and week; "has this opportunity an approved contract?"
Index("ix_contracts_status_decided", Contract.status, Contract.decided_at)
Index("ix_contracts_opportunity", Contract.opportunity_id)
