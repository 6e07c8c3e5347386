"""A payment on an existing PPD invoice: arrive with the invoice (its page, the REP monitor) or
pick it, the amount filled with its balance and never above it, how and when the money arrived
— the items come from the invoice, the complement pays it, and the form does not pretend
gigstack dates the complement with the day typed."""

from __future__ import annotations

import re

import pytest

from tests.app.helpers import (
    audit_rows,
    field_error,
    htmx_headers,
    input_value,
    open_ppd_invoices,
    post_form,
    said,
    text_of,
)

pytestmark = pytest.mark.databases


def _new(teams) -> str:
    return f"/teams/{teams['partner']}/payments/new"


def _open_ppd(stored, teams) -> list[dict]:
    return open_ppd_invoices(stored, teams["partner"])


def _data(invoice: dict, **over) -> dict[str, str]:
    return {
        "idempotency_key": "pay-invoice-1",
        "ppd_invoice_id": invoice["uuid"],
        "client_id": invoice["client"]["id"],
        "shown_for": invoice["uuid"],
        "amount": str(invoice["last_balance"]),
        "payment_form": "03",
        "action": "save",
        **over,
    }


def test_from_the_invoice_the_form_opens_with_its_balance_and_no_items_to_type(
    operator, stored, teams
):
    invoice = _open_ppd(stored, teams)[0]
    detail = operator.get(
        f"/teams/{teams['partner']}/invoices/{invoice['uuid']}?type=income"
    ).get_data(as_text=True)
    link = re.search(
        r'href="([^"]*ppd_invoice_id=[^"]*)"[^>]*>Registrar un pago sobre ella<', detail
    )
    assert link, "no way to pay the invoice from its page"
    html = operator.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    folio = f"{invoice['series']}-{invoice['folio_number']}"
    assert f"<h1>Registrar un pago sobre Factura {folio}</h1>" in html
    assert re.search(rf'<option selected value="{invoice["uuid"]}"', html)
    assert float(input_value(html, "amount")) == invoice["last_balance"]
    amount = re.search(r'<input[^>]*name="amount"[^>]*>', html).group(0)
    assert f'max="{invoice["last_balance"]}"' in amount
    assert "items-0-description" not in html  # nothing to invent
    text = text_of(html)
    assert f"Este pago es la parcialidad {invoice['payment_complements'] + 1}" in text
    assert "gigstack no recibe la fecha del pago" in text  # the date field says what it is


def test_an_amount_above_the_balance_is_refused_on_its_field_before_any_call(
    operator, stored, teams, sandbox_requests
):
    invoice = _open_ppd(stored, teams)[0]
    sandbox_requests.clear()
    answer = post_form(
        operator,
        _new(teams),
        _data(invoice, amount=str(invoice["last_balance"] + 1)),
        htmx="pay-form",
    )
    assert answer.status_code == 422
    assert "quedan por pagar como máximo" in field_error(answer.get_data(as_text=True), "amount")
    assert not [r for r in sandbox_requests if r.method == "POST"]
    none = post_form(operator, _new(teams), _data(invoice, amount="", payment_form="99"))
    html = none.get_data(as_text=True)
    assert "Escribe el importe" in field_error(html, "amount")
    assert "99 (por definir)" in field_error(html, "payment_form")


def test_a_partial_payment_stamps_the_complement_for_that_amount(
    app, operator, api, stored, teams, restore_sandbox
):
    invoice = _open_ppd(stored, teams)[0]
    part = round(invoice["last_balance"] / 4, 2)
    answer = post_form(
        operator, _new(teams), _data(invoice, amount=str(part), received_on="2026-01-15")
    )
    assert answer.status_code == 302, text_of(answer.get_data(as_text=True))[:600]
    payment = api.payments.get(answer.headers["Location"].rsplit("/", 1)[1], team=teams["partner"])
    assert payment["total"] == part and payment["automation_type"] == "ppd_invoice_and_complement"
    (line,) = payment["items"]  # one line naming the share of the invoice paid, not invented
    folio = f"{invoice['series']}-{invoice['folio_number']}"
    assert line["description"].startswith(f"Pago de la factura {folio}")
    assert payment["metadata"]["received_on"] == "2026-01-15"
    (complement_uuid,) = payment["invoices"]
    complement = api.invoices.get(complement_uuid, "payment", team=teams["partner"])
    info = complement["payment_complement"]
    assert info["amount"] == part and info["related_invoices"][0]["uuid"] == invoice["uuid"]
    # gigstack dates the complement when it is registered, whatever day was typed
    assert info["paid_at"] == payment["succeeded_at"]
    after = api.invoices.get(invoice["uuid"], "income", team=teams["partner"])
    assert after["last_balance"] == round(invoice["last_balance"] - part, 2)
    entry = audit_rows(app, "payment.create")[-1]
    assert entry.object_id == payment["id"] and invoice["uuid"] in said(app, entry)


