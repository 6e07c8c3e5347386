"""staff pin teams in the switcher (``staff.pinned_team_ids``)

The switcher no longer lists every team the key reaches (thousands, on every page): it offers
the teams used last, those pinned, and a search. Pins are kept with the staff member, so they
survive signing out and in.

Revision ID: b3d8f2a61c07
Revises: 7c1e5a9d2b40
Create Date: 2026-12-07 05:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b3d8f2a61c07"
down_revision = "7c1e5a9d2b40"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pinned_team_ids", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("pinned_team_ids")
