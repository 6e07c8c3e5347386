"""Sign-in: redirects, one message for every wrong credential, validation, disabled accounts,
throttling per account and per address, password hashing and the sandbox's demo admin."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import gettext
from markupsafe import escape
from werkzeug.security import check_password_hash

from tests.app.conftest import PASSWORD, add_staff, csrf_token, make_app, sign_in
from webapp import config, create_app, database
from webapp.audit.models import AuditEntry
from webapp.auth.demo import ensure_demo_admin
from webapp.auth.models import Staff
from webapp.extensions import db
from webapp.sandbox.keys import make_key

pytestmark = pytest.mark.databases  # and on PostgreSQL

NOW = 1_780_000_000  # 2026-05-28T20:26:40Z
FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)"[^>]*id="sign-in-form"')


def text(app: Flask, msgid: str) -> str:
    """``msgid`` as the sign-in page shows it (Spanish, HTML-escaped)."""
    with app.test_request_context():
        return str(escape(gettext(msgid)))


def input_tag(page: str, field_id: str) -> str:
    match = re.search(rf'<input[^>]*\bid="{field_id}"[^>]*>', page)
    assert match, f"no input #{field_id}"
    return match.group(0)


def field_block(page: str, field_id: str) -> str:
    """The ``div.field`` that holds input #field_id (label, input, its errors)."""
    for block in re.findall(r'<div class="field[^"]*">(.*?)</div>', page, re.S):
        if f'id="{field_id}"' in block:
            return block
    raise AssertionError(f"no field block for #{field_id}")


