"""teams.wecom_department_id / dingtalk_department_id: a synced team follows its department by id

Revision ID: 0013
Revises: 0012
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Teams synced before this migration have no department yet: the next `salesbot org sync`
    # binds each to the department of the same name (domain/services/orgsync.sync_teams).
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wecom_department_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("dingtalk_department_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_teams_wecom_department_id", ["wecom_department_id"])
        batch_op.create_unique_constraint("uq_teams_dingtalk_department_id", ["dingtalk_department_id"])


def downgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_constraint("uq_teams_dingtalk_department_id", type_="unique")
        batch_op.drop_constraint("uq_teams_wecom_department_id", type_="unique")
        batch_op.drop_column("dingtalk_department_id")
        batch_op.drop_column("wecom_department_id")
