"""DingTalk behind the channel interface: outbox rows → DingTalk API calls.

=================  ==========================================================================
target_kind        what is sent
=================  ==========================================================================
``user``           the app robot's 1:1 chat (``oToMessages/batchSend``): text → sampleText,
                   markdown → sampleMarkdown, image → oapi media upload + sampleImageMsg;
                   card → ``card/instances/createAndDeliver`` into ``IM_ROBOT.<userId>``;
                   ``target`` "a|b" (Replies.card_many) is several people, one card instance
``chat``           a group the robot is in (``groupMessages/send``; cards into ``IM_GROUP``);
                   ``target`` is the openConversationId (teams.dingtalk_conversation_id)
``webhook``        a custom group robot (``teams.dingtalk_webhook_url``, signed with
                   ``teams.dingtalk_webhook_secret``): text, markdown, cards as markdown
``card``           ``card_update``: ``PUT /v1.0/card/instances`` with the whole public data,
                   so everyone sees the decision; if DingTalk refuses, the recipients get the
                   card as text instead (never a card stuck in its old state)
=================  ==========================================================================

Without ``SALESBOT_DINGTALK_CARD_TEMPLATE_ID`` cards go out as markdown messages (readable,
not tappable), and a warning is logged once per process.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.channels import TryLater, Undeliverable
from bot.dingtalk.cardauth import TAP_TOKEN_PARAM
from bot.dingtalk.client import (
    DingTalkAPIError,
    DingTalkClient,
    DingTalkError,
    RetryLater,
    image_param,
    markdown_param,
    text_param,
)
from bot.tokens import MemoryTokenStore, RedisTokenStore, TokenStore
from cards.dingtalk import TEXT_MAX_CHARS, render_card_data, render_markdown, render_text
from cards.model import Card
from cards.serialize import card_from_dict
from domain.clock import Clock
from domain.models import OutboxMessage, Team
from domain.services import outbox

log = logging.getLogger(__name__)

MARKDOWN_TITLE_CHARS = 20
_MD_MARKS = re.compile(r"^[#>*\-\s`]+|[*`_]+")


def fit_text(content: str, limit: int = TEXT_MAX_CHARS) -> str:
    """Cut overlong text with an ellipsis rather than let DingTalk refuse or truncate it."""
    return content if len(content) <= limit else content[: limit - 1] + "…"


def markdown_title(content: str, default: str = "销售助手") -> str:
    """sampleMarkdown needs a title (shown in the chat list): the first line without markup."""
    for line in content.splitlines():
        plain = _MD_MARKS.sub("", line).strip()
        if plain:
            return plain[:MARKDOWN_TITLE_CHARS]
    return default


def is_conversation_id(address: str) -> bool:
    """Open conversation ids start with ``cid``; staff ids do not (used for card recipients)."""
    return address.startswith("cid")


class DingTalkChannel:
    platform = "dingtalk"

    def __init__(
        self, client: DingTalkClient, *, template_id: str | None = None, callback_route_key: str | None = None
    ) -> None:
        self.client = client
        self.template_id = template_id or None
        self.callback_route_key = callback_route_key or None
        self._warned_no_template = False

    def download(self, media_id: str) -> bytes:
        """A picture the user sent: ``media_id`` is its downloadCode (messageFiles/download)."""
        data, _content_type = self.client.download_file(media_id)
        return data

    def deliver(self, session: Session, row: OutboxMessage, now: datetime) -> str | None:
        try:
            return self._deliver(session, row, now)
        except RetryLater as exc:
            raise TryLater(exc.errcode, str(exc)) from exc
        except DingTalkAPIError as exc:
            raise Undeliverable(exc.errcode, str(exc)) from exc
        except DingTalkError as exc:
            raise Undeliverable(None, str(exc)) from exc

    # ----------------------------------------------------------------- dispatch
    def _deliver(self, session: Session, row: OutboxMessage, now: datetime) -> str | None:
        p = row.payload
        kind, target = row.target_kind, row.target
        if kind in ("user", "chat"):
            # Replies.card_many addresses everyone on one platform in one row ("a|b", WeCom's
            # touser form) so that one card id reaches them all; here that is a list of people.
            people = [a for a in target.split("|") if a] if kind == "user" else []

            def send(msg_key: str, param: dict[str, str]) -> str:
                if kind == "user":
                    result = self.client.send_robot_to_users(people, msg_key, param)
                    if result.flow_controlled_user_ids:  # some were throttled: theirs is sent again later
                        outbox.retry_for(session, row, result.flow_controlled_user_ids, now)
                    return result.process_query_key
                return self.client.send_robot_to_group(target, msg_key, param).process_query_key

            if row.msg_type == "text":
                return send("sampleText", text_param(fit_text(p["content"])))
            if row.msg_type == "markdown":
                content = fit_text(p["content"])
                return send("sampleMarkdown", markdown_param(markdown_title(content), content))
            if row.msg_type == "image":
                return send("sampleImageMsg", image_param(self._photo(p)))
            if row.msg_type == "card":
                card = card_from_dict(p["card"])
                if self.template_id is None:
                    self._warn_no_template()
                    return send("sampleMarkdown", markdown_param(card.title[:MARKDOWN_TITLE_CHARS], self._card_markdown(card)))
                keys = self.client.card_keys
                out_track_id = keys.out_track_id(card.card_id)
                data = render_card_data(card)
                # The tap token (cardauth.py): each person's own in private data; a group card's in public data.
                data[TAP_TOKEN_PARAM] = keys.tap_token(out_track_id, None) if kind == "chat" else ""
                private = {u: {TAP_TOKEN_PARAM: keys.tap_token(out_track_id, u)} for u in people}
                try:
                    delivery = self.client.create_and_deliver_card(
                        self.template_id,
                        out_track_id,
                        data,
                        user_id=people if kind == "user" else None,
                        open_conversation_id=target if kind == "chat" else None,
                        private_data=private or None,
                        callback_route_key=self.callback_route_key,
                        last_message=card.title,
                    )
                except DingTalkAPIError as exc:
                    if not self._already_delivered(out_track_id, data):
                        raise
                    log.warning("dingtalk: card %s was already delivered", card.card_id, extra={"error": str(exc)})
                    return out_track_id
                if delivery.failures:  # some of several people could not get it (left, no access)
                    log.warning("dingtalk: card %s not delivered to some recipients", card.card_id,
                                extra={"failures": delivery.failures})
                return delivery.out_track_id
        if kind == "card" and row.msg_type == "card_update":
            return self._update_card(row)
        if kind == "webhook":
            return self._webhook(session, row)
        raise Undeliverable(None, f"dingtalk cannot deliver {row.msg_type} to {kind}")

    def _already_delivered(self, out_track_id: str, data: dict[str, str]) -> bool:
        """After a refused createAndDeliver: does the instance exist (a resend whose first try got through)?

        DingTalk documents no error code for "outTrackId already used" (docs/platforms/dingtalk.md),
        so we ask the way it does document: an update of that outTrackId succeeds only if the
        card exists.  The update writes the same data, so nothing visible changes.
        """
        try:
            self.client.update_card(out_track_id, data, by_key=True)
        except DingTalkError:
            return False
        return True

    @staticmethod
    def _card_markdown(card: Card) -> str:
        return fit_text(render_markdown(card, with_title=True))

    def _warn_no_template(self) -> None:
        if not self._warned_no_template:
            self._warned_no_template = True
            log.warning("dingtalk: SALESBOT_DINGTALK_CARD_TEMPLATE_ID is not set; cards go out as markdown")

    def _photo(self, payload: dict[str, str]) -> str:
        """sampleImageMsg wants a URL or media_id; outbox images are bytes, so upload them first."""
        if payload.get("media_id"):
            return payload["media_id"]
        raw = base64.b64decode(payload["data_b64"])
        filename = payload.get("filename", "image.png")
        content_type = mimetypes.guess_type(filename)[0] or "image/png"
        return self.client.upload_media("image", filename, raw, content_type)

    def _update_card(self, row: OutboxMessage) -> str | None:
        """Public data for everyone; on a refusal the recipients get the card as text."""
        card = card_from_dict(row.payload["card"])
        if self.template_id is not None:
            try:
                out_track_id = self.client.card_keys.out_track_id(card.card_id)
                self.client.update_card(out_track_id, render_card_data(card), by_key=True)
                return None
            except RetryLater:
                raise
            except DingTalkAPIError as exc:
                log.warning("dingtalk: card update refused, sending text instead", extra={"error": str(exc)})
        text = fit_text(render_text(card))
        msgid: str | None = None
        for address in (a for part in row.target.split(",") for a in part.split("|") if a):
            if is_conversation_id(address):
                msgid = self.client.send_robot_to_group(address, "sampleText", text_param(text)).process_query_key
            else:
                msgid = self.client.send_robot_to_users([address], "sampleText", text_param(text)).process_query_key
        return msgid

    def _webhook(self, session: Session, row: OutboxMessage) -> str | None:
        p = row.payload
        secret = session.scalar(
            select(Team.dingtalk_webhook_secret).where(Team.dingtalk_webhook_url == row.target).limit(1)
        )
        if row.msg_type == "text":
            msg: dict[str, object] = {"msgtype": "text", "text": {"content": fit_text(p["content"])}}
        elif row.msg_type == "markdown":
            content = fit_text(p["content"])
            msg = {"msgtype": "markdown", "markdown": {"title": markdown_title(content), "text": content}}
        elif row.msg_type == "card":
            card = card_from_dict(p["card"])
            msg = {"msgtype": "markdown", "markdown": {"title": card.title[:MARKDOWN_TITLE_CHARS], "text": self._card_markdown(card)}}
        else:
            # Custom robots take text/markdown/link/actionCard/feedCard only: no uploaded picture (D8).
            raise Undeliverable(None, f"DingTalk custom robots cannot send {row.msg_type}; use the app robot (chat)")
        self.client.webhook_send(row.target, secret, msg)
        return None


def build_dingtalk_client(
    *,
    api_base: str,
    oapi_base: str,
    app_key: str,
    app_secret: str,
    robot_code: str | None,
    agent_id: int | None,
    clock: Clock,
    redis_url: str | None,
) -> DingTalkClient:
    """Token cache in Redis when configured (shared by every worker), else in memory."""

    def now() -> float:
        return clock.now().timestamp()

    store: TokenStore = RedisTokenStore(redis_url, clock=now) if redis_url else MemoryTokenStore()
    return DingTalkClient(
        api_base, oapi_base, app_key, app_secret, robot_code or app_key, store, clock=now, agent_id=agent_id
    )
