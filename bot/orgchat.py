"""``salesbot org team-chat 华东销售部 CHAT_ID``: where a team's Monday leaderboard is posted.

The org file can set the same (``teams: - name: … wecom_chat_id: …``); this is for
teams that came from a platform sync (``salesbot org sync``), whose chats no file names.
A team retired with its deleted department is refused (exit 1): it gets no leaderboard.
"""

from __future__ import annotations

from typing import Any

import typer


def bind_chat(settings: Any, team: str, chat_id: str, platform: str | None) -> None:
    from domain.db import Database
    from domain.errors import DomainError
    from domain.services.orgsync import TeamRetired, bind_team_chat
    from domain.uow import UnitOfWork

    chosen = platform or ("dingtalk" if chat_id.startswith("cid") else "wecom")
    db = Database(settings.database_url)
    try:
        with UnitOfWork(db, actor_label="admin", cause="cli:org-team-chat") as uow:
            try:
                bound = bind_team_chat(uow, team, chosen, chat_id)
            except TeamRetired as exc:
                typer.echo(f"{exc.message} / team {exc.team_name} is retired (its department was deleted)", err=True)
                raise typer.Exit(1) from exc
            except DomainError as exc:
                typer.echo(exc.message, err=True)
                raise typer.Exit(1) from exc
            uow.commit()
            typer.echo(f"团队「{bound.name}」的{'企业微信' if chosen == 'wecom' else '钉钉'}群聊已设为 {chat_id}")
    finally:
        db.dispose()
