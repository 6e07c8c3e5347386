"""Clients in Chromium: search by RFC, a client with the generic RFC (its regime and use fixed
as the RFC is typed), the CSV export. Strict CSP, no console errors."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.shell import sign_in


def test_search_a_client_by_rfc(page, staff, teams, shot):
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/clients/")
    page.fill("#q", "EFO150101AB7")
    page.get_by_role("button", name="Filtrar").click()
    rows = page.locator("#clients-table tbody tr[data-client]")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=EFO150101AB7"))
    shot("27-client-search.png")
    rows.get_by_role("link").click()
    expect(page.get_by_test_id("client-state")).to_contain_text("En la lista EFOS")
    shot("28-client-detail.png")


def test_create_a_client_with_the_generic_rfc(page, staff, teams, shot, restore_sandbox):
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/clients/new")
    page.fill("#legal_name", "VENTAS DE MOSTRADOR")
    page.fill("#tax_id", "XAXX010101000")
    page.locator("#tax_id").blur()
    expect(page.locator("#fiscal-fields")).to_contain_text("RFC genérico")
    expect(page.locator("#tax_system")).to_have_value("616")
    expect(page.locator("#use")).to_have_value("S01")
    page.fill("#zip", "06600")
    shot("29-client-generic-rfc.png")
    page.get_by_role("button", name="Crear cliente").click()
    expect(page).to_have_url(re.compile(r"/clients/client_\w+$"))
    expect(page.get_by_test_id("client-facts")).to_contain_text("616")


def test_the_regime_follows_the_rfc_as_it_is_typed_and_is_never_left_out(
    page, staff, teams, stored, shot
):
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/clients/new")
    page.fill("#legal_name", "ESCUELA KEMPER URGATE")
    page.select_option("#tax_system", "612")  # chosen before the RFC: every regime is offered
    page.locator("#tax_id").press_sequentially("FUNK671228PH6")
    expect(page.locator("#tax_system option[value='601']")).to_have_count(0)  # física only
    expect(page.locator("#tax_system")).to_have_value("612")  # it still fits: kept
    expect(page.locator("#tax_id")).to_be_focused()  # the RFC's input was not replaced
    page.fill("#tax_id", "")
    page.locator("#tax_id").press_sequentially("EKU9003173C9")  # a persona moral
    expect(page.locator("#tax_system-errors")).to_contain_text(
        "El régimen 612 no es para persona moral."
    )
    expect(page.locator("#tax_system")).to_have_value("")
    page.fill("#zip", "42501")
    shot("29b-client-regime-dropped.png")
    page.get_by_role("button", name="Crear cliente").click()
    expect(page.locator("#tax_system-errors")).to_contain_text("Elige el régimen fiscal")
    assert not stored("clients", teams["partner"], legal_name="ESCUELA KEMPER URGATE")


def test_export_the_clients_csv(page, staff, teams, shot):
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/clients/?validity=valid")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exportar CSV").click()
    saved = download.value
    assert re.fullmatch(r"clients-\d{8}-\d{4}\.csv", saved.suggested_filename)
    body = Path(saved.path()).read_bytes()
    assert body.startswith("\ufeff".encode()) and b"sat_check" in body
    shot("30-clients-export.png")


def test_fix_a_clients_regime_through_the_csf_diff(
    page, staff, teams, api, shot, tmp_path, restore_sandbox
):
    from datetime import date, timedelta

    from tests.support import synthetic_csf

    client = api.clients.create(
        {
            "legal_name": "ESCUELA KEMPER URGATE",
            "tax_id": "EKU9003173C9",
            "tax_system": "603",
            "address": {"zip": "42501"},
        },
        team=teams["partner"],
    )
    pdf = tmp_path / "constancia.pdf"
    pdf.write_bytes(synthetic_csf.moral_eku(issued_on=date.today() - timedelta(days=10)))
    sign_in(page, *staff)
    page.goto(f"/teams/{teams['partner']}/clients/{client['id']}")
    page.get_by_role("link", name="Actualizar desde su CSF").click()
    page.set_input_files("#file", str(pdf))
    page.get_by_role("button", name="Leer la CSF").click()
    changed = page.locator('#csf-diff tr[data-changes="yes"]')
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text("603")
    expect(changed).to_contain_text("601")
    shot("31-csf-diff.png")
    page.get_by_role("button", name="Subir a gigstack y actualizar el cliente").click()
    expect(page).to_have_url(re.compile(rf"/clients/{client['id']}$"))
    expect(page.get_by_test_id("client-facts")).to_contain_text("601 — General de Ley")
    shot("32-csf-applied.png")
