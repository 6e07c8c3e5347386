"""Payments, receipts and webhooks in Chromium: register a payment with a PPD invoice and its
complement and follow it to both, refund part of a payment, stamp a pending receipt, create a
webhook for every invoice event. Strict CSP, no console errors."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.shell import sign_in
from tests.browser.test_invoice_flows import htmx_idle


def test_register_a_payment_with_ppd_invoice_and_complement(
    page, staff, stored, teams, shot, restore_sandbox
):
    client = stored.one(
        "clients",
        teams["partner"],
        tax_system="601",
        test=lambda c: c.get("is_valid") and (c.get("efos") or {}).get("is_valid") is not False,
    )
    service = stored("services", teams["partner"])[0]
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/payments/")
    page.get_by_role("link", name="Registrar un pago").click()
    page.fill("#client_id_search", client["tax_id"][:6])
    page.locator(".pick", has_text=client["tax_id"]).click()
    expect(page.get_by_test_id("client_id-picked")).to_contain_text(client["tax_id"])
    htmx_idle(page)
    page.select_option("#items-0-service", service["id"])
    expect(page.locator("#items-0-description")).to_have_value(service["description"])
    htmx_idle(page)
    page.select_option("#payment_form", "03")
    page.select_option("#automation_type", "ppd_invoice_and_complement")
    htmx_idle(page)
    shot("41-register-payment.png")
    page.get_by_role("button", name="Registrar pago").click()
    expect(page).to_have_url(re.compile(r"/payments/payment_\w+$"))
    documents = page.get_by_test_id("payment-documents")
    expect(documents.get_by_role("link")).to_have_count(2)  # the PPD invoice and its complement
    shot("42-payment-documents.png")
    documents.get_by_role("link").nth(0).click()
    expect(page.get_by_test_id("invoice-facts")).to_contain_text("PPD")
    page.go_back()
    page.get_by_test_id("payment-documents").get_by_role("link").nth(1).click()
    expect(page.get_by_test_id("invoice-facts")).to_contain_text("P")
    shot("43-complement.png")


def test_refund_part_of_a_payment(page, staff, stored, teams, shot, restore_sandbox):
    payment = stored.one(
        "payments", teams["partner"], status="succeeded", test=lambda p: not p["refunds"]
    )
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/payments/{payment['id']}")
    page.get_by_test_id("payment-actions").get_by_role("link", name="Reembolsar").click()
    page.fill("#amount", "100")
    page.fill("#reason", "Devolución parcial por un concepto no entregado")
    shot("44-refund-form.png")
    page.get_by_role("button", name="Reembolsar").click()
    expect(page).to_have_url(re.compile(rf"/payments/{payment['id']}$"))
    expect(page.locator("#payment-refunds")).to_contain_text("Devolución parcial")
    expect(page.locator("#flash")).to_contain_text("Se reembolsaron $100.00 MXN del pago de")
    shot("45-refunded.png")


def test_stamp_a_pending_receipt(page, staff, api, teams, shot, frozen_clock, restore_sandbox):
    from webapp.sandbox.seed import SEED_ANCHOR

    frozen_clock(SEED_ANCHOR)  # the seeded pending receipts are still open then
    receipt = next(
        r
        for r in api.receipts.iter(status="pending", limit=100, team=teams["partner"])
        if (r.get("client") or {}).get("tax_id")
        and r["client"]["tax_id"] not in ("XAXX010101000", "XEXX010101000")
    )
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/receipts/?status=pending")
    expect(page.locator("#receipts-table tbody tr[data-receipt]").first).to_contain_text(
        "Pendiente"
    )
    page.goto(f"/teams/{teams['partner']}/receipts/{receipt['id']}")
    expect(page.get_by_test_id("receipt-link")).to_be_visible()
    page.get_by_role("link", name="Timbrar como factura").click()
    shot("46-stamp-receipt.png")
    page.get_by_role("button", name="Timbrar como factura").click()
    expect(page).to_have_url(re.compile(rf"/receipts/{receipt['id']}$"))
    expect(page.get_by_test_id("receipt-invoice")).to_be_visible()
    shot("47-receipt-stamped.png")


def test_create_a_webhook_for_all_invoice_events(page, staff, teams, shot, restore_sandbox):
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/webhooks/")
    page.get_by_role("link", name="Crear un webhook").click()
    page.fill("#url", "https://erp.example.mx/hooks/facturas")
    page.locator('input[data-toggle-group="invoice"]').check()
    invoice_boxes = page.locator('input[data-group="invoice"]')
    for index in range(invoice_boxes.count()):
        expect(invoice_boxes.nth(index)).to_be_checked()
    shot("48-webhook-form.png")
    page.get_by_role("button", name="Crear webhook").click()
    expect(page).to_have_url(re.compile(r"/webhooks/$"))
    row = page.locator("#webhooks-table tr", has_text="erp.example.mx/hooks/facturas")
    expect(row).to_contain_text("invoice.created")
    expect(row).to_contain_text("invoice.canceled")
    shot("49-webhook-created.png")


def test_the_rep_monitor_reads_the_team_from_the_index(page, staff, teams, live_server, shot):
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/rep/")
    expect(page.get_by_test_id("team-index")).to_contain_text("Aún no está en el índice")
    page.get_by_role("button", name="Actualizar el índice").click()
    page.wait_for_url("**/jobs/*")
    live_server.app.extensions["jobs"].drain()
    page.goto(f"/teams/{teams['partner']}/rep/")
    expect(page.locator("#rep-open tbody tr[data-invoice]").first).to_be_visible()
    expect(page.get_by_test_id("team-index")).to_contain_text("objetos en el índice")
    shot("50-rep-monitor.png")
