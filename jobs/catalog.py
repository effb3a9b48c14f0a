"""Every scheduled job, by name. Importing a job module registers it (see ``jobs.base.register``)."""

from __future__ import annotations

from jobs.base import REGISTRY, JobSpec


def all_jobs() -> dict[str, JobSpec]:
    # One import line per job module; the import registers the module's JobSpecs.
    return REGISTRY
