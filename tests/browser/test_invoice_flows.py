"""Invoices in Chromium: find one by folio, download its PDF and XML, cancel one with motive 01
choosing its substitute. Strict CSP, no console errors."""

from __future__ import annotations

import re
from collections import Counter

from playwright.sync_api import expect

from tests.browser.shell import sign_in


def htmx_idle(page) -> None:
    """Wait until htmx has no request, swap or settle under way."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def _valid_income(stored, team_id: str) -> list[dict]:
    return stored("invoices", team_id, invoice_type="I", status="valid")


def test_find_an_invoice_by_folio_and_download_it(page, staff, stored, teams, shot):
    invoice = _valid_income(stored, teams["partner"])[0]
    folio = f"{invoice['series']}-{invoice['folio_number']}"
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/invoices/")
    page.fill("#q", folio)
    page.get_by_role("button", name="Filtrar").click()
    row = page.locator(f'#invoices-table tr[data-invoice="{invoice["uuid"]}"]')
    expect(row).to_have_count(1)
    shot("33-invoice-by-folio.png")
    row.get_by_role("link").first.click()
    expect(page.get_by_test_id("invoice-facts")).to_contain_text(invoice["uuid"])
    shot("34-invoice-detail.png")
    for kind in ("PDF", "XML"):
        with page.expect_download() as download:
            page.get_by_role("link", name=f"Descargar {kind}").click()
        name = download.value.suggested_filename
        assert name.endswith(f"_{invoice['uuid']}.{kind.lower()}")
        assert name.startswith(stored.team(teams["partner"])["tax_id"] + "_")


def test_cancel_with_motive_01_choosing_the_substitute(
    page, staff, stored, teams, shot, restore_sandbox
):
    valid = _valid_income(stored, teams["partner"])
    client_id = next(c for c, n in Counter(i["client"]["id"] for i in valid).items() if n >= 2)
    target, substitute = [i for i in valid if i["client"]["id"] == client_id][:2]
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/invoices/{target['uuid']}")
    page.get_by_role("link", name="Cancelar factura").click()
    page.select_option("#motive", "01")
    page.select_option("#substitution_uuid", substitute["uuid"])
    page.fill("#reason", "Se emitió con el RFC equivocado")
    shot("35-cancel-motive-01.png")
    page.get_by_role("button", name="Cancelar factura").click()
    expect(page).to_have_url(re.compile(rf"/invoices/{target['uuid']}\?type=income$"))
    expect(page.locator("#flash")).to_contain_text("Se canceló")
    expect(page.get_by_test_id("invoice-facts")).to_contain_text("Cancelada")
    shot("36-invoice-cancelled.png")


def test_issue_an_invoice_with_a_service_item_and_a_free_item(
    page, staff, stored, teams, shot, restore_sandbox
):
    client = stored.one(
        "clients", teams["partner"], tax_system="601", test=lambda c: c.get("is_valid")
    )
    service = stored("services", teams["partner"])[0]
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/invoices/")
    page.get_by_role("link", name="Emitir una factura de ingreso").click()
    page.fill("#client_id_search", client["tax_id"][:6])  # search as you type
    page.locator(".pick", has_text=client["tax_id"]).click()
    expect(page.get_by_test_id("client_id-picked")).to_contain_text(client["tax_id"])
    htmx_idle(page)  # the new form is wired before the next change is made
    page.select_option("#items-0-service", service["id"])
    # the service fills its row (the server sends the whole form back)
    expect(page.locator("#items-0-description")).to_have_value(service["description"])
    expect(page.locator("#items-0-product_key")).to_have_value(service["product_key"])
    expect(page.get_by_test_id("invoice-total")).not_to_have_text("$0.00 MXN")
    htmx_idle(page)
    page.get_by_role("button", name="Agregar un concepto").click()
    expect(page.locator(".invoice-item")).to_have_count(2)
    htmx_idle(page)
    page.fill("#items-1-description", "Visita extra")
    page.fill("#items-1-product_key", "81111500")
    page.fill("#items-1-unit_key", "unidad de servicio")  # the unit-key picker
    page.locator(".pick", has_text="E48").first.click()
    expect(page.locator("#items-1-unit_key")).to_have_value("E48")
    page.fill("#items-1-unit_price", "1000")
    page.locator("#items-1-unit_price").blur()
    expect(page.get_by_test_id("prestamp-report")).to_have_attribute("data-blocking", "0")
    shot("37-issue-invoice-totals.png")
    page.get_by_role("button", name="Timbrar factura").click()
    expect(page).to_have_url(re.compile(r"/invoices/[0-9A-F-]{36}$"))
    expect(page.locator("#invoice-items tbody tr")).to_have_count(2)
    shot("38-invoice-issued.png")


def test_an_item_row_picks_its_keys_from_the_whole_text_with_enter(page, staff, teams, shot):
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/invoices/new")
    key = page.locator("#items-0-product_key")
    key.press_sequentially("consultoria", delay=5)
    expect(key).to_have_value("consultoria")  # not cut at a key's 8 characters
    first = page.locator("#items-0-product_key-picks .pick").first
    expect(first).to_contain_text("consultoría")
    chosen = first.get_attribute("data-pick-value")
    page.keyboard.press("Enter")
    expect(key).to_have_value(chosen)
    unit = page.locator("#items-0-unit_key")
    unit.press_sequentially("unidad de servicio", delay=5)
    expect(unit).to_have_value("unidad de servicio")  # not cut at 5
    expect(page.locator("#items-0-unit_key-picks .pick").first).to_contain_text("E48")
    shot("38b-item-unit-picker.png")
    page.keyboard.press("Enter")
    expect(unit).to_have_value("E48")
    htmx_idle(page)
    expect(page.locator(".invoice-item")).to_have_count(1)  # Enter added no row


def test_issue_a_credit_note(page, staff, stored, teams, shot, restore_sandbox):
    invoice = _valid_income(stored, teams["partner"])[0]
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/invoices/{invoice['uuid']}")
    page.get_by_role("link", name="Emitir nota de crédito").click()
    expect(page.get_by_test_id("credit-total")).to_contain_text("Total de la nota de crédito")
    shot("39-credit-note.png")
    page.get_by_role("button", name="Emitir nota de crédito").click()
    expect(page).to_have_url(re.compile(r"/invoices/[0-9A-F-]{36}\?type=egress$"))
    expect(page.get_by_test_id("invoice-facts")).to_contain_text("E")
    shot("40-credit-note-issued.png")
