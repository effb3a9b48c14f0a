"""Visit logging by chat: a free Chinese message (or a shared location) becomes a visit.

Clear messages are saved at once and confirmed on a card with 修改 / 撤销;
unclear ones ask (which customer?) and keep a small draft in the
conversation state until the next message or tap answers. Stage changes are
only ever suggested as a button.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from cards.keys import VisitEdit, VisitNewCustomer, VisitPick, VisitStage, VisitsUndo, VisitUndo
from cards.serialize import card_from_dict
from cards.visits import day_label, pick_customer_card, several_visits_card, visit_card
from domain.clock import to_local
from domain.models import STAGE_LABELS, Customer, Stage, Visit
from domain.rules import can_transition, is_advance
from domain.services import cardstate, outbox
from domain.services.customer_index import current_index
from domain.services.customers import add_contact, create_customer, find_customers, learn_alias
from domain.services.opportunities import (
    change_stage,
    create_opportunity,
    get_opportunity,
    open_opportunity_of,
    update_opportunity,
)
from domain.services.visits import Place, get_visit, log_visit, recent_visit, undo_visit, update_visit
from handlers.commands import HINT, card_id_for
from handlers.context import HandlerContext
from handlers.events import EventKind
from handlers.router import FilterResult, Router, command, kind
from handlers.states import PENDING_VISIT, VisitStates, in_state, new_state, state_is, step_of
from handlers.understand import CustomerIndex, CustomerRef, VisitDraft, parse_visit
from handlers.understand.corrections import parse_correction
from handlers.understand.intent import is_question
from handlers.understand.split import Part, split_visits
from handlers.understand.visit_text import EditRequest

router = Router("visits")

CHECK_IN_WINDOW = timedelta(minutes=30)
CORRECTION_WINDOW = timedelta(minutes=30)  # 「联系人是刘工」 without tapping 修改 still corrects the last visit
EDIT_HINT = "请直接回复要修改的内容，例如：\n改成下周四跟进\n客户改成华为终端\n联系人是李工\n时间改成昨天下午"


# ----------------------------------------------------------------- helpers
def message_time(ctx: HandlerContext) -> datetime:
    """Relative dates resolve against when the rep sent the message, not when we process it."""
    if ctx.event.created_at:
        return datetime.fromtimestamp(ctx.event.created_at, UTC)
    return ctx.uow.clock.now()


def customer_refs(ctx: HandlerContext) -> CustomerIndex:
    """This process's customer index (one query to check it is current, whatever the list's size), once per event."""
    return ctx.once("customer_refs", lambda: current_index(ctx.uow.session))


def visit_draft(ctx: HandlerContext) -> VisitDraft | None:
    """The message parsed as a visit, once per event however many routes' filters ask (None: not text)."""
    text = ctx.event.text
    if ctx.event.kind != EventKind.TEXT or not text or len(text) > 2000:
        return None
    return ctx.once("visit_draft", lambda: parse_visit(text, message_time(ctx), customer_refs(ctx)))


def _draft_state(text: str, now: datetime, **extra: Any) -> dict[str, Any]:
    return {"text": text, "now": now.isoformat(), **extra}


