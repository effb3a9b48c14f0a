"""WeCom behind the channel interface: outbox rows → WeCom API calls."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime

from sqlalchemy.orm import Session

from bot.channels import TryLater, Undeliverable
from bot.tokens import MemoryTokenStore, RedisTokenStore, TokenStore
from bot.wecom.client import RetryLater, WeComAPIError, WeComClient, WeComError
from cards.serialize import card_from_dict
from cards.wecom import render_template_card, render_text
from domain import safe_text
from domain.clock import Clock
from domain.models import OutboxMessage
from domain.services import cardstate

TEXT_LIMIT = 2048
# Markdown: 2,048 bytes to an app group chat (appchat/send), 4,096 bytes to a group robot webhook
# (docs/platforms/wecom.md, "Group chats" and "Group robot"); longer content is cut, not refused.
APPCHAT_MARKDOWN_LIMIT = 2048
WEBHOOK_MARKDOWN_LIMIT = 4096


def fit_text(content: str, limit: int = TEXT_LIMIT) -> str:
    """WeCom truncates silently past 2048 bytes; we cut at a character boundary with an ellipsis."""
    data = content.encode("utf-8")
    if len(data) <= limit:
        return content
    return data[: limit - 3].decode("utf-8", errors="ignore") + "…"


def resend_check(row: OutboxMessage, now: datetime) -> dict[str, int]:
    """WeCom's duplicate check for a *resend* (issue #19, point 9), never for a first attempt.

    A send whose answer was lost (timeout, crash before ``mark_sent``) may have
    been delivered; with ``enable_duplicate_check`` WeCom does not show the same
    request again within the interval. The check is by content, so it is kept
    off for first attempts (two identical texts on purpose both arrive) and its
    interval covers only the time since this row was first written.
    """
    if row.attempts <= 1:
        return {}
    since_first = int((now - row.created_at).total_seconds()) + 60
    return {"enable_duplicate_check": 1, "duplicate_check_interval": max(60, min(since_first, 4 * 3600))}


class WeComChannel:
    platform = "wecom"

    def __init__(self, client: WeComClient, default_url: str) -> None:
        self.client = client
        self.default_url = default_url

    def download(self, media_id: str) -> bytes:
        """A photo the user sent (media/get; a JSON answer means expired or invalid)."""
        data, _content_type = self.client.download_media(media_id)
        return data

    def deliver(self, session: Session, row: OutboxMessage, now: datetime) -> str | None:
        try:
            return self._deliver(session, row, now)
        except RetryLater as exc:
            raise TryLater(exc.errcode, str(exc)) from exc
        except WeComAPIError as exc:
            raise Undeliverable(exc.errcode, str(exc)) from exc
        except WeComError as exc:
            raise Undeliverable(None, str(exc)) from exc

    def _deliver(self, session: Session, row: OutboxMessage, now: datetime) -> str | None:
        p = row.payload
        if row.target_kind == "user":
            if row.msg_type == "text":
                # Texts render <a href> (issue #19): whatever a handler wrote, no tag reaches the reader.
                content = fit_text(safe_text.wecom_text(p["content"]))
                return self.client.send_text(row.target, content, **resend_check(row, now)).msgid
            if row.msg_type == "markdown":
                return self.client.send_markdown(row.target, fit_text(p["content"]), **resend_check(row, now)).msgid
            if row.msg_type == "image":
                media_id = self._media_id(p)
                if not p.get("media_id"):
                    # Kept before sending, so a resend (answer lost, sender killed) is the same request
                    # and WeCom's duplicate check can hide it (a fresh upload would be a new media_id).
                    row.payload = {**p, "media_id": media_id}
                    session.commit()
                return self.client.send_image(row.target, media_id, **resend_check(row, now)).msgid
            if row.msg_type == "card":
                card = card_from_dict(p["card"])
                result = self.client.send_template_card(
                    row.target, render_template_card(card, default_url=self.default_url)
                )
                if result.response_code and row.card_id:
                    # Kept apart from the recipients' tap codes (same user id otherwise): each code
                    # is one more update of the card, and a living card needs every one of them.
                    cardstate.remember_code(session, row.card_id, f"send:{row.target}", result.response_code, now)
                return result.msgid
        if row.target_kind == "card" and row.msg_type == "card_update":
            return self._update_card(session, row, now)
        if row.target_kind == "chat":
            if row.msg_type == "image":
                msg = {"msgtype": "image", "image": {"media_id": self._media_id(p)}}
                self.client.appchat_send(row.target, msg)
                return None
            return self._group(row, lambda msg: self.client.appchat_send(row.target, msg), APPCHAT_MARKDOWN_LIMIT)
        if row.target_kind == "webhook":
            if row.msg_type == "image":
                # Group robots take the picture inline (base64 + md5 of the raw bytes), not a media_id.
                raw = base64.b64decode(p["data_b64"])
                image = {"base64": p["data_b64"], "md5": hashlib.md5(raw).hexdigest()}
                self.client.webhook_send(row.target, {"msgtype": "image", "image": image})
                return None
            return self._group(row, lambda msg: self.client.webhook_send(row.target, msg), WEBHOOK_MARKDOWN_LIMIT)
        raise Undeliverable(None, f"wecom cannot deliver {row.msg_type} to {row.target_kind}")

    def _media_id(self, payload: dict[str, str]) -> str:
        """Images travel in the outbox as bytes (base64); WeCom wants them uploaded first (3-day media)."""
        if payload.get("media_id"):
            return payload["media_id"]
        raw = base64.b64decode(payload["data_b64"])
        return self.client.upload_media("image", payload.get("filename", "image.png"), raw, "image/png")

    def _update_card(self, session: Session, row: OutboxMessage, now: datetime) -> str | None:
        """Update everyone's copy (atall=1); with no usable code, say it in a plain message instead.

        Each update spends one single-use response_code (one per send and per tap).
        ``best_effort`` updates (a living card's intermediate state) only run while the
        card has a code to spare, so the last one is kept for the final state; with
        ``no_fallback`` the recipients are told by another message, so no text copy.
        """
        card = card_from_dict(row.payload["card"])
        best_effort = bool(row.payload.get("best_effort"))
        quiet = best_effort or bool(row.payload.get("no_fallback"))
        if best_effort and cardstate.spare_codes(session, row.card_id or "", now) < 2:
            return None
        code = cardstate.take_code(session, row.card_id or "", now)
        if code is not None:
            try:
                self.client.update_template_card(
                    code, render_template_card(card, default_url=self.default_url), atall=True
                )
                return None
            except RetryLater:
                raise
            except WeComAPIError:
                pass  # code spent or card too old: fall back below (PITFALLS: never leave a spinner)
        if quiet:
            return None
        recipients = [r for r in row.target.split(",") if r]
        if recipients:
            return self.client.send_text(recipients, fit_text(render_text(card))).msgid
        return None

    @staticmethod
    def _group(row: OutboxMessage, send: object, markdown_limit: int) -> str | None:
        p = row.payload
        if row.msg_type == "text":
            msg = {"msgtype": "text", "text": {"content": fit_text(p["content"])}}
        elif row.msg_type == "markdown":
            msg = {"msgtype": "markdown", "markdown": {"content": fit_text(p["content"], markdown_limit)}}
        else:
            raise Undeliverable(None, f"group chats take text, markdown or image, not {row.msg_type}")
        assert callable(send)
        send(msg)
        return None


def build_wecom_client(
    *,
    api_base: str,
    corp_id: str,
    secret: str,
    agent_id: int,
    clock: Clock,
    redis_url: str | None,
) -> WeComClient:
    """Token cache in Redis when configured (shared by every worker), else in memory."""

    def now() -> float:
        return clock.now().timestamp()

    store: TokenStore = RedisTokenStore(redis_url, clock=now) if redis_url else MemoryTokenStore()
    return WeComClient(api_base, corp_id, secret, agent_id, store, clock=now)
