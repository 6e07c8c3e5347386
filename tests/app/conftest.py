"""Fixtures for the dashboard: the Flask app wired to the session sandbox over HTTP, its own
database (in-memory SQLite at the latest migration: Alembic runs once per session and each app
gets a copy, see :mod:`tests.support.migrated`), staff accounts and signed-in clients.

A module or test marked ``databases`` runs again on PostgreSQL, one marked ``state_stores``
again with Redis as the shared state (throttle counts, caches): every app the test builds with
:func:`make_app` uses the variant's stores.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support import build_cache, migrated, stores
from webapp import create_app, database
from webapp.auth.models import Staff
from webapp.extensions import db

PASSWORD = "correct horse battery staple"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


# the stores of the running test's variant, and the apps it built (their pools are closed after)
_STORES: dict[str, Any] = {}
_BUILT: list[Flask] = []
_FOLDERS: list[str] = []  # the database files of the apps served over HTTP (own_connections)
VARIANTS = {
    "sqlite": ("sqlite", "memory"),
    "postgresql": ("postgresql", "memory"),
    "redis": ("sqlite", "redis"),
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    variants = ["sqlite"]
    if metafunc.definition.get_closest_marker("databases"):
        variants.append("postgresql")
    if metafunc.definition.get_closest_marker("state_stores"):
        variants.append("redis")
    if len(variants) > 1:
        metafunc.parametrize("store_variant", variants, indirect=True)


@pytest.fixture(autouse=True)
def store_variant(request: pytest.FixtureRequest) -> Iterator[str]:
    """SQLite and process memory, or (by marker) PostgreSQL or Redis, for every app built."""
    name = getattr(request, "param", "sqlite")
    database_kind, state_kind = VARIANTS[name]
    _STORES.clear()
    if database_kind == "postgresql":
        _STORES["DATABASE_URL"] = stores.postgres_migrated_url()
    if state_kind == "redis":
        _STORES["REDIS_URL"] = stores.redis_url()
    yield name
    _STORES.clear()
    while _BUILT:
        built = _BUILT.pop()
        with built.app_context():
            db.engine.dispose()
        shutil.rmtree(built.config["FILES_DIR"], ignore_errors=True)
    while _FOLDERS:
        shutil.rmtree(_FOLDERS.pop(), ignore_errors=True)


def make_app(api_url: str, key: str, *, own_connections: bool = False, **overrides: Any) -> Flask:
    """A testing app on ``api_url`` with a migrated, empty database and a folder of its own
    for the files its jobs make.

    In-memory SQLite gets a copy of the session's migrated template; the ``databases``
    variant's PostgreSQL was migrated and emptied for this test by :func:`store_variant`; any
    other database (a file a test names) is migrated here with Alembic. ``own_connections``
    (an app served over HTTP, whose jobs run in threads beside its requests): instead of
    memory, where every thread shares one connection, a file copied from the template."""
    copied = own_connections and "DATABASE_URL" not in {**_STORES, **overrides}
    if copied:
        folder = tempfile.mkdtemp(prefix="live-db-")
        _FOLDERS.append(folder)
        overrides["DATABASE_URL"] = migrated.copy_template_to_file(f"{folder}/backoffice.sqlite3")
    with build_cache.static_files_built_once():
        app = create_app(
            {
                "APP_ENV": "testing",
                "GIGSTACK_SANDBOX_URL": api_url,
                "GIGSTACK_SANDBOX_KEY": key,
                "WTF_CSRF_ENABLED": True,
                "FILES_DIR": tempfile.mkdtemp(prefix="job-files-"),
                **_STORES,
                **overrides,
            }
        )
    app.jinja_env.bytecode_cache = build_cache.TEMPLATES  # templates compiled once a session
    _BUILT.append(app)
    if migrated.is_in_memory(app):
        migrated.copy_template(app)
    elif not copied and ("DATABASE_URL" in overrides or "DATABASE_URL" not in _STORES):
        database.upgrade(app)
    return app


def add_staff(
    app: Flask,
    email: str,
    role: str = "viewer",
    *,
    password: str = PASSWORD,
    name: str | None = None,
    team_ids: list[str] | None = None,
    active: bool = True,
) -> int:
    """Create a staff member directly in the database; returns its id."""
    with app.app_context():
        staff = Staff(
            email=email,
            name=name or email.split("@")[0].title(),
            role=role,
            team_ids=team_ids,
            active=active,
        )
        staff.set_password(password)
        db.session.add(staff)
        db.session.commit()
        return staff.id


def csrf_token(client: FlaskClient, path: str = "/sign-in") -> str:
    """The CSRF token a page of ``path`` carries (as a browser would read it)."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_INPUT.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, **extra: str):
    """Post the sign-in form the way a browser does (token read from the form)."""
    token = csrf_token(client)
    return client.post(
        "/sign-in", data={"csrf_token": token, "email": email, "password": password, **extra}
    )


@pytest.fixture
def app(sandbox, keys) -> Iterator[Flask]:
    application = make_app(sandbox.api_url, keys["partner_test"]["key"])
    yield application
    application.extensions["gigstack"].close()


@pytest.fixture
def client(app) -> FlaskClient:
    """An anonymous browser."""
    return app.test_client()


@pytest.fixture
def signed_in(app) -> Callable[..., FlaskClient]:
    """``signed_in("operator", team_ids=[...])``: a new browser signed in with that role."""
    counter = iter(range(1, 10_000))

    def make(role: str = "admin", **staff: Any) -> FlaskClient:
        email = staff.pop("email", None) or f"{role}{next(counter)}@staff.test"
        add_staff(app, email, role, **staff)
        browser = app.test_client()
        response = sign_in(browser, email)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        browser.staff_email = email  # type: ignore[attr-defined]
        return browser

    return make


@pytest.fixture
def admin(signed_in) -> FlaskClient:
    return signed_in("admin")


@pytest.fixture
def operator(signed_in) -> FlaskClient:
    return signed_in("operator")


@pytest.fixture
def viewer(signed_in) -> FlaskClient:
    return signed_in("viewer")


@pytest.fixture
def english():
    """``english(browser)``: switch a signed-in browser to English (assertions read English)."""

    def switch(browser: FlaskClient) -> FlaskClient:
        token = csrf_token(browser, "/audit/")
        answer = browser.post(
            "/account/language", data={"csrf_token": token, "locale": "en", "next": "/audit/"}
        )
        assert answer.status_code == 302
        return browser

    return switch
