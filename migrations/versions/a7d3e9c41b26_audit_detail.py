"""audit rows' ``detail``: what the back office says of an action, as a message and its values

Shown in the reader's language when the row is read (:mod:`webapp.audit.details`); the
``reason`` column keeps what a person typed, and every row recorded before this revision keeps
its English reason as it was (shown as stored).

Revision ID: a7d3e9c41b26
Revises: e5a1c93f7d20
Create Date: 2026-12-07 17:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = "a7d3e9c41b26"
down_revision = "e5a1c93f7d20"  # after the search index
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_entries") as batch:
        batch.add_column(sa.Column("detail", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("audit_entries") as batch:
        batch.drop_column("detail")
