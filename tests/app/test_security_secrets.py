"""Secrets stay secret: the API key and passwords never reach logs, pages, cookies or audit.

One walk through the app as its users would take it (sign-in mistakes, every page, errors
of every kind, the CSV export) with every logger at DEBUG, then a search for each secret
in everything the walk produced.
"""

from __future__ import annotations

import html as html_module
import logging
from urllib.parse import quote, quote_plus

import sqlalchemy as sa
from flask import Response

from tests.app.conftest import PASSWORD, add_staff, csrf_token, make_app, sign_in
from tests.app.test_security import HTMX, SESSION_KEYS, session_data
from webapp.audit.models import AuditEntry
from webapp.auth.access import public
from webapp.auth.demo import ensure_demo_admin
from webapp.auth.models import Staff
from webapp.extensions import db

WRONG_PASSWORD = "Tr0ub4dor&3-not-it"
LOGGERS = (
    "",
    "webapp",
    "werkzeug",
    "sqlalchemy",
    "sqlalchemy.engine",
    "flask_limiter",
    "urllib3",
    "alembic",
)


def _variants(secret: str) -> set[str]:
    """The secret as it could appear: plain, HTML-escaped, URL-encoded."""
    return {secret, html_module.escape(secret), quote(secret, safe=""), quote_plus(secret)}


class Trail:
    """Every response of the walk, and the session cookie as it was after each one."""

    def __init__(self, app) -> None:
        self.app = app
        self.responses: list[tuple[str, Response]] = []
        self.sessions: list[tuple[str, dict]] = []

    def visit(self, client, method: str, path: str, **kwargs) -> Response:
        # buffered: a streamed download (CSV) is read at once, as a server would send it,
        # so its request context does not stay pushed under the next visits
        response = client.open(path, method=method, buffered=True, **kwargs)
        label = f"{method} {path} {kwargs.get('headers') or ''}"
        self.responses.append((label, response))
        self.sessions.append((label, session_data(self.app, client)))
        return response

    def statuses(self) -> set[int]:
        return {response.status_code for _, response in self.responses}


def _capture_all_logs(caplog) -> None:
    """Everything at DEBUG into caplog.

    Called again after migrating: Alembic's ``fileConfig`` (migrations/env.py) replaces the
    root logger's handlers, caplog's included, and sets the levels back to WARN.
    """
    root = logging.getLogger()
    if caplog.handler not in root.handlers:
        root.addHandler(caplog.handler)
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)


