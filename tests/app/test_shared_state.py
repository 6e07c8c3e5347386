"""Several processes on one Redis (``REDIS_URL``) share sign-in throttle counts and cached data;
Redis going away while the app runs is never a 500."""

from __future__ import annotations

import re

import requests

from tests.app.conftest import PASSWORD, add_staff, make_app, sign_in
from tests.app.test_production import CSRF, browser_sign_in
from tests.support import stores
from tests.support.processes import gunicorn


def failed_sign_in(url: str, email: str) -> int:
    browser = requests.Session()
    form = browser.get(f"{url}/sign-in", timeout=10).text
    return browser.post(
        f"{url}/sign-in",
        timeout=10,
        allow_redirects=False,
        data={
            "csrf_token": CSRF.search(form).group(1),
            "email": email,
            "password": "not the password at all",
        },
    ).status_code


def test_two_processes_share_throttle_counts_and_cached_data(
    sandbox, keys, tmp_path, sandbox_requests
):
    redis_url = stores.redis_url()
    database = f"sqlite:///{tmp_path / 'backoffice.sqlite3'}"
    setup = make_app(sandbox.api_url, keys["partner_test"]["key"], DATABASE_URL=database)
    add_staff(setup, "shared@staff.test", "viewer")
    add_staff(setup, "target@staff.test", "viewer")
    setup.extensions["gigstack"].close()
    settings = {
        "WEB_CONCURRENCY": "1",
        "SECRET_KEY": "s" * 48,
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "GIGSTACK_SANDBOX_URL": sandbox.api_url,
        "GIGSTACK_SANDBOX_KEY": keys["partner_test"]["key"],
    }
    with gunicorn(**settings) as first, gunicorn(**settings) as second:
        # cached data: the list of teams fetched by the first process serves the second
        browser = browser_sign_in(first.url, "shared@staff.test", PASSWORD)
        assert browser.get(f"{first.url}/audit/", timeout=10).status_code == 200
        assert sum(r.is_team_listing for r in sandbox_requests) == 1
        page = browser.get(f"{second.url}/audit/", timeout=10)
        assert page.status_code == 200 and "Cumbre Digital" in page.text
        assert sum(r.is_team_listing for r in sandbox_requests) == 1
        # throttle counts: 5 failures on each process are the 10 the account is allowed
        statuses = [
            failed_sign_in(server.url, "target@staff.test")
            for server in (first, second)
            for _ in range(5)
        ]
        assert statuses == [401] * 10
        assert failed_sign_in(first.url, "target@staff.test") == 429
        assert failed_sign_in(second.url, "target@staff.test") == 429


def test_redis_going_away_is_never_a_500(sandbox, keys, tmp_path):
    """Caching fails open (a miss: ask gigstack), throttling falls back to per-process counts
    (still throttled): locking everyone out of sign-in during a Redis outage would be worse."""
    redis_url, redis_process = stores.start_redis_server(tmp_path)
    app = make_app(sandbox.api_url, keys["partner_test"]["key"], REDIS_URL=redis_url)
    try:
        add_staff(app, "calm@staff.test", "viewer")
        add_staff(app, "target@staff.test", "viewer")
        browser = app.test_client()
        assert sign_in(browser, "calm@staff.test").status_code == 302
        assert browser.get("/", follow_redirects=True).status_code == 200  # fills the cache
        redis_process.terminate()
        redis_process.wait(timeout=10)
        app.extensions["team_directory"].forget()  # a delete that fails is logged, not raised
        home = browser.get("/", follow_redirects=True)
        assert home.status_code == 200 and "Cumbre Digital" in home.get_data(as_text=True)
        assert browser.get("/teams/").status_code == 200
        statuses = [
            sign_in(app.test_client(), "target@staff.test", "wrong password!!").status_code
            for _ in range(11)
        ]
        assert statuses == [401] * 10 + [429]
    finally:
        if redis_process.poll() is None:
            redis_process.kill()
        app.extensions["gigstack"].close()


def test_a_team_list_cached_in_redis_is_stored_under_the_apps_prefix(sandbox, keys, tmp_path):
    import redis

    redis_url, redis_process = stores.start_redis_server(tmp_path)
    app = make_app(sandbox.api_url, keys["partner_test"]["key"], REDIS_URL=redis_url)
    try:
        add_staff(app, "viewer@staff.test", "viewer")
        browser = app.test_client()
        assert sign_in(browser, "viewer@staff.test").status_code == 302
        browser.get("/audit/")
        stored = [key.decode() for key in redis.Redis.from_url(redis_url).keys("*")]
        assert any(re.fullmatch(r"backoffice:teams:.+:test", key) for key in stored), stored
    finally:
        redis_process.kill()
        app.extensions["gigstack"].close()


def test_two_processes_without_redis_share_one_time_tokens_through_the_database(
    sandbox, keys, tmp_path, api, teams, restore_sandbox
):
    """Two apps on one database, each with its own memory (two gunicorn workers): the form
    sent to one and then, with the same token, to the other creates one client."""
    from tests.app.helpers import input_value

    database = f"sqlite:///{tmp_path / 'backoffice.sqlite3'}"
    first, second = (
        make_app(sandbox.api_url, keys["partner_test"]["key"], DATABASE_URL=database)
        for _ in range(2)
    )
    try:
        add_staff(first, "twice@staff.test", "operator")
        path = f"/teams/{teams['partner']}/clients/new"
        browsers = [first.test_client(), second.test_client()]
        for browser in browsers:
            assert sign_in(browser, "twice@staff.test").status_code == 302
        page = browsers[0].get(path).get_data(as_text=True)
        data = {
            "csrf_token": input_value(page, "csrf_token"),
            "once": input_value(page, "once"),
            "legal_name": "DOS PROCESOS",
            "name": "Dos procesos",
            "tax_id": "DPR150101AB6",
            "tax_system": "601",
            "use": "G03",
            "zip": "37000",
            "country": "MEX",
        }
        before = api.clients.list(limit=1, team=teams["partner"]).total_results
        made = browsers[0].post(path, data=data)
        token = input_value(browsers[1].get(path).text, "csrf_token")  # its own session's
        repeat = browsers[1].post(path, data={**data, "csrf_token": token})
        assert made.status_code == 302 and repeat.status_code == 302
        assert repeat.headers["Location"] == made.headers["Location"]
        assert api.clients.list(limit=1, team=teams["partner"]).total_results == before + 1
    finally:
        first.extensions["gigstack"].close()
        second.extensions["gigstack"].close()


def test_claimed_tokens_expire_after_a_day_and_later_claims_delete_them(sandbox, keys):
    import sqlalchemy as sa

    from webapp import once
    from webapp.extensions import db
    from webapp.once_tokens import OnceToken

    now = [1_780_000_000.0]
    app = make_app(sandbox.api_url, keys["partner_test"]["key"], CLOCK=lambda: now[0])
    try:
        with app.test_request_context():
            assert once.claim("token-a").fresh
            assert not once.claim("token-a").fresh  # pending: the second waits
            once.done("token-a", "/teams/x/clients/made")
            assert once.claim("token-a").result == "/teams/x/clients/made"
            now[0] += once.TTL_SECONDS + 1
            assert once.claim("token-b").fresh  # and token-a's row goes
            assert db.session.scalars(sa.select(OnceToken.key)).all() == ["once:anon:token-b"]
            assert once.claim("token-a").fresh  # a day later the same token is new again
    finally:
        app.extensions["gigstack"].close()
