"""Hostile submissions to what :mod:`tests.app.crawl` found: every form with some of its
fields poisoned, every list's query parameters, every object id in a URL — a bounded,
derandomized number of Hypothesis examples each — and what each answer must never be.

A :class:`Target` draws one request; :func:`attack` sends ``examples`` of them and puts what
went wrong in :class:`Findings`: a 5xx, markup typed coming back as markup, an answer refusing
the request while gigstack accepted a write for it, an id that is no id not answered 404.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.app.crawl import Crawl, Form, endpoint_of
from tests.app.hostile import IDS, WELL_FORMED_ID, reflected, values_for

# never poisoned: without them every answer would be the CSRF refusal
KEPT = frozenset({"csrf_token"})


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    data: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    expect_404: bool = False
    files: frozenset[str] = frozenset()  # fields sent as uploads (their value, as the bytes)

    def body(self) -> dict[str, Any] | None:
        """The form data as the test client sends it: file fields as uploads."""
        if self.data is None:
            return None
        return {
            name: (io.BytesIO(value.encode()), "hostile.bin") if name in self.files else value
            for name, value in self.data.items()
        }

    def __str__(self) -> str:
        data = {k: v[:80] for k, v in (self.data or {}).items() if k != "csrf_token"}
        return f"{self.method} {self.url[:200]} {data}"


@dataclass
class Target:
    """One thing to attack: ``draw(data, token)`` makes a request from Hypothesis draws."""

    endpoint: str
    kind: str  # form, query, id
    draw: Callable[[Any, str], Request]


@dataclass
class Findings:
    submissions: int = 0
    server_errors: list[str] = field(default_factory=list)
    reflections: list[str] = field(default_factory=list)
    upstream_changes: list[str] = field(default_factory=list)
    not_404: list[str] = field(default_factory=list)

    def failures(self) -> list[str]:
        return [
            *[f"5xx: {e}" for e in self.server_errors],
            *[f"reflected: {e}" for e in self.reflections],
            *[f"gigstack changed by a refused request: {e}" for e in self.upstream_changes],
            *[f"an id that is no id, not 404: {e}" for e in self.not_404],
        ]


def _poison(data: Any, fields: dict[str, Any], names: list[str]) -> dict[str, str]:
    """Some of ``names`` (one to three) get a hostile value for their kind."""
    if not names:
        return {}
    chosen = data.draw(st.sets(st.sampled_from(names), min_size=1, max_size=min(3, len(names))))
    return {name: data.draw(fields[name]) for name in sorted(chosen)}


def form_target(endpoint: str, form: Form) -> Target:
    """A form as a browser sends it (defaults, one button), some fields poisoned."""
    strategies = {
        name: values_for(name, control.kind, control.options)
        for name, control in form.fields.items()
    }
    names = sorted(set(form.fields) - KEPT)
    files = frozenset(name for name, control in form.fields.items() if control.kind == "file")

    def draw(data: Any, token: str) -> Request:
        sent = {
            name: control.value
            for name, control in form.fields.items()
            if control.value is not None and control.kind != "button"
        }
        for name, control in form.fields.items():
            if control.kind == "button" and control.options:
                sent[name] = data.draw(st.sampled_from(control.options))
        sent.update(_poison(data, strategies, names))
        if "csrf_token" in form.fields:
            sent["csrf_token"] = token
        if form.method == "GET":
            return Request("GET", _with_query(form.action, sent))
        return Request(form.method, form.action, sent, files=files)

    return Target(endpoint, "form", draw)


def query_target(
    endpoint: str, url: str, params: dict[str, set[str]], htmx: list[dict[str, str]]
) -> Target:
    """A page's URL with its query parameters poisoned (and, as htmx asks, its fragments)."""
    strategies = {name: values_for(name, "text", sorted(values)) for name, values in params.items()}
    variants = [{}, *htmx]

    def draw(data: Any, token: str) -> Request:
        sent = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        sent.update(_poison(data, strategies, sorted(params)))
        headers = data.draw(st.sampled_from(variants))
        return Request("GET", _with_query(url, sent), headers=headers)

    return Target(endpoint, "query", draw)


