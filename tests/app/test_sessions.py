"""Sessions: idle and absolute limits on an injected clock, a new session at sign-in, cookies
that die with sign-out, password reset and deactivation, and what the cookie holds."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.app.conftest import PASSWORD, add_staff, csrf_token, make_app, sign_in
from webapp.auth.models import Staff
from webapp.extensions import db

pytestmark = pytest.mark.databases  # and on PostgreSQL

COOKIE = "backoffice_session"
MINUTE = 60
START = 1_780_000_000.0


class Clock:
    """``app.config["CLOCK"]``: the app's "now", moved by the test."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed_app(sandbox, keys, clock):
    application = make_app(sandbox.api_url, keys["partner_test"]["key"], CLOCK=clock)
    yield application
    application.extensions["gigstack"].close()


def signed_in_browser(app: Flask, email: str = "ana@staff.test", **extra: str) -> FlaskClient:
    add_staff(app, email, "viewer")
    browser = app.test_client()
    response = sign_in(browser, email, **extra)
    assert response.status_code == 302
    return browser


def cookie_value(browser: FlaskClient) -> str:
    cookie = browser.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def session_of(app: Flask, browser: FlaskClient) -> dict:
    """What the signed cookie holds, decoded as the server would."""
    return dict(app.session_interface.get_signing_serializer(app).loads(cookie_value(browser)))


