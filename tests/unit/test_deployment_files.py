"""docker-compose.yml stays in step with the CLI: every salesbot command and option it uses exists."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from bot.cli import app
from bot.queues import parse_queues

ROOT = Path(__file__).resolve().parents[2]


def _services() -> dict[str, dict]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return compose["services"]


def test_compose_runs_the_three_process_types_on_postgres_and_redis() -> None:
    services = _services()
    commands = {name: s.get("command") for name, s in services.items()}
    assert commands["web"][:2] == ["salesbot", "serve"] and "--no-worker" in commands["web"]
    assert commands["scheduler"] == ["salesbot", "scheduler"]
    workers = [c for c in commands.values() if c and c[:2] == ["salesbot", "worker"]]
    queues = {q for c in workers for q in parse_queues(c[c.index("--queues") + 1])}
    assert queues == {"chat", "ocr", "delivery"}  # every queue has a worker
    for name in ("web", "worker", "ocr-worker", "scheduler"):
        env = services[name]["environment"]
        assert env["SALESBOT_DATABASE_URL"].startswith("postgresql://")
        assert env["SALESBOT_REDIS_URL"].startswith("redis://")


def test_every_command_and_option_in_compose_exists() -> None:
    runner = CliRunner()
    for name, service in _services().items():
        command = service.get("command")
        if not command:
            continue
        assert command[0] == "salesbot", name
        words = [w for w in command[1:] if not w.startswith("-")]
        subcommand = [w for w in words if w in ("serve", "worker", "scheduler", "db", "upgrade")]
        result = runner.invoke(app, [*subcommand, "--help"], terminal_width=200)
        assert result.exit_code == 0, (name, result.output)
        for option in (w for w in command if w.startswith("--")):
            assert option.split("=")[0] in result.output, (name, option)
