"""Search across teams in Chromium, at a laptop's width and a phone's: the empty index says
so and offers its sync, the sync's job runs while its page watches, then the frame's box
finds a team, a client and a CFDI, each linked under its team; strict CSP (the page watch),
no sideways scroll, no English on the Spanish pages; screenshots."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.shell import WIDTHS, index_every_team, sideways_scroll, sign_in

ENGLISH = ("Search every team", "Teams", "Clients", "Invoices", "not indexed", "Update")


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_index_is_synced_then_the_frame_box_finds_across_teams(
    page, staff, teams, stored, live_server, shot, width
):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, *staff)
    page.wait_for_url("**/teams/*/")
    page.goto("/search/")
    expect(page.locator("h1")).to_have_text("Buscar en todos los equipos")
    expect(page.get_by_test_id("search-freshness")).to_be_visible()
    assert sideways_scroll(page) <= 0, "the empty search page scrolls sideways"
    shot(f"91-search-empty-{width}.png")
    index_every_team(page, live_server)

    invoice = stored("invoices", teams["partner"], status="valid")[0]
    client = invoice["client"]
    box = page.locator("#search-box-q")
    box.fill("cumbre digital")
    box.press("Enter")
    page.wait_for_url("**/search/?q=*")
    team_hit = page.locator('[data-kind="team"] a', has_text="Cumbre Digital")
    expect(team_hit).to_have_attribute("href", f"/teams/{teams['partner']}/")
    page.locator("#search-q").fill(client["tax_id"])
    page.locator("#search-q").press("Enter")
    expect(page.locator('[data-kind="client"] li').first).to_be_visible()
    assert sideways_scroll(page) <= 0, "the results scroll sideways"
    text = page.locator("main").inner_text()
    assert not [word for word in ENGLISH if word in text], text
    shot(f"92-search-results-{width}.png")
    page.locator("#search-q").fill(invoice["uuid"][:8])
    page.locator("#search-q").press("Enter")
    link = page.locator(f'[data-object="{invoice["uuid"]}"] a').first
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url(f"**/teams/{teams['partner']}/invoices/{invoice['uuid']}?type=income")
