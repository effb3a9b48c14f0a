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
  team, found by department id; a retired team whose department id is back is revived);
* a department deleted (``delete_party``) → ``orgsync.retire_department_team`` for the event's
  ``Id`` (no contacts read: the department is gone): the team stops getting the leaderboard and
  is no longer listed as a team; people and records stay.  Admins are told either way
  (``bot/orgnotices.py``).

The callback keeps the change beside the stored event (``payload["wecom_event"]``); a duplicate
push is one inbox row, so this runs once.  If WeCom cannot be asked now, the event is logged and
left: the next ``salesbot org sync wecom`` catches up.
"""

from __future__ import annotations

import logging
from typing import Any

from bot import orgnotices
from bot.wecom.client import WeComClient, WeComError
from bot.wecom.contacts import fetch_org
from domain.services.orgsync import (
    DEFAULT_TEAM_LEVEL,
    deactivate_platform_user,
    retire_department_team,
    sync_members,
    sync_teams,
)
from domain.uow import UnitOfWork

log = logging.getLogger(__name__)

PLATFORM = "wecom"
EVENT_KEY = "wecom_event"
ACTOR_LABEL = "企业微信通讯录"
USER_CHANGES = frozenset({"create_user", "update_user"})
DEPARTMENT_CHANGES = frozenset({"create_party", "update_party"})
DELETE_DEPARTMENT = "delete_party"
HANDLED = USER_CHANGES | DEPARTMENT_CHANGES | {"delete_user", DELETE_DEPARTMENT}


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
        if change == DELETE_DEPARTMENT:
            self._retire(uow, str(details.get("dept_id") or ""))
            return True
        if self.client is None:
            return True
        try:
            departments, members = fetch_org(self.client)
        except WeComError:
            log.warning("wecom contacts unavailable; run `salesbot org sync wecom`", exc_info=True)
            return True
        revived: list[str] = []
        if change in DEPARTMENT_CHANGES:
            sync_teams(uow, departments, self.team_level, PLATFORM, revived=revived)
        else:
            people = [m for m in members if m.userid == userid]
            revived = sync_members(uow, PLATFORM, departments, people, team_level=self.team_level).teams_revived
        orgnotices.teams_revived(uow, PLATFORM, revived)
        return True

    def _retire(self, uow: UnitOfWork, dept_id: str) -> None:
        if not (dept_id.isascii() and dept_id.isdigit()):
            log.warning("wecom delete_party without a department id", extra={"dept_id": dept_id})
            return
        team = retire_department_team(uow, PLATFORM, int(dept_id))
        if team is None:
            log.info("wecom delete_party for a department no live team follows", extra={"dept_id": dept_id})
            return
        orgnotices.team_retired(uow, PLATFORM, int(dept_id), team.name)