def _save(
    ctx: HandlerContext,
    draft: dict[str, Any],
    customer: Customer,
    mention: str | None = None,
    *,
    send_card: bool = True,
    parsed: VisitDraft | None = None,
) -> Visit:
    """Store the visit described by ``draft`` and send its card (unless several share one card).

    ``mention`` is what the rep called the customer; a later 「客户改成…」 teaches it as an alias.
    ``parsed``: this event's own parse of the text when it already names ``customer``, so a
    message is parsed once (issue #15). Otherwise -- the customer was picked on a later message,
    or found by its registered name -- the stored text is read again for that customer: its
    contact and note depend on which words name the customer.
    """
    assert ctx.sender is not None
    now = datetime.fromisoformat(draft["now"])
    if parsed is None or parsed.customer_id != customer.id:
        parsed = (
            parse_visit(draft["text"], now, [CustomerRef(customer.id, customer.name)]) if draft["text"] else None
        )
    contact = None
    if parsed is not None and parsed.contact_name:
        contact = add_contact(ctx.uow, customer, parsed.contact_name, parsed.contact_title)
    place = Place(**draft["place"]) if draft.get("place") else None
    visited_at = now
    if parsed is not None and not draft.get("force_now"):
        visited_at = parsed.visited_at
    visit = log_visit(
        ctx.uow,
        ctx.sender,
        customer,
        visited_at=visited_at,
        contact=contact,
        place=place,
        summary=parsed.summary if parsed else None,
        next_step=parsed.next_step if parsed else None,
        next_follow_up=parsed.next_follow_up if parsed else None,
        source_text=draft["text"] or None,
        channel=parsed.channel if parsed else "visit",
    )
    opp = open_opportunity_of(ctx.uow, customer, owner=ctx.sender)  # never a colleague's
    notes: list[str] = []
    if parsed is not None and parsed.amount is not None:
        if opp is None:
            opp = create_opportunity(ctx.uow, customer, ctx.sender, amount=parsed.amount)
            if customer.owner is not None and customer.owner_id != ctx.sender.id:
                # The card says the customer is a colleague's (协作拜访): say that this new opportunity is the
                # rep's own and the colleague's is untouched, or 「已新建商机」 reads as changing theirs.
                notes.append(f"已新建你名下的商机，金额 ¥{parsed.amount:,.0f}（{customer.owner.name} 的商机不变）")
            else:
                notes.append(f"已新建商机，金额 ¥{parsed.amount:,.0f}")
        elif opp.amount is None:
            update_opportunity(ctx.uow, opp, amount=parsed.amount)
            notes.append(f"商机金额已填为 ¥{parsed.amount:,.0f}")
        elif opp.amount != parsed.amount:
            # Never overwritten silently, never dropped silently either: the rep sees both and one reply fixes it.
            notes.append(f"商机金额仍为 ¥{opp.amount:,.0f}，要更新请回复「金额改为{_spoken_amount(parsed.amount)}」")
    suggestion: tuple[int, Stage] | None = None
    if parsed is not None and parsed.stage_hint is not None and opp is not None:
        current = Stage(opp.stage)
        target = parsed.stage_hint
        if can_transition(current, target) and (is_advance(current, target) or target == Stage.LOST):
            suggestion = (opp.id, target)
    if not send_card:
        return visit
    note = "已自动保存，无需再点确认" + ("；" + "；".join(notes) if notes else "")
    card = visit_card(
        card_id_for(ctx, "visit"),
        visit,
        stage_suggestion=suggestion,
        note=note,
        amount=parsed.amount if parsed is not None else None,
    )
    ctx.replies.card(ctx.me, card, purpose="visit", entity=("visit", str(visit.id)))
    ctx.set_state(new_state(VisitStates.recorded, visit_id=visit.id, mention=mention))
    return visit


def _rank_for_rep(ctx: HandlerContext, candidates: list[Customer]) -> list[Customer]:
    """The rep's own customers first, then those they visited lately; otherwise as matched.

    One query, over the few candidates only.
    """
    if ctx.sender is None or len(candidates) < 2:
        return candidates
    rows = ctx.uow.session.execute(
        select(Visit.customer_id, func.max(Visit.visited_at))
        .where(Visit.rep_id == ctx.sender.id, Visit.customer_id.in_([c.id for c in candidates]))
        .group_by(Visit.customer_id)
    ).tuples()
    last_visit = {cid: at for cid, at in rows}
    order = {c.id: i for i, c in enumerate(candidates)}
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return sorted(
        candidates,
        key=lambda c: (
            c.owner_id != ctx.sender.id if ctx.sender else True,
            -(last_visit.get(c.id) or epoch).timestamp(),
            order[c.id],
        ),
    )


def _ask_customer(
    ctx: HandlerContext, draft: dict[str, Any], mention: str | None, candidates: list[Customer]
) -> None:
    candidates = _rank_for_rep(ctx, candidates)
    if candidates:
        card = pick_customer_card(card_id_for(ctx, "pick"), mention, [(c.id, c.name) for c in candidates])
        ctx.replies.card(ctx.me, card, purpose="visit-pick")
        ctx.set_state(new_state(VisitStates.pick_customer, draft=draft, mention=mention, card_id=card.card_id))
    else:
        ctx.say("拜访的是哪家客户？请回复客户名称，例如：华为")
        ctx.set_state(new_state(VisitStates.ask_customer, draft=draft))


