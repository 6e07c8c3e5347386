"""payments due their complement as a stored fact (``search_entries.complement_due``), kept by
the index's writers (``webapp.rep.monitor.refresh_due``), filled here for the payments
already indexed with the same rule (``webapp.rep.monitor.is_due``).

The inbox and the REP monitor read the due payments as one index range instead of testing
every payment collected in the lookback against its complement and the client's open PPD
invoices (at a million index rows, 11,703 payments read to find the first 11 due ones).
``(complement_due, paid_at, id)`` serves the inbox across every team, ``(team,
complement_due, paid_at)`` one team's monitor; ``(kind, status, paid_at, id)``, which served
the old scan, goes. Plain statements, not a batch: a batch would copy the table on SQLite and
drop the trigram table's triggers.

Revision ID: c8e2f4a6b1d3
Revises: a4d7f1c3e8b2
Create Date: 2026-12-08 01:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c8e2f4a6b1d3"
down_revision = "a4d7f1c3e8b2"
branch_labels = None
depends_on = None


PAID = "ix_search_entries_kind_status_paid"
INDEXES = {
    "ix_search_entries_due": ["complement_due", "paid_at", "id"],
    "ix_search_entries_team_due": ["team", "complement_due", "paid_at"],
}
# the rule as webapp.rep.monitor.is_due states it, for the rows already indexed
FILL = """
UPDATE search_entries SET complement_due = CASE WHEN (
  status = 'succeeded'
  AND NOT EXISTS (
    SELECT 1 FROM search_entries AS complement
    WHERE complement.team = search_entries.team
      AND complement.complement_of = search_entries.object_id
      AND complement.kind = 'invoice'
      AND complement.invoice_type = 'payment'
      AND complement.status = 'valid')
  AND (
    automation_type = 'ppd_invoice_and_complement'
    OR ((automation_type IS NULL OR automation_type = 'none')
        AND client_id IS NOT NULL
        AND EXISTS (
          SELECT 1 FROM search_entries AS invoice
          WHERE invoice.ppd_open = true
            AND invoice.team = search_entries.team
            AND invoice.client_id = search_entries.client_id
            AND invoice.created_at <= search_entries.paid_at)))
) THEN true ELSE false END
WHERE kind = 'payment'
"""


def upgrade():
    op.add_column("search_entries", sa.Column("complement_due", sa.Boolean(), nullable=True))
    op.execute(FILL)
    op.drop_index(PAID, table_name="search_entries")
    for name, columns in INDEXES.items():
        op.create_index(name, "search_entries", columns)


def downgrade():
    for name in INDEXES:
        op.drop_index(name, table_name="search_entries")
    op.create_index(PAID, "search_entries", ["kind", "status", "paid_at", "id"])
    op.drop_column("search_entries", "complement_due")
