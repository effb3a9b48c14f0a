"""WeCom address-book events (``change_contact``) → the org, applied by the inbox worker.

WeCom pushes ``<Event>change_contact</Event>`` with a ``ChangeType`` to the app's callback URL
when the app may read contacts (docs/platforms/wecom.md W10): ``create_user`` / ``update_user`` /
``delete_user`` carry ``UserID``; ``create_party`` / ``update_party`` / ``delete_party`` carry the
department ``Id``.  Since 2022-08 new callbacks carry only ids, so, like the DingTalk hook
(``bot/dingtalk/orgevents.py``), the details are read back from the contacts API:

* a person created or changed → ``orgsync.sync_members`` for that person (file roles win),
  teams at ``SALESBOT_ORG_TEAM_LEVEL``;
* a person deleted → deactivated, never deleted;
* a department created or changed → ``orgsync.sync_teams`` (a renamed department renames its
  team, found by department id); a deleted one is left alone (the team and its history stay).

The callback keeps the change beside the stored event (``payload["wecom_event"]``); a duplicate
push is one inbox row, so this runs once.  If WeCom cannot be asked now, the event is logged and
left: the next ``salesbot org sync wecom`` catches up.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.wecom.client import WeComClient, WeComError
from bot.wecom.contacts import fetch_org
from domain.services.orgsync import DEFAULT_TEAM_LEVEL, deactivate_platform_user, sync_members, sync_teams
from domain.uow import UnitOfWork

log = logging.getLogger(__name__)

PLATFORM = "wecom"
EVENT_KEY = "wecom_event"
ACTOR_LABEL = "企业微信通讯录"
USER_CHANGES = frozenset({"create_user", "update_user"})
DEPARTMENT_CHANGES = frozenset({"create_party", "update_party"})
HANDLED = USER_CHANGES | DEPARTMENT_CHANGES | {"delete_user"}


class WeComOrgEvents:
    """The inbox processor's hook for WeCom ``change_contact`` events (``client`` None: deletes only)."""

    def __init__(self, client: WeComClient | None, team_level: int = DEFAULT_TEAM_LEVEL) -> None:
        self.client = client
        self.team_level = team_level

    def __call__(self, uow: UnitOfWork, payload: dict[str, Any]) -> bool:
        details = payload.get(EVENT_KEY)
        if payload.get("platform") != PLATFORM or not isinstance(details, dict):
            return False
        change = details.get("change_type")
        if change not in HANDLED:
            return False
        uow.act_as(None, ACTOR_LABEL)
        userid = str(details.get("user_id") or "")
        if change == "delete_user":
            if userid and deactivate_platform_user(uow, PLATFORM, userid) is None:
                log.info("wecom delete_user for an unknown or inactive user", extra={"userid": userid})
            return True
        if self.client is None:
            return True
        try:
            departments, members = fetch_org(self.client)
        except WeComError:
            log.warning("wecom contacts unavailable; run `salesbot org sync wecom`", exc_info=True)
            return True
        if change in DEPARTMENT_CHANGES:
            sync_teams(uow, departments, self.team_level, PLATFORM)
        else:
            sync_members(uow, PLATFORM, departments, [m for m in members if m.userid == userid], team_level=self.team_level)
        return True
