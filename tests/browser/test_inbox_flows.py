"""The attention inbox in Chromium, at a laptop's width and a phone's: after every team's
sync (its job run by a worker), the rows of each kind with their team, deadline and fix; the
kind filter; a row snoozed with a reason leaves the list and shows under "Snoozed"; one kind's
pages; strict
CSP (the page watch), no sideways scroll, no English on the Spanish page; screenshots."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.shell import WIDTHS, index_every_team, sideways_scroll, sign_in
from webapp.inbox import items

ENGLISH = ("Attention inbox", "Needs attention", "Snooze", "Deadline", "Team not ready")


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_inbox_lists_filters_and_snoozes_across_teams(
    page, staff, teams, live_server, shot, width, monkeypatch
):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, *staff)
    page.wait_for_url("**/teams/*/")
    index_every_team(page, live_server)

    if width < 800:
        page.locator(".nav-toggle").click()
    page.locator(".mainnav").get_by_role("link", name="Pendientes").click()
    page.wait_for_url("**/inbox/")
    expect(page.locator("h1")).to_have_text("Bandeja de atención")
    rows = page.locator("#inbox-table tbody tr[data-kind]")
    expect(rows.first).to_be_visible()
    unready = page.locator(f'tr[data-kind="not_ready"][data-team="{teams["eku"]}"]')
    expect(unready).to_contain_text("Sin CSD")
    expect(page.locator('tr[data-kind="ppd"]').first).to_contain_text("Saldo PPD")
    expect(page.get_by_test_id("inbox-aging")).to_be_visible()
    assert sideways_scroll(page) <= 0, "the inbox scrolls sideways"
    text = page.locator("main").inner_text()
    assert not [word for word in ENGLISH if word in text], text
    shot(f"93-inbox-{width}.png")

    page.locator("#kind").select_option("not_ready")
    page.get_by_role("button", name="Filtrar").click()
    page.wait_for_url("**/inbox/?*kind=not_ready*")
    expect(page.locator("#inbox-table tbody tr[data-kind]").first).to_have_attribute(
        "data-kind", "not_ready"
    )
    assert page.locator('#inbox-table tr[data-kind]:not([data-kind="not_ready"])').count() == 0
    shot(f"94-inbox-filtered-{width}.png")

    unready.get_by_role("link", name="Posponer").click()
    page.wait_for_url("**/inbox/snooze?*")
    page.get_by_role("button", name="Posponer").click()
    expect(page.locator("#reason-errors")).to_contain_text("Di por qué puede esperar")
    page.fill("#reason", "Esperamos el CSD del cliente")
    assert sideways_scroll(page) <= 0, "the snooze form scrolls sideways"
    shot(f"95-inbox-snooze-{width}.png")
    page.get_by_role("button", name="Posponer").click()
    page.wait_for_url("**/inbox/")
    expect(page.locator("#flash")).to_contain_text("pospuesto hasta")
    expect(unready).to_have_count(0)
    page.get_by_role("link", name="Pospuestas").click()
    expect(unready).to_contain_text("Esperamos el CSD del cliente")

    # one kind alone comes in pages (3 rows here): the pager swaps the list in place and
    # keeps the filter in the address
    monkeypatch.setattr(items, "CAP_ONE_KIND", 3)
    page.goto("/inbox/?kind=ppd")
    first_page = page.locator("#inbox-table tbody tr[data-kind]")
    expect(first_page).to_have_count(3)
    shown = first_page.evaluate_all("rows => rows.map(r => r.dataset.object)")
    page.locator("#inbox-list .pager").get_by_role("link", name="Siguiente").click()
    page.wait_for_url("**/inbox/?*page=2*")
    assert "kind=ppd" in page.url
    expect(
        page.locator("#inbox-list .pager").get_by_role("link", name="Más urgentes")
    ).to_be_visible()
    later = page.locator("#inbox-table tbody tr[data-kind]").evaluate_all(
        "rows => rows.map(r => r.dataset.object)"
    )
    assert later and not set(later) & set(shown)
    assert sideways_scroll(page) <= 0, "the inbox's pager scrolls sideways"
    shot(f"96-inbox-pages-{width}.png")