def _spoken_amount(amount: Decimal) -> str:
    """¥350,000 as a rep would type it back: 35万 (or the digits when it is no round number of 万)."""
    wan = amount / 10_000
    return f"{wan.normalize():f}万" if amount >= 10_000 and wan == round(wan, 2) else f"{amount.normalize():f}"


def _said_amount(ctx: HandlerContext, visit: Visit) -> Decimal | None:
    """The amount the visit's own message named, for its card (the message is kept as the visit's source)."""
    if not visit.source_text or visit.customer is None:
        return None
    refs = [CustomerRef(visit.customer.id, visit.customer.name)]
    return parse_visit(visit.source_text, ctx.uow.clock.now(), refs).amount


def _refresh_visit_card(
    ctx: HandlerContext,
    visit: Visit,
    note: str,
    status: str | None = None,
    *,
    resend: bool = False,
    amount: Decimal | None = None,
) -> None:
    """Show the visit's current state on its card.

    WeCom updates a card only with a single-use response_code, and codes come only with a send or a
    tap (docs: update_template_card, docs/platforms/wecom.md W5). Typed corrections bring none, so
    after the send's and the 修改 tap's codes are spent the update could only fall back to a plain-text
    copy. With ``resend`` we then send a fresh card instead, which becomes the visit's card: its own
    code serves the next correction.
    """
    record = (
        cardstate.get_card(ctx.uow.session, card_id) if (card_id := _visit_card_id(ctx, visit.id)) else None
    )
    if record is None:
        return
    amount = amount if amount is not None else _said_amount(ctx, visit)
    if resend and ctx.event.platform == "wecom" and not cardstate.has_code(
        ctx.uow.session, record.card_id, ctx.uow.clock.now()
    ):
        # No code yet may mean the card itself has not gone out (a correction typed right after the
        # visit): then the rep gets one card, already corrected -- changed before it leaves, or
        # updated right after it with the code its send brings.
        card = visit_card(record.card_id, visit, note=note, amount=amount)
        if ctx.replies.revise_unsent_card(card):
            return
        # A sender may have finished the send since the look for a code above: its code and its
        # "sent" are committed together, so looking again for the code after finding the send
        # finished closes that gap (else the rep got a second card, tests/e2e/test_many_workers.py).
        if outbox.card_send_unfinished(ctx.uow.session, record.card_id) or cardstate.has_code(
            ctx.uow.session, record.card_id, ctx.uow.clock.now()
        ):
            ctx.replies.update_card(card, status="open")
            return
        card = visit_card(card_id_for(ctx, "visit"), visit, note=note, amount=amount)
        ctx.replies.card(ctx.me, card, purpose="visit", entity=("visit", str(visit.id)))
        return
    card = visit_card(record.card_id, visit, note=note, status=status, amount=amount)
    ctx.replies.update_card(card, status="decided" if status else "open")


def _visit_card_id(ctx: HandlerContext, visit_id: int) -> str | None:
    record = cardstate.card_for_entity(ctx.uow.session, "visit", str(visit_id))
    return record.card_id if record else None


def _own_visit(ctx: HandlerContext, visit_id: int) -> Visit | None:
    visit = get_visit(ctx.uow, visit_id)
    if visit is None or ctx.sender is None or visit.rep_id != ctx.sender.id:
        return None
    return visit


# ----------------------------------------------------------------- filters
def _looks_like_visit(ctx: HandlerContext) -> FilterResult:
    """A visit report: hands over the parse (``draft``), the message time and the customer index."""
    draft = visit_draft(ctx)
    if draft is None or not draft.is_visit:
        return None
    return {"draft": draft, "now": message_time(ctx), "refs": customer_refs(ctx)}


# ----------------------------------------------------------------- routes
@router.on(command("取消", "算了", "不用了"))
def on_cancel(ctx: HandlerContext) -> None:
    had = ctx.state is not None
    ctx.clear_state()
    ctx.say("好的，已取消。" if had else "当前没有进行中的操作。")


def _parse_correction(ctx: HandlerContext) -> EditRequest | None:
    text = ctx.event.text
    if ctx.event.kind != EventKind.TEXT or not text or len(text) > 200:
        return None
    return ctx.once("visit_correction", lambda: parse_correction(text, message_time(ctx)))


