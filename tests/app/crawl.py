"""What a signed-in browser can reach: every page linked from a team's pages, and on them every
form (its fields, their defaults and options), every htmx request and every query parameter of
every link — so the tests that attack forms, fail gigstack under pages and double-submit creates
find their targets themselves instead of being told them. One parser (:class:`PageParser`)
reads every page; two walks use it:

- :func:`crawl` walks from given seeds, a few pages per endpoint and list status, and returns
  :class:`Crawl`: the forms found (one per endpoint and set of field names), the query
  parameters seen per endpoint and the htmx probes (the hostile-input test);
- :func:`walk_team` walks a team from every rule that needs only the team's id, reaching
  pages not seen yet first, and returns :class:`TeamWalk`: a URL per GET endpoint, the htmx
  panels, the first form posting to each POST endpoint, and the GET rules no page links to
  (the faults and double-submit tests: a page added later is covered, an unlinked one fails).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect, Rule

TEXT_INPUTS = frozenset({"text", "search", "email", "url", "tel", "password", "number", "date"})


@dataclass
class Field:
    """One named control: ``kind`` is the input type, ``select``, ``textarea`` or ``button``;
    ``value`` what a browser sends untouched (None: nothing, an unchecked box); ``options``
    the values a select, radio group or set of buttons offers."""

    name: str
    kind: str
    value: str | None
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    method: str
    action: str  # path and query, as the browser resolves it
    fields: dict[str, Field] = field(default_factory=dict)

    def add(self, name: str, kind: str, value: str | None, option: str | None = None) -> None:
        known = self.fields.get(name)
        if known is None:
            known = self.fields[name] = Field(name, kind, value)
        elif value is not None and known.value is None:
            known.value = value
        if option is not None and option not in known.options:
            known.options.append(option)

    def sent(self) -> dict[str, str]:
        """What a browser sends untouched: each control's value (the checked boxes, each
        select's chosen option, the first submit button); files are not text."""
        return {
            name: control.value
            for name, control in self.fields.items()
            if control.value is not None and control.kind != "file"
        }

    def data(self, **changes: str) -> dict[str, str]:
        """What the browser sends with ``changes`` typed in."""
        return {**self.sent(), **changes}


@dataclass
class Probe:
    """An ``hx-get`` made as the page is used (a preview, a picker): its URL, the names it
    sends (the control's own, or every field of its form) and the element it swaps."""

    url: str
    names: set[str]
    target: str | None


def _swapped(hx_target: str | None, own_id: str | None) -> str | None:
    """The id an htmx answer is swapped into: its ``#target``, or the element itself (None
    for a relative target such as ``closest tr``, or an element without an id)."""
    if hx_target in (None, "", "this"):
        return own_id or None
    return hx_target[1:] if hx_target.startswith("#") else None


def page_of(html: str, url: str) -> PageParser:
    """The links, forms and htmx probes of the page ``html`` found at ``url``."""
    page = PageParser(url)
    page.feed(html)
    return page


class PageParser(HTMLParser):
    """Links, forms and htmx probes of one HTML page (attribute values come unescaped)."""

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self.probes: list[Probe] = []
        self._form: Form | None = None
        self._form_probes: list[Probe] = []
        self._select: str | None = None  # the name of the select being read
        self._textarea: str | None = None
        self._text: list[str] = []

    def _url(self, value: str | None) -> str | None:
        if not value or value.startswith(("#", "mailto:", "javascript:", "data:")):
            return None
        parts = urlsplit(urljoin("http://localhost" + self.page_url, value))
        if parts.netloc != "localhost":
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        for name in ("href", "src"):
            if (url := self._url(a.get(name))) is not None:
                self.links.append(url)
        if "hx-get" in a and (url := self._url(a["hx-get"])) is not None:
            self.links.append(url)
            target = _swapped(a.get("hx-target"), a.get("id"))
            probe = Probe(url, {a["name"]} if a.get("name") else set(), target)
            self.probes.append(probe)
            if self._form is not None and "hx-include" in a:
                self._form_probes.append(probe)
        if tag == "form":
            method = (a.get("method") or "get").upper()
            action = self._url(a.get("hx-post") or a.get("action") or self.page_url)
            self._form = Form(method, action or self.page_url)
            self.forms.append(self._form)
            self._form_probes = []
        elif self._form is not None:
            self._control(tag, a)

    def _control(self, tag: str, a: dict[str, str]) -> None:
        form, name = self._form, a.get("name")
        assert form is not None
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                value = a.get("value", "on")
                form.add(name, kind, value if "checked" in a else None, value)
            elif kind not in ("submit", "image", "reset"):
                form.add(name, kind, a.get("value", ""))
        elif tag == "select" and name:
            self._select = name
            form.add(name, "select", None)
        elif tag == "option" and self._select is not None:
            select = form.fields[self._select]
            value = a.get("value", "")
            select.options.append(value)
            if select.value is None or "selected" in a:  # the first option, or the chosen
                select.value = value
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "button" and name and (a.get("type") or "submit") == "submit":
            if a.get("formaction"):
                variant = Form(form.method, self._url(a["formaction"]) or form.action)
                variant.fields = dict(form.fields)
                variant.add(name, "button", a.get("value", ""), a.get("value", ""))
                self.forms.append(variant)
            else:
                form.add(name, "button", a.get("value", ""), a.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.add(self._textarea, "textarea", "".join(self._text).lstrip("\n"))
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self._form is not None:
            for probe in self._form_probes:
                probe.names |= set(self._form.fields)
            self._form = None


@dataclass
class Crawl:
    """What the walk found: pages visited (URL → status), forms by (method, endpoint, field
    names), query parameters seen per endpoint (name → values), probes by endpoint."""

    pages: dict[str, int] = field(default_factory=dict)
    forms: dict[tuple[str, str, frozenset[str]], Form] = field(default_factory=dict)
    queries: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)  # endpoint → URLs seen
    probes: dict[str, list[Probe]] = field(default_factory=dict)

    @property
    def endpoints(self) -> set[str]:
        return set(self.examples) | {endpoint for _method, endpoint, _names in self.forms}


