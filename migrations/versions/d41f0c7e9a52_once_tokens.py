"""one-time tokens of create forms in the database (``once_tokens``)

A create form's one-time token was claimed in the app's cache, which without Redis is each
gunicorn worker's own memory: two identical POSTs on two workers each created the object.
Claimed here instead (the primary key makes the claim atomic across processes) whenever
``REDIS_URL`` is unset; rows expire after a day and are deleted by later claims.

Revision ID: d41f0c7e9a52
Revises: b3d8f2a61c07
Create Date: 2026-12-07 07:00:00
"""

import sqlalchemy as sa
from alembic import op

import webapp.dbtypes

revision = "d41f0c7e9a52"
down_revision = "b3d8f2a61c07"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "once_tokens",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("expires_at", webapp.dbtypes.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("once_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_once_tokens_expires_at"), ["expires_at"], unique=False)


def downgrade():
    with op.batch_alter_table("once_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_once_tokens_expires_at"))
    op.drop_table("once_tokens")