def _correction(ctx: HandlerContext) -> FilterResult:
    """A correction of a visit (「改成下周四跟进」, 「联系人是刘工」): hands over ``edit``."""
    edit = _parse_correction(ctx)
    return {"edit": edit} if edit is not None else None


@router.on(kind(EventKind.TEXT), state_is(VisitStates.recorded), _correction)
def on_edit(ctx: HandlerContext, state: dict[str, Any], edit: EditRequest) -> None:
    """ "改成下周四跟进" right after a visit was recorded (or after tapping 修改)."""
    visit = _own_visit(ctx, int(state["visit_id"]))
    if visit is None:
        ctx.clear_state()
        ctx.say("这条拜访已撤销，无法修改。")
        return
    if edit.cancel:
        ctx.clear_state()
        ctx.say("好的，已取消。")
        return
    _apply_edit(ctx, visit, edit)


def _recent_correction(ctx: HandlerContext) -> FilterResult:
    """A correction with no 修改 tap and no pending state, within 30 minutes of the rep's last visit.

    Hands over the correction (``edit``) and the visit it corrects (``visit``).
    """
    if in_state(ctx, *PENDING_VISIT) or ctx.sender is None:
        return None
    edit = _parse_correction(ctx)
    if edit is None or edit.cancel:
        return None
    visit = recent_visit(ctx.uow, ctx.sender, ctx.uow.clock.now() - CORRECTION_WINDOW)
    return {"edit": edit, "visit": visit} if visit is not None else None


@router.on(_recent_correction)
def on_correction(ctx: HandlerContext, edit: EditRequest, visit: Visit) -> None:
    """「联系人是刘工」, 「金额是35万」 typed straight after logging a visit: they correct it."""
    previous = ctx.state or {}
    mention = previous.get("mention") if previous.get("visit_id") == visit.id else None
    ctx.set_state(new_state(VisitStates.recorded, visit_id=visit.id, mention=mention))
    _apply_edit(ctx, visit, edit)


def _apply_edit(ctx: HandlerContext, visit: Visit, edit: EditRequest) -> None:
    """Apply one correction, refresh the visit's card, and say every field it touched."""
    assert ctx.sender is not None
    changes: list[str] = []
    customer = None
    if edit.customer_mention:
        found = find_customers(ctx.uow, edit.customer_mention)
        if not found:
            ctx.say(f"没有找到客户「{edit.customer_mention}」，请换个说法，例如：客户改成华为终端")
            return
        customer = found[0].customer
        changes.append(f"客户改为{customer.name}")
        if customer.id != visit.customer_id:
            learn_alias(ctx.uow, customer, (ctx.state or {}).get("mention"))
    contact = None
    target_customer = customer or visit.customer
    if edit.contact_name and target_customer is not None:
        contact = add_contact(ctx.uow, target_customer, edit.contact_name, edit.contact_title)  # the title wins
        label = contact.name + (f"（{contact.title}）" if contact.title else "")
        changes.append(f"联系人改为{label}")
    if edit.next_follow_up:
        changes.append(f"下次跟进改为{edit.next_follow_up.month}月{edit.next_follow_up.day}日")
    if edit.visited_at:
        local = to_local(edit.visited_at)
        changes.append(f"时间改为{local.month}月{local.day}日 {local:%H:%M}")
    if edit.amount is not None and visit.customer is not None:
        opp = open_opportunity_of(ctx.uow, customer or visit.customer)
        if opp is None:
            create_opportunity(ctx.uow, customer or visit.customer, ctx.sender, amount=edit.amount)
        else:
            update_opportunity(ctx.uow, opp, amount=edit.amount)
        changes.append(f"商机金额改为 ¥{edit.amount:,.0f}")
    if not changes:
        ctx.say(EDIT_HINT)
        return
    update_visit(
        ctx.uow,
        visit,
        customer=customer,
        contact=contact,
        visited_at=edit.visited_at,
        next_follow_up=edit.next_follow_up,
    )
    _refresh_visit_card(ctx, visit, "已修改：" + "，".join(changes), resend=True, amount=edit.amount)
    ctx.say("已修改：" + "，".join(changes))


