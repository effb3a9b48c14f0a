"""Every card button key, typed: one class per kind of tap, the one place that lists them all.

A key is a prefix and typed fields joined by ``:`` (``visit:undo:42``), like aiogram's
``CallbackData``: a card builds ``VisitUndo(visit_id=42).pack()`` and the handler registered
with ``VisitUndo.filter()`` receives ``key: VisitUndo`` with ``key.visit_id == 42``; nobody
splits strings by hand. The wire strings are exactly those cards have always carried, so a card
sent before this module existed still works when tapped.

Limits: WeCom takes a button ``key`` of up to 1,024 bytes (docs/platforms/wecom.md,
``button_list``); DingTalk hands the ``action`` param back as we bound it, its limit is not
documented (docs/platforms/dingtalk.md D4). Our keys are a few dozen bytes; ``pack`` refuses
anything over WeCom's limit.

Written by hand, not taken from aiogram: aiogram's ``CallbackData`` is tied to Telegram's
callback queries (and its 64-byte limit) and to pydantic models; this is the few lines we need.
Cards import this module, handlers import it from here (handlers may import cards, never the
other way round).
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Callable, Mapping
from enum import Enum, StrEnum
from typing import Any, ClassVar, Self

from domain.models import Stage

SEP = ":"
MAX_KEY_BYTES = 1024  # WeCom template_card button_list[].key
_INT = re.compile(r"[0-9]{1,18}")


class CallbackData:
    """Base of the typed keys: subclass as a dataclass with ``prefix="visit:undo"`` and typed fields.

    Fields may be ``int``, ``str`` (no ``:``) or a ``str`` Enum; they are packed in declaration order.
    """

    prefix: ClassVar[str]
    _fields: ClassVar[tuple[tuple[str, Any], ...]]

    def __init_subclass__(cls, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.prefix = prefix

    @classmethod
    def _typed_fields(cls) -> tuple[tuple[str, Any], ...]:
        if "_fields" not in cls.__dict__:
            hints = typing.get_type_hints(cls)
            cls._fields = tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))  # type: ignore[arg-type]
        return cls._fields

    def pack(self) -> str:
        parts = [self.prefix]
        for name, _ in self._typed_fields():
            value = getattr(self, name)
            text = str(value.value if isinstance(value, Enum) else value)
            if SEP in text or not text:
                raise ValueError(f"{type(self).__name__}.{name} cannot be packed: {text!r}")
            parts.append(text)
        key = SEP.join(parts)
        if len(key.encode()) > MAX_KEY_BYTES:
            raise ValueError(f"card key longer than {MAX_KEY_BYTES} bytes: {key[:40]}…")
        return key

    @classmethod
    def unpack(cls, key: str) -> Self | None:
        """The key as this class, or None when it is another kind of key (or malformed)."""
        fields = cls._typed_fields()
        if not fields:
            return cls() if key == cls.prefix else None
        head = cls.prefix + SEP
        if not key.startswith(head):
            return None
        raw = key[len(head):].split(SEP)
        if len(raw) != len(fields):
            return None
        values: dict[str, Any] = {}
        for (name, kind), text in zip(fields, raw, strict=True):
            if kind is int:
                if not _INT.fullmatch(text):
                    return None
                values[name] = int(text)
            elif isinstance(kind, type) and issubclass(kind, Enum):
                try:
                    values[name] = kind(text)
                except ValueError:
                    return None
            elif text:
                values[name] = text
            else:
                return None
        return cls(**values)

    @classmethod
    def filter(cls) -> Callable[[Any], Mapping[str, Any] | None]:
        """A router filter for taps of this key; hands the handler ``key`` (an instance of this class)."""

        def check(ctx: Any) -> Mapping[str, Any] | None:
            action = ctx.event.card_action
            key = cls.unpack(action.key) if action is not None else None
            return {"key": key} if key is not None else None

        return check


# ------------------------------------------------------------------ help card
@dataclasses.dataclass(frozen=True)
class HelpTap(CallbackData, prefix="help"):
    topic: str  # a key of cards.help.HELP_ACTIONS: visit, quote, todo, submit, approvals, delegate


# ------------------------------------------------------------------ visits
@dataclasses.dataclass(frozen=True)
class VisitEdit(CallbackData, prefix="visit:edit"):
    visit_id: int


@dataclasses.dataclass(frozen=True)
class VisitUndo(CallbackData, prefix="visit:undo"):
    visit_id: int


@dataclasses.dataclass(frozen=True)
class VisitStage(CallbackData, prefix="visit:stage"):
    """The suggested stage change on a visit card (only applied when tapped)."""

    opportunity_id: int
    stage: Stage


@dataclasses.dataclass(frozen=True)
class VisitPick(CallbackData, prefix="visit:pick"):
    customer_id: int


@dataclasses.dataclass(frozen=True)
class VisitNewCustomer(CallbackData, prefix="visit:new"):
    """新建客户 on the which-customer card (the name is the one in the conversation state)."""


@dataclasses.dataclass(frozen=True)
class VisitsUndo(CallbackData, prefix="visits:undo"):
    """撤销 one visit of a several-customer card."""

    visit_id: int


# ------------------------------------------------------------------ quotes
@dataclasses.dataclass(frozen=True)
class QuoteConfirm(CallbackData, prefix="quote:confirm"):
    quote_id: int


@dataclasses.dataclass(frozen=True)
class QuoteEdit(CallbackData, prefix="quote:edit"):
    quote_id: int


@dataclasses.dataclass(frozen=True)
class QuoteVoid(CallbackData, prefix="quote:void"):
    quote_id: int


@dataclasses.dataclass(frozen=True)
class QuoteSubmit(CallbackData, prefix="quote:submit"):
    """提交审批 on a confirmed quote's card."""

    quote_id: int