def replayed(app: Flask, value: str) -> FlaskClient:
    """A different browser presenting a copied cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, value)
    return thief


def assert_sent_to_sign_in(response, expired: bool = False) -> None:
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/sign-in"
    assert (parse_qs(target.query).get("reason") == ["expired"]) is expired


# -- idle and absolute limits -----------------------------------------------------------------


def test_activity_within_30_minutes_keeps_the_session(timed_app, clock):
    browser = signed_in_browser(timed_app)
    for _ in range(4):  # 4 × 29 min: every request renews the idle limit
        clock.advance(29 * MINUTE)
        assert browser.get("/audit/").status_code == 200
    assert session_of(timed_app, browser)["seen"] == int(clock.now)


def test_31_minutes_idle_sends_to_sign_in_as_expired(timed_app, clock):
    browser = signed_in_browser(timed_app)
    assert browser.get("/audit/").status_code == 200
    clock.advance(31 * MINUTE)
    response = browser.get("/teams/")
    assert_sent_to_sign_in(response, expired=True)
    assert parse_qs(urlsplit(response.headers["Location"]).query)["next"] == ["/teams/"]
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tu sesión expiró. Vuelve a iniciar sesión para continuar." in page
    assert "_user_id" not in session_of(timed_app, browser)
    clock.advance(1)
    assert_sent_to_sign_in(browser.get("/audit/"))  # signed out for good, not only once


def test_expired_htmx_request_gets_401_with_hx_redirect(timed_app, clock):
    browser = signed_in_browser(timed_app)
    clock.advance(31 * MINUTE)
    response = browser.get(
        "/team/options?q=",
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/teams/?next=abc"},
    )
    assert response.status_code == 401
    target = urlsplit(response.headers["HX-Redirect"])
    assert target.path == "/sign-in"
    assert parse_qs(target.query) == {"next": ["/teams/?next=abc"], "reason": ["expired"]}
    assert response.get_data(as_text=True) == ""


def test_session_ends_after_12_hours_despite_activity(timed_app, clock):
    browser = signed_in_browser(timed_app)
    for _ in range(24):  # 24 × 29 min = 11 h 36 min
        clock.advance(29 * MINUTE)
        assert browser.get("/team/options").status_code == 200
    clock.advance(25 * MINUTE)  # 12 h 01 min after sign-in, 25 min after the last request
    assert_sent_to_sign_in(browser.get("/audit/"), expired=True)


# -- a new session at sign-in -----------------------------------------------------------------


def test_sign_in_replaces_the_session_it_was_given(app, teams):
    add_staff(app, "ana@staff.test")
    browser = app.test_client()
    token = csrf_token(browser)
    with browser.session_transaction() as planted:  # e.g. a fixated cookie
        planted["planted"] = "by an attacker"
        planted["team"] = teams["subs"][0]
        planted["started"] = planted["seen"] = 1
    before = cookie_value(browser)
    response = browser.post(
        "/sign-in", data={"csrf_token": token, "email": "ana@staff.test", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert f"{COOKIE}=" in response.headers["Set-Cookie"]
    after = cookie_value(browser)
    assert after != before
    content = session_of(app, browser)
    assert "planted" not in content and "team" not in content
    assert content["started"] == content["seen"] > 1
    assert content.get("csrf_token") != token  # the pre-sign-in CSRF token is gone too
    assert browser.get("/audit/").status_code == 200
    assert session_of(app, browser)["team"] == teams["partner"]  # the default, not the plant
    assert_sent_to_sign_in(replayed(app, before).get("/audit/"))  # the old cookie is still nobody


# -- cookies that stop working ----------------------------------------------------------------


def test_a_copied_cookie_dies_at_sign_out(app):
    browser = signed_in_browser(app)
    copy = cookie_value(browser)
    assert replayed(app, copy).get("/audit/").status_code == 200  # a copy works while signed in
    response = browser.post("/sign-out", data={"csrf_token": csrf_token(browser, "/audit/")})
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?reason=signed_out"
    assert_sent_to_sign_in(browser.get("/audit/"))
    assert_sent_to_sign_in(replayed(app, copy).get("/audit/"))
    assert signed_in_browser(app, "bea@staff.test").get("/audit/").status_code == 200


def test_password_reset_ends_existing_sessions(app):
    browser = signed_in_browser(app)
    copy = cookie_value(browser)
    with app.app_context():
        Staff.by_email("ana@staff.test").set_password("a brand new password")
        db.session.commit()
    assert_sent_to_sign_in(browser.get("/audit/"))
    assert_sent_to_sign_in(replayed(app, copy).get("/audit/"))
    assert sign_in(browser, "ana@staff.test").status_code == 401  # old password refused
    assert sign_in(browser, "ana@staff.test", "a brand new password").status_code == 302


def test_deactivation_ends_existing_sessions(app):
    browser = signed_in_browser(app)
    copy = cookie_value(browser)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["staff", "deactivate", "ana@staff.test"]).exit_code == 0
    assert_sent_to_sign_in(browser.get("/audit/"))
    assert runner.invoke(args=["staff", "activate", "ana@staff.test"]).exit_code == 0
    # enabled again: the account may sign in anew, but the old cookies stay dead
    assert_sent_to_sign_in(replayed(app, copy).get("/audit/"))
    assert sign_in(browser, "ana@staff.test").status_code == 302


# -- the cookie itself ------------------------------------------------------------------------


def test_no_remember_me_cookie_is_ever_set(app):
    add_staff(app, "ana@staff.test")
    browser = app.test_client()
    remember_cookie = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    steps = [
        lambda: browser.get("/sign-in"),
        lambda: sign_in(browser, "ana@staff.test", remember="y", remember_me="1"),
        lambda: browser.get("/audit/"),
        lambda: browser.post("/sign-out", data={"csrf_token": csrf_token(browser, "/audit/")}),
    ]
    set_cookies = []
    for step in steps:
        set_cookies += step().headers.getlist("Set-Cookie")
        assert browser.get_cookie(remember_cookie) is None
    assert len(set_cookies) >= 3  # the session cookie was set, renewed and cleared
    for header in set_cookies:
        assert header.startswith(f"{COOKIE}="), header
        assert "remember" not in header.lower()


def test_cookie_is_httponly_and_samesite_lax(app):
    add_staff(app, "ana@staff.test")
    browser = app.test_client()
    response = sign_in(browser, "ana@staff.test")
    header = response.headers["Set-Cookie"]
    flags = [part.strip() for part in header.split(";")]
    assert "HttpOnly" in flags and "SameSite=Lax" in flags and "Path=/" in flags
    assert "Secure" not in flags  # plain HTTP in tests
    cookie = browser.get_cookie(COOKIE)
    assert cookie.http_only and cookie.same_site == "Lax"


def test_cookie_is_secure_over_https(app):
    response = app.test_client().get("/sign-in", base_url="https://localhost")
    flags = [part.strip() for part in response.headers["Set-Cookie"].split(";")]
    assert "Secure" in flags and "HttpOnly" in flags and "SameSite=Lax" in flags


def test_session_holds_only_the_staff_id_teams_csrf_token_and_times(app, keys, teams):
    browser = signed_in_browser(app)
    assert browser.get("/audit/").status_code == 200
    raw = cookie_value(browser)
    content = session_of(app, browser)
    with app.app_context():
        staff = Staff.by_email("ana@staff.test")
        expected_id, password_hash = staff.get_id(), staff.password_hash
    flask_login = {"_user_id", "_fresh", "_id"}
    kept = {"_permanent", "team", "recent_teams", "csrf_token", "started", "seen"}
    assert set(content) <= flask_login | kept
    assert {"_user_id", "team", "csrf_token", "started", "seen"} <= set(content)
    assert content["_user_id"] == expected_id
    assert content["team"] == teams["partner"]
    assert content["recent_teams"] == [teams["partner"]]  # ids of the teams used last
    assert isinstance(content["started"], int) and isinstance(content["seen"], int)
    text = repr(content) + raw
    for secret in (keys["partner_test"]["key"], password_hash, PASSWORD, "ana@staff.test"):
        assert secret not in text


@pytest.mark.parametrize("role", ["viewer", "operator", "admin"])
@pytest.mark.parametrize("team_ids", [None, [], ["team_a", "team_b"]])
def test_each_request_reads_the_staff_row_as_a_copy_that_answers_as_the_row(app, role, team_ids):
    """``current_user`` is the row's columns read without the ORM (every page reads it); it
    says who the member is and what they may do exactly as the row does."""
    from flask_login import current_user

    from webapp.auth.models import SignedIn
    from webapp.auth.roles import Role

    staff_id = add_staff(app, f"{role}@staff.test", role, team_ids=team_ids)
    browser = app.test_client()
    assert sign_in(browser, f"{role}@staff.test").status_code == 302
    with app.app_context():
        row = db.session.get(Staff, staff_id)
        row.pinned_team_ids = ["team_b"]
        db.session.commit()
        nonce = row.session_nonce
    with browser:
        assert browser.get("/teams/").status_code == 200
        copy = current_user._get_current_object()
        assert isinstance(copy, SignedIn) and not isinstance(copy, Staff)
        with app.app_context():
            row = db.session.get(Staff, staff_id)
            assert copy.get_id() == row.get_id() == f"{staff_id}:{nonce}"
            assert copy == row and copy.is_active and copy.is_authenticated
            assert (copy.email, copy.name, copy.locale, copy.pinned_team_ids) == (
                row.email,
                row.name,
                row.locale,
                ["team_b"],
            )
            assert [copy.can(r) for r in Role] == [row.can(r) for r in Role]
            assert copy.is_admin == row.is_admin == (role == "admin")
            for team in ("team_a", "team_c", "", None):
                assert copy.may_use_team(team) == row.may_use_team(team)


def test_a_change_to_ones_own_row_shows_in_the_same_response(app, teams):
    """Pinning a team reads the row with the ORM, changes it and makes it the request's
    user: the switcher's options in the answer show the pin."""
    team = teams["partner"]
    browser = signed_in_browser(app)
    answer = browser.post(
        "/team/pin",
        data={"team": team, "csrf_token": csrf_token(browser, "/teams/")},
        headers={"HX-Request": "true", "Referer": "https://localhost/teams/"},
    )
    assert answer.status_code == 200
    assert 'aria-pressed="true"' in answer.get_data(as_text=True)
