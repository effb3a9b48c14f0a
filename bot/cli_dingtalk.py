"""``salesbot dingtalk …``: one-time DingTalk set-up steps that need the app's token.

Registered in ``bot.cli`` as ``app.add_typer(dingtalk_app, name="dingtalk")``.
"""

from __future__ import annotations

import typer

dingtalk_app = typer.Typer(
    help="DingTalk (钉钉) set-up: register the card callback URL.", no_args_is_help=True, add_completion=False
)


@dingtalk_app.command("register-card-callback")
def register_card_callback(
    url: str = typer.Option("", help="callback URL; default PUBLIC_BASE_URL/callbacks/dingtalk/card"),
) -> None:
    """Tell DingTalk where taps on our cards go (POST /v1.0/card/callbacks/register).

    Cards are created with ``callbackType=HTTP`` and ``SALESBOT_DINGTALK_CARD_ROUTE_KEY``;
    the route is registered with ``apiSecret`` = the AppSecret, which is what
    ``/callbacks/dingtalk/card`` checks the ``sign`` header with (UNCONFIRMED scheme).
    Safe to repeat (forceUpdate).
    """
    from bot.dingtalk.client import DingTalkError
    from bot.runtime import Runtime
    from bot.settings import load_settings

    settings = load_settings()
    if not settings.dingtalk_enabled:
        typer.echo("未配置钉钉 / DingTalk is not configured: set SALESBOT_DINGTALK_APP_KEY and _APP_SECRET", err=True)
        raise typer.Exit(2)
    callback_url = url or f"{settings.public_base_url}/callbacks/dingtalk/card"
    rt = Runtime.build(settings)
    try:
        assert rt.dingtalk_client is not None and settings.dingtalk_app_secret
        rt.dingtalk_client.register_card_callback(
            callback_url, settings.dingtalk_app_secret, settings.dingtalk_card_route_key
        )
    except DingTalkError as exc:
        typer.echo(f"注册失败 / registration failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        rt.close()
    typer.echo(f"已注册 / registered: route key {settings.dingtalk_card_route_key!r} → {callback_url}")
