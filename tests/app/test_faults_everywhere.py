"""No upstream failure breaks a team screen, covered by construction: every GET page of a
seeded team and every htmx request those pages make (found from the URL map by
:mod:`tests.app.crawl`) is opened while gigstack hangs, answers 429 with ``Retry-After``,
500, 502 or 503, or refuses connections — and then with each of a page's own calls failing
alone. Each answer that needed gigstack says so in a banner with a retry, never with a trace,
never with an empty answer in place of what could not be read.

The client's timeouts, budgets and retry waits are made small so the walk stays quick; the
slowest answer of each fault class is written to ``tests/artifacts/faults-<class>.json``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.app.conftest import add_staff, make_app, sign_in
from tests.app.crawl import TeamWalk
from tests.app.helpers import htmx_headers, walk_partner_team
from tests.support.processes import free_port
from webapp.gigstack.retry import RetryPolicy

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
FAULT_CLASSES = {
    "hang": {"hangs": [{"method": "GET", "seconds": 1.0}]},
    "429": {"rules": [{"method": "GET", "status": 429, "retry_after": 1}]},
    "500": {"rules": [{"method": "GET", "status": 500}]},
    "502": {"rules": [{"method": "GET", "status": 502}]},
    "503": {"rules": [{"method": "GET", "status": 503}]},
    "refused": None,  # the client pointed at a port nobody listens on
}
# while gigstack fails, the client gives up on a hung call in 0.15 s and on a page in 0.3 s
TIMEOUT_SECONDS, BUDGET_SECONDS = 0.15, 0.3
BANNER = re.compile(r'<div class="banner banner-error" role="alert" data-error-status="\d+">')
RETRY = re.compile(r'<a class="button" href="(/[^"]*)">Reintentar</a>')


@pytest.fixture(scope="module")
def walked(sandbox, keys) -> TeamWalk:
    """The partner team's pages and their htmx requests, found once for the module (the
    sandbox's clock frozen meanwhile, so pending receipts can be stamped)."""
    found = walk_partner_team(sandbox, keys, "walker@staff.test")
    assert not found.unreached, f"no page links to {sorted(found.unreached)}"
    return found


@dataclass
class Quick:
    """A test app whose client gives up fast, and an admin signed in to it."""

    app: Flask
    browser: FlaskClient

    def give_up_soon(self) -> None:
        """Small timeouts and budgets, for a walk where every call fails (set after the
        healthy requests, which a busy machine may make slower than these)."""
        client = self.app.extensions["gigstack"].client
        client.timeout = (TIMEOUT_SECONDS, TIMEOUT_SECONDS)
        client.budget_seconds = BUDGET_SECONDS
        self.app.config["PAGE_BUDGET_SECONDS"] = BUDGET_SECONDS

    def open(self, url: str, headers: dict[str, str] | None = None):
        """GET ``url`` with a closed breaker (each answer meets the fault, not the breaker)."""
        self.app.extensions["gigstack"].client.breaker.reset()
        return self.browser.get(url, headers=headers or {})


@pytest.fixture
def quick(sandbox, keys) -> Iterator[Quick]:
    app = make_app(sandbox.api_url, keys["partner_test"]["key"], TEAM_LIST_TTL_SECONDS=3600)
    client = app.extensions["gigstack"].client
    client.retry_policy = RetryPolicy(max_retries=3, base_delay=0.005, max_delay=0.02)
    try:
        add_staff(app, "faults@staff.test", "admin")
        browser = app.test_client()
        assert sign_in(browser, "faults@staff.test").status_code == 302
        assert browser.get("/", follow_redirects=True).status_code == 200  # the team list
        yield Quick(app, browser)
    finally:
        client.close()


def calls_of(answer) -> int:
    """The gigstack calls made for ``answer`` (``Server-Timing``), 0 when it says none."""
    found = re.search(r'upstream-calls;desc="(\d+)"', answer.headers.get("Server-Timing", ""))
    return int(found.group(1)) if found else 0


def unclear(answer, needed_gigstack: bool) -> str | None:
    """What is wrong with an answer given while gigstack failed (None: it is clear)."""
    body = answer.get_data(as_text=True)
    if answer.status_code == 500 or "Traceback" in body:
        return f"{answer.status_code}, a crash"
    if not needed_gigstack or answer.status_code in (301, 302, 303):
        return None
    if not BANNER.search(body):
        return f"{answer.status_code} without an error banner"
    if not RETRY.search(body):
        return f"{answer.status_code}: a banner without a retry"
    return None


