"""indexes for the scheduled jobs' scans; APScheduler's job store table

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 02:00:00

One file, one section per feature: each section creates its own indexes in
upgrade() and drops them in downgrade(). The indexes are declared in
domain/models.py too (tests/integration/test_schema.py checks both agree).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ------------------------------------------------ scheduler (bot/scheduler.py, jobs/*)
    # APScheduler's persistent job store (SQLAlchemyJobStore, its own table layout). Created
    # here so several processes starting at once never race on CREATE TABLE; it is not a
    # model, so bot/migrate.py leaves it out of the schema diff.
    op.create_table(
        'apscheduler_jobs',
        sa.Column('id', sa.Unicode(191), primary_key=True),
        sa.Column('next_run_time', sa.Float(25), index=True),
        sa.Column('job_state', sa.LargeBinary(), nullable=False),
    )
    # latest visit per customer (stale opportunities, dormant customers, follow-ups superseded)
    op.create_index('ix_visits_customer_visited', 'visits', ['customer_id', 'visited_at'])
    # visits of one day (manager digest)
    op.create_index('ix_visits_visited_at', 'visits', ['visited_at'])
    # follow-ups due (09:00 reminder)
    op.create_index('ix_visits_next_follow_up', 'visits', ['next_follow_up'])
    # open opportunities untouched for N days
    op.create_index('ix_opportunities_stage_touched', 'opportunities', ['stage', 'last_touched_at'])
    # active customers without interaction for N days
    op.create_index('ix_customers_status_interaction', 'customers', ['status', 'last_interaction_at'])
    # when an opportunity entered its current stage; stage changes of one day
    op.create_index('ix_stage_changes_opp_changed', 'stage_changes', ['opportunity_id', 'changed_at'])
    op.create_index('ix_stage_changes_changed_at', 'stage_changes', ['changed_at'])
    # latest quote per customer; quotes confirmed on one day
    op.create_index('ix_quotes_customer_created', 'quotes', ['customer_id', 'created_at'])
    op.create_index('ix_quotes_confirmed_at', 'quotes', ['confirmed_at'])
    # ------------------------------------------------ end scheduler
    # ------------------------------------------------ leaderboard (domain/services/leaderboard.py)
    # visits per rep and week; new opportunities per owner and week
    op.create_index('ix_visits_rep_visited', 'visits', ['rep_id', 'visited_at'])
    op.create_index('ix_opportunities_owner_created', 'opportunities', ['owner_id', 'created_at'])
    # ------------------------------------------------ end leaderboard


def downgrade() -> None:
    # ------------------------------------------------ leaderboard
    op.drop_index('ix_opportunities_owner_created', 'opportunities')
    op.drop_index('ix_visits_rep_visited', 'visits')
    # ------------------------------------------------ end leaderboard
    # ------------------------------------------------ scheduler
    op.drop_index('ix_quotes_confirmed_at', 'quotes')
    op.drop_index('ix_quotes_customer_created', 'quotes')
    op.drop_index('ix_stage_changes_changed_at', 'stage_changes')
    op.drop_index('ix_stage_changes_opp_changed', 'stage_changes')
    op.drop_index('ix_customers_status_interaction', 'customers')
    op.drop_index('ix_opportunities_stage_touched', 'opportunities')
    op.drop_index('ix_visits_next_follow_up', 'visits')
    op.drop_index('ix_visits_visited_at', 'visits')
    op.drop_index('ix_visits_customer_visited', 'visits')
    op.drop_table('apscheduler_jobs')
    # ------------------------------------------------ end scheduler
