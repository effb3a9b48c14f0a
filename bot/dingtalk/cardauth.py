"""Proof that a DingTalk card tap comes from someone we sent the card to.

Why this exists: no official page, SDK or example shows DingTalk signing an HTTP card
callback (docs/platforms/dingtalk.md, "Card callbacks": UNCONFIRMED), and the body names the
tapper only by a ``userId`` that anyone can write.  So a tap is believed only for what the
platform itself carries back to us:

* **outTrackId** = ``<card id>.<tag>``, the tag an HMAC of the card id: nobody without the
  key can name a card of ours (``appr-1-1`` alone is refused), and the same card id always
  gives the same outTrackId (a re-sent card is the same instance; an update reaches it).
* **tap token**: each person's copy carries their own token in the card's *private data*
  (``privateData[userId].cardParamMap.tap_token``, seen only by that user), and the template
  binds it into every button's callback params (``bot/dingtalk/templates``).  A tap is
  accepted only when ``params.tap_token`` is the token of the ``userId`` it claims.  A card
  sent into a group carries one token in its public data (everyone in the group received
  it, and we cannot list the group's members without another API call).

The key is derived from the AppSecret, so it needs no new setting; rotating the AppSecret
makes taps on cards sent before the rotation fail (the tapper sees DingTalk's error toast).
Stdlib ``hmac`` only: there is no library for "HMAC tag in an id".
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["TAP_TOKEN_PARAM", "CardKeys"]

TAP_TOKEN_PARAM = "tap_token"  # template variable and callback param name
_TAG_CHARS = 22  # 132 bits of base64url
MAX_OUT_TRACK_ID_CHARS = 128  # cards.card_id column; DingTalk's own limit is not documented


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")[:_TAG_CHARS]


class CardKeys:
    """outTrackIds and tap tokens for one app (key derived from its AppSecret)."""

    def __init__(self, app_secret: str) -> None:
        if not app_secret:
            raise ValueError("app_secret must not be empty")
        self._key = hmac.new(app_secret.encode("utf-8"), b"salesbot dingtalk card keys v1", hashlib.sha256).digest()

    def _tag(self, *parts: str) -> str:
        message = "\x00".join(parts).encode("utf-8")
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def out_track_id(self, card_id: str) -> str:
        """The outTrackId DingTalk knows our card ``card_id`` by."""
        otid = f"{card_id}.{self._tag('otid', card_id)}"
        if not card_id or len(otid) > MAX_OUT_TRACK_ID_CHARS:
            raise ValueError(f"card id must be 1-{MAX_OUT_TRACK_ID_CHARS - _TAG_CHARS - 1} characters")
        return otid

    def card_id_of(self, out_track_id: object) -> str | None:
        """Our card id inside an outTrackId we issued; None for any other string."""
        if not isinstance(out_track_id, str) or len(out_track_id) > MAX_OUT_TRACK_ID_CHARS:
            return None
        card_id, dot, tag = out_track_id.rpartition(".")
        if not dot or not card_id:
            return None
        expected = self._tag("otid", card_id)
        return card_id if hmac.compare_digest(expected.encode(), tag.encode("utf-8", "replace")) else None

    def tap_token(self, out_track_id: str, user_id: str | None) -> str:
        """The token one person's copy carries (``user_id``), or a group card's (None)."""
        return self._tag("tap", out_track_id, user_id if user_id is not None else "\x00group")

    def token_matches(self, out_track_id: str, user_id: str | None, given: object) -> bool:
        if not isinstance(given, str) or not given:
            return False
        expected = self.tap_token(out_track_id, user_id)
        return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))