def _clearly_new_visit(ctx: HandlerContext) -> bool:
    """While we wait for a customer name, only a message that says more than a name is a new visit."""
    d = visit_draft(ctx)
    if d is None:
        return False
    return d.is_visit and bool(d.contact_name or d.summary or d.visited_at_explicit or d.next_follow_up)


def _answers_like_a_name(ctx: HandlerContext) -> bool:
    """「苏州精工」 answers 「拜访的是哪家客户？」; 「好的」, a sentence or a question does not."""
    answer = (ctx.event.text or "").strip()
    return (
        0 < len(answer) <= 25
        and not re.search(r"[,，。？?！!；;]", answer)
        and not is_question(answer)
        and answer.lower() not in _NOT_AN_ANSWER
    )


_NOT_AN_ANSWER = {"好的", "好", "嗯", "嗯嗯", "ok", "收到", "谢谢", "行", "对", "是", "不是", "不对", "没有", "不知道"}


@router.on(
    kind(EventKind.TEXT),
    state_is(*PENDING_VISIT),
    lambda ctx: not _answers_like_a_name(ctx),
    lambda ctx: not _clearly_new_visit(ctx),
)
def on_pending_dropped(ctx: HandlerContext) -> None:
    """The rep wrote something else than a customer name: drop the question instead of repeating it."""
    ctx.clear_state()
    ctx.say("刚才那条拜访没有记录（缺少客户名称）。\n" + HINT)


@router.on(kind(EventKind.TEXT), state_is(*PENDING_VISIT), lambda ctx: not _clearly_new_visit(ctx))
def on_customer_answer(ctx: HandlerContext, state: dict[str, Any]) -> None:
    """The answer to "拜访的是哪家客户？"."""
    answer = (ctx.event.text or "").strip()
    found = find_customers(ctx.uow, answer)
    exact = [m.customer for m in found if m.score >= 1.0]
    if len(exact) == 1:
        ctx.clear_state()
        _save(ctx, state["draft"], exact[0])
        return
    candidates = exact or [m.customer for m in found]
    if candidates:
        _ask_customer(ctx, state["draft"], answer, candidates)
        return
    card = pick_customer_card(card_id_for(ctx, "pick"), answer, [])
    ctx.replies.card(
        ctx.me, replace(card, subtitle=f"没有找到「{answer}」，要新建这个客户吗？"), purpose="visit-pick"
    )
    ctx.set_state(new_state(VisitStates.pick_customer, draft=state["draft"], mention=answer, card_id=card.card_id))


@router.on(_looks_like_visit)
def on_visit_text(ctx: HandlerContext, draft: VisitDraft, now: datetime, refs: CustomerIndex) -> None:
    text = ctx.event.text or ""
    parts = split_visits(text, now, refs)
    if parts:
        _save_several(ctx, parts, now)
        return
    state = _draft_state(text, now)
    if draft.future_visit:
        # Not stored blindly: a visit cannot have happened in the future.
        when = to_local(draft.visited_at)
        ctx.say(
            f"识别到的拜访时间是 {when.month}月{when.day}日 {when:%H:%M}，还没到。"
            "拜访后再记录，或把时间说清楚重新发送，例如：今天上午拜访华为张总…"
        )
        return
    by_id = {
        c.id: c
        for c in ctx.uow.session.scalars(
            select(Customer).where(Customer.id.in_([i for i, _ in draft.candidates]))
        )
    }
    best = [by_id[i] for i, score in draft.candidates if score >= 1.0 and i in by_id]
    if not best and draft.customer_mention:
        # The registered-name matcher knows "苏州精工机械" is 苏州精工机械有限公司 even when the
        # message parser only half trusts it.
        exact = [m.customer for m in find_customers(ctx.uow, draft.customer_mention) if m.score >= 1.0]
        if len(exact) == 1:
            _save(ctx, state, exact[0], draft.customer_mention)
            return
    clear_lead = draft.customer_id is not None and (
        len(draft.candidates) == 1 or draft.candidates[1][1] < 0.8
    )
    if len(best) == 1 or (not best and clear_lead):
        chosen = best[0] if best else by_id[draft.candidates[0][0]]
        _save(ctx, state, chosen, draft.customer_mention, parsed=draft)
        return
    candidates = best or [by_id[i] for i, _ in draft.candidates if i in by_id]
    if draft.customer_mention and draft.candidates:
        # More customers than fit on the card may share the name: let the rep's own ones in first.
        top = draft.candidates[0][1]
        more = [cid for cid, score, _ in refs.lookup(draft.customer_mention, 20) if score >= top - 0.05]
        missing = [cid for cid in more if cid not in {c.id for c in candidates}]
        if missing:
            candidates += list(ctx.uow.session.scalars(select(Customer).where(Customer.id.in_(missing))))
    _ask_customer(ctx, state, draft.customer_mention, candidates)


