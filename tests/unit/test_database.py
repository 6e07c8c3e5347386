"""The back office's own database: the URL it is given, and migrations that build exactly the
tables the models describe (and take them down again)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade

from tests.support import stores
from webapp import create_app, database
from webapp.auth.models import Staff
from webapp.config import ConfigError, database_url
from webapp.extensions import db
from webapp.sandbox.keys import make_key

HEAD = "c8e2f4a6b1d3"
TABLES = {
    "staff",
    "audit_entries",
    "once_tokens",
    "jobs",
    "job_items",
    "job_files",
    "search_entries",
    "search_sync",
    "inbox_snoozes",
    "alembic_version",
}
# SQLite only: the search index's FTS5 trigram table and its shadow tables (PostgreSQL has a
# trigram index instead); made by the migration, not declared as models
SQLITE_TRIGRAM_TABLES = {
    f"search_text{part}" for part in ("", "_data", "_idx", "_docsize", "_config")
}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "postgres://user:pw@db.example:5432/backoffice",
            "postgresql+psycopg://user:pw@db.example:5432/backoffice",
        ),
        (
            "postgresql://user:pw@db.example/backoffice",
            "postgresql+psycopg://user:pw@db.example/backoffice",
        ),
        (
            "postgresql+psycopg://user:pw@db.example/backoffice",
            "postgresql+psycopg://user:pw@db.example/backoffice",
        ),
        ("sqlite:////var/data/backoffice.sqlite3", "sqlite:////var/data/backoffice.sqlite3"),
        ("sqlite:///relative.sqlite3", "sqlite:///relative.sqlite3"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_database_url_is_normalized_for_sqlalchemy(given, expected):
    assert database_url(given, "/srv/app/instance") == expected


@pytest.mark.parametrize("unset", [None, ""])
def test_database_url_defaults_to_sqlite_under_instance(unset):
    expected = "sqlite:///" + os.path.join("/srv/app/instance", "backoffice.sqlite3")
    assert database_url(unset, "/srv/app/instance") == expected


def file_app(path):
    """A testing app on a SQLite file, with its migrations; the API is never called here."""
    app = create_app(
        {
            "APP_ENV": "testing",
            "DATABASE_URL": f"sqlite:///{path}",
            "GIGSTACK_SANDBOX_URL": "http://127.0.0.1:9/v2",
            "GIGSTACK_SANDBOX_KEY": make_key("team_unit", False, "key_unit"),
        }
    )
    database.migrations(app)
    return app


def schema_diffs(app) -> list:
    with app.app_context(), db.engine.connect() as connection:

        def on_this_database(item, name, type_, reflected, compare_to) -> bool:
            """An index the model declares for one database only (``info["dialect"]``: the
            search index's trigram index) is compared on that one; SQLite's trigram tables
            are the migration's alone."""
            if type_ == "table" and name in SQLITE_TRIGRAM_TABLES:
                return False
            only = getattr(item, "info", {}).get("dialect")
            return only in (None, connection.dialect.name)

        options = {"compare_type": True, "include_object": on_this_database}
        context = MigrationContext.configure(connection, opts=options)
        return compare_metadata(context, db.metadata)


def tables(app) -> set[str]:
    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names())


def revision(app) -> str | None:
    with app.app_context(), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_migrations_build_the_models_on_a_fresh_file_and_go_back_to_base(tmp_path):
    path = tmp_path / "fresh.sqlite3"
    app = file_app(path)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{path}"
    assert not path.exists() or tables(app) == set()

    database.upgrade(app)
    assert path.exists()
    assert tables(app) == TABLES | SQLITE_TRIGRAM_TABLES
    assert revision(app) == HEAD
    assert schema_diffs(app) == []  # the migration and the models agree (types included)

    with app.app_context():
        downgrade(directory=database.MIGRATIONS, revision="base")
    assert tables(app) == {"alembic_version"}
    assert revision(app) is None

    database.upgrade(app)  # and up again
    assert schema_diffs(app) == []
    assert revision(app) == HEAD


def test_upgrade_twice_is_harmless(tmp_path):
    app = file_app(tmp_path / "twice.sqlite3")
    database.upgrade(app)
    with app.app_context():
        db.session.execute(
            sa.text(
                "INSERT INTO staff (email, name, password_hash, role, active, locale, is_demo, "
                "session_nonce, created_at) VALUES ('a@b.test', 'A', 'x', 'viewer', 1, 'es_MX', 0, "
                "'n', '2026-01-01 00:00:00')"
            )
        )
        db.session.commit()
    database.upgrade(app)
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT count(*) FROM staff")) == 1