@dataclass
class Walk:
    """What one fault class did to every page and panel."""

    opened: int = 0
    worst: tuple[float, str] = (0.0, "")
    failures: list[str] = field(default_factory=list)

    def check(self, quick: Quick, url: str, headers: dict[str, str] | None = None) -> None:
        started = time.perf_counter()
        answer = quick.open(url, headers)
        took = time.perf_counter() - started
        self.opened += 1
        self.worst = max(self.worst, (took, url))
        problem = unclear(answer, calls_of(answer) > 0)
        if problem:
            self.failures.append(f"{url} {headers or ''}: {problem}")


def _panel_headers(panel) -> dict[str, str]:
    return htmx_headers(panel.target, panel.page)


def _record(name: str, **facts: Any) -> None:
    """What a walk found, in ``tests/artifacts/faults-<name>.json`` (a file per walk: the
    walks may run at once on several workers)."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"faults-{name}.json").write_text(json.dumps(facts, indent=2, sort_keys=True))


@pytest.mark.parametrize("fault", sorted(FAULT_CLASSES))
def test_every_page_and_panel_says_so_when_gigstack_fails(quick, walked, faults, fault):
    if fault == "refused":
        quick.app.extensions["gigstack"].client.base_url = f"http://127.0.0.1:{free_port()}/v2"
    else:
        faults(FAULT_CLASSES[fault])
    quick.give_up_soon()
    walk = Walk()
    for url in walked.pages.values():
        walk.check(quick, url)
    for panel in walked.panels.values():
        walk.check(quick, panel.url, _panel_headers(panel))
    _record(
        fault,
        pages=len(walked.pages),
        panels=len(walked.panels),
        answers=walk.opened,
        worst_seconds=round(walk.worst[0], 3),
        worst_url=walk.worst[1],
    )
    assert walk.opened == len(walked.pages) + len(walked.panels)
    assert not walk.failures, "\n".join(walk.failures)


# what differs between two loads of the same page: the tokens each form is given
_PER_LOAD = re.compile(
    r'(name="(?:csrf_token|once|idempotency_key)"[^>]*value=")[^"]*"|("X-CSRFToken": ")[^"]*"'
)


def same_page(one, other) -> bool:
    """Both answers show the same page, but for the tokens each load is given."""
    return _PER_LOAD.sub(r"\1\2", one.get_data(as_text=True)) == _PER_LOAD.sub(
        r"\1\2", other.get_data(as_text=True)
    )


def _own_calls(sandbox_requests, answer) -> list[str]:
    """The GET paths (without ``/v2``) gigstack received for ``answer``'s request itself."""
    request_id = answer.headers.get("X-Request-ID")
    return sorted(
        {
            r.path.removeprefix("/v2")
            for r in sandbox_requests
            if r.request_id == request_id and r.method == "GET"
        }
    )


def test_each_call_of_a_page_failing_alone_is_said_with_a_retry(
    quick, walked, faults, sandbox_requests
):
    """Per panel where a page has several: a page whose one call fails (the complements of an
    invoice, a client's payments) says so there with a retry, instead of an empty list or a
    missing part — or shows all it showed before, when it did not need that call's answer."""
    targets = [(url, None) for urls in walked.opened_pages.values() for url in urls]
    targets += [(panel.url, _panel_headers(panel)) for panel in walked.panels.values()]
    failures, tried = [], 0
    for url, headers in targets:
        faults({})
        healthy = quick.open(url, headers)
        for path in _own_calls(sandbox_requests, healthy):
            faults({"rules": [{"method": "GET", "path": path, "status": 503}]})
            answer = quick.open(url, headers)
            if path not in _own_calls(sandbox_requests, answer):
                continue  # read from a copy this time: nothing failed
            tried += 1
            problem = unclear(answer, needed_gigstack=True)
            if problem and same_page(answer, healthy):
                continue  # a call whose answer this page does not show (complements of a PUE)
            if problem:
                failures.append(f"{url} {headers or ''} with GET {path} failing: {problem}")
    _record("each-call", pages=len(targets), calls_failed_alone=tried)
    assert tried > len(walked.pages)  # most pages call gigstack at least once
    assert not failures, "\n".join(failures)
