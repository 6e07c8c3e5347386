"""CSRF: an unsafe request without this session's token is refused before any view runs.

Walks every unsafe route of ``app.url_map`` as a signed-in admin, with the form payload
that would change something if it got through, so a missing check shows up as an audit
entry or a changed session.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext
from itsdangerous import URLSafeTimedSerializer

from tests.app.conftest import PASSWORD, csrf_token
from tests.app.test_security import HOOKS, HTMX, UNSAFE_METHODS, dummy_url, session_data
from webapp.audit.models import AuditEntry
from webapp.auth.models import Staff
from webapp.errors import ERROR_HEADER
from webapp.extensions import db


def _audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


def _locale(app, email: str) -> str:
    with app.app_context():
        return Staff.by_email(email).locale


def _messages(app) -> dict[str, str]:
    """The refusal texts in the language the admin sees (the catalogue's Spanish)."""
    with app.test_request_context():
        return {
            "page": gettext("This form expired"),
            "sign_in": gettext("The page had expired. Send the form again."),
        }


def test_unsafe_routes_refuse_missing_and_forged_csrf_tokens(app, admin, signed_in, teams):
    payloads = {
        "auth.sign_in": {"email": admin.staff_email, "password": PASSWORD},
        "shell.switch_team": {"team": teams["subs"][0], "next": "/teams/"},
        "shell.set_language": {"locale": "en", "next": "/teams/"},
    }
    other_admin = signed_in("admin")
    assert admin.get("/", follow_redirects=True).status_code == 200  # selects the key's own team
    before = session_data(app, admin)
    assert before["team"] == teams["partner"]
    audit_before = _audit_count(app)
    raw_token = before["csrf_token"]
    forged = {
        "garbage": "forged-token",
        "another session's token": csrf_token(other_admin, "/audit/"),
        "this session's token signed with another key": URLSafeTimedSerializer(
            "not-the-secret-key", salt="wtf-csrf-token"
        ).dumps(raw_token),
    }
    messages = _messages(app)

    # every unsafe route but gigstack's events (no browser sends them: no token to check)
    unsafe = [
        (rule, method)
        for rule in app.url_map.iter_rules()
        for method in sorted(rule.methods & UNSAFE_METHODS)
        if rule.endpoint != HOOKS
    ]
    assert {rule.endpoint for rule, _ in unsafe} >= {
        "auth.sign_in",
        "auth.sign_out",
        "shell.switch_team",
        "shell.set_language",
    }
    refusals = 0
    for rule, method in unsafe:
        url = dummy_url(app, rule)
        payload = payloads.get(rule.endpoint, {})
        expected = messages["sign_in" if rule.endpoint == "auth.sign_in" else "page"]
        attempts = [({}, payload, "no token")]
        attempts += [({}, {**payload, "csrf_token": token}, name) for name, token in forged.items()]
        attempts += [(HTMX, payload, "htmx without token")]
        attempts += [
            ({**HTMX, "X-CSRFToken": token}, payload, f"htmx header: {name}")
            for name, token in forged.items()
        ]
        for headers, data, name in attempts:
            response = admin.open(url, method=method, data=data, headers=headers)
            html = response.get_data(as_text=True)
            where = f"{method} {url} ({name})"
            assert response.status_code == 400, where
            assert expected in html, where
            if rule.endpoint == "auth.sign_in":
                # sign-in answers with its own form again (fresh token, email kept)
                assert 'id="sign-in-form"' in html, where
                assert PASSWORD not in html, where
            elif headers.get("HX-Request"):
                assert response.headers.get(ERROR_HEADER) == "400", where
                assert "<html" not in html and 'data-error-status="400"' in html, where
            else:
                assert ERROR_HEADER not in response.headers, where
                assert html.lstrip().lower().startswith("<!doctype html>"), where
                assert 'data-error-status="400"' in html, where
            refusals += 1
        # nothing reached a view: no audit entry, same session, same team, same language
        assert _audit_count(app) == audit_before, f"{method} {url} wrote an audit entry"
        after = session_data(app, admin)
        assert after["team"] == before["team"], f"{method} {url} changed the team"
        assert after["_user_id"] == before["_user_id"], f"{method} {url} changed the session"
        assert _locale(app, admin.staff_email) == "es_MX", f"{method} {url} changed language"

    assert refusals == len(unsafe) * (2 + 2 * len(forged))
    assert admin.get("/audit/").status_code == 200  # still signed in
    # the same payloads do act once the session's real token is sent (the refusals were CSRF)
    token = csrf_token(admin, "/audit/")
    switched = admin.post("/team", data={**payloads["shell.switch_team"], "csrf_token": token})
    assert switched.status_code == 302
    assert session_data(app, admin)["team"] == teams["subs"][0]
    assert _audit_count(app) == audit_before + 1
