"""Credit notes from an income invoice: same receiver, relationship 01, items all or some with
quantities editable, never above the invoice's total, issued once per opened form."""

from __future__ import annotations

import re

import pytest

from tests.app.helpers import audit_rows, input_value, post_form, said, text_of

pytestmark = pytest.mark.databases


def _invoice(stored, teams) -> dict:
    return stored.one(
        "invoices",
        teams["partner"],
        invoice_type="I",
        status="valid",
        test=lambda inv: len(inv["items"]) >= 1 and float(inv["items"][0]["quantity"]) >= 1,
    )


def _path(teams, invoice) -> str:
    return f"/teams/{teams['partner']}/invoices/{invoice['uuid']}/credit-note"


def test_all_items_prefilled_and_issued_once(app, operator, api, stored, teams, restore_sandbox):
    invoice = _invoice(stored, teams)
    page = operator.get(_path(teams, invoice)).get_data(as_text=True)
    key = input_value(page, "idempotency_key")
    data = {"idempotency_key": key, "action": "issue"}
    for index, item in enumerate(invoice["items"]):
        data[f"rows-{index}-include"] = "y"
        data[f"rows-{index}-quantity"] = str(item["quantity"])
    before = api.invoices.list("egress", limit=1, team=teams["partner"]).total_results
    first = post_form(operator, _path(teams, invoice), data)
    second = post_form(operator, _path(teams, invoice), data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert api.invoices.list("egress", limit=1, team=teams["partner"]).total_results == before + 1
    note = api.invoices.get(
        first.headers["Location"].rsplit("/", 1)[1].split("?")[0], "egress", team=teams["partner"]
    )
    assert note["related_documents"][0]["relationship"] == "01"
    assert note["related_documents"][0]["documents"] == [invoice["uuid"]]
    assert note["client"]["id"] == invoice["client"]["id"]
    assert abs(note["total"] - invoice["total"]) < 0.01
    assert audit_rows(app, "invoice.credit_note")[-1].outcome == "ok"


def test_more_than_invoiced_or_nothing_is_refused_before_any_call(
    operator, stored, teams, sandbox_requests
):
    invoice = _invoice(stored, teams)
    item = invoice["items"][0]
    sandbox_requests.clear()
    too_much = post_form(
        operator,
        _path(teams, invoice),
        {
            "idempotency_key": "k1",
            "action": "issue",
            "rows-0-include": "y",
            "rows-0-quantity": str(float(item["quantity"]) + 5),
        },
    )
    assert too_much.status_code == 422
    assert "por encima de la de la factura" in text_of(too_much.get_data(as_text=True))
    nothing = post_form(
        operator, _path(teams, invoice), {"idempotency_key": "k1", "action": "issue"}
    )
    assert nothing.status_code == 422
    assert "al menos un concepto" in text_of(nothing.get_data(as_text=True))
    assert not [r for r in sandbox_requests if r.method == "POST"]


def test_only_valid_income_invoices_have_credit_notes(operator, stored, teams):
    egress = stored.one("invoices", teams["partner"], invoice_type="E")
    assert operator.get(_path(teams, egress)).status_code == 404


def _issue_all(operator, teams, invoice, **over) -> str:
    """Issue a credit note of every item of ``invoice``; the note's page URL."""
    page = operator.get(_path(teams, invoice)).get_data(as_text=True)
    data = {"idempotency_key": input_value(page, "idempotency_key"), "action": "issue", **over}
    for index, item in enumerate(invoice["items"]):
        data[f"rows-{index}-include"] = "y"
        data[f"rows-{index}-quantity"] = str(item["quantity"])
    answer = post_form(operator, _path(teams, invoice), data)
    assert answer.status_code == 302, text_of(answer.get_data(as_text=True))[:600]
    return answer.headers["Location"]


def test_a_credit_note_is_titled_so_and_its_trail_starts_with_its_creation(
    app, operator, stored, teams, restore_sandbox
):
    invoice = _invoice(stored, teams)
    url = _issue_all(operator, teams, invoice)
    uuid = url.rsplit("/", 1)[1].split("?")[0]
    note = stored.one("invoices", teams["partner"], uuid=uuid)
    html = operator.get(url).get_data(as_text=True)
    assert f"<h1>Nota de crédito {note['series']}-{note['folio_number']}</h1>" in html
    trail = re.search(r'data-testid="invoice-trail">(.*?)</ul>', html, re.S).group(1)
    assert "invoice.credit_note" in trail and "Aún no se ha hecho nada" not in trail
    assert f"{invoice['series']}-{invoice['folio_number']}" in text_of(trail)
    entry = audit_rows(app, "invoice.credit_note")[-1]
    assert entry.object_id == uuid and invoice["uuid"] in said(app, entry)


def test_the_series_gigstack_would_take_is_said_and_another_may_be_chosen(
    operator, stored, teams, sandbox, restore_sandbox
):
    with sandbox.store.lock:  # a team without a credit-note series (only A, B, NC exist)
        settings = sandbox.store.teams[teams["partner"]]["settings"]
        settings["default_series"] = {"income": {"serie": "B"}}
    invoice = _invoice(stored, teams)
    page = operator.get(_path(teams, invoice)).get_data(as_text=True)
    options = re.search(r'<select[^>]*name="series"[^>]*>(.*?)</select>', page, re.S).group(1)
    blank = re.search(r'<option[^>]*value=""[^>]*>(.*?)</option>', options).group(1)
    assert blank.startswith("A — ") and "no tiene serie de notas de crédito" in blank
    assert "gigstack la numera en A" in text_of(page)
    url = _issue_all(operator, teams, invoice, series="NC")
    note = stored.one("invoices", teams["partner"], uuid=url.rsplit("/", 1)[1].split("?")[0])
    assert note["series"] == "NC"


def test_the_teams_credit_note_series_is_named_when_it_has_one(operator, stored, teams):
    page = operator.get(_path(teams, _invoice(stored, teams))).get_data(as_text=True)
    assert "NC — la serie de notas de crédito del equipo" in page
    assert "gigstack la numera en" not in text_of(page)
