"""What the sale forms take from the browser: a tax the row does not offer and a number
outside the finite range (``NaN``, ``Infinity``, ``1e309``) are messages on their fields, the
rest of what was typed is kept, and nothing is sent to gigstack."""

from __future__ import annotations

from datetime import date
from urllib.parse import unquote

import pytest

from tests.app.helpers import (
    field_error,
    input_value,
    invoice_form,
    payment_form,
    post_form,
    receipt_form,
    text_of,
)
from webapp.formatting import day_bound

pytestmark = pytest.mark.databases

NOT_OFFERED = "Opción inválida."
NOT_A_NUMBER = "Escribe un número."
TOO_LARGE = "Escribe un número no mayor que 1,000,000,000,000."


def _client(stored, teams) -> dict:
    return stored.one(
        "clients",
        teams["partner"],
        tax_system="601",
        test=lambda c: c.get("is_valid") and not c["tax_id"].startswith("X"),
    )


def _invoice(client: dict) -> dict[str, str]:
    typed = {"items-0-description": "Consultoría tecleada", "items-0-quantity": "2"}
    return invoice_form(client["id"], idempotency_key="input-key", action="stamp", **typed)


def _request(client: dict) -> dict[str, str]:
    data = payment_form(client["id"], **{"items-0-description": "Consultoría tecleada"})
    data.pop("payment_form")
    return {**data, "methods": "spei"}


# each sale form, and what a complete submission of it is (the shared items editor in all)
SALE_FORMS = {
    "invoices/new": _invoice,
    "invoices/egress/new": _invoice,
    "payments/new": lambda client: payment_form(
        client["id"], **{"items-0-description": "Consultoría tecleada"}
    ),
    "payments/request": _request,
    "receipts/new": lambda client: receipt_form(
        "input-key",
        client_id=client["id"],
        periodicity="",  # the form's own default
        **{"items-0-description": "Consultoría tecleada"},
    ),
}


def _refused_on(answer, field: str, message: str, sandbox_requests) -> str:
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422, text_of(html)[:600]
    assert message in field_error(html, field)
    assert input_value(html, "items-0-description") == "Consultoría tecleada"
    assert not [r for r in sandbox_requests if r.method != "GET"]  # nothing sent
    return html


@pytest.mark.parametrize("path", SALE_FORMS)
@pytest.mark.parametrize("field", ["items-0-iva", "items-0-iva_withheld", "items-0-isr_withheld"])
def test_a_tax_the_row_does_not_offer_is_refused_on_its_field(
    operator, stored, teams, sandbox_requests, path, field
):
    data = SALE_FORMS[path](_client(stored, teams)) | {field: "0.99x"}
    sandbox_requests.clear()
    answer = post_form(operator, f"/teams/{teams['partner']}/{path}", data)
    _refused_on(answer, field, NOT_OFFERED, sandbox_requests)


@pytest.mark.parametrize("path", SALE_FORMS)
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("NaN", NOT_A_NUMBER),
        ("Infinity", NOT_A_NUMBER),
        ("-inf", NOT_A_NUMBER),
        ("1e309", TOO_LARGE),
        ("1000000000001", TOO_LARGE),
    ],
)
def test_a_number_outside_the_finite_range_is_refused_on_its_field(
    operator, stored, teams, sandbox_requests, path, typed, message
):
    client = _client(stored, teams)
    for field in ("items-0-quantity", "items-0-unit_price"):
        data = SALE_FORMS[path](client) | {field: typed}
        sandbox_requests.clear()
        answer = post_form(operator, f"/teams/{teams['partner']}/{path}", data)
        html = _refused_on(answer, field, message, sandbox_requests)
        assert input_value(html, field) == typed  # kept as typed


@pytest.mark.parametrize("typed", ["NaN", "Infinity", "1e309"])
def test_an_exchange_rate_outside_the_finite_range_is_refused(
    operator, stored, teams, sandbox_requests, typed
):
    data = _invoice(_client(stored, teams)) | {"currency": "USD", "exchange_rate": typed}
    sandbox_requests.clear()
    answer = post_form(operator, f"/teams/{teams['partner']}/invoices/new", data)
    assert answer.status_code == 422
    assert field_error(answer.get_data(as_text=True), "exchange_rate")
    assert not [r for r in sandbox_requests if r.method != "GET"]


@pytest.mark.parametrize("typed", ["1e309", "NaN", "Infinity"])
def test_a_credit_note_quantity_outside_the_finite_range_is_refused(
    operator, stored, teams, sandbox_requests, typed
):
    invoice = stored.one("invoices", teams["partner"], invoice_type="I", status="valid")
    path = f"/teams/{teams['partner']}/invoices/{invoice['uuid']}/credit-note"
    data = {"idempotency_key": "k1", "rows-0-include": "y", "rows-0-quantity": typed}
    sandbox_requests.clear()
    for action in ("", "issue"):  # while it is filled, and sent
        answer = post_form(operator, path, data | {"action": action})
        html = answer.get_data(as_text=True)
        assert answer.status_code == (422 if action else 200), text_of(html)[:600]
        assert input_value(html, "rows-0-quantity") == typed
    assert field_error(html, "rows-0-quantity")
    assert not [r for r in sandbox_requests if r.method != "GET"]


