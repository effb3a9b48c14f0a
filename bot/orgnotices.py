"""Admin notices for org changes applied from platform address-book events.

The hooks (``bot/wecom/orgevents.py``, ``bot/dingtalk/orgevents.py``) run in the inbox row's
unit of work, so the notice's outbox rows commit with the change and the row's "done": a
repeated push is one inbox row and tells nobody twice.
"""

from __future__ import annotations

from sqlalchemy import select

from domain.models import Role, User
from domain.services.orgsync import retired_team_notice, revived_team_notice
from domain.uow import UnitOfWork
from handlers.replies import Replies, user_target


def tell_admins(uow: UnitOfWork, text: str, topic: str) -> int:
    """One text to every active admin with a chat; ``topic`` makes each row's key unique in the event."""
    cause = uow.cause or "org-event"
    replies = Replies(uow.session, uow.clock, cause)
    sent = 0
    for admin in uow.session.scalars(select(User).where(User.role == Role.ADMIN, User.active.is_(True))):
        target = user_target(admin)
        if target is not None:
            sent += replies.text(target, text, key=f"{cause}:admin:{admin.id}:{topic}")
    return sent


def team_retired(uow: UnitOfWork, platform: str, department_id: int, team_name: str) -> int:
    return tell_admins(uow, retired_team_notice(platform, department_id, team_name), f"team-retired:{department_id}")


def teams_revived(uow: UnitOfWork, platform: str, names: list[str]) -> int:
    return sum(tell_admins(uow, revived_team_notice(platform, name), f"team-revived:{name}") for name in names)
