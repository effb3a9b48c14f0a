"""SALESBOT_TIMEZONE reaches every rule; jobs get the settings they need and no secret."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.runtime import Runtime
from bot.scheduler import JobScheduler, job_options
from bot.settings import Settings
from domain.clock import DEFAULT_BUSINESS_TZ, FixedClock, local_today, set_business_timezone, to_local
from handlers.understand.timeexpr import resolve
from jobs.options import JobOptions

SECRETS = {
    "wecom_secret": "wecom-secret-value-0001",
    "wecom_token": "wecomtokenvalue",
    "wecom_aes_key": "a" * 43,
    "dingtalk_app_secret": "dingtalk-secret-value-0001",
    "dingtalk_token": "dingtalktokenvalue",
    "dingtalk_aes_key": "b" * 43,
    "h5_secret": "h5-secret-value-at-least-16",
}


@pytest.fixture
def restore_zone() -> Iterator[None]:
    yield
    set_business_timezone(DEFAULT_BUSINESS_TZ)


def test_the_configured_time_zone_decides_today_and_relative_dates(
    tmp_path: Path, restore_zone: None
) -> None:
    # Wednesday 2026-11-25 02:00 UTC: already Wednesday 10:00 in Shanghai, still Tuesday evening in New York.
    clock = FixedClock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))
    rt = Runtime.build(
        Settings(database_url=f"sqlite:///{tmp_path}/a.db", timezone="America/New_York"), clock
    )
    try:
        assert local_today(clock) == date(2026, 11, 24)
        assert to_local(clock.now()).hour == 21
        assert resolve("明天", clock.now()) == date(2026, 11, 25)  # a rep in New York means Wednesday
    finally:
        rt.close()
    rt = Runtime.build(Settings(database_url=f"sqlite:///{tmp_path}/b.db"), clock)  # the default again
    try:
        assert local_today(clock) == date(2026, 11, 25)
        assert resolve("明天", clock.now()) == date(2026, 11, 26)
    finally:
        rt.close()


def test_the_scheduler_and_its_jobs_follow_the_same_zone(tmp_path: Path, restore_zone: None) -> None:
    from domain.db import Database

    settings = Settings(database_url=f"sqlite:///{tmp_path}/c.db", timezone="Europe/Berlin")
    db = Database(settings.database_url)
    try:
        sched = JobScheduler.from_settings(db, settings)
        assert sched.options.timezone == "Europe/Berlin"
        assert to_local(datetime(2026, 11, 25, 23, 30, tzinfo=UTC)).date() == date(2026, 11, 26)
    finally:
        db.dispose()


def test_job_options_are_typed_and_carry_no_secret() -> None:
    settings = Settings(
        database_url="postgresql://u:dbpassword@db/x",
        redis_url="redis://:redispw@r:6379/0",
        dormant_days=21,
        **SECRETS,
    )  # type: ignore[arg-type]
    options = job_options(settings)
    assert isinstance(options, JobOptions)
    assert options.dormant_days == 21 and options.get("dormant_days") == 21  # typed, and read like before
    everything = repr(options) + repr(dict(options))
    for secret in [*SECRETS.values(), "dbpassword", "redispw"]:
        assert secret not in everything
    assert set(options) == set(JobOptions.names())
    assert not set(options) & {*SECRETS, "database_url", "redis_url", "public_base_url"}
