"""Manual job runs get rows of their own; the work calendar as data

scheduled_runs.run_no: 0 is the scheduler's occurrence (the lock), 1, 2, … are
manual runs of that moment, so a manual run never hides or overwrites the
scheduled one. work_calendar_days: official holidays / make-up workdays
loaded with ``salesbot calendar load``.

Revision ID: 0011
Revises: 0010
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scheduled_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_no", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_constraint("uq_scheduled_runs_job", type_="unique")
        batch_op.create_unique_constraint("uq_scheduled_runs_run", ["job", "occurrence", "run_no"])
    op.create_table(
        "work_calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("workday", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("loaded_at", domain.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_work_calendar_days")),
    )


def downgrade() -> None:
    op.drop_table("work_calendar_days")
    op.execute("DELETE FROM scheduled_runs WHERE run_no > 0")
    with op.batch_alter_table("scheduled_runs", schema=None) as batch_op:
        batch_op.drop_constraint("uq_scheduled_runs_run", type_="unique")
        batch_op.create_unique_constraint("uq_scheduled_runs_job", ["job", "occurrence"])
        batch_op.drop_column("run_no")
