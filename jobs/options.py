"""What a scheduled job may read from the settings: a typed object built for jobs.

An allow-list, not "all settings minus a hand-kept list of secrets": a setting
added tomorrow (a token, a key) cannot reach a job's context unless someone adds
a field here. It is also a read-only ``Mapping``, so jobs keep reading
``ctx.options.get("dormant_days", ...)`` as before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from domain.clock import DEFAULT_BUSINESS_TZ

log = logging.getLogger("salesbot.jobs")


@dataclass(frozen=True)
class JobOptions(Mapping[str, Any]):
    timezone: str = DEFAULT_BUSINESS_TZ  # business time zone (SALESBOT_TIMEZONE)
    job_times: Mapping[str, str] = field(default_factory=dict)  # {"followups": "08:45"}
    followup_overdue_days: int = 30
    stale_remind_days: int = 7
    stale_escalate_days: int = 14
    dormant_days: int = 14
    digest_stalled_days: int = 3
    chart_workers: int | None = None  # caps the Monday job's chart processes (None: by the machine's cores)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_settings(cls, settings: Any) -> JobOptions:
        """Pick the allowed settings by name (anything else on ``settings`` is left behind)."""
        return cls(**{name: getattr(settings, name) for name in cls.names() if hasattr(settings, name)})

    @classmethod
    def coerce(cls, options: Mapping[str, Any] | None) -> JobOptions:
        """Options as given to ``jobs.runs.execute`` (tests pass plain dicts)."""
        if isinstance(options, JobOptions):
            return options
        given = dict(options or {})
        unknown = sorted(set(given) - set(cls.names()))
        if unknown:
            log.warning("job options ignored (not job settings): %s", ", ".join(unknown))
        return cls(**{k: v for k, v in given.items() if k in cls.names()})

    def __getitem__(self, key: str) -> Any:
        if key not in self.names():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())
