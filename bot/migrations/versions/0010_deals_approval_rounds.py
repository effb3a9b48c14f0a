"""approval_flows.round and .note (a rejected contract resubmitted as a new round); contract indexes for 成交金额

Revision ID: 0010
Revises: 0009
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("approval_flows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("round", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
    op.create_index("ix_contracts_status_decided", "contracts", ["status", "decided_at"])
    op.create_index("ix_contracts_opportunity", "contracts", ["opportunity_id"])


def downgrade() -> None:
    op.drop_index("ix_contracts_opportunity", table_name="contracts")
    op.drop_index("ix_contracts_status_decided", table_name="contracts")
    with op.batch_alter_table("approval_flows", schema=None) as batch_op:
        batch_op.drop_column("note")
        batch_op.drop_column("round")