def audit(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def staff_row(app: Flask, email: str) -> Staff:
    with app.app_context():
        staff = Staff.by_email(email)
        assert staff is not None
        db.session.expunge(staff)
        return staff


def post_sign_in(client, email: str, password: str, addr: str = "127.0.0.1", **extra: str):
    """A browser at ``addr`` loads the form and sends it."""
    token = csrf_token(client)
    return client.post(
        "/sign-in",
        data={"csrf_token": token, "email": email, "password": password, **extra},
        environ_base={"REMOTE_ADDR": addr},
    )


@pytest.fixture
def timed_app(sandbox, keys):
    """The app with a fixed clock, so sign-in times are exact."""
    application = make_app(sandbox.api_url, keys["partner_test"]["key"], CLOCK=lambda: NOW)
    yield application
    application.extensions["gigstack"].close()


def limited_app(sandbox, keys, limits: str) -> Flask:
    return make_app(sandbox.api_url, keys["partner_test"]["key"], SIGN_IN_LIMITS=limits)


# -- success ----------------------------------------------------------------------------------


def test_sign_in_goes_to_the_local_next_page_and_is_recorded(timed_app):
    staff_id = add_staff(timed_app, "ana@staff.test", "operator")
    browser = timed_app.test_client()
    page = browser.get("/sign-in?next=/teams/").get_data(as_text=True)
    action = html.unescape(FORM_ACTION.search(page).group(1))
    assert action == "/sign-in?next=/teams/"  # the form posts the next page back
    token = csrf_token(browser, "/sign-in?next=/teams/")
    response = browser.post(
        action,
        data={"csrf_token": token, "email": "ana@staff.test", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/teams/"
    assert browser.get("/teams/").status_code == 200
    [entry] = audit(timed_app, "auth.sign_in")
    assert (entry.outcome, entry.staff_id, entry.actor, entry.remote_addr) == (
        "ok",
        staff_id,
        "ana@staff.test",
        "203.0.113.7",
    )
    assert staff_row(timed_app, "ana@staff.test").last_sign_in_at == datetime.fromtimestamp(
        NOW, UTC
    )


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/steal",
        "//evil.example/steal",
        "evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "",
    ],
)
def test_sign_in_ignores_a_next_that_is_not_a_local_path(client, app, target):
    add_staff(app, "ana@staff.test")
    response = sign_in(client, "ana@staff.test", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_email_is_matched_whatever_its_case(client, app):
    add_staff(app, "ana@staff.test")
    assert sign_in(client, "Ana@Staff.TEST").status_code == 302
    assert client.get("/audit/").status_code == 200


def test_signed_in_staff_visiting_sign_in_go_home(viewer):
    response = viewer.get("/sign-in")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    response = viewer.get("/sign-in?next=/teams/")
    assert response.headers["Location"] == "/teams/"


# -- wrong credentials ------------------------------------------------------------------------


def test_unknown_email_and_wrong_password_look_the_same(client, app):
    add_staff(app, "ana@staff.test")
    wrong_password = "not the right one, clearly"
    unknown = sign_in(client, "nobody@staff.test", wrong_password)
    wrong = sign_in(client, "ana@staff.test", wrong_password)
    message = text(app, "Wrong email or password.")
    assert unknown.status_code == wrong.status_code == 401
    pages = {
        "nobody@staff.test": unknown.get_data(as_text=True),
        "ana@staff.test": wrong.get_data(as_text=True),
    }
    for email, page in pages.items():
        assert message in page
        assert f'value="{email}"' in input_tag(page, "email")  # the email typed is kept
        assert 'value=""' in input_tag(page, "password")
        assert wrong_password not in page  # the password is never sent back
    # apart from the email typed and the fresh CSRF token, the two pages are identical
    normalized = {
        re.sub(r'value="[^"]*"', 'value=""', page.replace(email, "EMAIL"))
        for email, page in pages.items()
    }
    normalized = {re.sub(r'"X-CSRFToken": "[^"]*"', "", page) for page in normalized}
    assert len(normalized) == 1
    entries = audit(app, "auth.sign_in")
    assert [(e.actor, e.outcome) for e in entries] == [
        ("nobody@staff.test", "invalid_credentials"),
        ("ana@staff.test", "invalid_credentials"),
    ]
    assert client.get("/audit/").status_code == 302  # still nobody


def test_wrong_password_does_not_set_last_sign_in(client, app):
    add_staff(app, "ana@staff.test")
    sign_in(client, "ana@staff.test", "not the right one, clearly")
    assert staff_row(app, "ana@staff.test").last_sign_in_at is None


# -- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "password", "field", "msgid"),
    [
        ("", PASSWORD, "email", "Type your email."),
        ("ana@staff.test", "", "password", "Type your password."),
        ("ana.staff.test", PASSWORD, "email", "That does not look like an email address."),
    ],
)
def test_validation_message_sits_next_to_its_field(client, app, email, password, field, msgid):
    add_staff(app, "ana@staff.test")
    response = sign_in(client, email, password)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    block = field_block(page, field)
    assert f'<ul class="field-errors" id="{field}-errors"><li>{text(app, msgid)}</li></ul>' in block
    assert f'aria-describedby="{field}-errors"' in input_tag(page, field)
    assert 'aria-invalid="true"' in input_tag(page, field)
    other = "password" if field == "email" else "email"
    assert "field-errors" not in field_block(page, other)
    assert f'value="{email}"' in input_tag(page, "email")  # what was typed stays
    assert PASSWORD not in page
    assert audit(app, "auth.sign_in") == []  # no attempt was made


def test_missing_csrf_token_re_renders_the_form_keeping_the_email(client, app):
    add_staff(app, "ana@staff.test")
    response = client.post("/sign-in", data={"email": "ana@staff.test", "password": PASSWORD})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert text(app, "The page had expired. Send the form again.") in page
    assert 'value="ana@staff.test"' in input_tag(page, "email")
    assert PASSWORD not in page
    assert sign_in(client, "ana@staff.test").status_code == 302  # the fresh form works


# -- disabled accounts ------------------------------------------------------------------------


def test_disabled_account_is_told_so_only_with_the_right_password(client, app):
    add_staff(app, "off@staff.test", active=False)
    disabled = text(app, "This account is disabled. Ask an administrator to enable it again.")
    wrong = sign_in(client, "off@staff.test", "not the right one, clearly")
    assert wrong.status_code == 401
    assert disabled not in wrong.get_data(as_text=True)
    assert text(app, "Wrong email or password.") in wrong.get_data(as_text=True)
    right = sign_in(client, "off@staff.test")
    assert right.status_code == 403
    assert disabled in right.get_data(as_text=True)
    assert text(app, "Wrong email or password.") not in right.get_data(as_text=True)
    assert client.get("/audit/").status_code == 302  # not signed in
    assert [e.outcome for e in audit(app, "auth.sign_in")] == [
        "invalid_credentials",
        "account_disabled",
    ]
    assert staff_row(app, "off@staff.test").last_sign_in_at is None


# -- throttling -------------------------------------------------------------------------------


@pytest.mark.state_stores  # and with Redis counting
def test_eleventh_failure_on_one_account_is_throttled_from_any_address(client, app):
    add_staff(app, "ana@staff.test")
    for n in range(10):
        response = post_sign_in(
            app.test_client(), "ana@staff.test", f"guess number {n:04}", addr=f"198.51.100.{n + 1}"
        )
        assert response.status_code == 401, n
    response = post_sign_in(
        app.test_client(), "ana@staff.test", "guess number 0010", addr="198.51.100.99"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert text(app, "Too many sign-in attempts. Wait a minute and try again.") in page
    assert 'id="sign-in-form"' in page
    assert 'value="ana@staff.test"' in input_tag(page, "email")
    assert "guess number" not in page
    assert 0 < int(response.headers["Retry-After"]) <= 60
    # while throttled, even the right password is refused: guessing cannot continue
    assert post_sign_in(client, "ana@staff.test", PASSWORD, addr="192.0.2.1").status_code == 429
    # another account from the same addresses is unaffected
    add_staff(app, "bea@staff.test")
    assert post_sign_in(client, "bea@staff.test", PASSWORD, addr="198.51.100.1").status_code == 302


@pytest.mark.state_stores  # and with Redis counting
def test_one_address_trying_many_accounts_is_throttled(sandbox, keys):
    app = limited_app(sandbox, keys, "3 per minute")
    add_staff(app, "ana@staff.test")
    browser = app.test_client()
    for n in range(3):
        assert (
            post_sign_in(
                browser, f"user{n}@staff.test", "whatever password", addr="198.51.100.5"
            ).status_code
            == 401
        )
    response = post_sign_in(browser, "user3@staff.test", "whatever password", addr="198.51.100.5")
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert text(app, "Too many sign-in attempts. Wait a minute and try again.") in page
    assert 'value="user3@staff.test"' in input_tag(page, "email")
    assert int(response.headers["Retry-After"]) > 0
    # that address cannot even sign in properly; another address can
    assert post_sign_in(browser, "ana@staff.test", PASSWORD, addr="198.51.100.5").status_code == 429
    assert (
        post_sign_in(app.test_client(), "ana@staff.test", PASSWORD, addr="198.51.100.6").status_code
        == 302
    )
    app.extensions["gigstack"].close()


@pytest.mark.state_stores  # and with Redis counting
def test_other_accounts_failures_do_not_block_a_good_sign_in(sandbox, keys):
    app = limited_app(sandbox, keys, "3 per minute")
    add_staff(app, "ana@staff.test")
    for account in range(4):
        for attempt in range(4):
            post_sign_in(
                app.test_client(),
                f"target{account}@staff.test",
                "whatever password",
                addr=f"203.0.113.{account * 10 + attempt + 1}",
            )
    assert (
        post_sign_in(
            app.test_client(), "target0@staff.test", "whatever password", addr="203.0.113.200"
        ).status_code
        == 429
    )  # those accounts are locked
    browser = app.test_client()
    response = post_sign_in(browser, "ana@staff.test", PASSWORD, addr="192.0.2.10")
    assert response.status_code == 302
    assert browser.get("/audit/", environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 200
    app.extensions["gigstack"].close()


@pytest.mark.state_stores  # and with Redis counting
def test_good_sign_ins_do_not_count_against_the_account(sandbox, keys):
    app = limited_app(sandbox, keys, "3 per minute")
    add_staff(app, "ana@staff.test")
    for n in range(4):
        assert (
            post_sign_in(
                app.test_client(), "ana@staff.test", PASSWORD, addr=f"192.0.2.{n + 1}"
            ).status_code
            == 302
        )
    assert (
        post_sign_in(
            app.test_client(), "ana@staff.test", "a typo in the password", addr="192.0.2.50"
        ).status_code
        == 401
    )
    app.extensions["gigstack"].close()


# -- passwords --------------------------------------------------------------------------------


def test_default_password_hash_is_pbkdf2_sha256_600000():
    assert config.Config.PASSWORD_HASH_METHOD == "pbkdf2:sha256:600000"
    for mode in ("development", "production"):
        assert config.CONFIGS[mode].PASSWORD_HASH_METHOD == "pbkdf2:sha256:600000"
    # the suite alone uses a cheaper (still real) hash
    assert config.TestingConfig.PASSWORD_HASH_METHOD == "pbkdf2:sha256:1000"


def test_stored_hash_of_a_development_app_uses_600000_iterations(sandbox, keys, monkeypatch):
    for name in config.ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("APP_ENV", raising=False)
    app = create_app(
        {
            "APP_ENV": "development",
            "DATABASE_URL": "sqlite://",
            "GIGSTACK_SANDBOX_URL": sandbox.api_url,
            "GIGSTACK_SANDBOX_KEY": keys["partner_test"]["key"],
        }
    )
    database.upgrade(app)
    assert app.config["PASSWORD_HASH_METHOD"] == "pbkdf2:sha256:600000"
    add_staff(app, "ana@staff.test")
    stored = staff_row(app, "ana@staff.test").password_hash
    method, salt, digest = stored.split("$")
    assert method == "pbkdf2:sha256:600000"
    assert len(salt) >= 16 and len(digest) == 64  # hex SHA-256
    assert PASSWORD not in stored
    assert check_password_hash(stored, PASSWORD)
    assert sign_in(app.test_client(), "ana@staff.test").status_code == 302
    app.extensions["gigstack"].close()


def test_testing_app_hashes_cheaply(app):
    add_staff(app, "ana@staff.test")
    assert staff_row(app, "ana@staff.test").password_hash.startswith("pbkdf2:sha256:1000$")


# -- the demo admin ---------------------------------------------------------------------------


def test_demo_admin_on_the_sandbox_is_created_and_repaired(sandbox, keys):
    app = make_app(
        sandbox.api_url,
        keys["partner_test"]["key"],
        DEMO_ADMIN_EMAIL="Demo@Sandbox.Test",
        DEMO_ADMIN_PASSWORD="demo password 2026",
    )
    assert ensure_demo_admin(app) == "demo@sandbox.test"
    demo = staff_row(app, "demo@sandbox.test")
    assert (demo.role, demo.active, demo.is_demo) == ("admin", True, True)
    browser = app.test_client()
    assert sign_in(browser, "demo@sandbox.test", "demo password 2026").status_code == 302
    assert browser.get("/audit/").status_code == 200
    # someone changed it: a rerun puts back the configured password, role and state
    with app.app_context():
        staff = Staff.by_email("demo@sandbox.test")
        staff.set_password("something else entirely")
        staff.role, staff.active = "viewer", False
        db.session.commit()
    assert ensure_demo_admin(app) == "demo@sandbox.test"
    demo = staff_row(app, "demo@sandbox.test")
    assert (demo.role, demo.active, demo.is_demo) == ("admin", True, True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Staff)) == 1
    assert sign_in(app.test_client(), "demo@sandbox.test", "demo password 2026").status_code == 302
    app.extensions["gigstack"].close()


def test_real_key_removes_demo_accounts_and_their_sessions(sandbox, keys, tmp_path):
    """From sandbox to a real key on the same database: the demo admin stops working."""
    shared = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'backoffice.sqlite3'}",
        "SECRET_KEY": "one secret for both deployments",
    }
    sandboxed = make_app(sandbox.api_url, keys["partner_test"]["key"], **shared)
    demo_email = ensure_demo_admin(sandboxed)
    demo_password = sandboxed.config["DEMO_ADMIN_PASSWORD"]
    add_staff(sandboxed, "ana@staff.test", "admin")
    browser = sandboxed.test_client()
    assert sign_in(browser, demo_email, demo_password).status_code == 302
    demo_cookie = browser.get_cookie("backoffice_session").value
    other = sandboxed.test_client()
    assert sign_in(other, "ana@staff.test").status_code == 302
    ana_cookie = other.get_cookie("backoffice_session").value
    sandboxed.extensions["gigstack"].close()

    real_key = make_key("team_real", True, "key_live_x")
    real = create_app(
        {
            "APP_ENV": "testing",
            "WTF_CSRF_ENABLED": True,
            **shared,
            "GIGSTACK_API_KEY": real_key,
            "GIGSTACK_API_URL": sandbox.api_url,
        }
    )
    database.upgrade(real)
    assert real.extensions["gigstack"].is_sandbox is False
    # before the purge: the demo session is nobody, the demo password is a wrong password
    replay = real.test_client()
    replay.set_cookie("backoffice_session", demo_cookie)
    assert replay.get("/sign-in").status_code == 200  # anonymous: the form, not home
    response = replay.get("/audit/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
    control = real.test_client()  # a non-demo session carries over with the same secret
    control.set_cookie("backoffice_session", ana_cookie)
    assert control.get("/sign-in").headers.get("Location") == "/"
    attempt = sign_in(real.test_client(), demo_email, demo_password)
    assert attempt.status_code == 401
    assert text(real, "Wrong email or password.") in attempt.get_data(as_text=True)
    # the purge deletes demo accounts only
    assert ensure_demo_admin(real) is None
    with real.app_context():
        assert Staff.by_email(demo_email) is None
        assert Staff.by_email("ana@staff.test") is not None
    assert sign_in(real.test_client(), demo_email, demo_password).status_code == 401
    assert "Cuenta de demostración" not in real.test_client().get("/sign-in").get_data(as_text=True)
    real.extensions["gigstack"].close()