def id_target(app: Flask, endpoint: str, url: str, method: str) -> Target | None:
    """The URL with one object id replaced by something that may be no id (404 if it is
    none); None when the URL has no object id."""
    adapter = app.url_map.bind("localhost")
    _endpoint, args = adapter.match(urlsplit(url).path, method=method)
    names = sorted(
        name
        for name, value in args.items()
        if isinstance(value, str) and (name == "uuid" or name.endswith("_id")) and name != "team_id"
    )
    if not names:
        return None

    def draw(data: Any, token: str) -> Request:
        name = data.draw(st.sampled_from(names))
        value = data.draw(IDS)
        path = adapter.build(endpoint, {**args, name: value}, method=method)
        body = {"csrf_token": token, "reason": "prueba"} if method != "GET" else None
        # "" makes another route's URL (the list): only this route's answer is known
        this_route = endpoint_of(app, path, method) == endpoint
        return Request(
            method, path, body, expect_404=this_route and not WELL_FORMED_ID.fullmatch(value)
        )

    return Target(endpoint, "id", draw)


def targets_of(app: Flask, found: Crawl, forms: Iterable[tuple[str, Form]] = ()) -> list[Target]:
    """Every target of a walk: its forms and the ``forms`` given for routes no page reaches,
    each list's query parameters (plain and as htmx asks), each object id in a URL. Signing
    out comes last: the browser is of no use after it."""
    found_forms = dict(found.forms)
    for endpoint, form in forms:
        found_forms.setdefault((form.method, endpoint, frozenset(form.fields)), form)
    targets = [form_target(endpoint, form) for (_m, endpoint, _n), form in found_forms.items()]
    for endpoint, params in found.queries.items():
        probes = found.probes.get(endpoint, [])
        htmx = [
            {"HX-Request": "true", **({"HX-Target": probe.target} if probe.target else {})}
            for probe in probes[:2]
        ]
        url = (found.examples.get(endpoint) or [probe.url for probe in probes])[0]
        targets.append(query_target(endpoint, url, params, htmx))
    ids = {(endpoint, urls[0], "GET") for endpoint, urls in found.examples.items()}
    ids |= {(e, form.action, m) for (m, e, _n), form in found_forms.items() if m != "GET"}
    targets += [t for e, url, m in sorted(ids) if (t := id_target(app, e, url, m)) is not None]
    return sorted(targets, key=lambda target: target.endpoint == "auth.sign_out")


def _with_query(url: str, params: dict[str, str]) -> str:
    return urlsplit(url).path + ("?" + urlencode(params) if params else "")


def attack(
    target: Target,
    browser: FlaskClient,
    token: str,
    findings: Findings,
    upstream: list[tuple[str, str, int]],
    examples: int,
) -> None:
    """Send ``examples`` requests drawn from ``target`` and check each answer."""

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def run(data: Any) -> None:
        request = target.draw(data, token)
        upstream.clear()
        response = browser.open(
            request.url, method=request.method, data=request.body(), headers=request.headers
        )
        findings.submissions += 1
        check(target, request, response, findings, upstream)

    run()


def check(
    target: Target,
    request: Request,
    response: Any,
    findings: Findings,
    upstream: list[tuple[str, str, int]],
) -> None:
    where = f"{target.endpoint} ({target.kind}) {request} → {response.status_code}"
    if response.status_code >= 500:
        findings.server_errors.append(where)
    if markup := reflected(response):
        findings.reflections.append(f"{where}: {markup!r}")
    if 400 <= response.status_code < 500:
        written = [f"{m} {p} {s}" for m, p, s in upstream if m != "GET" and s < 300]
        if written:
            findings.upstream_changes.append(f"{where}: {written}")
    if request.expect_404 and response.status_code != 404:
        findings.not_404.append(where)
