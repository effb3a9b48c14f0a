"""Every scheduled job, by name. Importing a job module registers it (see ``jobs.base.register``)."""

from __future__ import annotations

from jobs.base import REGISTRY, JobSpec


def all_jobs() -> dict[str, JobSpec]:
    # One import line per job module; the import registers the module's JobSpecs.
    import jobs.approval_deadlines  # noqa: F401
    import jobs.digest  # noqa: F401
    import jobs.dormant_customers  # noqa: F401
    import jobs.followups  # noqa: F401
    import jobs.leaderboard  # noqa: F401
    import jobs.stale_opportunities  # noqa: F401
    return REGISTRY
