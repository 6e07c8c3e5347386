"""Every change confirms, the object linked: each create form a team's pages hand out (the forms
sent once, found by the walk as the double-submit test finds them) is sent as that test's
example fills it, and the page after shows one flash naming the new object with a link to its
page — a link built by the app, its text escaped."""

from __future__ import annotations

import re
from html import unescape

import pytest
from markupsafe import Markup

from tests.app.crawl import PostForm, endpoint_of, page_of
from tests.app.helpers import post_form, walk_partner_team
from tests.app.test_double_submit import EXAMPLES, Context, sent_once
from webapp.actions import confirmation

FLASH = re.compile(r'<div id="flash"[^>]*>(.*?)</div>\s*(?:<main|$)', re.S)
LINK = re.compile(r'<a href="([^"]+)">([^<]+)</a>')


@pytest.fixture(scope="module")
def create_forms(sandbox, keys) -> dict[str, PostForm]:
    return sent_once(walk_partner_team(sandbox, keys, "confirm@staff.test"))


def flashed(html: str) -> str:
    found = FLASH.search(html)
    assert found, "no #flash on the page"
    return found.group(1)


def test_a_confirmation_escapes_what_was_typed_and_links_only_the_object(app):
    with app.test_request_context():
        made = confirmation(
            "Client %(name)s saved <b>now</b>.", '<img src=x onerror="a()">', "/c/1?a=1&b=2"
        )
    assert isinstance(made, Markup)
    assert made == (
        'Client <a href="/c/1?a=1&amp;b=2">&lt;img src=x onerror=&#34;a()&#34;&gt;</a> '
        "saved &lt;b&gt;now&lt;/b&gt;."
    )
    with app.test_request_context():
        assert confirmation("Team %(name)s deleted.", "<i>x</i>") == (
            "Team &lt;i&gt;x&lt;/i&gt; deleted."
        )
        # what was typed is cut: the flash travels in the session cookie
        long = confirmation("Client %(name)s saved (%(why)s).", "x" * 5000, "/c/1", why="y" * 5000)
    assert len(long) < 300 and "x…</a>" in long


def test_every_create_confirms_with_the_object_linked(
    app, admin, create_forms, api, stored, teams, frozen_clock, restore_sandbox
):
    assert len(create_forms) >= 14
    missing = sorted(set(create_forms) - set(EXAMPLES))
    assert not missing, f"forms sent once without an example: {missing}"
    silent: dict[str, str] = {}
    for endpoint, post in create_forms.items():
        ctx = Context(api, stored, teams["partner"], post, server=None)
        example = EXAMPLES[endpoint]
        at = example.at(ctx) if example.at else None  # the object it is tried on, if not the walk's
        page_url, action = (at, at) if at else (post.page, post.action)
        page = admin.get(page_url).get_data(as_text=True)
        [form] = [f for f in page_of(page, page_url).forms if f.action == action]
        data = form.data(**example.fill(ctx))
        answer = admin.post(action, data=data, follow_redirects=True)
        assert answer.status_code in (200, 201), (endpoint, answer.status_code)
        banner = flashed(answer.get_data(as_text=True))
        links = LINK.findall(banner)
        if 'role="status"' not in banner or len(links) != 1:
            silent[endpoint] = banner.strip()[:300]
            continue
        url, name = links[0]
        assert unescape(name).strip(), endpoint
        linked = admin.get(unescape(url))
        assert linked.status_code == 200, (endpoint, url)  # the object's page opens
        assert endpoint_of(app, unescape(url)) not in (None, endpoint), (endpoint, url)
    assert not silent, silent


def test_a_change_answered_in_place_brings_its_confirmation_with_the_fragment(admin, stored, teams):
    client = stored.one("clients", teams["partner"], test=lambda c: c.get("tax_id"))
    answer = post_form(
        admin, f"/teams/{teams['partner']}/clients/{client['id']}/validate", htmx="client-actions"
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "<html" not in html
    oob = re.search(r'<div id="flash"[^>]*hx-swap-oob="true">(.*)</div>$', html, re.S)
    assert oob and f'/clients/{client["id"]}"' in oob.group(1)
    # delivered once: the next whole page does not repeat it
    again = admin.get(f"/teams/{teams['partner']}/clients/")
    assert "hecha: los datos fiscales" not in flashed(again.get_data(as_text=True))
