"""the inbox's indexes on ``search_entries``: open PPD balances by age (a stored
``ppd_open`` fact, filled here for the rows already indexed), payments by collection
date, cancellations awaiting the receiver — each read across every team as the first rows of
one index range, so the inbox's cost does not grow with the number of teams; and the two
per-payment lookups (the client's open PPD invoices, the payment's complement) widened to every
column they test, so SQLite's planner, which has no statistics, still picks them

Revision ID: f2b8d4c6a913
Revises: c3f9a7e21b54
Create Date: 2026-12-07 17:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "f2b8d4c6a913"
down_revision = "c3f9a7e21b54"  # after the inbox's snoozes and facts
branch_labels = None
depends_on = None

WIDENED = {
    "ix_search_entries_team_client": (
        ["team", "client_id"],
        ["team", "client_id", "ppd_open", "created_at"],
    ),
    "ix_search_entries_team_complement_of": (
        ["team", "complement_of"],
        ["team", "complement_of", "kind", "invoice_type", "status"],
    ),
}
INDEXES = {
    "ix_search_entries_ppd_open": ["ppd_open", "created_at"],
    "ix_search_entries_team_ppd_open": ["team", "ppd_open", "created_at"],
    "ix_search_entries_kind_status_paid": ["kind", "status", "paid_at"],
    "ix_search_entries_cancellation": ["kind", "cancellation_status", "created_at"],
}


def upgrade():
    with op.batch_alter_table("search_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ppd_open", sa.Boolean(), nullable=True))
    # the rows already indexed: the same rule as webapp.search.models.is_open_ppd
    op.execute(
        "UPDATE search_entries SET ppd_open = (kind = 'invoice' AND invoice_type = 'income'"
        " AND payment_method = 'PPD' AND status = 'valid' AND last_balance > 0.005)"
    )
    with op.batch_alter_table("search_entries", schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
        for name, (_before, after) in WIDENED.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, after, unique=False)


def downgrade():
    with op.batch_alter_table("search_entries", schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
        for name, (before, _after) in WIDENED.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, before, unique=False)
        batch_op.drop_column("ppd_open")
