"""The back office's own database (staff, audit) and its migrations (Flask-Migrate/Alembic)."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from webapp.config import database_url
from webapp.extensions import db, migrate

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def init_app(app: Flask) -> None:
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config.get("DATABASE_URL"),
                                                         app.instance_path)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)
    from webapp.audit import models as _audit_models  # noqa: F401  (register the tables)
    from webapp.auth import models as _auth_models  # noqa: F401

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)


def upgrade(app: Flask) -> None:
    """Bring the schema to the latest migration (``flask db upgrade`` from code)."""
    from flask_migrate import upgrade as alembic_upgrade

    with app.app_context():
        alembic_upgrade(directory=MIGRATIONS)
