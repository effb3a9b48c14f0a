import subprocess
import sys

import pytest
from pydantic import ValidationError

from bot.settings import Settings, describe


def test_embedded_defaults_need_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    for key in ("SALESBOT_DATABASE_URL", "SALESBOT_REDIS_URL", "SALESBOT_TIMEZONE"):
        monkeypatch.delenv(key, raising=False)
    s = Settings()
    assert s.database_url == "sqlite:///./salesbot.db"
    assert s.redis_url is None
    assert s.timezone == "Asia/Shanghai"


def test_dotenv_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SALESBOT_REDIS_URL", raising=False)
    (tmp_path / ".env").write_text("SALESBOT_REDIS_URL=redis://127.0.0.1:6379/3\n")
    assert Settings().redis_url == "redis://127.0.0.1:6379/3"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("SALESBOT_DATABASE_URL", "mysql://x"),
        ("SALESBOT_REDIS_URL", "http://nope"),
        ("SALESBOT_TIMEZONE", "Mars/Olympus"),
        ("SALESBOT_PUBLIC_BASE_URL", "example.com"),
        ("SALESBOT_WECOM_AES_KEY", "short"),
    ],
)
def test_malformed_setting_is_named(monkeypatch: pytest.MonkeyPatch, key: str, value: str) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError) as err:
        Settings()
    assert key in describe(err.value)


def test_startup_stops_with_one_clear_line(tmp_path) -> None:
    env = {"SALESBOT_TIMEZONE": "Mars/Olympus", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "upgrade"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "SALESBOT_TIMEZONE" in lines[0]