def _save_several(ctx: HandlerContext, parts: list[Part], now: datetime) -> None:
    """「上午去了海康，下午又跑了趟精工…」: one visit per customer, listed on one card."""
    customers = {
        c.id: c
        for c in ctx.uow.session.scalars(
            select(Customer).where(Customer.id.in_([p.draft.customer_id for p in parts if p.draft.customer_id]))
        )
    }
    if all(p.draft.future_visit for p in parts) and all(p.draft.customer_id in customers for p in parts):
        # 「周四精工 周五苏州精密」 sent on Wednesday: visits planned, not made; say which days were understood.
        planned = "、".join(
            f"{day_label(to_local(p.draft.visited_at).date())} {customers[p.draft.customer_id].name}"  # type: ignore[index]
            for p in parts
        )
        ctx.say(f"识别到的是计划中的拜访：{planned}，时间还没到。拜访后再分别记录，例如：今天上午拜访{parts[0].draft.customer_mention}…")
        return
    if any(p.draft.customer_id not in customers or p.draft.future_visit for p in parts):
        names = "、".join(p.draft.customer_mention or "?" for p in parts)
        ctx.say(f"这条消息里提到了几家客户（{names}），请每家客户分开发一条，我好分别记录。")
        return
    visits = [
        _save(ctx, _draft_state(p.text, now), customers[p.draft.customer_id], send_card=False, parsed=p.draft)  # type: ignore[index]
        for p in parts
    ]
    card = several_visits_card(card_id_for(ctx, "visits"), visits)
    ctx.replies.card(ctx.me, card, purpose="visit", entity=("visits", ",".join(str(v.id) for v in visits)))
    ctx.set_state(new_state(VisitStates.recorded, visit_id=visits[-1].id))


@router.on(VisitsUndo.filter())
def on_undo_one_of_several(ctx: HandlerContext, key: VisitsUndo) -> None:
    """撤销 one visit of a several-customer card; the card keeps the others."""
    assert ctx.event.card_action is not None
    visit = _own_visit(ctx, key.visit_id)
    record = cardstate.get_card(ctx.uow.session, ctx.event.card_action.task_id)
    if visit is None or record is None or record.entity_id is None:
        ctx.say("这条拜访已经撤销了。")
        return
    name = visit.customer.name if visit.customer else "—"
    undo_visit(ctx.uow, visit)
    if (ctx.state or {}).get("visit_id") == visit.id:
        ctx.clear_state()
    ids = [int(i) for i in record.entity_id.split(",") if i]
    left = [v for v in (get_visit(ctx.uow, i) for i in ids) if v is not None]
    before = card_from_dict(record.content).subtitle or ""
    undone = before.removeprefix("已撤销：").split("、") if before.startswith("已撤销：") else []
    ctx.replies.update_card(several_visits_card(record.card_id, left, [*undone, name]))
    ctx.say(f"已撤销{name}的拜访记录。")


@router.on(kind(EventKind.LOCATION))
def on_location(ctx: HandlerContext) -> None:
    """A check-in: attach to the visit of the last 30 minutes, or start one."""
    assert ctx.sender is not None and ctx.event.location is not None
    loc = ctx.event.location
    place = Place(loc.lat, loc.lng, loc.label)
    label = loc.label or f"{loc.lat:.5f}, {loc.lng:.5f}"
    visit = recent_visit(ctx.uow, ctx.sender, ctx.uow.clock.now() - CHECK_IN_WINDOW)
    if visit is not None:
        update_visit(ctx.uow, visit, place=place)
        _refresh_visit_card(ctx, visit, f"已在「{label}」签到")
        ctx.say(
            f"已在「{label}」签到，地点已记到刚才的拜访（{visit.customer.name if visit.customer else '未指定客户'}）。"
        )
        return
    draft = _draft_state("", message_time(ctx), place={"lat": loc.lat, "lng": loc.lng, "label": loc.label})
    ctx.set_state(new_state(VisitStates.ask_customer, draft=draft))
    ctx.say(f"已在「{label}」签到，拜访的是哪家客户？")


