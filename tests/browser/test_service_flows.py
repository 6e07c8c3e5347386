"""Services in Chromium: a product key picked by typing a word, the unit key by code, the
price with taxes shown as the taxes editor changes. Strict CSP, no console errors."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.shell import sign_in


def test_create_a_service_picking_the_product_key_by_typing(
    page, staff, teams, shot, restore_sandbox
):
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/services/new")
    page.fill("#description", "Consultoría en procesos")
    page.locator("#product_key").press_sequentially("consultor", delay=20)
    pick = page.locator("#product_key-picks .pick", has_text="consultoría").first
    expect(pick).to_be_visible()
    shot("24-product-key-picker.png")
    chosen = pick.get_attribute("data-pick-value")
    pick.click()
    expect(page.locator("#product_key")).to_have_value(chosen)
    expect(page.locator("#product_key-picked")).to_contain_text(chosen)
    page.locator("#unit_key").press_sequentially("E48", delay=20)
    page.locator("#unit_key-picks .pick", has_text="Unidad de servicio").click()
    page.fill("#unit_price", "1000")
    page.select_option("#isr_withheld", "0.1")
    expect(page.get_by_test_id("unit-total")).to_have_text("$1,060.00 MXN")  # +16 % −10 %
    shot("25-service-taxes-preview.png")
    page.get_by_role("button", name="Crear servicio").click()
    expect(page).to_have_url(re.compile(r"/services/$"))
    row = page.locator("#services-table tr", has_text="Consultoría en procesos")
    expect(row).to_contain_text(chosen)
    shot("26-service-created.png")
