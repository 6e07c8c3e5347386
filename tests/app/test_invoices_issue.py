"""Issue an income invoice: rows added and removed, totals computed here as the API does, the
pre-stamp report refusing what the form can check, and one invoice per idempotency key —
whether the form is sent twice or again after gigstack failed."""

from __future__ import annotations

import re

import pytest

from tests.app.helpers import audit_rows, input_value, post_form, text_of

pytestmark = pytest.mark.databases


def _base(teams) -> str:
    return f"/teams/{teams['partner']}/invoices/new"


def _invoice_count(api, team: str) -> int:
    return api.invoices.list("income", limit=1, team=team).total_results


def _client(sandbox, teams) -> dict:
    with sandbox.store.lock:
        return next(c for c in sandbox.store.scoped[("clients", teams["partner"], False)].values()
                    if c.get("is_valid") and not c["tax_id"].startswith("X")
                    and c.get("tax_system") == "601")


def _data(client: dict, **over) -> dict:
    data = {"idempotency_key": "test-key-1", "client_id": client["id"],
            "items-0-service": "", "items-0-description": "Consultoría", "items-0-quantity": "2",
            "items-0-unit_price": "1000", "items-0-product_key": "81111500",
            "items-0-unit_key": "E48", "items-0-iva": "0.16", "items-0-iva_withheld": "",
            "items-0-isr_withheld": "", "payment_method": "PUE", "payment_form": "03",
            "use": "G03", "currency": "MXN", "series": "A"}
    data.update(over)
    return data


def test_the_form_carries_a_key_made_when_opened(operator, teams):
    first = input_value(operator.get(_base(teams)).get_data(as_text=True), "idempotency_key")
    second = input_value(operator.get(_base(teams)).get_data(as_text=True), "idempotency_key")
    assert first and second and first != second


def test_rows_are_added_and_removed_and_totals_follow(operator, sandbox, teams):
    client = _client(sandbox, teams)
    added = post_form(operator, _base(teams), {**_data(client), "action": "add"},
                      htmx="invoice-form").get_data(as_text=True)
    assert added.count('class="invoice-item"') == 2
    two = _data(client, **{"items-1-description": "Soporte", "items-1-quantity": "1",
                           "items-1-unit_price": "500", "items-1-product_key": "81111800",
                           "items-1-unit_key": "E48", "items-1-iva": "0.16",
                           "items-1-iva_withheld": "", "items-1-isr_withheld": "0.1",
                           "items-1-service": ""})
    html = post_form(operator, _base(teams), {**two, "action": "refresh"}).get_data(as_text=True)
    # 2 × 1000 + 500 = 2500; IVA 16 % = 400; ISR withheld 10 % of 500 = 50 → 2850
    assert "$2,850.00 MXN" in text_of(html)
    removed = post_form(operator, _base(teams), {**two, "action": "remove-0"}).get_data(
        as_text=True)
    assert removed.count('class="invoice-item"') == 1
    assert input_value(removed, "items-0-description") == "Soporte"


@pytest.mark.parametrize(("over", "problem"), [
    ({"payment_form": "99"}, "PUE necesita una forma de pago real"),
    ({"items-0-quantity": "0"}, "la cantidad debe ser mayor que 0"),
    ({"items-0-product_key": "99999999"}, "no es una clave de producto del SAT"),
    ({"use": "D01"}, "no se permite para el régimen 601"),
    ({"currency": "USD"}, "Escribe el tipo de cambio de USD"),
    ({"client_id": ""}, "Elige el cliente."),
])
def test_the_prestamp_report_blocks_what_the_form_can_check(operator, api, sandbox, teams,
                                                            over, problem):
    client = _client(sandbox, teams)
    before = _invoice_count(api, teams["partner"])
    answer = post_form(operator, _base(teams), {**_data(client, **over), "action": "stamp"})
    assert answer.status_code == 422
    assert problem in text_of(answer.get_data(as_text=True))
    assert _invoice_count(api, teams["partner"]) == before


def test_a_double_click_issues_one_invoice(app, operator, api, sandbox, teams, restore_sandbox):
    client = _client(sandbox, teams)
    before = _invoice_count(api, teams["partner"])
    first = post_form(operator, _base(teams), {**_data(client), "action": "stamp"})
    second = post_form(operator, _base(teams), {**_data(client), "action": "stamp"})
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert _invoice_count(api, teams["partner"]) == before + 1
    uuid = first.headers["Location"].rsplit("/", 1)[1]
    assert api.invoices.get(uuid, team=teams["partner"])["total"] == 2320.0
    assert audit_rows(app, "invoice.create")[-1].object_id == uuid


def test_a_retry_after_gigstack_failed_issues_one_invoice(operator, api, sandbox, teams, faults,
                                                          restore_sandbox):
    client = _client(sandbox, teams)
    before = _invoice_count(api, teams["partner"])
    faults({"rules": [{"method": "POST", "path": "/invoices/income", "status": 503,
                       "retry_after": 0}]})
    failed = post_form(operator, _base(teams), {**_data(client, idempotency_key="retry-1"),
                                                "action": "stamp"}, htmx="invoice-form")
    html = failed.get_data(as_text=True)
    assert failed.status_code == 422 and "lleva la misma llave" in html
    assert input_value(html, "idempotency_key") == "retry-1"  # the retry reuses it
    faults({"rules": []})
    done = post_form(operator, _base(teams), {**_data(client, idempotency_key="retry-1"),
                                              "action": "stamp"})
    again = post_form(operator, _base(teams), {**_data(client, idempotency_key="retry-1"),
                                               "action": "stamp"})
    assert done.status_code == again.status_code == 302
    assert done.headers["Location"] == again.headers["Location"]
    assert _invoice_count(api, teams["partner"]) == before + 1


def test_ppd_forces_payment_form_99(operator, sandbox, teams):
    client = _client(sandbox, teams)
    html = post_form(operator, _base(teams), {**_data(client, payment_method="PPD"),
                                              "action": "refresh"}).get_data(as_text=True)
    chosen = re.search(r'<select[^>]*id="payment_form"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.search(r'<option selected value="99"|<option value="99" selected', chosen)


def test_viewers_may_not_issue(viewer, teams):
    assert viewer.get(_base(teams)).status_code == 403
