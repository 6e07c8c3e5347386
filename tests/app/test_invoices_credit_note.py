"""Credit notes from an income invoice: same receiver, relationship 01, items all or some with
quantities editable, never above the invoice's total, issued once per opened form."""

from __future__ import annotations

import pytest

from tests.app.helpers import audit_rows, input_value, post_form, text_of

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
        first.headers["Location"].rsplit("/", 1)[1], "egress", team=teams["partner"]
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