def test_role_constraint_is_in_the_migrated_schema(tmp_path):
    app = file_app(tmp_path / "roles.sqlite3")
    database.upgrade(app)
    with app.app_context(), pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.text(
                "INSERT INTO staff (email, name, password_hash, role, active, locale, is_demo, "
                "session_nonce, created_at) VALUES ('a@b.test', 'A', 'x', 'root', 1, 'es_MX', 0, "
                "'n', '2026-01-01 00:00:00')"
            )
        )
        db.session.commit()


def test_default_database_is_instance_sqlite():
    app = create_app(
        {
            "APP_ENV": "testing",
            "DATABASE_URL": None,
            "GIGSTACK_SANDBOX_URL": "http://127.0.0.1:9/v2",
            "GIGSTACK_SANDBOX_KEY": make_key("team_unit", False, "key_unit"),
        }
    )
    expected = os.path.join(app.instance_path, "backoffice.sqlite3")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{expected}"
    assert os.path.isdir(app.instance_path)


# -- the same migrations on PostgreSQL (TEST_DATABASE_URL; mandatory in CI) --------------------


def server_app(url: str):
    return create_app(
        {
            "APP_ENV": "testing",
            "DATABASE_URL": url,
            "GIGSTACK_SANDBOX_URL": "http://127.0.0.1:9/v2",
            "GIGSTACK_SANDBOX_KEY": make_key("team_unit", False, "key_unit"),
        }
    )


@pytest.fixture
def postgres_app():
    app = server_app(stores.postgres_url())
    yield app
    with app.app_context():
        db.engine.dispose()


def test_migrations_on_postgresql_build_the_models_and_go_back_to_base(postgres_app):
    app = postgres_app
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert tables(app) == set()
    database.upgrade(app)
    assert tables(app) == TABLES
    assert revision(app) == HEAD
    assert schema_diffs(app) == []

    with app.app_context():
        downgrade(directory=database.MIGRATIONS, revision="base")
    assert tables(app) == {"alembic_version"}
    assert revision(app) is None

    database.upgrade(app)
    assert schema_diffs(app) == []
    assert revision(app) == HEAD


def test_role_constraint_holds_on_postgresql(postgres_app):
    database.upgrade(postgres_app)
    with postgres_app.app_context(), pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.text(
                "INSERT INTO staff (email, name, password_hash, role, active, locale, is_demo, "
                "session_nonce, created_at) VALUES ('a@b.test', 'A', 'x', 'root', true, 'es_MX', "
                "false, 'n', '2026-01-01 00:00:00+00')"
            )
        )
        db.session.commit()


def test_postgresql_refuses_a_nul_byte_that_sqlite_stores(postgres_app, tmp_path):
    """Why the forms refuse NUL bytes before any query (tests/app cover each form)."""
    database.upgrade(postgres_app)
    with postgres_app.app_context(), pytest.raises(sa.exc.DataError):
        db.session.execute(
            sa.text("SELECT count(*) FROM staff WHERE email = :email"), {"email": "a\x00@b.test"}
        )
    sqlite = file_app(tmp_path / "nul.sqlite3")
    database.upgrade(sqlite)
    with sqlite.app_context():
        assert (
            db.session.execute(
                sa.text("SELECT count(*) FROM staff WHERE email = :email"),
                {"email": "a\x00@b.test"},
            ).scalar()
            == 0
        )


def test_an_unreachable_postgresql_is_a_one_line_start_up_error():
    with pytest.raises(ConfigError, match=r"^configuration error: DATABASE_URL: .*127\.0\.0\.1:9"):
        server_app("postgresql://user:secret@127.0.0.1:9/backoffice")


def test_the_start_up_error_never_shows_the_database_password():
    with pytest.raises(ConfigError) as refused:
        server_app("postgresql://user:s3cr3t-pw@127.0.0.1:9/backoffice")
    assert "s3cr3t-pw" not in str(refused.value)


