"""the attention inbox's snoozes (``inbox_snoozes``), and the facts the REP rules read on the
search index: a payment's collection date and automation, the payment a complement is for,
an invoice's complement count, what a team lacks to invoice

The snoozes are the back office's own state (not derived: a rebuild of the index keeps
them). The new index columns fill on the next sync of each team (the nightly full pass).

Revision ID: c3f9a7e21b54
Revises: a7d3e9c41b26
Create Date: 2026-12-07 16:45:00
"""

from alembic import op
import sqlalchemy as sa
import webapp.dbtypes  # noqa: F401  (custom column types)

revision = "c3f9a7e21b54"
down_revision = "a7d3e9c41b26"  # after the audit details
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("search_entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("paid_at", webapp.dbtypes.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("automation_type", sa.String(length=48), nullable=True))
        batch_op.add_column(sa.Column("complement_of", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("complement_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("not_ready", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_search_entries_kind_valid_until", ["kind", "valid_until"], unique=False
        )
        batch_op.create_index("ix_search_entries_team_client", ["team", "client_id"], unique=False)
        batch_op.create_index(
            "ix_search_entries_team_complement_of", ["team", "complement_of"], unique=False
        )

    op.create_table(
        "inbox_snoozes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.String(length=128), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("created_at", webapp.dbtypes.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team", "kind", "object_id", name="uq_inbox_snoozes_item"),
    )
    with op.batch_alter_table("inbox_snoozes", schema=None) as batch_op:
        batch_op.create_index("ix_inbox_snoozes_until", ["until"], unique=False)


def downgrade():
    with op.batch_alter_table("inbox_snoozes", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_snoozes_until")
    op.drop_table("inbox_snoozes")
    with op.batch_alter_table("search_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_search_entries_team_complement_of")
        batch_op.drop_index("ix_search_entries_team_client")
        batch_op.drop_index("ix_search_entries_kind_valid_until")
        batch_op.drop_column("not_ready")
        batch_op.drop_column("complement_count")
        batch_op.drop_column("complement_of")
        batch_op.drop_column("automation_type")
        batch_op.drop_column("paid_at")
