"""the search index's contains-search on SQLite: an FTS5 trigram index of the folded ``text``
(``search_text``, kept by triggers), the SQLite counterpart of PostgreSQL's trigram GIN index.
Without it, a word's search read every row of the index (8 ms at ``make run``'s 22,000 rows).

PostgreSQL has ``ix_search_entries_text_trgm`` already: nothing changes there. A later batch
migration of ``search_entries`` on SQLite (which copies the table) must create the triggers
again: :data:`TRIGGERS`.

Revision ID: b7e4c2d9a318
Revises: f2b8d4c6a913
Create Date: 2026-12-07 20:15:00
"""

from alembic import op

revision = "b7e4c2d9a318"
down_revision = "f2b8d4c6a913"  # after the inbox's indexes
branch_labels = None
depends_on = None

TRIGGERS = {
    "search_text_insert": (
        "AFTER INSERT ON search_entries BEGIN "
        "INSERT INTO search_text(rowid, text) VALUES (new.id, new.text); END"
    ),
    "search_text_delete": (
        "AFTER DELETE ON search_entries BEGIN "
        "INSERT INTO search_text(search_text, rowid, text) VALUES ('delete', old.id, old.text); "
        "END"
    ),
    "search_text_update": (
        "AFTER UPDATE OF text ON search_entries BEGIN "
        "INSERT INTO search_text(search_text, rowid, text) VALUES ('delete', old.id, old.text); "
        "INSERT INTO search_text(rowid, text) VALUES (new.id, new.text); END"
    ),
}


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE VIRTUAL TABLE search_text USING fts5("
        "text, content='search_entries', content_rowid='id', tokenize='trigram')"
    )
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute("INSERT INTO search_text(search_text) VALUES ('rebuild')")


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS search_text")