def test_api_key_and_passwords_never_leak(sandbox, keys, teams, faults, caplog, capsys):
    _capture_all_logs(caplog)
    api_key = keys["partner_test"]["key"]
    app = make_app(sandbox.api_url, api_key)
    _capture_all_logs(caplog)

    @app.get("/test-crash")
    @public
    def crash():
        raise RuntimeError("forced failure for the test")

    demo_email = ensure_demo_admin(app)
    demo_password = app.config["DEMO_ADMIN_PASSWORD"]
    add_staff(app, "admin@staff.test", "admin")
    add_staff(app, "nobody@staff.test", "viewer", team_ids=[teams["outsider"]])
    trail = Trail(app)
    try:
        # sign-in with every kind of mistake, then for real
        browser = app.test_client()
        trail.visit(browser, "GET", "/sign-in")
        token = csrf_token(browser)
        for email, password in [
            ("admin@staff.test", WRONG_PASSWORD),
            ("unknown@staff.test", PASSWORD),
            ("", PASSWORD),
        ]:
            trail.visit(
                browser,
                "POST",
                "/sign-in",
                data={"csrf_token": token, "email": email, "password": password},
            )
        trail.visit(
            browser, "POST", "/sign-in", data={"email": "admin@staff.test", "password": PASSWORD}
        )  # no token
        trail.visit(
            browser,
            "POST",
            "/sign-in?next=/teams/",
            data={"csrf_token": token, "email": "admin@staff.test", "password": PASSWORD},
        )

        # every page, fragment and action of the shell
        for path in [
            "/",
            "/teams/",
            "/audit/",
            "/audit/?action=auth.sign_in",
            "/team/options?q=c",
            "/audit/export.csv",
        ]:
            trail.visit(browser, "GET", path)
        trail.visit(browser, "GET", "/teams/", headers={**HTMX, "HX-Target": "teams-list"})
        token = csrf_token(browser, "/audit/")
        trail.visit(browser, "POST", "/team", data={"csrf_token": token, "team": teams["subs"][0]})
        trail.visit(
            browser, "POST", "/account/language", data={"csrf_token": token, "locale": "en"}
        )
        trail.visit(browser, "GET", "/")

        # error pages: 403, 404, 405, 400 (CSRF), 500, full and as htmx banners
        trail.visit(browser, "POST", "/team", data={"csrf_token": token, "team": teams["outsider"]})
        for headers in ({}, HTMX):
            trail.visit(browser, "GET", "/no-such-page", headers=headers)
            trail.visit(browser, "GET", "/sign-out", headers=headers)
            trail.visit(browser, "POST", "/team", data={"team": teams["partner"]}, headers=headers)
            trail.visit(browser, "GET", "/test-crash", headers=headers)
        nobody = app.test_client()
        sign_in(nobody, "nobody@staff.test")
        trail.visit(nobody, "GET", "/")  # 403: no team the key reaches

        # the demo admin of the sandbox
        demo = app.test_client()
        trail.visit(
            demo,
            "POST",
            "/sign-in",
            data={"csrf_token": csrf_token(demo), "email": demo_email, "password": demo_password},
        )
        trail.visit(demo, "GET", "/audit/")
        trail.visit(demo, "POST", "/sign-out", data={"csrf_token": csrf_token(demo, "/audit/")})

        # 429: too many sign-in attempts from one address, the last with the real password
        attacker = app.test_client()
        attacker_ip = {"REMOTE_ADDR": "203.0.113.7"}
        token = csrf_token(attacker)
        for attempt in range(11):
            trail.visit(
                attacker,
                "POST",
                "/sign-in",
                environ_overrides=attacker_ip,
                data={
                    "csrf_token": token,
                    "email": "admin@staff.test",
                    "password": PASSWORD if attempt == 10 else WRONG_PASSWORD,
                },
            )

        # gigstack failing: 502, then 503 once the circuit breaker opens
        faults({"rules": [{"method": "GET", "path": "/users", "status": 503, "retry_after": 0}]})
        users = f"/teams/{teams['partner']}/users/"
        for _ in range(3):
            trail.visit(browser, "GET", users)
        trail.visit(browser, "GET", users, headers={**HTMX, "HX-Target": "users-list"})
        trail.visit(
            browser, "POST", "/sign-out", data={"csrf_token": csrf_token(browser, "/audit/")}
        )

        with app.app_context():
            hashes = set(db.session.scalars(sa.select(Staff.password_hash)))
            audit_rows = [
                repr([getattr(entry, column.key) for column in AuditEntry.__table__.columns])
                for entry in db.session.scalars(sa.select(AuditEntry))
            ]
    finally:
        app.extensions["gigstack"].close()

    # the walk did reach what it meant to reach
    assert {200, 302, 400, 401, 403, 404, 405, 429, 500, 502, 503} <= trail.statuses()
    assert any("invalid_credentials" in row for row in audit_rows)
    csv_exports = [r for label, r in trail.responses if "export.csv" in label]
    assert csv_exports and csv_exports[0].mimetype == "text/csv"
    records = caplog.records
    assert any(r.name.startswith("sqlalchemy") for r in records)
    assert any(r.name.startswith("webapp") for r in records)

    secrets = {
        "API key": api_key,
        "staff password": PASSWORD,
        "mistyped password": WRONG_PASSWORD,
        "demo admin password": demo_password,
    }
    printed = capsys.readouterr()
    logs = "\n".join(
        [
            caplog.text,
            printed.out,
            printed.err,
            *(f"{r.getMessage()} {r.exc_text or ''} {r.stack_info or ''}" for r in records),
        ]
    )
    places = {"logs and output": logs, "audit rows": "\n".join(audit_rows)}
    for label, response in trail.responses:
        places[f"body of {label}"] = response.get_data(as_text=True)
        places[f"headers of {label}"] = str(response.headers)
    for label, data in trail.sessions:
        places[f"session cookie after {label}"] = repr(data)
        assert set(data) <= SESSION_KEYS, f"{label}: unexpected keys {set(data) - SESSION_KEYS}"
    for place, text in places.items():
        for what, secret in secrets.items():
            for variant in _variants(secret):
                assert variant not in text, f"{what} found in {place}"
        if place != "logs and output":
            for password_hash in hashes:
                assert password_hash not in text, f"a password hash found in {place}"
