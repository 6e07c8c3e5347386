"""Where the dashboard points: embedded sandbox without a key, never with one."""

from __future__ import annotations

import pytest

from tests.app.conftest import add_staff, sign_in
from webapp import create_app, database
from webapp.config import ConfigError
from webapp.sandbox.keys import make_key
from webapp.upstream import build_upstream


def test_without_key_an_embedded_sandbox_starts_and_answers():
    app = create_app({"APP_ENV": "testing"})
    upstream = app.extensions["gigstack"]
    try:
        assert upstream.is_sandbox and upstream.sandbox is not None
        assert upstream.base_url.startswith("http://127.0.0.1:")
        database.upgrade(app)
        add_staff(app, "viewer@staff.test")
        browser = app.test_client()
        assert sign_in(browser, "viewer@staff.test").status_code == 302
        html = browser.get("/teams/").get_data(as_text=True)
        assert "SANDBOX" in html and "Cumbre Digital" in html
    finally:
        upstream.close()


def test_the_embedded_sandbox_seeds_sandbox_teams_extra_teams():
    app = create_app({"APP_ENV": "testing", "SANDBOX_TEAMS": 30})
    upstream = app.extensions["gigstack"]
    try:
        store = upstream.sandbox.store
        partner = store.teams[upstream.key_info.team]
        reached = [t for t in store.teams.values() if t["_billing"] == partner["_billing"]]
        assert len(reached) == 1 + 6 + 30
        assert "Panadería Ñandú" in {t["brand"]["alias"] for t in reached}
    finally:
        upstream.close()


def test_with_a_key_the_sandbox_never_starts(monkeypatch):
    started = []
    monkeypatch.setattr("webapp.upstream.start_embedded_sandbox", lambda *a, **k: started.append(1))
    key = make_key("team_real", True, "key_live_x")
    upstream = build_upstream(
        {"GIGSTACK_API_KEY": key, "GIGSTACK_API_URL": "https://api.gigstack.io/v2"}
    )
    try:
        assert not started
        assert not upstream.is_sandbox and upstream.sandbox is None
        assert upstream.livemode
        assert key not in upstream.label
    finally:
        upstream.close()


def test_real_key_without_secret_key_is_refused():
    key = make_key("team_real", True, "key_live_x")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"APP_ENV": "development", "GIGSTACK_API_KEY": key, "SECRET_KEY": None})