def test_paying_a_whole_untouched_invoice_repeats_its_items(
    operator, api, stored, teams, restore_sandbox
):
    invoice = next(i for i in _open_ppd(stored, teams) if i["last_balance"] == i["total"])
    answer = post_form(operator, _new(teams), _data(invoice))
    assert answer.status_code == 302, text_of(answer.get_data(as_text=True))[:600]
    payment = api.payments.get(answer.headers["Location"].rsplit("/", 1)[1], team=teams["partner"])
    assert [i["description"] for i in payment["items"]] == [
        i["description"] for i in invoice["items"]
    ]
    assert payment["total"] == invoice["total"]


def test_a_typed_day_that_is_not_today_is_said_to_stay_a_note(operator, stored, teams):
    invoice = _open_ppd(stored, teams)[0]
    answer = post_form(
        operator, _new(teams), _data(invoice, action="", received_on="2020-01-02"), htmx="pay-form"
    )
    warning = re.search(
        r'data-testid="pay-date-warning">(.*?)</p>', answer.get_data(as_text=True), re.S
    )
    assert warning and "no 02/01/2020" in text_of(warning.group(1))


def test_choosing_another_invoice_fills_in_its_balance(operator, stored, teams):
    listed = _open_ppd(stored, teams)
    first, other = next(
        (a, b)
        for a in listed
        for b in listed
        if a["client"]["id"] == b["client"]["id"] and a["last_balance"] != b["last_balance"]
    )
    answer = post_form(
        operator,
        _new(teams),
        _data(first, action="", ppd_invoice_id=other["uuid"]),
        htmx="pay-form",
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert float(input_value(html, "amount")) == other["last_balance"]
    assert input_value(html, "shown_for") == other["uuid"]


def test_an_invoice_with_nothing_left_to_pay_says_so(operator, stored, teams, sandbox_requests):
    paid = stored.one(
        "invoices",
        teams["partner"],
        invoice_type="I",
        status="valid",
        payment_method="PPD",
        last_balance=0,
    )
    html = operator.get(_new(teams), query_string={"ppd_invoice_id": paid["uuid"]}).get_data(
        as_text=True
    )
    assert "No queda nada por pagar" in text_of(html)
    sandbox_requests.clear()
    answer = post_form(operator, _new(teams), _data(paid, amount="10"))
    assert answer.status_code == 422
    assert not [r for r in sandbox_requests if r.method == "POST"]


def test_a_double_click_registers_one_payment(operator, api, stored, teams, restore_sandbox):
    invoice = _open_ppd(stored, teams)[0]
    before = api.payments.list(limit=1, team=teams["partner"]).total_results
    data = _data(invoice, amount="10", idempotency_key="pay-twice")
    first = post_form(operator, _new(teams), data)
    second = post_form(operator, _new(teams), data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert api.payments.list(limit=1, team=teams["partner"]).total_results == before + 1


def test_viewers_may_not_and_another_teams_invoice_is_not_found(viewer, operator, stored, teams):
    invoice = _open_ppd(stored, teams)[0]
    assert (
        viewer.get(_new(teams), query_string={"ppd_invoice_id": invoice["uuid"]}).status_code == 403
    )
    other = stored.one("invoices", teams["outsider"], invoice_type="I")
    assert (
        operator.get(_new(teams), query_string={"ppd_invoice_id": other["uuid"]}).status_code == 404
    )
    htmx = operator.get(
        _new(teams),
        query_string={"ppd_invoice_id": invoice["uuid"]},
        headers=htmx_headers("pay-form"),
    )
    assert htmx.get_data(as_text=True).lstrip().startswith('<form method="post"')
