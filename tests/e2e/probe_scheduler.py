"""`salesbot scheduler` with one extra job that fires every 2 seconds (the two-process test).

Run as ``python -m tests.e2e.probe_scheduler``; the probe records each execution
in the audit log, so a double execution would show as two rows.
"""

from __future__ import annotations

from bot.cli import app
from jobs.base import register
from tests.scheduling import probe_spec

if __name__ == "__main__":
    register(probe_spec({"second": "*/2"}, pause_s=0.3))
    app(["scheduler"])
