"""audit actions renamed after DESIGN.md's vocabulary (the kit's second pass)

Old rows keep reading and filtering under the names the screens record today:
``client.export`` → ``client.export_csv``; ``client.csf`` (three screens shared it) →
``client.upload_csf`` / ``client.update_csf`` for a file refused before anything was sent
(without / with the client's id), ``client.confirm_csf`` for an upload sent to gigstack;
members' rows are about a member, not a user (``object_type``).

Revision ID: 7c1e5a9d2b40
Revises: 43a6c64c56e4
Create Date: 2026-12-07 03:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "7c1e5a9d2b40"
down_revision = "43a6c64c56e4"
branch_labels = None
depends_on = None

audit = sa.table(
    "audit_entries",
    sa.column("action", sa.String),
    sa.column("object_type", sa.String),
    sa.column("object_id", sa.String),
    sa.column("outcome", sa.String),
)
REFUSED_LOCALLY = audit.c.outcome.like("refused_locally:%")


def _rename(old: str, new: str, *where) -> None:
    op.execute(audit.update().where(audit.c.action == old, *where).values(action=new))


def upgrade():
    _rename("client.export", "client.export_csv")
    _rename("client.csf", "client.upload_csf", REFUSED_LOCALLY, audit.c.object_id.is_(None))
    _rename("client.csf", "client.update_csf", REFUSED_LOCALLY, audit.c.object_id.isnot(None))
    _rename("client.csf", "client.confirm_csf")
    op.execute(
        audit.update()
        .where(audit.c.action.like("member.%"), audit.c.object_type == "user")
        .values(object_type="member")
    )


def downgrade():
    _rename("client.export_csv", "client.export")
    for new in ("client.upload_csf", "client.update_csf", "client.confirm_csf"):
        _rename(new, "client.csf")
    op.execute(
        audit.update()
        .where(audit.c.action.like("member.%"), audit.c.object_type == "member")
        .values(object_type="user")
    )