@pytest.mark.parametrize("typed", ["a" * 300, "NaN", "Infinity", "1e309"])
def test_a_refund_amount_that_is_no_number_is_refused_and_shown_again(
    operator, stored, teams, sandbox_requests, typed
):
    payment = stored.one("payments", teams["partner"], status="succeeded")
    path = f"/teams/{teams['partner']}/payments/{payment['id']}/refund"
    once = input_value(operator.get(path).get_data(as_text=True), "once")
    sandbox_requests.clear()
    answer = post_form(operator, path, {"once": once, "amount": typed, "reason": "prueba"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert field_error(html, "amount") and input_value(html, "amount") == typed
    assert not [r for r in sandbox_requests if r.method != "GET"]


@pytest.mark.parametrize(
    "path", ["invoices/", "invoices/egress/", "invoices/payment/", "payments/", "receipts/"]
)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_to=9999-12-31", "date_to"),
        ("date_from=9999-12-31", "date_from"),
        ("date_from=0001-01-01", "date_from"),
        ("date_to=1969-12-31", "date_to"),
    ],
)
def test_a_date_filter_outside_the_calendar_is_said_and_not_applied(
    viewer, teams, sandbox_requests, path, query, field
):
    sandbox_requests.clear()
    answer = viewer.get(f"/teams/{teams['partner']}/{path}?{query}")
    assert answer.status_code == 200
    assert "Escribe una fecha entre 1970 y 2999." in field_error(
        answer.get_data(as_text=True), field
    )
    assert not [r for r in sandbox_requests if "created" in r.query]  # listed unfiltered


def test_the_last_day_a_date_filter_takes_is_applied_whole(viewer, teams, sandbox_requests):
    sandbox_requests.clear()
    answer = viewer.get(f"/teams/{teams['partner']}/receipts/?date_to=2999-12-31")
    assert answer.status_code == 200
    assert not field_error(answer.get_data(as_text=True), "date_to")
    last_second = day_bound(date(2999, 12, 31), end=True)  # 23:59:59 in Mexico City
    assert any(f"created[lte]={last_second}" in unquote(r.query) for r in sandbox_requests)


@pytest.mark.parametrize("typed", [".", "..", "a/b", "%2e", "a b", "é"])
def test_a_client_id_that_is_no_id_is_no_client_and_asks_nothing(
    operator, stored, teams, sandbox_requests, typed
):
    data = _invoice(_client(stored, teams)) | {"client_id": typed, "action": ""}  # picked
    sandbox_requests.clear()
    answer = post_form(operator, f"/teams/{teams['partner']}/invoices/new", data)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert "No hay un cliente con este id en el equipo." in field_error(html, "client_id")
    assert not [r for r in sandbox_requests if r.path.startswith("/v2/clients")]


@pytest.mark.parametrize(
    ("path", "query", "never_sent"),
    [
        ("invoices/", "payment_method=NaN", "payment_method"),
        ("invoices/egress/", "status=%3Cx-h%3E", "status=%3C"),
        ("payments/", "currency=%C2%B2%C2%B3", "currency"),
        ("payments/", "client_id=%20%20", "client_id"),
        ("receipts/", "client_id=%20", "client_id"),
    ],
)
def test_a_list_filter_it_does_not_offer_is_not_sent_to_gigstack(
    viewer, teams, sandbox_requests, path, query, never_sent
):
    """gigstack's contract refuses it: the list is shown unfiltered instead of failing."""
    sandbox_requests.clear()
    answer = viewer.get(f"/teams/{teams['partner']}/{path}?{query}")
    assert answer.status_code == 200
    assert not [r for r in sandbox_requests if never_sent in r.query]


@pytest.mark.parametrize("key", ["", "k" * 256, "a\x00b"])
def test_an_idempotency_key_gigstack_would_refuse_is_replaced_by_a_fresh_one(
    operator, stored, teams, key, restore_sandbox
):
    invoice = stored.one(
        "invoices",
        teams["partner"],
        invoice_type="I",
        status="valid",
        test=lambda inv: len(inv["items"]) == 1,
    )
    path = f"/teams/{teams['partner']}/invoices/{invoice['uuid']}/credit-note"
    quantity = str(invoice["items"][0]["quantity"])
    answer = post_form(
        operator,
        path,
        {
            "idempotency_key": key,
            "action": "issue",
            "rows-0-include": "y",
            "rows-0-quantity": quantity,
        },
    )
    assert answer.status_code == 302, text_of(answer.get_data(as_text=True))[:600]
