"""reminder_marks: 已跟进 / 明天再提醒 on reminder cards (issue #16)

Revision ID: 0014
Revises: 0013
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminder_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("snoozed_until", domain.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_at", domain.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", domain.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_reminder_marks_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_marks")),
        sa.UniqueConstraint("kind", "entity_id", "user_id", name="uq_reminder_marks_item"),
    )
    with op.batch_alter_table("reminder_marks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_marks_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reminder_marks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_marks_user_id"))
    op.drop_table("reminder_marks")
