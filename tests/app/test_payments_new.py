"""Register money received and request a payment link: the client picked, items from the shared
editor, the automation, a PPD invoice paid by a complement, refusals on their fields before any
call, and one payment however often the form is sent."""

from __future__ import annotations

import pytest

from tests.app.helpers import (
    audit_rows,
    field_error,
    input_value,
    open_ppd_invoices,
    payment_form,
    post_form,
    text_of,
)

pytestmark = pytest.mark.databases


def _base(teams) -> str:
    return f"/teams/{teams['partner']}/payments/"


def _count(api, team: str) -> int:
    return api.payments.list(limit=1, team=team).total_results


def _ppd_with_balance(stored, teams) -> dict:
    return open_ppd_invoices(stored, teams["partner"])[0]


def test_the_register_form_links_the_clients_open_ppd_invoices_to_a_payment_on_them(
    operator, stored, teams
):
    invoice = _ppd_with_balance(stored, teams)
    form = operator.get(f"{_base(teams)}new", query_string={"client_id": invoice["client"]["id"]})
    html = form.get_data(as_text=True)
    assert f"ppd_invoice_id={invoice['uuid']}" in html  # "Pagar Factura A-3": the pay form
    assert 'name="ppd_invoice_id"' not in html  # no invoice picked beside invented items


def test_register_with_the_ppd_automation_stamps_a_new_invoice_and_its_complement(
    app, operator, api, stored, teams, restore_sandbox
):
    invoice = _ppd_with_balance(stored, teams)
    answer = post_form(
        operator,
        f"{_base(teams)}new",
        payment_form(
            invoice["client"]["id"],
            automation_type="ppd_invoice_and_complement",
            received_on="2026-12-01",
        ),
    )
    assert answer.status_code == 302, text_of(answer.get_data(as_text=True))[:600]
    payment_id = answer.headers["Location"].rsplit("/", 1)[1]
    payment = api.payments.get(payment_id, team=teams["partner"])
    assert payment["metadata"]["received_on"] == "2026-12-01"
    ppd, complement = payment["invoices"]
    assert api.invoices.get(ppd, "income", team=teams["partner"])["payment_method"] == "PPD"
    assert api.invoices.get(complement, "payment", team=teams["partner"])["invoice_type"] == "P"
    assert audit_rows(app, "payment.create")[-1].object_id == payment_id


def test_ppd_invoices_that_could_not_be_read_are_said_with_a_retry(operator, stored, teams, faults):
    """Before: the list failing offered no invoice, as if the client owed none. The register
    form says so with a retry; the payment on an invoice still shows the invoice it was
    opened with, and says the client's other open invoices could not be read."""
    invoice = _ppd_with_balance(stored, teams)
    client_id = invoice["client"]["id"]
    faults({"rules": [{"method": "GET", "path": "/invoices/income", "status": 503}]})
    form = operator.get(f"{_base(teams)}new", query_string={"client_id": client_id})
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    assert 'data-testid="ppd-invoices-failed"' in html and "Reintentar" in html
    assert 'data-testid="open-ppd"' not in html
    paying = operator.get(
        f"{_base(teams)}new",
        query_string={"client_id": client_id, "ppd_invoice_id": invoice["uuid"]},
    )
    html = paying.get_data(as_text=True)
    assert paying.status_code == 200
    assert 'data-testid="pay-others-failed"' in html and "Reintentar" in html
    assert f'<option selected value="{invoice["uuid"]}"' in html  # the invoice it was opened with


def test_a_double_click_and_a_retry_register_one_payment(
    operator, api, stored, teams, faults, restore_sandbox
):
    invoice = _ppd_with_balance(stored, teams)
    before = _count(api, teams["partner"])
    faults(
        {
            "rules": [
                {"method": "POST", "path": "/payments/register", "status": 503, "retry_after": 0}
            ]
        }
    )
    failed = post_form(
        operator, f"{_base(teams)}new", payment_form(invoice["client"]["id"]), htmx="payment-form"
    )
    assert failed.status_code == 422 and "misma llave" in failed.get_data(as_text=True)
    assert input_value(failed.get_data(as_text=True), "idempotency_key") == "pay-key-1"
    faults({"rules": []})
    first = post_form(operator, f"{_base(teams)}new", payment_form(invoice["client"]["id"]))
    second = post_form(operator, f"{_base(teams)}new", payment_form(invoice["client"]["id"]))
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(api, teams["partner"]) == before + 1


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        (
            {"payment_form": "99", "automation_type": "pue_invoice"},
            "payment_form",
            "99 (por definir)",
        ),
        ({"payment_form": ""}, "payment_form", "Elige cómo llegó el dinero"),
    ],
)
def test_register_refusals_land_on_their_fields_before_any_call(
    operator, api, stored, teams, over, field, message
):
    invoice = _ppd_with_balance(stored, teams)
    before = _count(api, teams["partner"])
    answer = post_form(
        operator,
        f"{_base(teams)}new",
        payment_form(invoice["client"]["id"], **over),
        htmx="payment-form",
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert message in (field_error(html, field) or ""), text_of(html)[:800]
    assert input_value(html, "items-0-description") == "Abono"  # nothing lost
    assert _count(api, teams["partner"]) == before


def test_register_without_a_client_is_refused(operator, teams):
    answer = post_form(operator, f"{_base(teams)}new", payment_form(""))
    assert answer.status_code == 422
    assert "Elige el cliente" in text_of(answer.get_data(as_text=True))


def test_request_refuses_stripe_methods_when_the_team_has_no_stripe(
    operator, api, stored, teams, sandbox_requests
):
    invoice = _ppd_with_balance(stored, teams)
    answer = post_form(
        operator,
        f"{_base(teams)}request",
        payment_form(invoice["client"]["id"], methods=["spei", "card"]),
        htmx="payment-form",
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "necesitan una cuenta de Stripe" in field_error(html, "methods")
    assert "Este equipo no tiene Stripe" in text_of(html)
    assert not [r for r in sandbox_requests if r.method == "POST"]
    none_chosen = post_form(
        operator,
        f"{_base(teams)}request",
        payment_form(invoice["client"]["id"]),
        htmx="payment-form",
    )
    assert "Elige al menos una forma" in field_error(none_chosen.get_data(as_text=True), "methods")


def test_request_a_payment_shows_the_link_to_copy(operator, api, stored, teams, restore_sandbox):
    invoice = _ppd_with_balance(stored, teams)
    answer = post_form(
        operator,
        f"{_base(teams)}request",
        payment_form(
            invoice["client"]["id"],
            methods=["spei"],
            automation_type="pue_invoice",
            idempotency_key="link-1",
        ),
    )
    assert answer.status_code == 302, text_of(answer.get_data(as_text=True))[:600]
    payment = api.payments.get(answer.headers["Location"].rsplit("/", 1)[1], team=teams["partner"])
    assert payment["status"] == "requires_payment_method" and payment["short_url"]
    html = operator.get(answer.headers["Location"]).get_data(as_text=True)
    assert f'value="{payment["short_url"]}"' in html and "data-copy" in html


def test_each_automation_is_explained_in_words(operator, teams):
    text = text_of(operator.get(f"{_base(teams)}new").get_data(as_text=True))
    for words in (
        "timbra una factura de ingreso PUE",
        "complemento de pago por este monto",
        "crea un recibo",
        "Solo registra el pago",
    ):
        assert words in text
