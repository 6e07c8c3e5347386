"""Browser fixtures: Debian's Chromium driven by Playwright against the real app over HTTP.

The Playwright browser download does not work here, so Chromium is always launched from
``CHROMIUM`` (default /usr/bin/chromium). Without it the whole folder is skipped, unless
``REQUIRE_BROWSER=1`` (CI) where a missing browser must fail the run instead.

Every test gets a fresh app (own database, a SQLite file copied from the migrated template so
each thread has its own connection; own rate limiter, breaker and team cache)
served by a threaded werkzeug server on a random loopback port, with an injected clock, and
a fresh browser context whose CSP violations, ``Refused to …`` console messages and uncaught
page errors fail the test.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.app.conftest import PASSWORD, add_staff, make_app

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
VIEWPORT = {"width": 1280, "height": 800}
CSP_MARKERS = ("Content Security Policy", "Refused to")

# Runs before any page script; CSP does not apply to it (it is injected by the browser).
# Every violation is kept in window.__cspViolations and reported to Python at once, so one
# that happens just before a navigation is not lost with the page.
CSP_WATCH_SCRIPT = """
(() => {
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (event) => {
    const violation = {
      id: String(window.__cspViolations.length) + "@" + location.href,
      page: location.href,
      directive: event.effectiveDirective || event.violatedDirective,
      blocked: event.blockedURI,
      source: event.sourceFile + ":" + event.lineNumber,
      sample: event.sample,
    };
    window.__cspViolations.push(violation);
    if (window.__reportCspViolation) { window.__reportCspViolation(violation); }
  });
})();
"""


def chromium_location() -> str:
    """``CHROMIUM`` (a path or a command name) or Debian's default."""
    wanted = os.environ.get("CHROMIUM") or DEFAULT_CHROMIUM
    return shutil.which(wanted) or wanted


@pytest.fixture(scope="session", autouse=True)
def chromium_path() -> str:
    """Skip the folder without Chromium; fail instead when REQUIRE_BROWSER=1 (CI)."""
    path = chromium_location()
    problem = None
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        problem = f"Chromium not found at {path}; apt-get install chromium"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "Playwright for Python is not installed; pip install -e '.[dev]'"
    if problem:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"{problem} (REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(problem)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    """One Chromium for the whole session; tests isolate themselves with new contexts."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


class Clock:
    """The app's "now": real time plus an offset tests can push forward (no sleeping)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class LiveServer:
    """The real app on a real port, plus what tests need to act on it."""

    app: Flask
    url: str
    clock: Clock

    def add_staff(self, email: str, role: str = "admin", **kwargs: Any) -> str:
        add_staff(self.app, email, role, **kwargs)
        return email

    def forget_teams(self) -> None:
        """Drop the cached team list so the next request asks gigstack again."""
        self.app.extensions["team_directory"].forget()


@pytest.fixture
def live_server(sandbox: Any, keys: dict[str, dict[str, Any]]) -> Iterator[LiveServer]:
    """A fresh app (empty database, clean limiter and breaker) served over threaded HTTP."""
    clock = Clock()
    app = make_app(sandbox.api_url, keys["partner_test"]["key"], own_connections=True, CLOCK=clock)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="browser-live-server",
        daemon=True,
    )
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}", clock=clock)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["gigstack"].close()


@dataclass
class PageWatch:
    """What went wrong in the browser during one test: CSP violations and uncaught errors."""

    visited: list[str] = field(default_factory=list)
    violations: dict[str, dict[str, Any]] = field(default_factory=dict)
    csp_console: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def on_violation(self, _source: Any, violation: dict[str, Any]) -> None:
        self.violations.setdefault(violation.get("id", repr(violation)), violation)

    def on_console(self, message: Any) -> None:
        text = message.text
        if any(marker in text for marker in CSP_MARKERS):
            self.csp_console.append(f"{message.type}: {text}")

    def on_page_error(self, error: Any) -> None:
        self.page_errors.append(str(error))

    def on_navigation(self, frame: Any) -> None:
        if frame.parent_frame is None:
            self.visited.append(frame.url)

    def collect(self, page: Any) -> None:
        """Read the current page's own record too (in case a report did not arrive)."""
        if page.is_closed():
            return
        try:
            recorded = page.evaluate("window.__cspViolations || []")
        except Exception:  # a page mid-navigation has nothing to read
            return
        for violation in recorded:
            self.violations.setdefault(violation["id"], violation)

    def problems(self) -> list[str]:
        found = [f"CSP violation: {v}" for v in self.violations.values()]
        found += [f"CSP console message: {text}" for text in self.csp_console]
        found += [f"uncaught page error: {text}" for text in self.page_errors]
        return found


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


BROWSER_WAIT_MS = 15_000
expect.set_options(timeout=BROWSER_WAIT_MS)


@pytest.fixture
def context(browser: Any, live_server: LiveServer, watch: PageWatch) -> Iterator[Any]:
    """A fresh browser profile (no cookies) pointed at the live server, watched for CSP."""
    ctx = browser.new_context(
        base_url=live_server.url,
        viewport=VIEWPORT,
        locale="es-MX",
        timezone_id="America/Mexico_City",
    )
    # generous: the suite runs these beside other workers on two cores (CI), where an htmx
    # swap can take seconds; a passing step never waits for it
    ctx.set_default_timeout(BROWSER_WAIT_MS)
    ctx.expose_binding("__reportCspViolation", watch.on_violation)
    ctx.add_init_script(CSP_WATCH_SCRIPT)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any, watch: PageWatch, request: pytest.FixtureRequest) -> Any:
    """A watched tab: the test fails if any page it visited broke the CSP or threw."""
    tab = context.new_page()
    tab.on("console", watch.on_console)
    tab.on("pageerror", watch.on_page_error)
    tab.on("framenavigated", watch.on_navigation)
    request.node.browser_watch = (watch, tab)
    return tab


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After a passing test body, fail it if the browser saw CSP violations or JS errors."""
    result = yield
    watched = getattr(item, "browser_watch", None)
    if watched is not None:
        watch, tab = watched
        watch.collect(tab)
        problems = watch.problems()
        if problems:
            pages = "\n  ".join(dict.fromkeys(watch.visited))
            raise AssertionError(
                "browser problems:\n" + "\n".join(problems) + f"\npages visited:\n  {pages}"
            )
    return result


@pytest.fixture
def shot(page: Any) -> Any:
    """``shot("03-home.png")``: a full-page screenshot under tests/artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / name
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def staff(live_server: LiveServer) -> tuple[str, str]:
    """An admin (Spanish by default) who may use every team: (email, password)."""
    return live_server.add_staff("ana@staff.test", "admin", name="Ana Operadora"), PASSWORD
