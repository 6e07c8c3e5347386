"""A database already at the latest migration for each test app, without running Alembic per
test: the migrations run once per session, and every test starts from a copy of the result.

* SQLite in memory (the default): the first app's database is migrated with Alembic and kept
  as a template; every later app gets a byte-for-byte copy (SQLite's backup API).
* A SQLite file copied from that template (:func:`copy_template_to_file`), for an app served
  to a browser: in memory, every thread shares the one connection, so a request's commit
  could end the transaction a job's thread had open on it; a file gives each its own, as
  ``make run`` has.
* PostgreSQL (the ``databases`` variant): the database is migrated once; before each test
  every table but ``alembic_version`` is emptied (identities restarted). A database that is no
  longer at head — a migration test went down, or a test changed the schema — is dropped and
  migrated again.

Tests of the migrations themselves (``tests/unit/test_database.py``) and apps on a file or
a database a test names still run the real migrations (:func:`webapp.database.upgrade`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask

from webapp import database
from webapp.extensions import db

IN_MEMORY = ("sqlite://", "sqlite:///:memory:")

_template: sqlite3.Connection | None = None
_head: str | None = None
_migrated_tables: frozenset[str] | None = None


def is_in_memory(app: Flask) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"] in IN_MEMORY


def copy_template(app: Flask) -> None:
    """Give ``app`` (on in-memory SQLite) the migrated schema: migrate once, copy after."""
    global _template
    with app.app_context():
        if _template is None:
            database.upgrade(app)
            _template = sqlite3.connect(":memory:", check_same_thread=False)
            raw = db.engine.raw_connection()
            try:
                raw.driver_connection.backup(_template)
            finally:
                raw.close()
            return
        raw = db.engine.raw_connection()  # the one connection of the in-memory pool
        try:
            _template.backup(raw.driver_connection)
        finally:
            raw.close()


def copy_template_to_file(path: str) -> str:
    """A SQLite file at ``path`` at head (a copy of the template); its ``DATABASE_URL``."""
    if _template is None:
        _build_template()
    target = sqlite3.connect(path)
    try:
        _template.backup(target)
    finally:
        target.close()
    return f"sqlite:///{path}"


def _build_template() -> None:
    """The template, from an app of its own (the first test to need it served a browser)."""
    with _database_only_app("sqlite://") as app:
        copy_template(app)


def head() -> str:
    """The latest revision in ``migrations/``."""
    global _head
    if _head is None:
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", database.MIGRATIONS)
        _head = ScriptDirectory.from_config(config).get_current_head()
    return _head


def reset_postgres(url: str) -> None:
    """Leave the PostgreSQL database at ``url`` migrated to head with every table empty."""
    global _migrated_tables
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            tables = set(
                connection.scalars(
                    sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            )
            at_head = (
                _migrated_tables is not None
                and tables == _migrated_tables
                and connection.scalars(sa.text("SELECT version_num FROM alembic_version")).all()
                == [head()]
            )
            if at_head:
                emptied = ", ".join(f'"{t}"' for t in sorted(tables - {"alembic_version"}))
                connection.execute(sa.text(f"TRUNCATE {emptied} RESTART IDENTITY CASCADE"))
                return
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        _migrate(url)
        with engine.connect() as connection:
            _migrated_tables = frozenset(
                connection.scalars(
                    sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            )
    finally:
        engine.dispose()


def _migrate(url: str) -> None:
    with _database_only_app(url) as app:
        database.upgrade(app)


@contextmanager
def _database_only_app(url: str) -> Iterator[Flask]:
    """An app on ``url`` for its database alone (its gigstack is never called), closed after."""
    from webapp import create_app
    from webapp.sandbox.keys import make_key

    app = create_app(
        {
            "APP_ENV": "testing",
            "DATABASE_URL": url,
            "GIGSTACK_SANDBOX_URL": "http://127.0.0.1:9/v2",
            "GIGSTACK_SANDBOX_KEY": make_key("team_migrate", False, "key_migrate"),
        }
    )
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        app.extensions["gigstack"].close()
