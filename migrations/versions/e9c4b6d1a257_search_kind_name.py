"""the attention inbox's teams not ready to invoice, in name order across every team: an index
on ``search_entries (kind, name)`` serves the order, so the first rows are read, not every
team's row sorted (2.7 ms → 0.03 ms on SQLite at 5,000 teams)

Revision ID: e9c4b6d1a257
Revises: b7e4c2d9a318
Create Date: 2026-12-07 20:45:00
"""

from alembic import op

revision = "e9c4b6d1a257"
down_revision = "b7e4c2d9a318"  # after SQLite's trigram table
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_search_entries_kind_name", "search_entries", ["kind", "name"])


def downgrade():
    op.drop_index("ix_search_entries_kind_name", table_name="search_entries")
