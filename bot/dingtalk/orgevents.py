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
  renames its team, found by department id; a retired team whose department id is back is
  revived);
* department removed (``org_dept_remove``, ``DeptId`` list) → ``orgsync.retire_department_team``
  for each id (no contacts read: the department is gone): the team gets no leaderboard and is
  no longer listed as a team; people and records stay.  Admins are told either way
  (``bot/orgnotices.py``).
"""

from __future__ import annotations

import logging
from typing import Any

from bot import orgnotices
from bot.dingtalk.client import DingTalkClient, DingTalkError
from bot.dingtalk.contacts import fetch_org
from bot.dingtalk.parser import ORG_EVENT_TYPES
from domain.services.orgsync import (
    DEFAULT_TEAM_LEVEL,
    deactivate_platform_user,
    retire_department_team,
    sync_members,
    sync_teams,
)
from domain.uow import UnitOfWork

log = logging.getLogger(__name__)

PLATFORM = "dingtalk"
EVENT_KEY = "dingtalk_event"  # where the callback keeps the event's details in the inbox payload
LEAVE = "user_leave_org"
# A department created or changed (renamed, moved): ``{"EventType": "org_dept_modify", "DeptId": [..]}``
# (docs/platforms/dingtalk.md D1; zhaoyunxing92/dingtalk ``event/org_dept_modify.go`` @ b95c45c).
# Teams are re-read from contacts, so a renamed department renames its team at once.
DEPARTMENT_CHANGES = frozenset({"org_dept_create", "org_dept_modify"})
# A department deleted: ``{"EventType": "org_dept_remove", "DeptId": [581208264], ...}``
# (zhaoyunxing92/dingtalk ``event/org_dept_remove.go`` @ b95c45c, the shape of org_dept_create).
DEPARTMENT_REMOVED = "org_dept_remove"
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
        if event_type == DEPARTMENT_REMOVED:
            uow.act_as(None, ACTOR_LABEL)
            self._retire(uow, details.get("dept_ids") or [])
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
        revived: list[str] = []
        sync_teams(uow, departments, self.team_level, PLATFORM, revived=revived)
        orgnotices.teams_revived(uow, PLATFORM, revived)

    def _retire(self, uow: UnitOfWork, dept_ids: list[Any]) -> None:
        if not dept_ids:
            log.warning("dingtalk org_dept_remove without DeptId")
        for dept_id in dept_ids:
            team = retire_department_team(uow, PLATFORM, int(dept_id))
            if team is None:
                log.info("dingtalk org_dept_remove for a department no live team follows", extra={"dept_id": dept_id})
            else:
                orgnotices.team_retired(uow, PLATFORM, int(dept_id), team.name)

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
        result = sync_members(uow, PLATFORM, departments, people, team_level=self.team_level)
        orgnotices.teams_revived(uow, PLATFORM, result.teams_revived)
