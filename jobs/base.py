"""What a scheduled job gets, and the registry of jobs by name.

A job is a plain function ``run(ctx) -> dict``: it reads the domain as of
``ctx.occurrence`` (the scheduled moment, not "now"), writes what it wants
said through ``ctx.replies`` and returns a small summary for the run log.

Idempotency: ``ctx.replies`` is built with the cause
``job:<name>:<occurrence ISO>``; jobs pass an explicit per-recipient key
(``ctx.key("user", user.id)``), so running the same occurrence twice writes
no new outbox rows even if the data changed in between.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.links import PageLinks
from domain.uow import UnitOfWork
from handlers.replies import Replies
from jobs.options import JobOptions


@dataclass
class JobContext:
    uow: UnitOfWork
    replies: Replies
    occurrence: datetime  # aware, UTC: the moment this run stands for
    options: JobOptions = field(default_factory=JobOptions)  # thresholds from settings, no secrets
    prepared: Any = None  # what the spec's ``prepare`` made before the transaction (e.g. rendered charts)
    links: PageLinks | None = None  # signed H5 links for cards (打开商机); None when pages are off

    @property
    def cause(self) -> str:
        return self.replies.cause

    def key(self, *parts: object) -> str:
        """A dedupe key for one message of this occurrence, e.g. ``ctx.key("rep", 7)``."""
        return self.cause + "#" + ":".join(str(p) for p in parts)


JobFn = Callable[[JobContext], dict[str, Any]]
# Slow work that must not hold the run's transaction open (drawing charts): it reads what it
# needs through its own short sessions and returns what ``run`` then finds in ``ctx.prepared``.
PrepareFn = Callable[[Any, datetime, JobOptions], Any]  # (Database, occurrence, options) → prepared


@dataclass(frozen=True)
class JobSpec:
    name: str  # e.g. "leaderboard"
    run: JobFn
    # APScheduler cron fields in business time (Asia/Shanghai), e.g. {"day_of_week": "mon", "hour": 9}
    cron: dict[str, Any]
    workdays_only: bool = False  # skip China's statutory holidays, honour make-up workdays
    description: str = ""
    prepare: PrepareFn | None = None  # runs after the occurrence is claimed, outside its transaction


REGISTRY: dict[str, JobSpec] = {}


def register(spec: JobSpec) -> JobSpec:
    REGISTRY[spec.name] = spec
    return spec


def cause_for(name: str, occurrence: datetime) -> str:
    return f"job:{name}:{occurrence.isoformat()}"
