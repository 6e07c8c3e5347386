"""Request ids follow a click to gigstack; every answer says its time and upstream calls."""

from __future__ import annotations

import logging
import re

from tests.app.helpers import home
from webapp.observability import RequestIdFilter, current_request_id

TIMING = re.compile(
    r"app;dur=[\d.]+, cpu;dur=[\d.]+, upstream;dur=[\d.]+, "
    r'upstream-max;dur=[\d.]+, upstream-calls;desc="(\d+)"'
)


def test_the_routers_request_id_reaches_gigstack_on_every_call(app, admin, sandbox_requests, teams):
    app.extensions["team_directory"].forget()
    answer = admin.get(
        f"/teams/{teams['partner']}/", headers={"X-Request-ID": "0f6a1c7e-router-id"}
    )
    assert answer.status_code == 200
    assert answer.headers["X-Request-ID"] == "0f6a1c7e-router-id"
    # the team list, then the team, its series and integrations in parallel threads
    assert [r.request_id for r in sandbox_requests] == ["0f6a1c7e-router-id"] * 4


def test_without_a_sane_id_the_app_makes_one_per_request(app, admin, sandbox_requests):
    first = admin.get("/", headers={"X-Request-ID": "bad id <script>"})
    second = home(admin)
    made = first.headers["X-Request-ID"], second.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made[0]) and re.fullmatch(r"[0-9a-f]{32}", made[1])
    assert made[0] != made[1]
    assert {r.request_id for r in sandbox_requests} == set(made)


def test_server_timing_counts_the_upstream_calls_of_the_page(app, admin):
    home(admin)  # the team list and the team's details are cached from here on
    timing = TIMING.fullmatch(home(admin).headers["Server-Timing"])
    assert timing and timing.group(1) == "2"  # the team's series and integrations
    audit = TIMING.fullmatch(admin.get("/audit/").headers["Server-Timing"])
    assert audit and audit.group(1) == "0"


def test_every_log_line_of_a_request_carries_its_id(app, admin, caplog):
    caplog.handler.addFilter(RequestIdFilter())  # as the stdout handler has it
    app.extensions["team_directory"].forget()
    with caplog.at_level(logging.INFO):
        admin.get("/teams/", headers={"X-Request-ID": "trace-me-0001"})
    access = [r for r in caplog.records if r.name == "webapp.access"]
    assert access and access[-1].http_path == "/teams/" and access[-1].http_status == 200
    assert access[-1].upstream_calls >= 1
    gigstack = [r for r in caplog.records if r.name == "webapp.gigstack"]
    assert gigstack
    assert {r.request_id for r in access + gigstack} == {"trace-me-0001"}


def test_the_request_id_does_not_leak_into_the_next_request(app, admin):
    admin.get("/audit/", headers={"X-Request-ID": "only-this-request"})
    assert current_request_id() is None
