"""Documents that tell the truth, in Chromium: a payment complement shows its payment and the
invoices it pays; a cancelled invoice and its substitute link each other (the related
documents load as a panel); a payment registered on a PPD invoice from its page. Strict CSP,
no console errors; screenshots under tests/artifacts/."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.app.helpers import open_ppd_invoices
from tests.browser.shell import sign_in
from tests.browser.test_invoice_flows import htmx_idle


def test_a_payment_complement_shows_what_it_pays(page, staff, stored, teams, shot):
    complement = stored.one(
        "invoices",
        teams["partner"],
        invoice_type="P",
        status="valid",
        test=lambda inv: bool(inv["payment_complement"]["payment_id"]),
    )
    info = complement["payment_complement"]
    paid = info["related_invoices"][0]
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/invoices/{complement['uuid']}?type=payment")
    folio = f"{complement['series']}-{complement['folio_number']}"
    expect(page.locator("h1")).to_have_text(f"Complemento de pago {folio}")
    expect(page.get_by_test_id("complement-facts")).to_contain_text(f"${info['amount']:,.2f} MXN")
    expect(page.get_by_test_id("complement-payment-link")).to_contain_text(info["payment_id"])
    row = page.locator("#complement-invoices tbody tr").first
    expect(row).to_contain_text(f"Factura {paid['series']}-{paid['folio_number']}")
    expect(row).to_contain_text(f"${paid['outstanding_balance']:,.2f} MXN")
    expect(page.get_by_test_id("complement-totals")).to_contain_text("IVA 16 %")
    htmx_idle(page)
    expect(page.get_by_test_id("invoice-relations")).to_be_visible()
    shot("70-payment-complement.png")
    row.get_by_role("link").first.click()
    expect(page.locator("h1")).to_have_text(f"Factura {paid['series']}-{paid['folio_number']}")


def test_a_cancelled_invoice_and_its_substitute(page, staff, stored, teams, shot):
    cancelled = stored.one(
        "invoices", teams["partner"], invoice_type="I", test=lambda i: i["substitution_uuid"]
    )
    substitute = stored.one("invoices", teams["partner"], uuid=cancelled["substitution_uuid"])
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/invoices/{cancelled['uuid']}?type=income")
    replaced_by = page.get_by_test_id("substituted-by")
    expect(replaced_by).to_contain_text(
        f"Factura {substitute['series']}-{substitute['folio_number']}"
    )
    expect(replaced_by).to_contain_text("Vigente")
    shot("71-cancelled-invoice-and-substitute.png")
    replaced_by.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text(
        f"Factura {substitute['series']}-{substitute['folio_number']}"
    )
    related = page.get_by_test_id("relations-list")
    expect(related).to_contain_text(f"Factura {cancelled['series']}-{cancelled['folio_number']}")
    expect(related).to_contain_text("Cancelada")
    shot("72-substitute-and-its-original.png")


def test_register_a_payment_on_a_ppd_invoice(page, staff, stored, teams, shot, restore_sandbox):
    invoice = open_ppd_invoices(stored, teams["partner"])[0]
    part = round(invoice["last_balance"] / 2, 2)
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/invoices/{invoice['uuid']}?type=income")
    page.get_by_role("link", name="Registrar un pago sobre ella").click()
    expect(page.locator("#amount")).to_have_value(f"{invoice['last_balance']:.2f}")
    page.select_option("#payment_form", "03")
    page.fill("#amount", f"{part:.2f}")
    page.locator("#amount").blur()
    expect(page.get_by_test_id("pay-items")).to_contain_text(f"${part:,.2f} MXN")
    htmx_idle(page)
    shot("73-payment-on-a-ppd-invoice.png")
    page.fill("#amount", str(invoice["last_balance"] + 1))
    page.get_by_role("button", name="Registrar pago").click()
    expect(page.locator("#amount-errors")).to_contain_text("como máximo")
    page.fill("#amount", f"{part:.2f}")
    page.get_by_role("button", name="Registrar pago").click()
    expect(page).to_have_url(re.compile(r"/payments/payment_\w+$"))
    expect(page.get_by_test_id("payment-documents").get_by_role("link")).to_have_count(1)
    shot("74-payment-on-a-ppd-invoice-registered.png")
