"""Security baseline: every route declares who may use it, and the declaration holds.

The walk covers ``app.url_map`` itself, so a route added later is checked without anyone
remembering to write a test for it. Helpers shared by the other ``test_security_*`` files
live here too (building URLs for rules, reading the session cookie).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from tests.app.conftest import add_staff, csrf_token, make_app, sign_in
from webapp.auth.access import (
    PUBLIC,
    SIGNED_IN,
    access_of,
    is_reads_only,
    public,
    requires,
    signed_in,
)
from webapp.auth.roles import Role

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HTMX = {"HX-Request": "true"}

# the only routes an anonymous visitor may reach (gigstack's webhook events among them: it
# carries no session, and the endpoint trusts no body — tests/app/test_search_webhooks.py)
HOOKS = "hooks.gigstack"
PUBLIC_ENDPOINTS = {
    "auth.sign_in",
    "static",
    "health.healthz",
    "health.readyz",
    "shell.favicon",
    HOOKS,
}
PUBLIC_RULES = {
    "/sign-in",
    "/static/<path:filename>",
    "/healthz",
    "/readyz",
    "/favicon.ico",
    "/hooks/gigstack",
}
# unsafe routes any signed-in staff member may use: their own session and switcher, not the
# teams' data
PERSONAL_ENDPOINTS = {
    "auth.sign_out",
    "shell.switch_team",
    "shell.set_language",
    "shell.pin",
    "shell.unpin",
}
# Flask-Login's keys, Flask's own permanence flag (session.permanent) and ours
# (webapp/auth/sessions.py, webapp/shell/scope.py)
SESSION_KEYS = {
    *("_user_id", "_fresh", "_id", "_permanent", "team", "recent_teams", "csrf_token"),
    *("started", "seen"),
}

_VARIABLE = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")
_DUMMIES = {
    "int": "1",
    "float": "1.5",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "path": "dummy/value",
    "string": "dummy",
    "default": "dummy",
}


def dummy_url(app: Flask, rule: Rule) -> str:
    """A URL that ``rule`` matches, its converters filled with dummy values."""

    def fill(match: re.Match[str]) -> str:
        converter = match.group("converter") or "default"
        if converter == "any":
            return match.group("args").split(",")[0].strip().strip("'\"")
        return _DUMMIES[converter]

    url = _VARIABLE.sub(fill, rule.rule)
    if url.startswith("/teams/dummy/"):  # a team the key reaches: role checks come next
        url = url.replace("/teams/dummy/", f"/teams/{app.extensions['gigstack'].key_info.team}/", 1)
    method = min(rule.methods - {"HEAD", "OPTIONS"}, default="GET")
    matched, _ = app.url_map.bind("localhost").match(url, method=method)
    assert matched == rule.endpoint, f"dummy URL {url} does not reach {rule.endpoint}"
    return url


def session_data(app: Flask, client: FlaskClient) -> dict[str, Any]:
    """The signed session cookie of ``client``, decoded with the app's own serializer."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return {}
    serializer = app.session_interface.get_signing_serializer(app)
    assert serializer is not None
    return dict(serializer.loads(cookie.value))


def goes_to_sign_in(location: str | None) -> bool:
    """A redirect to this site's sign-in page (relative, never another host)."""
    if not location:
        return False
    parts = urlsplit(location)
    return parts.path == "/sign-in" and not parts.netloc


@dataclass
class AccessWalk:
    """What walking every rule found; ``failures`` are answers that broke the rules."""

    undeclared: set[str] = field(default_factory=set)
    public: set[str] = field(default_factory=set)
    public_rules: set[str] = field(default_factory=set)
    public_unsafe: set[str] = field(default_factory=set)
    personal: set[str] = field(default_factory=set)
    refused_to_viewer: set[str] = field(default_factory=set)
    reads_only: set[str] = field(default_factory=set)  # unsafe, but only reads (a job)
    failures: list[str] = field(default_factory=list)


