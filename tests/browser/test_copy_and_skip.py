"""In Chromium: the first Tab of a page reaches the skip link and Enter puts the focus on the
content; a UUID's Copy button puts it on the clipboard and says so."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.shell import sign_in


def test_the_first_tab_skips_to_the_content_and_a_uuid_copies(page, staff, stored, teams, shot):
    invoice = stored.one("invoices", teams["partner"], invoice_type="I")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/invoices/{invoice['uuid']}?type=income")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    shot("80-skip-link.png")
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    copy = page.locator(f'[data-copy-text="{invoice["uuid"]}"]')
    copy.click()
    expect(copy).to_have_text("En el portapapeles")
    assert page.evaluate("navigator.clipboard.readText()") == invoice["uuid"]
