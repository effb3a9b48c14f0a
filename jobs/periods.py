"""Dedupe keys for report-type jobs: one per reported period and audience, whatever the run time.

A reminder job's keys come from its occurrence (``ctx.key``): the same moment
run twice sends nothing new. A *report* covers a period (the digest a day, the
leaderboard an ISO week), and a person must get it once per period however it
was started: the scheduler at 09:00, a catch-up at 11:00, ``salesbot jobs run``
at 10:00 or with ``--at 09:05``. So its outbox keys name the job, the period
and the audience (a manager, a team chat), never the run's moment.
"""

from __future__ import annotations


def report_key(job: str, period: str, *audience: object) -> str:
    """E.g. ``report:leaderboard:2026-W50:team:3:wecom:chat:wrOg…:md``."""
    return f"report:{job}:{period}:" + ":".join(str(p) for p in audience)
