"""the inbox's indexes on ``search_entries``: open PPD balances by age, payments by collection
date, cancellations awaiting the receiver — each read across every team as the first rows of
one index range, so the inbox's cost does not grow with the number of teams; and the two
per-payment lookups (the client's open PPD invoices, the payment's complement) widened to every
column they test, so SQLite's planner, which has no statistics, still picks them

Revision ID: f2b8d4c6a913
Revises: c3f9a7e21b54
Create Date: 2026-12-07 17:30:00
"""

from alembic import op

revision = "f2b8d4c6a913"
down_revision = "c3f9a7e21b54"  # after the inbox's snoozes and facts
branch_labels = None
depends_on = None

WIDENED = {
    "ix_search_entries_team_client": (
        ["team", "client_id"],
        ["team", "client_id", "kind", "payment_method", "status", "created_at"],
    ),
    "ix_search_entries_team_complement_of": (
        ["team", "complement_of"],
        ["team", "complement_of", "kind", "invoice_type", "status"],
    ),
}
INDEXES = {
    "ix_search_entries_ppd": ["kind", "payment_method", "status", "created_at"],
    "ix_search_entries_kind_status_paid": ["kind", "status", "paid_at"],
    "ix_search_entries_cancellation": ["kind", "cancellation_status", "created_at"],
}


def upgrade():
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
