"""The onboarding link (Connect): only on an explicit POST, shown once with a copy button and
its expiry, audited without the URL, never cached, logged or stored."""

from __future__ import annotations

import logging
import re

import pytest

from tests.app.helpers import audit_rows, post_form

pytestmark = pytest.mark.databases


def test_never_on_page_load(admin, teams, sandbox_requests):
    sandbox_requests.clear()
    for path in ("", "edit", "csd", "settings", "series/", "members/"):
        admin.get(f"/teams/{teams['eku']}/{path}")
    assert not [r for r in sandbox_requests if "onboarding-url" in r.path]


def test_post_shows_the_link_once_and_audits_without_it(app, operator, teams, caplog):
    with caplog.at_level(logging.DEBUG):
        answer = post_form(
            operator, f"/teams/{teams['eku']}/onboarding-link", htmx="onboarding-area"
        )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert "<html" not in html  # the fragment for the overview's area
    link = re.search(r'value="([^"]+)" id="onboarding-link-value"', html).group(1)
    assert 'data-copy="#onboarding-link-value"' in html
    assert "Vale 7 días" in html and "solo se muestra ahora" in html
    [entry] = audit_rows(app, "team.onboarding_link")
    assert entry.outcome == "ok" and link not in (entry.reason or "")
    assert link not in caplog.text
    with operator.session_transaction() as session:
        assert link not in repr(dict(session))
    # a later visit shows no link (it is not kept anywhere)
    assert link not in operator.get(f"/teams/{teams['eku']}/").get_data(as_text=True)
    # a second link replaces the first
    again = post_form(operator, f"/teams/{teams['eku']}/onboarding-link")
    assert link not in again.get_data(as_text=True)


def test_viewers_may_not_make_links(viewer, teams):
    assert post_form(viewer, f"/teams/{teams['eku']}/onboarding-link").status_code == 403


def test_gigstack_down_is_a_banner(operator, teams, faults, app):
    faults({"rules": [{"method": "GET", "path": "/teams/*/onboarding-url", "status": 503}]})
    answer = post_form(operator, f"/teams/{teams['eku']}/onboarding-link", htmx="onboarding-area")
    assert answer.status_code in (502, 503) and answer.headers["X-Backoffice-Error"]
    assert audit_rows(app, "team.onboarding_link")[-1].outcome != "ok"
