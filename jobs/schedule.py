"""When a job's occurrences fall, and which of them to run after a gap.

Pure functions of the cron, the last recorded occurrence and "now", so the
catch-up rules are tested with an injected clock rather than by waiting for
APScheduler. APScheduler (``bot/scheduler.py``) only says *when to look*;
what to run is decided here.

Rules:
- an occurrence is the cron's fire time in business time (Asia/Shanghai),
  stored in UTC; the ``scheduled_runs`` row for (job, occurrence) is its lock;
- after a gap (everything was down), occurrences older than the grace window
  are recorded as skipped with a reason; of those inside it only the latest
  runs (the others are recorded as superseded) — a reminder sent once late is
  useful, the same reminder three times is not;
- a job with no recorded occurrence looks back no further than the grace
  window and runs only the latest occurrence in it, so installing the
  scheduler at 11:00 still sends that morning's reminders but never replays
  history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from domain.clock import BUSINESS_TZ
from jobs.base import JobSpec

# Occurrences beyond the grace window are each recorded as skipped; after a very long outage only
# the newest few are, plus a count, so an hourly job down for a month does not write 720 rows.
MAX_SKIPS_RECORDED = 50
MAX_LOOKBACK = timedelta(days=400)


def parse_hhmm(value: str) -> tuple[int, int]:
    """"08:45" → (8, 45); raises ValueError with the offending text."""
    try:
        hour_s, minute_s = value.strip().split(":")
        hour, minute = int(hour_s), int(minute_s)
    except ValueError:
        raise ValueError(f"time must be HH:MM, got {value!r}") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"time must be HH:MM, got {value!r}")
    return hour, minute


def effective_cron(spec: JobSpec, times: dict[str, str] | None = None) -> dict[str, Any]:
    """The spec's cron, with the time of day replaced by ``times[spec.name]`` ("HH:MM") if set."""
    cron = dict(spec.cron)
    if times and spec.name in times:
        hour, minute = parse_hhmm(times[spec.name])
        cron.update(hour=hour, minute=minute, second=0)
    return cron


def trigger(cron: dict[str, Any], tz: ZoneInfo = BUSINESS_TZ) -> CronTrigger:
    return CronTrigger(timezone=tz, **cron)


def occurrences(
    cron: dict[str, Any],
    after: datetime,
    until: datetime,
    tz: ZoneInfo = BUSINESS_TZ,
    limit: int = 20_000,
) -> list[datetime]:
    """Fire times in (after, until], as UTC instants, oldest first (at most ``limit``)."""
    trig = trigger(cron, tz)
    out: list[datetime] = []
    probe = after.astimezone(tz) + timedelta(microseconds=1)
    while len(out) < limit:
        nxt = trig.get_next_fire_time(None, probe)
        if nxt is None or nxt > until:
            break
        out.append(nxt.astimezone(UTC))
        probe = nxt + timedelta(microseconds=1)
    return out


def latest_occurrence(cron: dict[str, Any], at: datetime, tz: ZoneInfo = BUSINESS_TZ) -> datetime | None:
    """The newest fire time at or before ``at`` (within a year), e.g. for ``jobs run`` without --at."""
    found = occurrences(cron, at - MAX_LOOKBACK, at, tz)
    return found[-1] if found else None


def next_occurrence(cron: dict[str, Any], after: datetime, tz: ZoneInfo = BUSINESS_TZ) -> datetime | None:
    nxt = trigger(cron, tz).get_next_fire_time(None, after.astimezone(tz) + timedelta(microseconds=1))
    return None if nxt is None else nxt.astimezone(UTC)


@dataclass
class Plan:
    """What one look at a job decides: at most one occurrence to run, and what to record as skipped."""

    run: datetime | None = None
    skip: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)


def plan(
    cron: dict[str, Any],
    last_recorded: datetime | None,
    now: datetime,
    grace: timedelta,
    tz: ZoneInfo = BUSINESS_TZ,
) -> Plan:
    """Decide what is due for one job (see the module docstring for the rules)."""
    window_start = now - grace
    lower = last_recorded if last_recorded is not None else window_start
    lower = max(lower, now - MAX_LOOKBACK)
    due = occurrences(cron, lower, now, tz)
    result = Plan()
    late = [o for o in due if o < window_start]
    fresh = [o for o in due if o >= window_start]
    grace_h = round(grace.total_seconds() / 3600, 1)
    if late:
        reason = {
            "reason": f"错过了计划时间且已超过补跑时限 {grace_h:g} 小时（期间调度器未运行）",
            "code": "missed",
        }
        if len(late) > MAX_SKIPS_RECORDED:
            kept = late[-MAX_SKIPS_RECORDED:]
            first = {**reason, "also_missed": len(late) - len(kept), "first_missed": late[0].isoformat()}
            result.skip.append((kept[0], first))
            result.skip.extend((o, reason) for o in kept[1:])
        else:
            result.skip.extend((o, reason) for o in late)
    if fresh:
        result.run = fresh[-1]
        if last_recorded is not None:  # on a first start the older ones were never missed, just not due yet
            superseded = {"reason": "补跑时合并：只运行最近一次计划时间", "code": "superseded"}
            result.skip.extend((o, superseded) for o in fresh[:-1])
    result.skip.sort(key=lambda item: item[0])
    return result
