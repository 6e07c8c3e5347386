"""Invoices in Chromium: find one by folio, download its PDF and XML, cancel one with motive 01
choosing its substitute. Strict CSP, no console errors."""

from __future__ import annotations

import re
from collections import Counter

from playwright.sync_api import expect

from tests.browser.shell import sign_in


def _valid_income(sandbox, team_id: str) -> list[dict]:
    with sandbox.store.lock:
        return [inv for inv in sandbox.store.scoped[("invoices", team_id, False)].values()
                if inv["invoice_type"] == "I" and inv["status"] == "valid"]


def test_find_an_invoice_by_folio_and_download_it(page, staff, sandbox, teams, shot):
    invoice = _valid_income(sandbox, teams["partner"])[0]
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
        assert name.startswith(sandbox.store.teams[teams["partner"]]["tax_id"] + "_")


def test_cancel_with_motive_01_choosing_the_substitute(page, staff, sandbox, teams, shot,
                                                        restore_sandbox):
    valid = _valid_income(sandbox, teams["partner"])
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
    expect(page).to_have_url(re.compile(rf"/invoices/{target['uuid']}$"))
    expect(page.locator("#flash")).to_contain_text("cancelada")
    expect(page.get_by_test_id("invoice-facts")).to_contain_text("Cancelada")
    shot("36-invoice-cancelled.png")
