"""DingTalk settings: what turns the channel on, and bad values stop start-up with the key's name."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import Settings, describe


def test_nothing_set_means_no_dingtalk() -> None:
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert not s.dingtalk_enabled and not s.dingtalk_events_enabled
    assert (s.dingtalk_mode, s.dingtalk_api_base, s.dingtalk_oapi_base) == (
        "http",
        "https://api.dingtalk.com",
        "https://oapi.dingtalk.com",
    )
    assert s.dingtalk_card_auth == "card" and s.dingtalk_card_route_key == "salesbot"  # headers optional (#18 pt 1)


def test_app_key_and_secret_enable_robot_and_cards_token_and_aes_key_enable_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SALESBOT_DINGTALK_APP_KEY", "dingabc")
    monkeypatch.setenv("SALESBOT_DINGTALK_APP_SECRET", "secret")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.dingtalk_enabled and not s.dingtalk_events_enabled
    monkeypatch.setenv("SALESBOT_DINGTALK_TOKEN", "tok")
    monkeypatch.setenv("SALESBOT_DINGTALK_AES_KEY", "Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7")
    monkeypatch.setenv("SALESBOT_DINGTALK_API_BASE", "http://127.0.0.1:9000/")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.dingtalk_events_enabled and s.dingtalk_api_base == "http://127.0.0.1:9000"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("SALESBOT_DINGTALK_AES_KEY", "too-short"),
        ("SALESBOT_DINGTALK_MODE", "websocket"),
        ("SALESBOT_DINGTALK_OAPI_BASE", "oapi.dingtalk.com"),
        ("SALESBOT_DINGTALK_CARD_AUTH", "none"),
    ],
)
def test_bad_values_name_their_key(monkeypatch: pytest.MonkeyPatch, key: str, value: str) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError) as exc:
        Settings(_env_file=None)  # type: ignore[call-arg]
    assert key in describe(exc.value)