def walk_access(app: Flask, anonymous: FlaskClient, viewer: FlaskClient) -> AccessWalk:
    """Every rule, every method: anonymous visitors are sent to sign-in, viewers cannot write.

    Unsafe requests carry a valid CSRF token of the sender's session, so a refusal comes
    from the access check and not from CSRF protection.
    """
    walk = AccessWalk()
    anonymous_token = csrf_token(anonymous)
    viewer_token = csrf_token(viewer, "/audit/")
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        access = access_of(app, endpoint)
        if access is None:
            walk.undeclared.add(endpoint)
        elif access not in (PUBLIC, SIGNED_IN, *Role):
            walk.failures.append(f"{endpoint}: unknown access {access!r}")
        unsafe = sorted(rule.methods & UNSAFE_METHODS)
        if access == PUBLIC:
            walk.public.add(endpoint)
            walk.public_rules.add(rule.rule)
            if unsafe:
                walk.public_unsafe.add(endpoint)
            continue
        url = dummy_url(app, rule)
        for method in sorted(rule.methods):
            token = {"csrf_token": anonymous_token} if method in UNSAFE_METHODS else None
            page = anonymous.open(
                url, method=method, data=token, headers={"X-CSRFToken": anonymous_token}
            )
            if page.status_code != 302 or not goes_to_sign_in(page.location):
                walk.failures.append(
                    f"anonymous {method} {url}: {page.status_code} {page.location!r}"
                )
            elif method == "GET":
                query = parse_qs(urlsplit(page.location).query)
                if query.get("next") != [url]:
                    walk.failures.append(f"anonymous GET {url}: next is {query.get('next')}")
            fragment = anonymous.open(
                url, method=method, data=token, headers={**HTMX, "X-CSRFToken": anonymous_token}
            )
            if fragment.status_code != 401 or not goes_to_sign_in(
                fragment.headers.get("HX-Redirect")
            ):
                walk.failures.append(
                    f"anonymous htmx {method} {url}: {fragment.status_code} "
                    f"{fragment.headers.get('HX-Redirect')!r}"
                )
        for method in unsafe:
            if access == SIGNED_IN:
                walk.personal.add(endpoint)
                continue
            if is_reads_only(app, endpoint):
                walk.reads_only.add(endpoint)
                continue
            answer = viewer.open(
                url,
                method=method,
                data={"csrf_token": viewer_token},
                headers={"X-CSRFToken": viewer_token},
            )
            if answer.status_code == 403:
                walk.refused_to_viewer.add(endpoint)
            else:
                walk.failures.append(f"viewer {method} {url}: {answer.status_code}, not 403")
    return walk


def test_every_route_declares_access_and_the_declaration_holds(app, client, viewer):
    walk = walk_access(app, client, viewer)

    assert walk.undeclared == set()
    assert walk.failures == []
    assert walk.public == PUBLIC_ENDPOINTS
    assert walk.public_rules == PUBLIC_RULES
    assert walk.public_unsafe == {"auth.sign_in", HOOKS}
    assert walk.personal == PERSONAL_ENDPOINTS
    # unsafe requests a viewer may send: they start jobs that only read (named here, so the
    # list grows only on purpose)
    assert walk.reads_only == {"exports.month", "jobs.retry", "bulk.download"}
    # the viewer's token was valid all along: a personal change goes through with it
    token = csrf_token(viewer, "/audit/")
    changed = viewer.post("/account/language", data={"csrf_token": token, "locale": "es_MX"})
    assert changed.status_code == 302
    # and the public routes answer anonymous visitors themselves
    assert client.get("/sign-in").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/favicon.ico").status_code == 200
    assert client.get("/static/css/app.css").status_code == 200


def test_the_walk_catches_routes_that_break_the_rules(sandbox, keys):
    """A doctored app: the walk must notice each kind of mistake a new route could make."""
    app = make_app(sandbox.api_url, keys["partner_test"]["key"])

    def view(name: str, decorate=None):
        def handler(**_kwargs: Any) -> str:
            return "done"

        handler.__name__ = name
        return decorate(handler) if decorate else handler

    app.add_url_rule(
        "/probe/<int:item_id>/edit",
        "probe_operator",
        view("probe_operator", requires(Role.OPERATOR)),
        methods=["POST"],
    )
    app.add_url_rule(
        "/probe/forgotten", "probe_forgotten", view("probe_forgotten"), methods=["GET", "POST"]
    )
    app.add_url_rule(
        "/probe/<path:rest>/write",
        "probe_viewer_write",
        view("probe_viewer_write", requires(Role.VIEWER)),
        methods=["DELETE"],
    )
    app.add_url_rule("/probe/mine", "probe_mine", view("probe_mine", signed_in), methods=["PUT"])
    app.add_url_rule("/probe/open", "probe_open", view("probe_open", public))
    add_staff(app, "viewer@staff.test")
    add_staff(app, "operator@staff.test", "operator")
    viewer = app.test_client()
    assert sign_in(viewer, "viewer@staff.test").status_code == 302
    try:
        walk = walk_access(app, app.test_client(), viewer)
        assert walk.undeclared == {"probe_forgotten"}
        assert walk.public == PUBLIC_ENDPOINTS | {"probe_open"}
        assert walk.personal == PERSONAL_ENDPOINTS | {"probe_mine"}
        # an undeclared view fails closed: anonymous → sign-in, viewer → 403
        assert {"probe_operator", "probe_forgotten"} <= walk.refused_to_viewer
        assert walk.failures == ["viewer DELETE /probe/dummy/value/write: 200, not 403"]
        # the operator-only route does open for an operator (the 403 was the role check)
        operator = app.test_client()
        assert sign_in(operator, "operator@staff.test").status_code == 302
        token = csrf_token(operator, "/audit/")
        assert operator.post("/probe/7/edit", data={"csrf_token": token}).status_code == 200
    finally:
        app.extensions["gigstack"].close()
