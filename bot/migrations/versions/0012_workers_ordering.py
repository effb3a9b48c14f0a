"""inbox.order_key: one sender's events in arrival order; index for per-recipient outbox order

Revision ID: 0012
Revises: 0011
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_key", sa.String(length=300), nullable=True))
    # Rows stored before this migration: one line per platform identity (group chats were not
    # told apart before; their pending rows, if any, simply queue behind the sender's).
    op.execute("UPDATE inbox SET order_key = platform || ':user:' || sender_id")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.alter_column("order_key", existing_type=sa.String(length=300), nullable=False)
        batch_op.create_index("ix_inbox_order", ["order_key", "status", "id"], unique=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_recipient_order", ["platform", "target", "status", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_recipient_order")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_order")
        batch_op.drop_column("order_key")