# ------------------------------------------------------------------ approvals
@dataclasses.dataclass(frozen=True)
class ApprovalApprove(CallbackData, prefix="approval:approve"):
    step_id: int


@dataclasses.dataclass(frozen=True)
class ApprovalReject(CallbackData, prefix="approval:reject"):
    step_id: int


@dataclasses.dataclass(frozen=True)
class ApprovalRejectConfirm(CallbackData, prefix="approval:reject_confirm"):
    step_id: int


@dataclasses.dataclass(frozen=True)
class ApprovalRejectCancel(CallbackData, prefix="approval:reject_cancel"):
    step_id: int


@dataclasses.dataclass(frozen=True)
class ApprovalNudge(CallbackData, prefix="approval:nudge"):
    flow_id: int


@dataclasses.dataclass(frozen=True)
class ApprovalWithdraw(CallbackData, prefix="approval:withdraw"):
    flow_id: int


@dataclasses.dataclass(frozen=True)
class ApprovalResubmit(CallbackData, prefix="approval:resubmit"):
    contract_id: int


@dataclasses.dataclass(frozen=True)
class ApprovalRelink(CallbackData, prefix="approval:relink"):
    """改记所选商机 on the submitter's contract card (the chosen opportunity is the card's select)."""

    contract_id: int


# ------------------------------------------------------------------ reminders
class ReminderVerb(StrEnum):
    done = "done"  # 已跟进
    snooze = "snooze"  # 明天再提醒


class ReminderKind(StrEnum):
    followup = "followup"
    opportunity = "opportunity"
    customer = "customer"


@dataclasses.dataclass(frozen=True)
class ReminderTap(CallbackData, prefix="remind"):
    """已跟进 / 明天再提醒 on a reminder card, e.g. ``remind:done:opportunity:42``."""

    verb: ReminderVerb
    kind: ReminderKind
    entity_id: int


ALL_KEYS: tuple[type[CallbackData], ...] = (
    HelpTap,
    VisitEdit,
    VisitUndo,
    VisitStage,
    VisitPick,
    VisitNewCustomer,
    VisitsUndo,
    QuoteConfirm,
    QuoteEdit,
    QuoteVoid,
    QuoteSubmit,
    ApprovalApprove,
    ApprovalReject,
    ApprovalRejectConfirm,
    ApprovalRejectCancel,
    ApprovalNudge,
    ApprovalWithdraw,
    ApprovalResubmit,
    ApprovalRelink,
    ReminderTap,
)


def unpack_any(key: str) -> CallbackData | None:
    """Whichever kind of key ``key`` is (prefixes never overlap: each is matched up to its ``:``)."""
    for cls in ALL_KEYS:
        found = cls.unpack(key)
        if found is not None:
            return found
    return None