def endpoint_of(app: Flask, url: str, method: str = "GET") -> str | None:
    """The endpoint ``url`` reaches with ``method`` (None when none does)."""
    parts = urlsplit(url)
    try:
        endpoint, _args = app.url_map.bind("localhost").match(parts.path, method=method)
    except RequestRedirect as moved:
        return endpoint_of(app, urlsplit(moved.new_url).path, method)
    except HTTPException:
        return None
    return endpoint


def crawl(
    app: Flask,
    browser: FlaskClient,
    seeds: Iterable[str],
    *,
    per_endpoint: int = 3,
    skip: Callable[[str], bool] = lambda url: False,
) -> Crawl:
    """Visit ``seeds`` and what they link to, at most ``per_endpoint`` pages of an endpoint
    per list status: a page's ``?status=`` and the links found on it count apart, so the
    details of each status's rows (and the verbs only they offer) are seen."""
    found = Crawl()
    queue: deque[tuple[str, str]] = deque((seed, "") for seed in seeds)
    visits: Counter[tuple[str, str]] = Counter()
    while queue:
        url, status = queue.popleft()
        endpoint = endpoint_of(app, url)
        if url in found.pages or endpoint is None or skip(url):
            continue
        found.examples.setdefault(endpoint, [])
        if url not in found.examples[endpoint]:
            found.examples[endpoint].append(url)
        for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
            found.queries.setdefault(endpoint, {}).setdefault(name, set()).add(value)
        status = dict(parse_qsl(urlsplit(url).query)).get("status", status)
        if visits[endpoint, status] >= per_endpoint:
            continue
        visits[endpoint, status] += 1
        response = browser.get(url)
        found.pages[url] = response.status_code
        if response.mimetype != "text/html":
            continue
        page = page_of(response.get_data(as_text=True), url)
        # an object's page found on a status tab counts under that status; a list does not
        queue.extend((link, _inherited(app, endpoint, link, status)) for link in page.links)
        for form in page.forms:
            _record_form(app, found, form)
            if form.method == "GET":  # a search box in the frame leads to its page too
                queue.append((form.action, ""))
        for probe in page.probes:
            probe_endpoint = endpoint_of(app, probe.url)
            if probe_endpoint is not None:
                found.probes.setdefault(probe_endpoint, []).append(probe)
                for name in probe.names:
                    found.queries.setdefault(probe_endpoint, {}).setdefault(name, set())
    return found


def _inherited(app: Flask, endpoint: str, link: str, status: str) -> str:
    """The status a link counts under: the page's, for a page of an object of the same area
    (a receipt found on the pending tab, then its stamp form); none for the rest."""
    try:
        linked, args = app.url_map.bind("localhost").match(urlsplit(link).path)
    except HTTPException:
        return ""
    same_area = linked.partition(".")[0] == endpoint.partition(".")[0]
    return status if same_area and set(args) - {"team_id"} else ""


def _record_form(app: Flask, found: Crawl, form: Form) -> None:
    endpoint = endpoint_of(app, form.action, form.method)
    if endpoint is None:
        return
    found.forms.setdefault((form.method, endpoint, frozenset(form.fields)), form)
    if form.method == "GET":  # a filter form: its fields are the list's query parameters
        for name, control in form.fields.items():
            values = found.queries.setdefault(endpoint, {}).setdefault(name, set())
            values.update(control.options)


# rules that are not pages of the back office: files, probes, the sign-in itself
NOT_PAGES = {"static", "health.healthz", "health.readyz", "shell.favicon", "auth.sign_in"}


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
    form: Form


@dataclass
class TeamWalk:
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


def walk_team(
    app: Flask, browser: FlaskClient, team: str, most: int = 400, per_endpoint: int = 8
) -> TeamWalk:
    """Walk ``team``'s pages as ``browser`` (signed in with a role that sees every link)."""
    wanted = {rule.endpoint for rule in get_rules(app)}
    result = TeamWalk()
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
        page = page_of(answer.get_data(as_text=True), url)
        for probe in page.probes:
            result.panels.setdefault((probe.url, probe.target), Panel(probe.url, probe.target, url))
        for form in page.forms:
            target = _post_endpoint(app, form.action) if form.method == "POST" else None
            if target:
                result.posts.setdefault(target, PostForm(url, form.action, form))
        links = page.links + [form.action for form in page.forms if form.method == "GET"]
        for link in links:
            if _endpoint(app, link, team) in result.pages:
                queue.append(link)
            else:  # a page not reached yet goes first
                queue.appendleft(link)
    result.unreached = wanted - set(result.pages)
    result.opened = len(seen)
    return result
