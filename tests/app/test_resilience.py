"""Pages that hold when gigstack does not: the back office's own pages never wait on it, and
users who arrive together while gigstack is slow share one call instead of queueing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest


class HeldListings:
    """Holds every GET /v2/teams in the sandbox until released; counts them."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.arrived = threading.Semaphore(0)
        self.count = 0


@pytest.fixture
def held_team_listings(sandbox) -> Iterator[HeldListings]:
    held = HeldListings()
    inner = sandbox.app.wsgi_app

    def holding(environ, start_response):
        if environ["REQUEST_METHOD"] == "GET" and environ["PATH_INFO"].endswith("/v2/teams"):
            held.count += 1
            held.arrived.release()
            held.release.wait(timeout=30)
        return inner(environ, start_response)

    sandbox.app.wsgi_app = holding
    yield held
    held.release.set()
    sandbox.app.wsgi_app = inner


def test_audit_and_staff_pages_answer_while_gigstack_hangs(app, admin, held_team_listings):
    app.extensions["team_directory"].forget()
    audit = admin.get("/audit/")
    assert held_team_listings.arrived.acquire(timeout=10)  # a background fetch is under way
    staff = admin.get("/staff/")
    # both answered while the team list was still held by gigstack
    assert not held_team_listings.release.is_set()
    assert audit.status_code == 200 and staff.status_code == 200
    assert "Cargando equipos…" in audit.get_data(as_text=True)
    held_team_listings.release.set()
    app.extensions["team_directory"].settle()
    assert held_team_listings.count == 1  # one fetch for both pages, in the background
    assert "Cumbre Digital" in admin.get("/audit/").get_data(as_text=True)


def test_users_arriving_together_share_one_team_list_call(app, signed_in, held_team_listings):
    browsers = [signed_in("viewer") for _ in range(4)]
    app.extensions["team_directory"].forget()
    with ThreadPoolExecutor(max_workers=4) as pool:
        pages = [
            pool.submit(lambda b=browser: b.get("/", follow_redirects=True)) for browser in browsers
        ]
        assert held_team_listings.arrived.acquire(timeout=10)
        held_team_listings.release.set()
        statuses = [page.result(timeout=30).status_code for page in pages]
    assert statuses == [200] * 4
    assert held_team_listings.count == 1


def test_a_fresh_list_is_used_without_any_background_call(app, admin, held_team_listings):
    held_team_listings.release.set()
    app.extensions["team_directory"].forget()
    assert admin.get("/", follow_redirects=True).status_code == 200  # fetches the list
    assert admin.get("/audit/").status_code == 200
    app.extensions["team_directory"].settle()
    assert held_team_listings.count == 1


def test_no_database_connection_is_held_while_a_page_waits_on_gigstack(sandbox, keys, tmp_path):
    """16 threads a worker waiting on gigstack must not hold 16 database connections."""
    from tests.app.conftest import add_staff, make_app, sign_in
    from webapp.extensions import db

    app = make_app(
        sandbox.api_url,
        keys["partner_test"]["key"],
        DATABASE_URL=f"sqlite:///{tmp_path / 'pool.sqlite3'}",
    )
    held = threading.Event()
    waiting = threading.Event()
    inner = sandbox.app.wsgi_app

    def holding(environ, start_response):
        if environ["PATH_INFO"].endswith("/series"):
            waiting.set()
            held.wait(timeout=30)
        return inner(environ, start_response)

    sandbox.app.wsgi_app = holding
    try:
        add_staff(app, "pool@staff.test", "viewer")
        browser = app.test_client()
        assert sign_in(browser, "pool@staff.test").status_code == 302
        with ThreadPoolExecutor(max_workers=1) as pool:
            page = pool.submit(lambda: browser.get("/", follow_redirects=True))
            assert waiting.wait(timeout=10)
            with app.app_context():
                in_use = db.engine.pool.checkedout()
            held.set()
            assert page.result(timeout=30).status_code == 200
        assert in_use == 0
    finally:
        held.set()
        sandbox.app.wsgi_app = inner
        app.extensions["gigstack"].close()


def test_a_page_gives_up_on_gigstack_within_its_own_budget(sandbox, keys):
    """Calls in a row share the request's budget: the page answers before the router's cut."""
    from tests.app.conftest import add_staff, make_app, sign_in

    app = make_app(sandbox.api_url, keys["partner_test"]["key"], PAGE_BUDGET_SECONDS=1.0)
    released = threading.Event()
    inner = sandbox.app.wsgi_app

    def holding(environ, start_response):
        if environ["PATH_INFO"].endswith("/series"):
            released.wait(timeout=30)
        return inner(environ, start_response)

    try:
        add_staff(app, "budget@staff.test", "viewer")
        browser = app.test_client()
        assert sign_in(browser, "budget@staff.test").status_code == 302
        sandbox.app.wsgi_app = holding
        answer = browser.get("/", follow_redirects=True)
        answered_while_held = not released.is_set()
        released.set()
        assert answer.status_code == 504 and answered_while_held
        assert "gigstack tardó demasiado" in answer.get_data(as_text=True)
    finally:
        released.set()
        sandbox.app.wsgi_app = inner
        app.extensions["gigstack"].close()


def test_a_stale_list_is_served_at_once_and_refreshed_behind_the_pages(
    sandbox, keys, held_team_listings
):
    """Past the TTL, pages that list teams (the directory, the switcher's search) answer
    with the copy at hand while one refresh runs in the background."""
    from tests.app.conftest import add_staff, make_app, sign_in

    now = [1_780_000_000.0]
    app = make_app(
        sandbox.api_url, keys["partner_test"]["key"], CLOCK=lambda: now[0], TEAM_LIST_TTL_SECONDS=60
    )
    try:
        add_staff(app, "stale@staff.test", "viewer")
        browser = app.test_client()
        assert sign_in(browser, "stale@staff.test").status_code == 302
        held_team_listings.release.set()
        assert browser.get("/teams/").status_code == 200  # the first copy
        assert held_team_listings.arrived.acquire(timeout=10)
        held_team_listings.release.clear()

        now[0] += 61
        directory_page = browser.get("/teams/")
        assert held_team_listings.arrived.acquire(timeout=10)  # the refresh is under way…
        search = browser.get("/team/options?q=kemper", headers={"HX-Request": "true"})
        assert not held_team_listings.release.is_set()  # …and held: the pages did not wait
        assert directory_page.status_code == 200 and "Escuela Kemper" in directory_page.text
        assert search.status_code == 200 and "Escuela Kemper" in search.text
        held_team_listings.release.set()
        app.extensions["team_directory"].settle()
        assert held_team_listings.count == 2  # one refresh for both pages
    finally:
        app.extensions["gigstack"].close()
