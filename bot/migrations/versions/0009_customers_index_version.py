"""customer_index_version + customer_changes: keep every process's customer index current

Revision ID: 0009
Revises: 0008
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    version = op.create_table(
        "customer_index_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_index_version")),
    )
    op.bulk_insert(version, [{"id": 1, "version": 0}])
    op.create_table(
        "customer_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_changes")),
    )
    with op.batch_alter_table("customer_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_changes_version"), ["version"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_changes_version"))
    op.drop_table("customer_changes")
    op.drop_table("customer_index_version")
