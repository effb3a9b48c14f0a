"""The dispatch step: filters hand what they parsed to the handler; commands with or without a slash."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, cast

from domain.uow import UnitOfWork
from handlers.context import HandlerContext
from handlers.events import CardAction, EventKind, InboundEvent
from handlers.replies import Replies
from handlers.router import Router, command, command_body, command_match, kind
from handlers.states import (
    ALL_STATES,
    PENDING_VISIT,
    ApprovalStates,
    QuoteStates,
    VisitStates,
    new_state,
    state_is,
    step_of,
)


class MemoryConversations:
    """The ConversationStore protocol in a dict, counting reads (the real stores need a database)."""

    def __init__(self, rows: dict[str, dict[str, Any]] | None = None) -> None:
        self.rows = dict(rows or {})
        self.reads = 0

    def get(self, uow: UnitOfWork, platform: str, user_id: str) -> dict[str, Any] | None:
        self.reads += 1
        row = self.rows.get(f"{platform}:{user_id}")
        return dict(row) if row is not None else None

    def set(self, uow: UnitOfWork, platform: str, user_id: str, state: dict[str, Any], timeout: timedelta) -> None:
        self.rows[f"{platform}:{user_id}"] = dict(state)

    def clear(self, uow: UnitOfWork, platform: str, user_id: str) -> None:
        self.rows.pop(f"{platform}:{user_id}", None)


def text_event(text: str) -> InboundEvent:
    return InboundEvent("wecom", "m1", EventKind.TEXT, "ZhangWei", 1_765_000_000, text=text)


def tap_event(key: str) -> InboundEvent:
    action = CardAction(key=key, task_id="visit-m0")
    return InboundEvent("wecom", "t1", EventKind.CARD_ACTION, "ZhangWei", 1_765_000_000, card_action=action)


def context(event: InboundEvent, store: MemoryConversations | None = None) -> HandlerContext:
    # The router and the filters below read only the event and the conversation store.
    return HandlerContext(
        event, cast(UnitOfWork, None), None, cast(Replies, None), conversations=store or MemoryConversations()
    )


def test_a_filter_hands_what_it_parsed_to_the_handler() -> None:
    router = Router("t")
    seen: list[tuple[str, int]] = []

    def amount(ctx: HandlerContext) -> Mapping[str, Any] | None:
        m = re.search(r"(\d+)万", ctx.event.text or "")
        return {"amount": int(m.group(1)) * 10_000, "unit": "万"} if m else None

    @router.on(kind(EventKind.TEXT), amount, lambda ctx: {"customer": "华为"})
    def on_amount(ctx: HandlerContext, customer: str, amount: int) -> None:  # takes only what it names
        seen.append((customer, amount))

    assert router.dispatch(context(text_event("华为 38万")))
    assert seen == [("华为", 380_000)]
    assert not router.dispatch(context(text_event("华为")))  # None: no match, the handler never runs
    assert seen == [("华为", 380_000)]


def test_false_none_and_true_and_first_match_wins_across_included_routers() -> None:
    root, inner = Router("root"), Router("inner")
    calls: list[str] = []

    @inner.on(lambda ctx: False)
    def never(ctx: HandlerContext) -> None:
        calls.append("never")

    @inner.on(lambda ctx: True, lambda ctx: {"n": 1})
    def first(ctx: HandlerContext, **values: Any) -> None:  # **kwargs receives every value
        calls.append(f"first {values}")

    @root.on(lambda ctx: True)
    def second(ctx: HandlerContext) -> None:  # a handler of the context alone still works
        calls.append("second")

    root.include(inner)
    root.routes.reverse()  # inner first
    assert root.dispatch(context(text_event("x")))
    assert calls == ["first {'n': 1}"]


def test_an_empty_mapping_is_a_match_without_values() -> None:
    router = Router("t")
    calls: list[str] = []
    router.on(lambda ctx: {})(lambda ctx: calls.append("ran"))
    assert router.dispatch(context(text_event("x"))) and calls == ["ran"]


def test_commands_match_with_or_without_a_slash_half_or_full_width() -> None:
    router = Router("t")
    got: list[str] = []

    @router.on(command("我的待办", "Todo"))
    def on_todo(ctx: HandlerContext, command: str) -> None:
        got.append(command)

    for typed in ("我的待办", "/我的待办", "／我的待办", "  / 我的待办 ", "TODO", "/todo"):
        assert router.dispatch(context(text_event(typed))), typed
    assert got == ["我的待办"] * 4 + ["Todo"] * 2
    for other in ("我的待办事项", "//", "看看我的待办"):
        assert not router.dispatch(context(text_event(other))), other


def test_a_command_pattern_hands_over_its_arguments_as_typed() -> None:
    router = Router("t")
    got: list[str] = []
    rx = re.compile(r"^(?:提交合同|提交审批)\s*[:：]?\s*(?P<rest>.+)$")

    @router.on(command_match(rx))
    def on_submit(ctx: HandlerContext, match: re.Match[str]) -> None:
        got.append(match.group("rest"))

    for typed in ("提交合同 苏州精工 38万", "/提交合同 苏州精工 38万", "／提交合同：苏州精工 38万"):
        assert router.dispatch(context(text_event(typed)))
    assert router.dispatch(context(text_event("/提交审批 ABB Ltd 5万")))  # case kept for names
    assert got == ["苏州精工 38万"] * 3 + ["ABB Ltd 5万"]
    assert not router.dispatch(context(tap_event("提交合同 x 3万")))  # taps are not commands
    assert command_body(" ／提交合同 A ") == "提交合同 A"


def test_the_conversation_state_is_read_once_per_event() -> None:
    store = MemoryConversations({"wecom:ZhangWei": {"step": "recorded", "visit_id": 7}})
    ctx = context(text_event("改成下周四跟进"), store)
    assert [ctx.state, ctx.state, ctx.state] == [{"step": "recorded", "visit_id": 7}] * 3
    assert store.reads == 1
    ctx.clear_state()
    assert ctx.state is None  # what the event cleared reads as cleared
    ctx.set_state({"step": "ask_customer"})
    assert ctx.state == {"step": "ask_customer"} and store.reads == 1
    ctx.state["step"] = "x"  # type: ignore[index]  # a copy: the handler cannot change it by accident
    assert ctx.state == {"step": "ask_customer"}


def test_states_are_stored_as_the_plain_strings_rows_already_hold() -> None:
    assert new_state(VisitStates.recorded, visit_id=7) == {"step": "recorded", "visit_id": 7}
    assert json.dumps(new_state(QuoteStates.edit, quote_id=1)) == '{"step": "quote_edit", "quote_id": 1}'
    before = {  # what handlers wrote before typed states, as still stored in conversations rows / Redis
        "ask_customer": VisitStates.ask_customer,
        "pick_customer": VisitStates.pick_customer,
        "recorded": VisitStates.recorded,
        "quote_edit": QuoteStates.edit,
        "approval_reject": ApprovalStates.reject_reason,
        "contract_resubmit": ApprovalStates.resubmit,
    }
    assert {raw: step_of({"step": raw}) for raw in before} == before
    assert sum(len(group) for group in ALL_STATES) == len(before)  # one place lists them all, no duplicates
    assert step_of({"step": "nonsense"}) is None and step_of(None) is None and step_of({"step": 3}) is None


def test_state_is_hands_the_state_to_the_handler() -> None:
    router = Router("t")
    got: list[dict[str, Any]] = []

    @router.on(kind(EventKind.TEXT), state_is(*PENDING_VISIT))
    def on_answer(ctx: HandlerContext, state: dict[str, Any]) -> None:
        got.append(state)

    old_row = {"step": "pick_customer", "draft": {"text": "拜访精工"}, "mention": "精工"}
    assert router.dispatch(context(text_event("苏州精工"), MemoryConversations({"wecom:ZhangWei": old_row})))
    assert got == [old_row]
    other = MemoryConversations({"wecom:ZhangWei": {"step": "quote_edit", "quote_id": 1}})
    assert not router.dispatch(context(text_event("苏州精工"), other))
    assert not router.dispatch(context(text_event("苏州精工")))
