"""The scheduler: APScheduler says when to look, the database says who runs.

APScheduler 3 (``BackgroundScheduler``, business time zone) keeps one cron
job per ``JobSpec`` in a persistent ``SQLAlchemyJobStore`` on our database
(table ``apscheduler_jobs``, created by migration 0006). When a cron fires,
``tick(job)`` asks ``jobs.schedule.plan`` what is due from the cron, the last
recorded occurrence and the injected clock, records what is skipped, and runs
the due occurrence through ``jobs.runs.execute`` — whose INSERT of the
``scheduled_runs`` row is the lock: with several schedulers (several serve
processes, a `salesbot scheduler` on each machine) every occurrence runs
exactly once, on SQLite and PostgreSQL, with or without Redis. On start every
job is looked at once (``catch_up``), which runs what was missed while
everything was down, if it is still within the grace window.

APScheduler's own misfire handling is not relied on: its jobs are replaced
on every start (so their stored next run time is always fresh) and a late
fire just triggers the same ``tick``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.clock import Clock, SystemClock, local_today
from domain.db import Database, make_engine
from domain.links import PageLinks
from domain.workcalendar import missing_year_warning
from jobs import schedule
from jobs.base import JobSpec
from jobs.options import JobOptions
from jobs.runs import RunOutcome, abandoned_runs, execute, last_occurrence, record_skip, runner_id
from jobs.workdays import is_workday, year_source

log = logging.getLogger("salesbot.scheduler")

# The schedulers running in this process; APScheduler's stored job refers to ``fire`` by name,
# so the stored job stays valid across restarts and processes.
_ACTIVE: list[JobScheduler] = []
_ACTIVE_LOCK = threading.Lock()


def job_options(settings: Any) -> JobOptions:
    """What ``ctx.options`` holds: the settings jobs need (thresholds, times, time zone), no secret."""
    return JobOptions.from_settings(settings)


def page_links(settings: Any) -> PageLinks | None:
    """Signed H5 links for the jobs' cards (打开商机), as ``Runtime.page_links`` builds them; None without a secret."""
    if not getattr(settings, "h5_secret", None):
        return None
    return PageLinks(settings.public_base_url, settings.h5_secret.encode(), timedelta(hours=settings.h5_link_ttl_hours))


def scheduler_wanted(settings: Any) -> bool:
    """``SALESBOT_SCHEDULER``: on / off, or auto = on in the embedded default (SQLite).

    With PostgreSQL the usual set-up is several serve processes and one
    ``salesbot scheduler``; ``on`` there is safe too (the run lock), only busier.
    """
    mode = getattr(settings, "scheduler", "auto")
    if mode == "auto":
        return str(settings.database_url).startswith("sqlite")
    return bool(mode == "on")


def fire(job_name: str) -> None:
    """APScheduler's entry point (stored as a reference): look at one job now."""
    with _ACTIVE_LOCK:
        active = list(_ACTIVE)
    if not active:
        log.warning("cron fired for %s but no scheduler is active in this process", job_name)
        return
    active[0].tick(job_name)