def test_renamed_audit_actions_move_old_rows_to_their_new_names_and_back(tmp_path):
    """Rows written under an earlier name read (and filter) under today's after the upgrade."""
    from flask_migrate import upgrade

    app = file_app(tmp_path / "renames.sqlite3")
    with app.app_context():
        upgrade(directory=database.MIGRATIONS, revision="43a6c64c56e4")
    old = [
        ("client.export", None, None, "ok"),
        ("client.csf", "client", None, "refused_locally:not_a_csf"),
        ("client.csf", "client", "client_1", "refused_locally:another_rfc"),
        ("client.csf", "client", "client_2", "ok"),
        ("member.delete", "user", "user_1", "ok"),
    ]
    insert = sa.text(
        "INSERT INTO audit_entries (at, actor, action, object_type, object_id, outcome)"
        " VALUES (CURRENT_TIMESTAMP, 'ana@example.test', :a, :t, :i, :o)"
    )
    read = sa.text("SELECT action, object_type FROM audit_entries ORDER BY id")
    with app.app_context(), db.engine.begin() as connection:
        for action, object_type, object_id, outcome in old:
            connection.execute(
                insert, {"a": action, "t": object_type, "i": object_id, "o": outcome}
            )
    database.upgrade(app)
    with app.app_context(), db.engine.connect() as connection:
        assert [tuple(row) for row in connection.execute(read)] == [
            ("client.export_csv", None),
            ("client.upload_csf", "client"),
            ("client.update_csf", "client"),
            ("client.confirm_csf", "client"),
            ("member.delete", "member"),
        ]
    with app.app_context():
        downgrade(directory=database.MIGRATIONS, revision="43a6c64c56e4")
    with app.app_context(), db.engine.connect() as connection:
        assert [tuple(row)[0] for row in connection.execute(read)] == [a for a, *_ in old]


def test_a_web_worker_loads_no_migration_machinery_and_the_cli_does(tmp_path):
    """Alembic is ~11 MB of every worker: only ``flask …`` commands (the Procfile's release
    phase) and :func:`database.upgrade` load it."""
    settings = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}",
        "GIGSTACK_SANDBOX_URL": "http://127.0.0.1:9/v2",
        "GIGSTACK_SANDBOX_KEY": make_key("team_unit", False, "key_unit"),
    }
    app = create_app({"APP_ENV": "testing", **settings})
    assert "migrate" not in app.extensions
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GIGSTACK_")}
    release = subprocess.run(
        [str(Path(sys.executable).with_name("flask")), "--app", "webapp", "db", "upgrade"],
        env={**environment, **settings, "APP_ENV": "development"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert release.returncode == 0, release.stderr
    with app.app_context():
        assert "staff" in sa.inspect(db.engine).get_table_names()
    database.upgrade(app)
    assert "migrate" in app.extensions


def test_staff_accounts_made_before_pins_start_with_none(tmp_path):
    """The pins column arrives with ``[]`` on every existing account, and leaves on the way
    back."""
    from flask_migrate import upgrade

    app = file_app(tmp_path / "pins.sqlite3")
    with app.app_context():
        upgrade(directory=database.MIGRATIONS, revision="7c1e5a9d2b40")
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO staff (email, name, password_hash, role, active, locale, is_demo, "
                "session_nonce, created_at) VALUES ('a@b.test', 'A', 'x', 'viewer', 1, 'es_MX', 0, "
                "'n', '2026-01-01 00:00:00')"
            )
        )
    database.upgrade(app)
    with app.app_context():
        staff = db.session.scalar(sa.select(Staff))
        assert staff.pinned_team_ids == []
        assert staff.pin("team_a", True) and not staff.pin("team_a", True)
        db.session.commit()
    with app.app_context():
        assert db.session.scalar(sa.select(Staff)).pinned_team_ids == ["team_a"]
        downgrade(directory=database.MIGRATIONS, revision="7c1e5a9d2b40")
    with app.app_context():
        assert "pinned_team_ids" not in {
            column["name"] for column in sa.inspect(db.engine).get_columns("staff")
        }


@pytest.mark.parametrize("where", ["sqlite", "postgresql"])
def test_payments_indexed_before_the_due_fact_get_it_as_the_writers_store_it(
    where, tmp_path, request
):
    """The migration that adds ``complement_due`` fills it for the rows already indexed with
    the rule the writers apply (webapp.rep.monitor.is_due): the rows written at head, the
    column dropped and added again, the same payments due; other kinds keep NULL."""
    from tests.support.rep_rows import every_rules_row, moment
    from webapp.search import rows
    from webapp.search.models import SearchEntry

    app = (
        file_app(tmp_path / "due.sqlite3")
        if where == "sqlite"
        else request.getfixturevalue("postgres_app")
    )
    database.upgrade(app)
    read = sa.select(SearchEntry.kind, SearchEntry.object_id, SearchEntry.complement_due)
    with app.app_context():
        with db.engine.begin() as conn:
            rows.upsert(conn, every_rules_row("team_fill"), moment(2026, 12, 3))
        stored = {(k, o): due for k, o, due in db.session.execute(read)}
        db.session.rollback()
        downgrade(directory=database.MIGRATIONS, revision="a4d7f1c3e8b2")
    database.upgrade(app)
    with app.app_context():
        filled = {(k, o): due for k, o, due in db.session.execute(read)}
        db.session.rollback()
    assert filled == stored
    assert {o for (k, o), due in filled.items() if due} == {"loose", "undone"}
    assert all(due is None for (k, _o), due in filled.items() if k != "payment")
