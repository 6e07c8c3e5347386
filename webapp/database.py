"""The back office's own database (staff, audit, jobs) and its migrations (Flask-Migrate)."""

from __future__ import annotations

import os
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask

from webapp.config import ConfigError, database_url
from webapp.extensions import db

# each pooled connection's page cache (SQLite's default: 2 MB): a worker's threads each hold
# one, and the search index's pages read through them
SQLITE_CACHE_KIB = 512
MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def init_app(app: Flask) -> None:
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(
        app.config.get("DATABASE_URL"), app.instance_path
    )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)
    if is_server(app):
        # a dropped connection (add-on maintenance) is replaced, not served as a 500; a
        # database that does not answer fails the request in seconds, not minutes. No
        # server-side prepared statements (psycopg prepares a query after its 5th run): their
        # generic plans ignore the values (a contains-search took 1.1 s instead of 15 ms at a
        # million index rows), and a pooler in transaction mode (PgBouncer) refuses them
        app.config.setdefault(
            "SQLALCHEMY_ENGINE_OPTIONS",
            {
                "pool_pre_ping": True,
                "connect_args": {"connect_timeout": 5, "prepare_threshold": None},
            },
        )
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        # a file shared by the web server and the jobs worker (make run): readers do not wait
        # for a writer (WAL), and a writer waits its turn instead of failing at once
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
        _on_connect_sqlite_wal()
    from webapp import once_tokens as _once_tokens  # noqa: F401
    from webapp.audit import models as _audit_models  # noqa: F401  (register the tables)
    from webapp.auth import models as _auth_models  # noqa: F401
    from webapp.inbox import models as _inbox_models  # noqa: F401
    from webapp.jobs import models as _jobs_models  # noqa: F401
    from webapp.search import models as _search_models  # noqa: F401

    db.init_app(app)
    if click.get_current_context(silent=True) is not None:  # `flask db …` and other commands
        migrations(app)


def _on_connect_sqlite_wal() -> None:
    """Every new SQLite file connection in WAL mode (once per process)."""
    if getattr(_on_connect_sqlite_wal, "done", False):
        return
    import sqlite3

    @sa.event.listens_for(sa.Engine, "connect")
    def _wal(connection, _record) -> None:
        if isinstance(connection, sqlite3.Connection):
            name = connection.execute("PRAGMA database_list").fetchone()[2]
            if name:  # a file, not memory
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")

    _on_connect_sqlite_wal.done = True


def migrations(app: Flask) -> None:
    """Flask-Migrate on ``app``, only where migrations run (the CLI, :func:`upgrade`): Alembic
    is 11 MB of every web worker otherwise."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(app, db, directory=MIGRATIONS, render_as_batch=True)


def is_server(app: Flask) -> bool:
    """A database server (PostgreSQL), as opposed to a SQLite file or memory."""
    return not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def check_reachable(app: Flask) -> None:
    """A database server that does not answer is a one-line start-up error."""
    if not is_server(app):
        return
    with app.app_context():
        url = db.engine.url
        try:
            with db.engine.connect():
                pass
        except sa.exc.SQLAlchemyError as exc:
            cause = type(getattr(exc, "orig", None) or exc).__name__
            raise ConfigError(
                f"DATABASE_URL: the database at {url.host}:{url.port or 5432} "
                f"does not answer ({cause})"
            ) from None


def upgrade(app: Flask) -> None:
    """Bring the schema to the latest migration (``flask db upgrade`` from code)."""
    from flask_migrate import upgrade as alembic_upgrade

    migrations(app)
    with app.app_context():
        alembic_upgrade(directory=MIGRATIONS)
