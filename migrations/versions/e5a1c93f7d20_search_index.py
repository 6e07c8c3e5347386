"""the search index (``search_entries``) and how far each team's sync got (``search_sync``)

A derived copy of what search across teams and the attention inbox need (ids, keys, names,
RFCs, amounts, dates, statuses), rebuildable from gigstack at any time. On PostgreSQL:
``pg_trgm`` and a trigram GIN index on the folded text (contains-search at a million rows),
and ``varchar_pattern_ops`` indexes on ``uuid`` and ``rfc`` (prefix search with ``LIKE 'x%'``
whatever the collation). SQLite (``make run``) gets plain indexes on ``uuid`` and ``rfc`` and
no trigram index: its LIKE scans the few thousand rows a ``make run`` holds in milliseconds.

Revision ID: e5a1c93f7d20
Revises: 957cb869d783
Create Date: 2026-12-07 14:10:00
"""

from alembic import op
import sqlalchemy as sa
import webapp.dbtypes  # noqa: F401  (custom column types)

revision = "e5a1c93f7d20"
down_revision = "957cb869d783"  # after the jobs
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "search_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.String(length=128), nullable=False),
        sa.Column("uuid", sa.String(length=64), nullable=True),
        sa.Column("folio", sa.String(length=64), nullable=True),
        sa.Column("rfc", sa.String(length=16), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("created_at", webapp.dbtypes.UtcDateTime(timezone=True), nullable=True),
        sa.Column("invoice_type", sa.String(length=16), nullable=True),
        sa.Column("payment_method", sa.String(length=8), nullable=True),
        sa.Column("last_balance", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("cancellation_status", sa.String(length=32), nullable=True),
        sa.Column("valid_until", webapp.dbtypes.UtcDateTime(timezone=True), nullable=True),
        sa.Column("client_id", sa.String(length=128), nullable=True),
        sa.Column("sat_valid", sa.Boolean(), nullable=True),
        sa.Column("efos_valid", sa.Boolean(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("synced_at", webapp.dbtypes.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('team', 'client', 'invoice', 'payment', 'receipt')",
            name="ck_search_entries_kind",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team", "kind", "object_id", name="uq_search_entries_object"),
    )
    with op.batch_alter_table("search_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_search_entries_team_kind_created", ["team", "kind", "created_at"], unique=False
        )
        batch_op.create_index("ix_search_entries_kind_amount", ["kind", "amount"], unique=False)
        batch_op.create_index(
            "ix_search_entries_uuid_prefix",
            ["uuid"],
            unique=False,
            postgresql_ops={"uuid": "varchar_pattern_ops"},
        )
        batch_op.create_index(
            "ix_search_entries_rfc_prefix",
            ["rfc"],
            unique=False,
            postgresql_ops={"rfc": "varchar_pattern_ops"},
        )

    op.create_table(
        "search_sync",
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("watermark", webapp.dbtypes.UtcDateTime(timezone=True), nullable=True),
        sa.Column("synced_at", webapp.dbtypes.UtcDateTime(timezone=True), nullable=False),
        sa.Column("full_at", webapp.dbtypes.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("team", "source"),
    )

    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_search_entries_text_trgm ON search_entries "
            "USING gin (text gin_trgm_ops)"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_entries_text_trgm")
    op.drop_table("search_sync")
    with op.batch_alter_table("search_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_search_entries_rfc_prefix")
        batch_op.drop_index("ix_search_entries_uuid_prefix")
        batch_op.drop_index("ix_search_entries_kind_amount")
        batch_op.drop_index("ix_search_entries_team_kind_created")
    op.drop_table("search_entries")