@router.on(VisitPick.filter())
def on_pick(ctx: HandlerContext, key: VisitPick) -> None:
    state = ctx.state or {}
    customer = ctx.uow.session.get(Customer, key.customer_id)
    if step_of(state) != VisitStates.pick_customer or customer is None:
        ctx.say("这张卡片已失效，请重新发送拜访内容。")
        return
    _close_question(ctx, f"已选择：{customer.name}")
    ctx.clear_state()
    learn_alias(ctx.uow, customer, state.get("mention"))  # the question is never asked twice
    _save(ctx, state["draft"], customer, state.get("mention"))


@router.on(VisitNewCustomer.filter())
def on_new_customer(ctx: HandlerContext) -> None:
    state = ctx.state or {}
    mention = state.get("mention")
    if step_of(state) != VisitStates.pick_customer or not mention:
        ctx.say("这张卡片已失效，请重新发送拜访内容。")
        return
    existing = ctx.uow.session.scalar(select(Customer).where(Customer.name == mention))
    customer = existing or create_customer(ctx.uow, mention, owner=ctx.sender)
    _close_question(ctx, f"已新建客户：{customer.name}")
    ctx.clear_state()
    _save(ctx, state["draft"], customer)


def _close_question(ctx: HandlerContext, status: str) -> None:
    assert ctx.event.card_action is not None
    record = cardstate.get_card(ctx.uow.session, ctx.event.card_action.task_id)
    if record is not None and record.status == "open":
        ctx.replies.update_card(replace(card_from_dict(record.content), status=status))


@router.on(VisitUndo.filter())
def on_undo(ctx: HandlerContext, key: VisitUndo) -> None:
    assert ctx.event.card_action is not None
    visit = _own_visit(ctx, key.visit_id)
    if visit is None:
        ctx.say("这条拜访已经撤销了。")
        return
    record = cardstate.get_card(ctx.uow.session, ctx.event.card_action.task_id)
    if record is not None:
        ctx.replies.update_card(replace(card_from_dict(record.content), status="已撤销"))
    undo_visit(ctx.uow, visit)
    ctx.clear_state()
    ctx.say("已撤销这条拜访记录。")


@router.on(VisitEdit.filter())
def on_edit_tap(ctx: HandlerContext, key: VisitEdit) -> None:
    if _own_visit(ctx, key.visit_id) is None:
        ctx.say("这条拜访已撤销，无法修改。")
        return
    ctx.set_state(new_state(VisitStates.recorded, visit_id=key.visit_id))
    ctx.say(EDIT_HINT)


@router.on(VisitStage.filter())
def on_stage(ctx: HandlerContext, key: VisitStage) -> None:
    """The suggested stage change, only when the rep taps it."""
    assert ctx.event.card_action is not None
    opp = get_opportunity(ctx.uow, key.opportunity_id)
    target = key.stage
    if ctx.sender is None or opp.owner_id != ctx.sender.id:
        ctx.say(f"这是 {opp.owner.name} 的商机，只有负责人可以改阶段。")
        return
    if Stage(opp.stage) == target:
        ctx.say(f"商机已经是「{STAGE_LABELS[target]}」阶段。")
        return
    change_stage(ctx.uow, opp, target)
    ctx.say(f"已将{opp.customer.name}的商机改为「{STAGE_LABELS[target]}」。")
    record = cardstate.get_card(ctx.uow.session, ctx.event.card_action.task_id)
    if record is not None and record.entity_id is not None:
        visit = get_visit(ctx.uow, int(record.entity_id))
        if visit is not None:
            note = f"商机已改为「{STAGE_LABELS[target]}」"
            card = visit_card(record.card_id, visit, note=note, amount=_said_amount(ctx, visit))
            ctx.replies.update_card(card, status="open")
