"""DingTalk address-book events (``user_add_org`` / ``user_modify_org`` / ``user_active_org`` /
``user_leave_org``, ``org_dept_create`` / ``org_dept_modify``) → the org, applied by the inbox
worker before any handler.

Why here and not in a handler: the event carries only UserIds (no name, no department), so
an add or change needs the contacts API, and handlers never import ``bot/``.  The inbox
row keeps the ids beside the neutral event (``payload["dingtalk_event"]``, see
``bot/dingtalk/callback.py``); :class:`bot.processing.InboxProcessor` calls
:func:`apply_org_event` with it inside the row's unit of work, so the org change, its audit
entries and the inbox row's "done" commit together, and a duplicate push (same inbox key)
never gets here twice.

* leave → ``domain.services.orgsync.deactivate_platform_user`` (deactivated, never deleted;
  org-file roles untouched);
* add / modify / active → the same contacts read as ``salesbot org sync dingtalk``
  (``bot/dingtalk/contacts.fetch_org``, so managers come from the departments' 主管) and
  ``orgsync.sync_members`` for the event's people only (file roles win), with teams at
  ``SALESBOT_ORG_TEAM_LEVEL`` like the command.  If DingTalk cannot
  be asked now, the event is logged and left: the next ``salesbot org sync dingtalk`` catches up;
* department created / changed → the teams of ``orgsync.sync_teams`` (a renamed department
  renames its team, found by department id).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.dingtalk.client import DingTalkClient, DingTalkError
from bot.dingtalk.contacts import fetch_org
from bot.dingtalk.parser import ORG_EVENT_TYPES
from domain.services.orgsync import DEFAULT_TEAM_LEVEL, deactivate_platform_user, sync_members, sync_teams
from domain.uow import UnitOfWork

log = logging.getLogger(__name__)

PLATFORM = "dingtalk"
EVENT_KEY = "dingtalk_event"  # where the callback keeps the event's details in the inbox payload
LEAVE = "user_leave_org"
# A department created or changed (renamed, moved): ``{"EventType": "org_dept_modify", "DeptId": [..]}``
# (docs/platforms/dingtalk.md D1; zhaoyunxing92/dingtalk ``event/org_dept_modify.go`` @ b95c45c).
# Teams are re-read from contacts, so a renamed department renames its team at once.
DEPARTMENT_CHANGES = frozenset({"org_dept_create", "org_dept_modify"})
ACTOR_LABEL = "钉钉通讯录"


class DingTalkOrgEvents:
    """The inbox processor's hook for DingTalk address-book events (``client`` None: leave only)."""

    def __init__(self, client: DingTalkClient | None, team_level: int = DEFAULT_TEAM_LEVEL) -> None:
        self.client = client
        self.team_level = team_level  # SALESBOT_ORG_TEAM_LEVEL, as for `salesbot org sync`

    def __call__(self, uow: UnitOfWork, payload: dict[str, Any]) -> bool:
        """True when ``payload`` was an address-book event (applied now); False: not ours."""
        details = payload.get(EVENT_KEY)
        if payload.get("platform") != PLATFORM or not isinstance(details, dict):
            return False
        event_type = details.get("event_type")
        if event_type in DEPARTMENT_CHANGES:
            uow.act_as(None, ACTOR_LABEL)
            self._sync_teams(uow)
            return True
        if event_type not in ORG_EVENT_TYPES:
            return False
        user_ids = [str(u) for u in details.get("user_ids") or []]
        uow.act_as(None, ACTOR_LABEL)
        if event_type == LEAVE:
            for userid in user_ids:
                if deactivate_platform_user(uow, PLATFORM, userid) is None:
                    log.info("dingtalk leave for an unknown or inactive user", extra={"userid": userid})
            return True
        self._sync(uow, user_ids)
        return True

    def _sync_teams(self, uow: UnitOfWork) -> None:
        if self.client is None:
            return
        try:
            departments, _members = fetch_org(self.client)
        except DingTalkError:
            log.warning("dingtalk contacts unavailable; run `salesbot org sync dingtalk`", exc_info=True)
            return
        sync_teams(uow, departments, self.team_level, PLATFORM)

    def _sync(self, uow: UnitOfWork, user_ids: list[str]) -> None:
        if self.client is None or not user_ids:
            return
        try:
            departments, members = fetch_org(self.client)
        except DingTalkError:
            log.warning("dingtalk contacts unavailable; run `salesbot org sync dingtalk`", exc_info=True)
            return
        wanted = set(user_ids)
        people = [m for m in members if m.userid in wanted]
        sync_members(uow, PLATFORM, departments, people, team_level=self.team_level)
