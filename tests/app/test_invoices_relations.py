"""The documents related to an invoice, both ways (the detail's lazy panel): its credit notes
and the complements that pay it, each with its status; a cancelled invoice and its substitute
link each other; a list gigstack does not answer is said, not hidden. The client page's
latest documents say their status."""

from __future__ import annotations

import re

import pytest

from tests.app.helpers import htmx_headers, text_of, upstream_calls

pytestmark = pytest.mark.databases


def _base(teams) -> str:
    return f"/teams/{teams['partner']}/invoices/"


def _panel(browser, teams, invoice: dict, kind: str = "income"):
    return browser.get(
        f"{_base(teams)}{invoice['uuid']}/relations",
        query_string={"type": kind},
        headers=htmx_headers("invoice-relations"),
    )


def _item(html: str, uuid: str) -> str:
    """The visible text of the list item that links ``uuid``."""
    found = re.search(rf"<li[^>]*>((?:(?!</li>).)*?/invoices/{uuid}\?type=.*?)</li>", html, re.S)
    assert found, f"no link to {uuid}"
    return text_of(found.group(1))


def test_the_detail_loads_its_related_documents_as_a_panel(viewer, stored, teams):
    invoice = stored.one("invoices", teams["partner"], invoice_type="I")
    html = viewer.get(f"{_base(teams)}{invoice['uuid']}?type=income").get_data(as_text=True)
    assert (
        f'hx-get="/teams/{teams["partner"]}/invoices/{invoice["uuid"]}/relations?type=income"'
        in html
    )
    whole = viewer.get(f"{_base(teams)}{invoice['uuid']}/relations?type=income")
    assert whole.status_code == 200 and "<h1>" in whole.get_data(as_text=True)  # no JavaScript


def test_an_income_invoice_lists_the_complements_that_pay_it_with_their_status(
    viewer, stored, teams
):
    invoice = stored.one(
        "invoices", teams["partner"], invoice_type="I", test=lambda i: i["payment_complements"]
    )
    paying = stored(
        "invoices",
        teams["partner"],
        invoice_type="P",
        test=lambda p: any(
            r["uuid"] == invoice["uuid"] for r in p["payment_complement"]["related_invoices"]
        ),
    )
    viewer.get(_base(teams))  # the team is known from here on
    answer = _panel(viewer, teams, invoice)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and paying
    for complement in paying:
        shown = _item(html, complement["uuid"])
        assert f"Complemento de pago {complement['series']}-{complement['folio_number']}" in shown
        assert "Vigente" in shown
    # one round: the invoice and its complements; then the client's income and egress lists
    assert upstream_calls(answer) == 4


def test_an_income_invoice_lists_its_credit_notes_and_a_note_links_back(viewer, stored, teams):
    note = stored.one("invoices", teams["partner"], invoice_type="E", status="valid")
    credited = note["related_documents"][0]["documents"][0]
    invoice = stored.one("invoices", teams["partner"], uuid=credited)
    html = _panel(viewer, teams, invoice).get_data(as_text=True)
    shown = _item(html, note["uuid"])
    assert f"Nota de crédito {note['series']}-{note['folio_number']}" in shown
    assert "Vigente" in shown
    back = _panel(viewer, teams, note, "egress").get_data(as_text=True)
    shown = _item(back, invoice["uuid"])
    assert f"Factura {invoice['series']}-{invoice['folio_number']}" in shown
    assert "01" in shown  # the relationship, named by the catalogue


def test_a_cancelled_invoice_and_its_substitute_link_each_other(viewer, stored, teams):
    cancelled = stored.one(
        "invoices", teams["partner"], invoice_type="I", test=lambda i: i["substitution_uuid"]
    )
    substitute = stored.one("invoices", teams["partner"], uuid=cancelled["substitution_uuid"])
    html = _panel(viewer, teams, cancelled).get_data(as_text=True)
    shown = _item(html, substitute["uuid"])
    assert "Se sustituyó por" in shown
    assert f"Factura {substitute['series']}-{substitute['folio_number']}" in shown
    assert "Vigente" in shown
    back = _panel(viewer, teams, substitute).get_data(as_text=True)
    shown = _item(back, cancelled["uuid"])
    assert f"Factura {cancelled['series']}-{cancelled['folio_number']}" in shown
    assert "Cancelada" in shown


def test_a_list_gigstack_does_not_answer_is_said_and_the_rest_shown(viewer, stored, teams, faults):
    invoice = stored.one(
        "invoices", teams["partner"], invoice_type="I", test=lambda i: i["payment_complements"]
    )
    faults({"rules": [{"method": "GET", "path": "/invoices/egress", "status": 503}]})
    answer = _panel(viewer, teams, invoice)
    text = text_of(answer.get_data(as_text=True))
    assert answer.status_code == 200
    assert "Esta parte de la página no se pudo cargar" in text and "Reintentar" in text
    assert "Complemento de pago" in text and "No se pudo leer." in text


def test_another_teams_invoice_has_no_relations_panel(viewer, stored, teams):
    invoice = stored.one("invoices", teams["outsider"], invoice_type="I")
    assert _panel(viewer, teams, invoice).status_code == 404


def test_the_client_page_says_the_status_of_each_latest_document(viewer, stored, teams):
    client_id = stored.one("invoices", teams["partner"], status="cancelled")["client"]["id"]
    html = viewer.get(f"/teams/{teams['partner']}/clients/{client_id}").get_data(as_text=True)
    panel = re.search(r'data-testid="panel-invoices">(.*?)</section>', html, re.S).group(1)
    words = {"valid": "Vigente", "cancelled": "Cancelada"}
    listed = re.findall(
        r'<li><a href="[^"]*/invoices/([^"?]+)\?type=[^"]*">(.*?)</li>', panel, re.S
    )
    assert listed
    for uuid, item in listed:
        invoice = stored.one("invoices", teams["partner"], uuid=uuid)
        assert f"Factura {invoice['series']}-{invoice['folio_number']}" in text_of(item)
        assert f">{words[invoice['status']]}</span>" in item
    for key in ("payments", "receipts"):
        block = re.search(rf'data-testid="panel-{key}">(.*?)</section>', html, re.S).group(1)
        items = re.findall(r"<li>(.*?)</li>", block, re.S)
        assert all('class="badge' in item for item in items)
        assert "succeeded" not in block and "completed" not in block