class JobScheduler:
    """One process's scheduler. ``start``/``stop`` for serve and ``salesbot scheduler``;
    ``tick`` and ``catch_up`` are what tests call with a moved clock."""

    def __init__(
        self,
        db: Database,
        specs: dict[str, JobSpec],
        *,
        clock: Clock | None = None,
        options: Mapping[str, Any] | None = None,
        grace: timedelta = timedelta(hours=6),
        times: dict[str, str] | None = None,
        tz: ZoneInfo | None = None,
        runner: str | None = None,
        links: PageLinks | None = None,
    ) -> None:
        from domain.clock import BUSINESS_TZ

        self.db = db
        self.specs = dict(specs)
        self.clock: Clock = clock or SystemClock()
        self.options = JobOptions.coerce(options)
        self.grace = grace
        self.times = dict(times or {})
        self.tz = tz or BUSINESS_TZ
        self.runner = runner or runner_id()
        self.links = links
        self._aps: Any = None
        self._catch_up_thread: threading.Thread | None = None
        self._locks = {name: threading.Lock() for name in self.specs}

    @classmethod
    def from_settings(cls, db: Database, settings: Any, clock: Clock | None = None) -> JobScheduler:
        from domain.clock import set_business_timezone
        from jobs.catalog import all_jobs

        set_business_timezone(settings.timezone)
        return cls(
            db,
            all_jobs(),
            clock=clock,
            options=job_options(settings),
            grace=timedelta(seconds=settings.scheduler_grace_s),
            times=settings.job_times,
            tz=settings.tz,
            links=page_links(settings),
        )

    def cron(self, name: str) -> dict[str, Any]:
        return schedule.effective_cron(self.specs[name], self.times)

    # ------------------------------------------------------------ decisions
    def tick(self, name: str) -> list[RunOutcome]:
        """Look at one job now: record what is skipped, run what is due (at most one occurrence)."""
        spec = self.specs.get(name)
        if spec is None:
            log.warning("no job named %s is registered; removing it from the schedule", name)
            if self._aps is not None:
                with contextlib.suppress(Exception):  # already removed by another process
                    self._aps.remove_job(name)
            return []
        with self._locks[name]:  # two fires of one job in this process take turns
            now = self.clock.now()
            decided = schedule.plan(self.cron(name), last_occurrence(self.db, name), now, self.grace, self.tz)
            outcomes: list[RunOutcome] = []
            for occurrence, detail in decided.skip:
                if record_skip(self.db, self.clock, name, occurrence, detail, runner=self.runner):
                    log.warning("scheduled job %s @ %s skipped: %s", name, occurrence.isoformat(), detail["reason"])
                    outcomes.append(RunOutcome(name, occurrence, "skipped", detail))
            due = [decided.run] if decided.run is not None else []
            # a run left "running" by a process that died mid-run is taken over while still in grace
            due += [o for o in abandoned_runs(self.db, name, now, now - self.grace) if o not in due]
            for occurrence in due:
                outcomes.append(
                    execute(self.db, self.clock, spec, occurrence, self.options, runner=self.runner, links=self.links)
                )
            return outcomes

    def catch_up(self) -> list[RunOutcome]:
        """Look at every job once (on start): missed occurrences run or are recorded as skipped."""
        outcomes: list[RunOutcome] = []
        for name in sorted(self.specs):
            try:
                outcomes.extend(self.tick(name))
            except Exception:  # noqa: BLE001 - one broken job must not stop the others
                log.exception("catch-up of %s failed", name)
        return outcomes

    def check_calendar(self) -> str | None:
        """A warning while this year (or, in November and December, next year) has no official
        holiday schedule loaded: workday jobs and deadlines then use the Monday–Friday fallback."""
        from domain.services.workcalendar_data import refresh

        with self.db.sessions() as session:
            refresh(session)
        today = local_today(self.clock, self.tz)
        years = [today.year] + ([today.year + 1] if today.month >= 11 else [])
        for year in years:
            if year_source(year) == "assumed":
                return missing_year_warning(year)
        return None

    # ------------------------------------------------------------ running
    def start(self, catch_up: bool = True) -> None:
        """Start APScheduler with the persistent job store, then catch up in the background."""
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        warning = self.check_calendar()
        if warning:
            log.error(warning)
        # Its own engine: APScheduler disposes the job store's engine on shutdown.
        store = SQLAlchemyJobStore(engine=make_engine(self.db.url))
        aps = BackgroundScheduler(
            jobstores={"default": store},
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=self.tz,
        )
        aps.start(paused=True)
        self._aps = aps
        for name in sorted(self.specs):
            aps.add_job(
                "bot.scheduler:fire",
                trigger=schedule.trigger(self.cron(name), self.tz),
                args=[name],
                id=name,
                name=f"salesbot:{name}",
                replace_existing=True,
            )
        for job in aps.get_jobs():
            if job.id not in self.specs:
                log.info("removing %s from the schedule: no such job any more", job.id)
                aps.remove_job(job.id)
        with _ACTIVE_LOCK:
            _ACTIVE.append(self)
        aps.resume()
        log.info("scheduler started (%s): %s", self.runner, ", ".join(sorted(self.specs)))
        if catch_up:
            self._catch_up_thread = threading.Thread(target=self.catch_up, name="salesbot-catch-up", daemon=True)
            self._catch_up_thread.start()

    def stop(self) -> None:
        with _ACTIVE_LOCK:
            if self in _ACTIVE:
                _ACTIVE.remove(self)
        if self._aps is not None:
            self._aps.shutdown(wait=True)
            self._aps = None
        if self._catch_up_thread is not None:
            self._catch_up_thread.join(timeout=30)
            self._catch_up_thread = None

    def next_runs(self) -> dict[str, Any]:
        """When each job next runs: the next fire time, on a workday for workday-only jobs."""
        out: dict[str, Any] = {}
        for name in sorted(self.specs):
            nxt = schedule.next_occurrence(self.cron(name), self.clock.now(), self.tz)
            for _ in range(60):
                if nxt is None or not self.specs[name].workdays_only:
                    break
                if is_workday(nxt.astimezone(self.tz).date()):
                    break
                nxt = schedule.next_occurrence(self.cron(name), nxt, self.tz)
            out[name] = nxt
        return out
