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


def test_enter_in_a_picker_chooses_the_highlighted_match_and_submits_nothing(
    page, staff, teams, stored, shot
):
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/services/new")
    page.fill("#description", "Mantenimiento de impresoras láser")
    page.locator("#product_key").press_sequentially("mantenimiento de impresoras", delay=5)
    first = page.locator("#product_key-picks .pick").first
    expect(first).to_have_class(re.compile(r"\bis-active\b"))  # highlighted: Enter takes it
    expect(first).to_contain_text("Mantenimiento de impresoras")
    page.keyboard.press("ArrowDown")
    second = page.locator("#product_key-picks .pick").nth(1)
    expect(second).to_have_class(re.compile(r"\bis-active\b"))
    chosen = second.get_attribute("data-pick-value")
    shot("26b-product-key-picker-keyboard.png")
    page.keyboard.press("Enter")
    expect(page.locator("#product_key")).to_have_value(chosen)
    expect(page.locator("#product_key-picks .pick")).to_have_count(0)
    page.locator("#unit_key").press_sequentially("pieza", delay=5)
    expect(page.locator("#unit_key-picks .pick").first).to_contain_text("Pieza")
    page.keyboard.press("Enter")
    expect(page.locator("#unit_key")).to_have_value("H87")
    page.keyboard.press("Enter")  # no list open: Enter in a picker still sends nothing
    expect(page).to_have_url(re.compile(r"/services/new$"))
    assert not stored("services", teams["partner"], description="Mantenimiento de impresoras láser")
