"""Open redirects: a ``next`` (or a header the app turns into a link) never leaves the site.

Each answer is resolved the way a browser would (backslashes read as slashes, tabs and
newlines dropped, relative to the page) and must land on this host.
"""

from __future__ import annotations

import re

import pytest

from tests.app.conftest import PASSWORD, add_staff, csrf_token, make_app, sign_in
from tests.app.test_security import HTMX

HOST = "localhost"
EVIL_TARGETS = [
    "https://evil.example",
    "http://evil.example/sign-in",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "https:evil.example",
    "https:/evil.example",
    "http://localhost@evil.example",
    "javascript:alert(1)",
    "evil.example",
]


def browser_host(location: str) -> str | None:
    """The host a browser goes to for ``location`` (WHATWG rules for http/https), or None
    for a scheme that is not a web page (``javascript:``…)."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip("".join(map(chr, range(33))))
    cleaned = cleaned.replace("\\", "/")
    scheme = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", cleaned)
    if scheme:
        if scheme.group(1).lower() not in ("http", "https"):
            return None
        rest = cleaned[scheme.end() :].lstrip("/")  # any number of slashes, even none
    elif cleaned.startswith("//"):
        rest = cleaned.lstrip("/")
    else:
        return HOST  # a path on the current site
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    return authority.rsplit("@", 1)[-1].split(":")[0].lower()


def lands_on_this_site(location: str | None) -> bool:
    return location is None or browser_host(location) == HOST


def test_the_resolver_tells_safe_from_unsafe():
    assert lands_on_this_site("/teams/?next=x")
    assert lands_on_this_site("http://localhost/audit/")
    assert lands_on_this_site("evil.example")  # a bare name is a relative path: harmless
    assert [t for t in EVIL_TARGETS if lands_on_this_site(t)] == ["evil.example"]


@pytest.fixture
def site(sandbox, keys):
    """An app whose sign-in limit allows the many sign-ins of these tests."""
    app = make_app(sandbox.api_url, keys["partner_test"]["key"], SIGN_IN_LIMITS="1000 per minute")
    add_staff(app, "admin@staff.test", "admin")
    yield app
    app.extensions["gigstack"].close()


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_sign_in_next_never_leaves_the_site(site, target):
    browser = site.test_client()
    page = browser.get("/sign-in", query_string={"next": target}).get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]*)"', page).group(1)
    assert "evil" not in action
    token = csrf_token(browser)
    for query, form in (({"next": target}, {}), ({}, {"next": target})):
        response = browser.post(
            "/sign-in",
            query_string=query,
            data={"csrf_token": token, "email": "admin@staff.test", "password": PASSWORD, **form},
        )
        assert response.status_code == 302
        assert lands_on_this_site(response.location), response.location
        # already signed in: the sign-in page sends the visitor on, still on this site
        again = browser.get("/sign-in", query_string={"next": target})
        assert again.status_code == 302 and lands_on_this_site(again.location), again.location
        browser.post("/sign-out", data={"csrf_token": csrf_token(browser, "/audit/")})
        token = csrf_token(browser)


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_team_switch_and_language_next_never_leave_the_site(site, teams, target):
    browser = site.test_client()
    assert sign_in(browser, "admin@staff.test").status_code == 302
    token = csrf_token(browser, "/audit/")
    for path, data in (
        ("/team", {"team": teams["subs"][0]}),
        ("/account/language", {"locale": "en"}),
        ("/account/language", {"locale": "es_MX"}),
    ):
        response = browser.post(path, data={"csrf_token": token, "next": target, **data})
        assert response.status_code == 302, path
        assert lands_on_this_site(response.location), f"{path}: {response.location}"
        fragment = browser.post(
            path, data={"csrf_token": token, "next": target, **data}, headers=HTMX
        )
        assert fragment.status_code == 204, path
        assert lands_on_this_site(fragment.headers["HX-Redirect"]), path


def test_a_same_site_next_is_followed(site):
    """The safe path is kept, so the tests above prove filtering rather than ignoring."""
    browser = site.test_client()
    response = sign_in(browser, "admin@staff.test", next="/audit/?action=x")
    assert response.location == "/audit/?action=x"
    token = csrf_token(browser, "/audit/")
    moved = browser.post(
        "/account/language", data={"csrf_token": token, "locale": "en", "next": "/teams/?next=abc"}
    )
    assert moved.location == "/teams/?next=abc"


def test_htmx_current_url_cannot_point_sign_in_elsewhere(site):
    response = site.test_client().get(
        "/teams/", headers={**HTMX, "HX-Current-URL": "https://evil.example//evil.example/x"}
    )
    assert response.status_code == 401
    redirect = response.headers["HX-Redirect"]
    assert lands_on_this_site(redirect) and "evil" not in redirect


@pytest.mark.parametrize(
    "referrer",
    [
        "https://evil.example/teams/",
        "http://localhost//evil.example/teams/",
        "http://localhost/\\evil.example/teams/",
    ],
)
def test_error_page_back_link_stays_on_the_site(site, referrer):
    """The "Go back" link of an error page comes from the Referer header."""
    browser = site.test_client()
    assert sign_in(browser, "admin@staff.test").status_code == 302
    response = browser.post("/team", data={"team": "x"}, headers={"Referer": referrer})
    assert response.status_code == 400  # CSRF refusal: an error page with a way back
    links = re.findall(r'href="([^"]*)"', response.get_data(as_text=True))
    assert links
    assert [link for link in links if not lands_on_this_site(link)] == []


@pytest.mark.parametrize(
    "current", ["https://evil.example/teams/", "http://localhost//evil.example/teams/"]
)
def test_error_banner_retry_link_stays_on_the_site(site, faults, current):
    """The "Retry" link of an htmx error banner comes from the HX-Current-URL header."""
    browser = site.test_client()
    assert sign_in(browser, "admin@staff.test").status_code == 302
    faults({"rules": [{"method": "GET", "path": "/teams", "status": 404}]})
    response = browser.get(
        "/teams/", headers={**HTMX, "HX-Target": "teams-list", "HX-Current-URL": current}
    )
    assert response.status_code >= 400 and "X-Backoffice-Error" in response.headers
    links = re.findall(r'href="([^"]*)"', response.get_data(as_text=True))
    assert links
    assert [link for link in links if not lands_on_this_site(link)] == []
