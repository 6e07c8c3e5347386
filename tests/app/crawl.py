"""The pages of a seeded team, found from the URL map: every GET rule reached by following the
links (``href``, ``hx-get``, form ``action``) of the pages before it, starting from the rules
that need no id. A few pages of each endpoint are opened (not only the first): a link may show
on some objects only (a refund on a paid payment).

A test walking these covers a page added later without anyone listing it; a GET rule no page
links to is reported as unreached, so the walk says when it stopped covering everything.
"""

from __future__ import annotations

import html as html_lib
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from tests.app.page_forms import PageForm, page_forms

# rules that are not pages of the back office: files, probes, the sign-in itself
NOT_PAGES = {"static", "health.healthz", "health.readyz", "shell.favicon", "auth.sign_in"}
_LINK = re.compile(r'(?:href|hx-get|action)="(/[^"]*)"')
# an element that loads or swaps by itself: its hx-get, its target (or itself) and its id
_HX_ELEMENT = re.compile(r"<(?:[a-z]+)\b[^>]*\bhx-get=\"[^\"]*\"[^>]*>", re.S)


@dataclass(frozen=True)
class Panel:
    """An htmx request a page makes: the URL, the id it swaps, the page it is made from."""

    url: str
    target: str | None
    page: str


@dataclass(frozen=True)
class PostForm:
    """A form that posts: the page it is on, where it posts, and the form itself."""

    page: str
    action: str
    form: PageForm


@dataclass
class Crawl:
    """One URL per GET endpoint (and all those opened), the htmx requests and the forms of
    those pages, and the rules not reached."""

    pages: dict[str, str] = field(default_factory=dict)
    # every page opened, by endpoint (the first is ``pages``'): objects in several states
    opened_pages: dict[str, list[str]] = field(default_factory=dict)
    panels: dict[tuple[str, str | None], Panel] = field(default_factory=dict)
    unreached: set[str] = field(default_factory=set)
    # the first form found posting to each POST endpoint
    posts: dict[str, PostForm] = field(default_factory=dict)
    opened: int = 0  # pages opened to find them


def get_rules(app: Flask) -> list[Rule]:
    """The GET rules that are pages (see :data:`NOT_PAGES`)."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint not in NOT_PAGES
    ]


def _start(app: Flask, team: str) -> list[str]:
    """The rules that need no value but the team's id, as URLs of ``team``."""
    urls = []
    for rule in get_rules(app):
        if set(rule.arguments) <= {"team_id"}:
            urls.append(rule.rule.replace("<team_id>", team))
    return sorted(urls)


def _endpoint(app: Flask, url: str, team: str) -> str | None:
    """The GET endpoint ``url`` reaches (None: not a page, or another team's)."""
    parts = urlsplit(url)
    try:
        endpoint, args = app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:
        return None
    if endpoint in NOT_PAGES or args.get("team_id", team) != team:
        return None
    return endpoint


def _post_endpoint(app: Flask, url: str) -> str | None:
    try:
        return app.url_map.bind("localhost").match(urlsplit(url).path, method="POST")[0]
    except HTTPException:
        return None


def htmx_requests(html: str, page: str) -> list[Panel]:
    """Every ``hx-get`` of a page with the id its answer is swapped into."""
    found = []
    for tag in _HX_ELEMENT.findall(html):
        url = html_lib.unescape(re.search(r'hx-get="([^"]*)"', tag).group(1))
        target = re.search(r'hx-target="([^"]*)"', tag)
        own = re.search(r'\bid="([^"]*)"', tag)
        aim = target.group(1) if target else None
        if aim in (None, "this"):
            aim = f"#{own.group(1)}" if own else None
        found.append(Panel(url, aim.lstrip("#") if aim and aim.startswith("#") else None, page))
    return found


def crawl(
    app: Flask, browser: FlaskClient, team: str, most: int = 400, per_endpoint: int = 8
) -> Crawl:
    """Walk ``team``'s pages as ``browser`` (signed in with a role that sees every link)."""
    wanted = {rule.endpoint for rule in get_rules(app)}
    result = Crawl()
    queue = deque(_start(app, team))
    seen: set[str] = set()
    opened: Counter[str] = Counter()
    while queue and len(seen) < most and wanted - set(result.pages):
        url = queue.popleft()
        endpoint = _endpoint(app, url, team)
        if url in seen or endpoint is None or opened[endpoint] >= per_endpoint:
            continue
        seen.add(url)
        opened[endpoint] += 1
        answer = browser.get(url)
        if answer.status_code >= 400:
            continue
        result.pages.setdefault(endpoint, url)
        result.opened_pages.setdefault(endpoint, []).append(url)
        if answer.status_code != 200 or answer.mimetype != "text/html":
            continue
        html = answer.get_data(as_text=True)
        for panel in htmx_requests(html, url):
            result.panels.setdefault((panel.url, panel.target), panel)
        for form in page_forms(html):
            action = form.action or url
            target = _post_endpoint(app, action) if form.method == "post" else None
            if target:
                result.posts.setdefault(target, PostForm(url, action, form))
        for link in map(html_lib.unescape, _LINK.findall(html)):
            if _endpoint(app, link, team) in result.pages:
                queue.append(link)
            else:  # a page not reached yet goes first
                queue.appendleft(link)
    result.unreached = wanted - set(result.pages)
    result.opened = len(seen)
    return result
