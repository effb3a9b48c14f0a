"""``salesbot photos prune``: delete stored quote photos older than the retention period.

Registered in ``bot.cli``. Run it daily from cron; the period is
``SALESBOT_PHOTO_RETENTION_DAYS`` (default 1095 days, three years) unless
``--days`` says otherwise.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer

photos_app = typer.Typer(help="报价单照片（本地保存）/ stored quote photos.", no_args_is_help=True, add_completion=False)


@photos_app.command("prune")
def prune(days: int | None = typer.Option(None, "--days", min=1, help="保留天数（默认取设置）。")) -> None:
    """删除超过保留期的照片 / delete photos older than the retention period."""
    from bot.photos import store_from_settings
    from bot.settings import load_settings

    settings = load_settings()
    keep = days or settings.photo_retention_days
    removed = store_from_settings(settings.photo_dir).prune(datetime.now(UTC), timedelta(days=keep))
    typer.echo(f"已删除 {removed} 张超过 {keep} 天的照片 / removed {removed} photos older than {keep} days")
