"""Sandbox payments (REFERENCE §5): creation, state machine, automations, refunds, updates."""

from __future__ import annotations

import random
import string
from typing import Any

import pytest

from tests.support.asserts import assert_api_error

ITEM = {
    "description": "Consultoría",
    "unit_price": 100,
    "product_key": "81111500",
    "unit_key": "E48",
    "taxes": [{"type": "IVA", "rate": 0.16}],
}
_rng = random.Random()


def _rfc() -> str:
    letters = "".join(_rng.choice(string.ascii_uppercase) for _ in range(3))
    return (
        f"{letters}{_rng.randint(0, 23):02d}0{_rng.randint(1, 9)}1{_rng.randint(0, 9)}"
        f"{''.join(_rng.choice('ABCDEFGH123456789') for _ in range(3))}"
    )


def _client(raw, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Cliente de prueba",
        "legal_name": "CLIENTE DE PRUEBA",
        "tax_id": _rfc(),
        "tax_system": "601",
        "use": "G03",
        "email": "pagos@cliente.mx",
        "address": {"country": "MEX", "zip": "06600"},
        **overrides,
    }
    body = {k: v for k, v in body.items() if v is not None}
    response = raw.post("/clients", json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def _register(raw, client_id: str, **fields: Any):
    body = {"client": {"id": client_id}, "items": [ITEM], "payment_form": "03", **fields}
    return raw.post("/payments/register", json=body)


def _request(raw, client_id: str, **fields: Any):
    return raw.post(
        "/payments/request", json={"client": {"id": client_id}, "items": [ITEM], **fields}
    )


def _payment(raw, payment_id: str) -> dict[str, Any]:
    response = raw.get(f"/payments/{payment_id}")
    assert response.status_code == 200
    return response.json()["data"]


def _count(raw, **params: Any) -> int:
    return raw.get("/payments", params={"limit": 1, **params}).json()["total_results"]


def _force_status(sandbox, payment_id: str, status: str) -> None:
    """Put a payment in a status the API reaches only through a processor (test setup)."""
    with sandbox.store.lock:
        sandbox.store.objects["payments"][payment_id]["status"] = status


@pytest.fixture
def client(raw) -> dict[str, Any]:
    return _client(raw)


# --------------------------------------------------------------------------- register


def test_register_pue_invoice_stamps_and_lists_the_invoice(raw, client, frozen_clock, emitted):
    now = frozen_clock()
    response = _register(raw, client["id"], automation_type="pue_invoice", payment_form="04")
    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Payment registered successfully"
    payment = body["data"]
    assert payment["id"].startswith("payment_")
    assert payment["status"] == "succeeded"
    assert payment["payment_processor"] == "api"
    assert payment["succeeded_at"] == now
    assert payment["created_at"] == now
    assert payment["payment_form"] == "04"
    assert payment["automation_type"] == "pue_invoice"
    assert (payment["subtotal"], payment["taxes"], payment["total"]) == (100, 16, 116)
    assert payment["short_url"] is None
    assert payment["receipts"] == [] and payment["refunds"] == []
    assert payment["client"] == {
        k: client[k] for k in ("id", "name", "legal_name", "email", "tax_id")
    }
    assert len(payment["invoices"]) == 1
    invoice = raw.get(f"/invoices/income/{payment['invoices'][0]}").json()["data"]
    assert invoice["payment_method"] == "PUE"
    assert invoice["payment_form"] == "04"
    assert invoice["total"] == 116
    assert invoice["client"]["id"] == client["id"]
    assert [t for t, _ in emitted] == ["payment.created", "payment.succeeded", "invoice.created"]
    assert _payment(raw, payment["id"]) == payment


@pytest.mark.parametrize(
    "alias,canonical",
    [
        ("payment", "pue_invoice"),
        ("stamp_invoice", "pue_invoice"),
        ("payment_and_complement", "ppd_invoice_and_complement"),
        ("receipt", "receipt"),
        ("none", "none"),
    ],
)
def test_automation_aliases_are_stored_canonical(raw, client, alias, canonical):
    payment = _register(raw, client["id"], automation_type=alias).json()["data"]
    assert payment["automation_type"] == canonical


def test_register_defaults_to_no_automation(raw, client, emitted):
    payment = _register(raw, client["id"]).json()["data"]
    assert payment["automation_type"] == "none"
    assert payment["invoices"] == [] and payment["receipts"] == []
    assert [t for t, _ in emitted] == ["payment.created", "payment.succeeded"]


def test_pue_invoice_without_tax_id_makes_a_receipt(raw, emitted):
    response = raw.post(
        "/payments/register",
        json={
            "client": {"name": "Comprador sin RFC", "email": "comprador@correo.mx"},
            "items": [ITEM],
            "payment_form": "01",
            "automation_type": "pue_invoice",
        },
    )
    assert response.status_code == 201
    payment = response.json()["data"]
    assert payment["invoices"] == []
    assert len(payment["receipts"]) == 1
    receipt = raw.get(f"/receipts/{payment['receipts'][0]}").json()["data"]
    assert receipt["status"] == "pending"
    assert receipt["client"]["id"] == payment["client"]["id"]
    assert receipt["payment_form"] == "01"
    assert receipt["total"] == payment["total"] == 116
    assert "receipt.created" in [t for t, _ in emitted]
    assert "invoice.created" not in [t for t, _ in emitted]


def test_receipt_automation(raw, client, emitted):
    payment = _register(raw, client["id"], automation_type="receipt", payment_form="28").json()[
        "data"
    ]
    assert payment["invoices"] == []
    receipt = raw.get(f"/receipts/{payment['receipts'][0]}").json()["data"]
    assert (receipt["status"], receipt["payment_form"], receipt["total"]) == ("pending", "28", 116)
    assert [t for t, _ in emitted][-1] == "receipt.created"


def test_ppd_automation_issues_invoice_and_complement(raw, client, emitted):
    payment = _register(raw, client["id"], automation_type="ppd_invoice_and_complement").json()[
        "data"
    ]
    assert len(payment["invoices"]) == 2
    ppd = raw.get(f"/invoices/income/{payment['invoices'][0]}").json()["data"]
    assert (ppd["payment_method"], ppd["payment_form"]) == ("PPD", "99")
    assert ppd["total"] == 116
    assert ppd["last_balance"] == 0
    assert ppd["payment_complements"] == 1
    complement = raw.get(f"/invoices/payment/{payment['invoices'][1]}").json()["data"]
    assert complement["invoice_type"] == "P"
    info = complement["payment_complement"]
    assert info["payment_id"] == payment["id"]
    assert info["amount"] == 116
    assert info["payment_form"] == "03"
    assert info["related_invoices"][0]["uuid"] == ppd["uuid"]
    assert [t for t, _ in emitted].count("invoice.created") == 2


def _ppd_invoice(raw, client_id: str, unit_price: float = 1000) -> dict[str, Any]:
    response = raw.post(
        "/invoices/income",
        json={
            "client": {"id": client_id},
            "payment_method": "PPD",
            "items": [{**ITEM, "unit_price": unit_price}],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


def test_ppd_invoice_id_pays_an_existing_invoice_in_parts(raw, client):
    invoice = _ppd_invoice(raw, client["id"])  # total 1160
    half = {**ITEM, "unit_price": 500}
    for expected_balance in (580, 0):
        response = raw.post(
            "/payments/register",
            json={
                "client": {"id": client["id"]},
                "items": [half],
                "payment_form": "03",
                "automation_type": "ppd_invoice_and_complement",
                "ppd_invoice_id": invoice["uuid"].lower(),
            },
        )
        assert response.status_code == 201, response.text
        payment = response.json()["data"]
        assert len(payment["invoices"]) == 1  # only the complement: the invoice existed
        complement = raw.get(f"/invoices/payment/{payment['invoices'][0]}").json()["data"]
        assert complement["payment_complement"]["related_invoices"][0]["uuid"] == invoice["uuid"]
        after = raw.get(f"/invoices/income/{invoice['uuid']}").json()["data"]
        assert after["last_balance"] == expected_balance
    before = _count(raw, client_id=client["id"])
    response = raw.post(
        "/payments/register",
        json={
            "client": {"id": client["id"]},
            "items": [half],
            "payment_form": "03",
            "automation_type": "ppd_invoice_and_complement",
            "ppd_invoice_id": invoice["uuid"],
        },
    )
    body = assert_api_error(response, 400, "business_rule_violation", "ppd_invoice_id")
    assert body["details"][0]["message"] == (
        "the payment total 580.00 is above the invoice's outstanding balance 0.00"
    )
    assert _count(raw, client_id=client["id"]) == before


def test_a_complement_carries_the_paid_share_of_the_invoice_taxes_and_sats_totals(raw, client):
    """REFERENCE §12.3: each paid invoice's ``taxes`` in proportion amount_paid / total, and
    the complement's ``totals`` (Pagos/Totales), also printed in the XML."""
    response = raw.post(
        "/invoices/income",
        json={
            "client": {"id": client["id"]},
            "payment_method": "PPD",
            "items": [
                {
                    **ITEM,
                    "unit_price": 1000,
                    "taxes": [
                        {"type": "IVA", "rate": 0.16},
                        {"type": "ISR", "rate": 0.1, "withholding": True},
                    ],
                }
            ],
        },
    )
    invoice = response.json()["data"]  # 1000 + 160 − 100 = 1060
    payment = raw.post(
        "/payments/register",
        json={
            "client": {"id": client["id"]},
            "items": [{**ITEM, "unit_price": 530, "taxes": []}],
            "payment_form": "03",
            "automation_type": "ppd_invoice_and_complement",
            "ppd_invoice_id": invoice["uuid"],
        },
    ).json()["data"]
    complement = raw.get(f"/invoices/payment/{payment['invoices'][0]}").json()["data"]
    info = complement["payment_complement"]
    (paid,) = info["related_invoices"]
    assert (paid["previous_balance"], paid["amount_paid"], paid["outstanding_balance"]) == (
        1060,
        530,
        530,
    )
    assert paid["taxes"] == [
        {"type": "IVA", "factor": "Tasa", "rate": 0.16, "withholding": False, "base": 500,
         "amount": 80},
        {"type": "ISR", "factor": "Tasa", "rate": 0.1, "withholding": True, "base": 500,
         "amount": 50},
    ]  # fmt: skip
    assert info["totals"] == {
        "TotalTrasladosBaseIVA16": 500,
        "TotalTrasladosImpuestoIVA16": 80,
        "TotalRetencionesISR": 50,
        "MontoTotalPagos": 530,
    }
    xml = raw.get(f"/invoices/{complement['uuid']}/files").json()["data"]["xml"]
    text = raw.session.get(xml, timeout=30).text
    assert 'TotalTrasladosImpuestoIVA16="80.00"' in text and 'ObjetoImpDR="02"' in text
    assert 'ImporteDR="80.00"' in text and 'TotalRetencionesISR="50.00"' in text


def test_a_complement_of_an_untaxed_invoice_carries_no_taxes(raw, client):
    with_no_tax = raw.post(
        "/invoices/income",
        json={
            "client": {"id": client["id"]},
            "payment_method": "PPD",
            "items": [{**ITEM, "taxes": [], "taxability": "01"}],
        },
    ).json()["data"]
    payment = raw.post(
        "/payments/register",
        json={
            "client": {"id": client["id"]},
            "items": [{**ITEM, "taxes": []}],
            "payment_form": "03",
            "automation_type": "ppd_invoice_and_complement",
            "ppd_invoice_id": with_no_tax["uuid"],
        },
    ).json()["data"]
    info = raw.get(f"/invoices/payment/{payment['invoices'][0]}").json()["data"][
        "payment_complement"
    ]
    assert info["related_invoices"][0]["taxes"] == []
    assert info["totals"] == {"MontoTotalPagos": 100}


def test_ppd_invoice_id_rules(raw, client):
    pue = raw.post(
        "/invoices/income",
        json={"client": {"id": client["id"]}, "items": [ITEM], "payment_form": "03"},
    ).json()["data"]
    ppd = _ppd_invoice(raw, client["id"])
    base = {
        "client": {"id": client["id"]},
        "items": [ITEM],
        "payment_form": "03",
        "automation_type": "ppd_invoice_and_complement",
    }
    unknown = raw.post("/payments/register", json={**base, "ppd_invoice_id": "nope"})
    body = assert_api_error(unknown, 400, "invalid_field_value", "ppd_invoice_id")
    assert body["message"] == "ppd_invoice_id: No income invoice with uuid 'nope' in this team"
    not_ppd = raw.post("/payments/register", json={**base, "ppd_invoice_id": pue["uuid"]})
    assert_api_error(not_ppd, 400, "business_rule_violation", "ppd_invoice_id")
    wrong_automation = raw.post(
        "/payments/register",
        json={**base, "automation_type": "pue_invoice", "ppd_invoice_id": ppd["uuid"]},
    )
    body = assert_api_error(wrong_automation, 400, "business_rule_violation", "ppd_invoice_id")
    assert body["details"][0]["message"] == (
        "is only used with automation_type ppd_invoice_and_complement"
    )
    usd = raw.post(
        "/payments/register",
        json={**base, "ppd_invoice_id": ppd["uuid"], "currency": "USD", "exchange_rate": 17.5},
    )
    assert_api_error(usd, 400, "business_rule_violation", "ppd_invoice_id")
    assert raw.get(f"/invoices/income/{ppd['uuid']}").json()["data"]["last_balance"] == 1160


def test_stamping_failure_does_not_undo_the_payment(raw, emitted):
    """A receiver SAT rejects (is_valid false) → payment succeeded, no invoice, invoice.failed."""
    client = _client(raw, address=None)  # no postal code: the SAT check fails
    assert client["is_valid"] is False
    # Complete the data through a payment update: merged *without* a new SAT check (§5.5).
    holder = _register(raw, client["id"]).json()["data"]
    patched = raw.put(f"/payments/{holder['id']}", json={"client": {"address": {"zip": "06600"}}})
    assert patched.status_code == 200
    master = raw.get(f"/clients/{client['id']}").json()["data"]
    assert master["address"]["zip"] == "06600" and master["is_valid"] is False
    emitted.clear()
    response = _register(raw, client["id"], automation_type="pue_invoice")
    assert response.status_code == 201
    payment = response.json()["data"]
    assert payment["status"] == "succeeded"
    assert payment["invoices"] == []
    types = [t for t, _ in emitted]
    assert types == ["payment.created", "payment.succeeded", "invoice.failed"]
    failed = emitted[-1][1]
    assert failed["error"]["code"] == "cfdi_service_error"
    assert _payment(raw, payment["id"])["status"] == "succeeded"


def test_rule_failure_inside_automation_fires_invoice_failed(raw, emitted):
    """A 400-class stamping rule (no legal name) also leaves the payment succeeded."""
    client = _client(raw, legal_name=None)
    payment = _register(raw, client["id"], automation_type="pue_invoice").json()["data"]
    assert (payment["status"], payment["invoices"]) == ("succeeded", [])
    failed = [obj for t, obj in emitted if t == "invoice.failed"]
    assert len(failed) == 1
    assert failed[0]["error"]["code"] == "missing_required_field"
    assert failed[0]["client"]["id"] == client["id"]


def test_register_validation_lists_every_field(raw):
    before = _count(raw)
    response = raw.post("/payments/register", json={"items": [], "automation_type": "magic"})
    body = assert_api_error(response, 400, "validation_failed")
    fields = {d["field"]: d["message"] for d in body["details"]}
    assert fields["client"] == "is required"
    assert fields["items"] == "must have at least 1 item"
    assert fields["payment_form"] == "is required"
    assert fields["automation_type"].startswith("'magic' is not a valid automation type")
    assert _count(raw) == before


def test_register_rejects_99_with_invoicing_automations(raw, client):
    before = _count(raw, client_id=client["id"])
    for automation in ("pue_invoice", "payment", "receipt", "ppd_invoice_and_complement"):
        response = _register(raw, client["id"], payment_form="99", automation_type=automation)
        body = assert_api_error(response, 400, "business_rule_violation", "payment_form")
        assert "99 (por definir) cannot be used with automation_type" in body["message"]
    ok = _register(raw, client["id"], payment_form="99")
    assert ok.status_code == 201
    assert _count(raw, client_id=client["id"]) == before + 1


def test_register_bad_payment_form_and_currency(raw, client):
    response = _register(raw, client["id"], payment_form="77")
    body = assert_api_error(response, 400, "invalid_field_value", "payment_form")
    assert body["message"] == "payment_form: '77' is not a valid payment form (c_FormaPago code)"
    response = _register(raw, client["id"], currency="USD")
    body = assert_api_error(response, 400, "missing_required_field", "exchange_rate")
    assert body["message"] == "exchange_rate: is required when currency is USD"
    usd = _register(raw, client["id"], currency="usd", exchange_rate=17.25).json()["data"]
    assert (usd["currency"], usd["exchange_rate"]) == ("USD", 17.25)


def test_inline_client_is_not_stored_when_the_request_fails(raw):
    name = f"Nuevo {_rfc()}"
    response = raw.post(
        "/payments/register",
        json={"client": {"name": name}, "items": [ITEM], "payment_form": "nope"},
    )
    assert_api_error(response, 400, "invalid_field_value", "payment_form")
    found = raw.get("/clients/search", params={"q": name}).json()
    assert found["total_results"] == 0


def test_invoice_config_series_must_exist(raw, client):
    response = _register(raw, client["id"], invoice_config={"serie": "ZZZ"})
    body = assert_api_error(response, 400, "invalid_field_value", "invoice_config.serie")
    assert body["details"][0]["message"] == "'ZZZ' is not a series of this team"
    payment = _register(
        raw, client["id"], automation_type="pue_invoice", invoice_config={"serie": "b"}
    ).json()["data"]
    assert payment["invoice_config"] == {"serie": "B"}
    invoice = raw.get(f"/invoices/income/{payment['invoices'][0]}").json()["data"]
    assert invoice["series"] == "B"


# --------------------------------------------------------------------------- request


def test_request_payment_link(raw, client, frozen_clock, emitted):
    frozen_clock()
    response = _request(raw, client["id"], automation_type="pue_invoice")
    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Payment created successfully"
    payment = body["data"]
    assert payment["status"] == "requires_payment_method"
    assert payment["short_url"] == f"https://pay.gigstack.io/p/{payment['id']}"
    assert payment["payment_processor"] is None
    assert payment["payment_form"] is None
    assert payment["succeeded_at"] is None
    assert payment["allowed_payment_methods"] == [{"id": "spei"}]  # no Stripe on this team
    assert payment["invoices"] == []  # not paid: no automation yet
    assert [t for t, _ in emitted] == ["payment.created"]


def test_allowed_payment_methods_accept_strings_objects_and_bank(raw, client):
    payment = _request(
        raw, client["id"], allowed_payment_methods=["bank", {"id": "spei"}, "SPEI"]
    ).json()["data"]
    assert payment["allowed_payment_methods"] == [{"id": "spei"}]


@pytest.mark.parametrize("method", ["card", {"id": "oxxo"}, "stripe-spei"])
def test_stripe_methods_need_stripe(raw, client, method):
    before = _count(raw, client_id=client["id"])
    response = _request(raw, client["id"], allowed_payment_methods=["spei", method])
    body = assert_api_error(response, 400, "business_rule_violation", "allowed_payment_methods[1]")
    assert "needs a connected Stripe account" in body["message"]
    assert _count(raw, client_id=client["id"]) == before


def test_unknown_payment_method(raw, client):
    response = _request(raw, client["id"], allowed_payment_methods=["paypal"])
    body = assert_api_error(response, 400, "invalid_field_value", "allowed_payment_methods[0]")
    assert body["details"][0]["message"] == (
        "'paypal' is not a payment method (card, spei, bank, oxxo or stripe-spei)"
    )


# --------------------------------------------------------------------------- idempotency


@pytest.mark.parametrize("route", ["/payments/register", "/payments/request"])
def test_idempotency_replays_and_conflicts(raw, client, route):
    key = f"idem-{_rfc()}"
    body = {
        "client": {"id": client["id"]},
        "items": [ITEM],
        "payment_form": "03",
        "automation_type": "pue_invoice",
        "idempotency_key": key,
    }
    first = raw.post(route, json=body)
    assert first.status_code == 201
    before = _count(raw, client_id=client["id"])
    again = raw.post(route, json=body)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert first.json()["data"]["idempotency_key"] == key
    assert _count(raw, client_id=client["id"]) == before
    other = raw.post(route, json={**body, "items": [{**ITEM, "unit_price": 5}]})
    assert_api_error(other, 409, "resource_conflict")
    assert _count(raw, client_id=client["id"]) == before


# --------------------------------------------------------------------------- read / list


def test_get_unknown_and_other_mode_is_404(raw, raw_live, client):
    body = assert_api_error(raw.get("/payments/payment_nope"), 404, "resource_not_found")
    assert body["message"] == "Payment not found"
    payment = _register(raw, client["id"]).json()["data"]
    assert_api_error(raw_live.get(f"/payments/{payment['id']}"), 404, "resource_not_found")


def test_list_filters(raw, sandbox, client):
    other = _client(raw, email="otro@cliente.mx", name="Zeta Otro")
    paid = _register(raw, client["id"]).json()["data"]
    usd = _register(raw, client["id"], currency="USD", exchange_rate=18).json()["data"]
    link = _request(raw, other["id"]).json()["data"]
    cancelled = _request(raw, other["id"]).json()["data"]
    raw.delete(f"/payments/{cancelled['id']}")

    def ids(**params: Any) -> set[str]:
        body = raw.get("/payments", params={"limit": 100, **params}).json()
        return {p["id"] for p in body["data"]}

    assert ids(client_id=client["id"]) == {paid["id"], usd["id"]}
    assert ids(client_id=client["id"], currency="usd") == {usd["id"]}
    assert ids(email="OTRO@cliente.mx") == {link["id"], cancelled["id"]}
    assert ids(tax_id=other["tax_id"].lower()) == {link["id"], cancelled["id"]}
    assert ids(tax_id=other["tax_id"], status="canceled") == {cancelled["id"]}
    assert ids(tax_id=other["tax_id"], status="requires_payment_method") == {link["id"]}
    response = raw.get("/payments", params={"status": "paid"})
    body = assert_api_error(response, 400, "invalid_field_value", "status")
    assert body["details"][0]["message"] == "'paid' is not a valid payment status"
    listed = raw.get("/payments", params={"limit": 3}).json()
    assert listed["message"] == "Payments retrieved successfully"


def test_order_by_name_is_client_name(raw):
    first = _client(raw, name="AAAA primero")
    last = _client(raw, name="zzzz último")
    for client in (first, last):
        _register(raw, client["id"])
    asc = raw.get("/payments", params={"order_by": "name", "sort": "asc", "limit": 100}).json()
    names = [p["client"]["name"] for p in asc["data"]]
    assert names == sorted(names, key=str.casefold)


def test_seeded_payments_cover_every_status(raw):
    for status in (
        "pending",
        "requires_payment_method",
        "processing",
        "succeeded",
        "failed",
        "cancelled",
        "refunded",
    ):
        assert _count(raw, status=status) > 0, status


# --------------------------------------------------------------------------- mark paid


@pytest.mark.parametrize("status", ["pending", "requires_payment_method", "processing", "failed"])
def test_mark_paid_from_allowed_statuses(raw, sandbox, client, frozen_clock, emitted, status):
    now = frozen_clock()
    payment = _request(raw, client["id"], automation_type="pue_invoice").json()["data"]
    _force_status(sandbox, payment["id"], status)
    emitted.clear()
    response = raw.post(f"/payments/{payment['id']}/paid", json={"payment_form": "02"})
    assert response.status_code == 200
    paid = response.json()["data"]
    assert paid["status"] == "succeeded"
    assert paid["succeeded_at"] == now
    assert paid["payment_form"] == "02"
    assert paid["payment_processor"] == "api"
    assert len(paid["invoices"]) == 1
    assert [t for t, _ in emitted] == ["payment.succeeded", "invoice.created"]


@pytest.mark.parametrize("status", ["succeeded", "refunded", "cancelled"])
def test_mark_paid_refused_from_other_statuses(raw, sandbox, client, status):
    payment = _request(raw, client["id"]).json()["data"]
    _force_status(sandbox, payment["id"], status)
    before = _payment(raw, payment["id"])
    response = raw.post(f"/payments/{payment['id']}/paid", json={"payment_form": "03"})
    body = assert_api_error(response, 409, "resource_conflict")
    assert body["message"].startswith(f"A {status} payment cannot be marked as paid")
    assert _payment(raw, payment["id"]) == before


def test_mark_paid_validation(raw, client):
    payment = _request(raw, client["id"], automation_type="pue_invoice").json()["data"]
    missing = raw.post(f"/payments/{payment['id']}/paid", json={})
    body = assert_api_error(missing, 400, "missing_required_field", "payment_form")
    assert body["message"] == "payment_form: is required"
    assert_api_error(
        raw.post(f"/payments/{payment['id']}/paid", json={"payment_form": "XX"}),
        400,
        "invalid_field_value",
        "payment_form",
    )
    ninety_nine = raw.post(f"/payments/{payment['id']}/paid", json={"payment_form": "99"})
    assert_api_error(ninety_nine, 400, "business_rule_violation", "payment_form")
    assert _payment(raw, payment["id"]) == payment
    assert_api_error(
        raw.post("/payments/payment_nope/paid", json={"payment_form": "03"}),
        404,
        "resource_not_found",
    )


# --------------------------------------------------------------------------- refund


def test_partial_then_full_refund(raw, client, frozen_clock, emitted):
    now = frozen_clock()
    payment = _register(raw, client["id"]).json()["data"]
    emitted.clear()
    first = raw.post(
        f"/payments/{payment['id']}/refund",
        json={"amount": 16, "reason": "Ajuste", "external_processor_refund": True},
    )
    assert first.status_code == 200
    data = first.json()["data"]
    assert data["status"] == "succeeded"
    refund = data["refunds"][0]
    assert refund["id"].startswith("refund_")
    assert refund == {
        "id": refund["id"],
        "amount": 16,
        "reason": "Ajuste",
        "external_processor_refund": True,
        "created_at": now,
    }
    too_much = raw.post(f"/payments/{payment['id']}/refund", json={"amount": 100.01})
    body = assert_api_error(too_much, 400, "invalid_field_value", "amount")
    assert body["details"][0]["message"] == "must not exceed the refundable remainder 100.00 MXN"
    rest = raw.post(f"/payments/{payment['id']}/refund")  # no body: the whole remainder
    assert rest.status_code == 200
    data = rest.json()["data"]
    assert data["status"] == "refunded"
    assert [r["amount"] for r in data["refunds"]] == [16, 100]
    assert data["refunds"][1]["reason"] is None
    assert data["refunds"][1]["external_processor_refund"] is False
    again = raw.post(f"/payments/{payment['id']}/refund", json={})
    assert_api_error(again, 409, "resource_conflict")
    assert [t for t, _ in emitted] == ["payment.updated", "payment.updated"]


def test_single_full_refund(raw, client):
    payment = _register(raw, client["id"]).json()["data"]
    data = raw.post(f"/payments/{payment['id']}/refund", json={"amount": 116}).json()["data"]
    assert data["status"] == "refunded"


@pytest.mark.parametrize("amount", [0, -5, "10"])
def test_refund_amount_must_be_positive_number(raw, client, amount):
    payment = _register(raw, client["id"]).json()["data"]
    response = raw.post(f"/payments/{payment['id']}/refund", json={"amount": amount})
    assert_api_error(response, 400, "invalid_field_value", "amount")
    assert _payment(raw, payment["id"])["refunds"] == []


@pytest.mark.parametrize(
    "status", ["pending", "requires_payment_method", "processing", "failed", "cancelled"]
)
def test_refund_only_from_succeeded(raw, sandbox, client, status):
    payment = _request(raw, client["id"]).json()["data"]
    _force_status(sandbox, payment["id"], status)
    response = raw.post(f"/payments/{payment['id']}/refund")
    body = assert_api_error(response, 409, "resource_conflict")
    assert body["message"].startswith(f"A {status} payment cannot be refunded")


# --------------------------------------------------------------------------- cancel


@pytest.mark.parametrize("status", ["pending", "requires_payment_method", "processing", "failed"])
def test_cancel_from_pending_statuses(raw, sandbox, client, emitted, status):
    payment = _request(raw, client["id"]).json()["data"]
    _force_status(sandbox, payment["id"], status)
    emitted.clear()
    response = raw.delete(f"/payments/{payment['id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Payment cancelled successfully"
    assert body["data"]["status"] == "cancelled"
    assert [t for t, _ in emitted] == ["payment.canceled"]


@pytest.mark.parametrize("status", ["succeeded", "refunded", "cancelled"])
def test_cancel_refused(raw, sandbox, client, status):
    payment = _request(raw, client["id"]).json()["data"]
    _force_status(sandbox, payment["id"], status)
    response = raw.delete(f"/payments/{payment['id']}")
    body = assert_api_error(response, 409, "resource_conflict")
    assert body["message"].startswith(f"A {status} payment cannot be cancelled")
    assert _payment(raw, payment["id"])["status"] == status


def test_cancel_unknown_is_404(raw):
    assert_api_error(raw.delete("/payments/payment_nope"), 404, "resource_not_found")


# --------------------------------------------------------------------------- update


def test_update_item_description(raw, client, emitted):
    payment = _request(raw, client["id"]).json()["data"]
    item_id = payment["items"][0]["id"]
    emitted.clear()
    response = raw.put(
        f"/payments/{payment['id']}",
        json={"items": [{"id": item_id, "description": "Nueva descripción"}]},
    )
    assert response.status_code == 200
    assert response.json() == {"message": "Operation completed successfully", "data": {}}
    after = _payment(raw, payment["id"])
    assert after["items"][0]["description"] == "Nueva descripción"
    assert after["total"] == payment["total"]
    assert [t for t, _ in emitted] == ["payment.updated"]


def test_update_items_other_fields_are_refused(raw, client):
    payment = _request(raw, client["id"]).json()["data"]
    item_id = payment["items"][0]["id"]
    response = raw.put(
        f"/payments/{payment['id']}",
        json={"items": [{"id": item_id, "description": "X", "unit_price": 1}]},
    )
    body = assert_api_error(response, 400, "invalid_field_value", "items[0].unit_price")
    assert body["details"][0]["message"] == (
        "cannot be changed: only an item's description may be updated"
    )
    unknown = raw.put(
        f"/payments/{payment['id']}", json={"items": [{"id": "item_nope", "description": "X"}]}
    )
    body = assert_api_error(unknown, 400, "invalid_field_value", "items[0].id")
    assert body["details"][0]["message"] == "No item with id 'item_nope' in this payment"
    assert _payment(raw, payment["id"]) == payment


def test_update_needs_a_field(raw, client):
    payment = _request(raw, client["id"]).json()["data"]
    response = raw.put(f"/payments/{payment['id']}", json={"metadata": {"a": 1}})
    body = assert_api_error(response, 400, "missing_required_field", "items")
    assert body["details"][0]["message"] == (
        "send at least one of items, automation_type or client"
    )
    assert_api_error(
        raw.put("/payments/payment_nope", json={"automation_type": "none"}),
        404,
        "resource_not_found",
    )


def test_adding_automation_to_succeeded_payment_fires_it(raw, client, emitted):
    payment = _register(raw, client["id"]).json()["data"]
    emitted.clear()
    response = raw.put(f"/payments/{payment['id']}", json={"automation_type": "payment"})
    assert response.status_code == 200
    after = _payment(raw, payment["id"])
    assert after["automation_type"] == "pue_invoice"
    assert len(after["invoices"]) == 1
    assert [t for t, _ in emitted] == ["invoice.created", "payment.updated"]
    again = raw.put(f"/payments/{payment['id']}", json={"automation_type": "receipt"})
    body = assert_api_error(again, 400, "business_rule_violation", "automation_type")
    assert body["details"][0]["message"] == (
        "the payment already has automation_type pue_invoice; it can only be set while it is none"
    )
    assert _payment(raw, payment["id"]) == after


def test_adding_automation_to_unpaid_payment_waits_for_payment(raw, client):
    payment = _request(raw, client["id"]).json()["data"]
    raw.put(f"/payments/{payment['id']}", json={"automation_type": "receipt"})
    assert _payment(raw, payment["id"])["receipts"] == []
    paid = raw.post(f"/payments/{payment['id']}/paid", json={"payment_form": "03"}).json()
    assert len(paid["data"]["receipts"]) == 1


def test_update_allowed_on_cancelled_payment(raw, client):
    payment = _request(raw, client["id"]).json()["data"]
    raw.delete(f"/payments/{payment['id']}")
    response = raw.put(f"/payments/{payment['id']}", json={"automation_type": "pue_invoice"})
    assert response.status_code == 200
    after = _payment(raw, payment["id"])
    assert (after["status"], after["automation_type"], after["invoices"]) == (
        "cancelled",
        "pue_invoice",
        [],
    )


def test_update_client_patch_merges_into_master(raw, client, emitted):
    payment = _request(raw, client["id"]).json()["data"]
    emitted.clear()
    response = raw.put(
        f"/payments/{payment['id']}",
        json={
            "client": {
                "id": client["id"],
                "email": "nuevo@cliente.mx",
                "address": {"city": "Toluca"},
            }
        },
    )
    assert response.status_code == 200
    master = raw.get(f"/clients/{client['id']}").json()["data"]
    assert master["email"] == "nuevo@cliente.mx"
    assert master["address"] == {**client["address"], "city": "Toluca"}
    assert master["is_valid"] == client["is_valid"]
    assert _payment(raw, payment["id"])["client"]["email"] == "nuevo@cliente.mx"
    assert [t for t, _ in emitted] == ["customer.updated", "payment.updated"]


def test_update_client_id_is_immutable_and_fields_validated(raw, client):
    payment = _request(raw, client["id"]).json()["data"]
    response = raw.put(f"/payments/{payment['id']}", json={"client": {"id": "client_other"}})
    body = assert_api_error(response, 400, "invalid_field_value", "client.id")
    assert body["details"][0]["message"].startswith("cannot be changed")
    bad = raw.put(
        f"/payments/{payment['id']}", json={"client": {"email": "not-an-email", "tax_id": "ABC"}}
    )
    body = assert_api_error(bad, 400, "validation_failed")
    assert {d["field"] for d in body["details"]} == {"client.email", "client.tax_id"}
    assert raw.get(f"/clients/{client['id']}").json()["data"] == client
    assert _payment(raw, payment["id"]) == payment


def test_stripe_team_gets_card_by_default(raw, sandbox, teams):
    team = sandbox.store.teams[teams["subs"][3]]
    with sandbox.store.lock:
        team["integrations"]["stripe"]["completed"] = True
    try:
        client = raw.post(
            "/clients", params={"team": team["id"]}, json={"name": "Con Stripe"}
        ).json()["data"]
        base = {"client": {"id": client["id"]}, "items": [ITEM]}
        default = raw.post("/payments/request", params={"team": team["id"]}, json=base)
        assert default.json()["data"]["allowed_payment_methods"] == [{"id": "spei"}, {"id": "card"}]
        chosen = raw.post(
            "/payments/request",
            params={"team": team["id"]},
            json={**base, "allowed_payment_methods": ["oxxo", {"id": "stripe-spei"}, "bank"]},
        )
        assert chosen.status_code == 201
        assert chosen.json()["data"]["allowed_payment_methods"] == [
            {"id": "oxxo"},
            {"id": "stripe-spei"},
            {"id": "spei"},
        ]
    finally:
        with sandbox.store.lock:
            team["integrations"]["stripe"]["completed"] = False


def test_seed_is_deterministic():
    from webapp.sandbox.seed import seed
    from webapp.sandbox.store import Clock, Store

    def snapshot() -> list[tuple]:
        store = seed(Store(clock=Clock(fixed=1_800_000_000)))
        return [
            (
                p["id"],
                p["status"],
                p["total"],
                p["created_at"],
                tuple(p["invoices"]),
                tuple(p["receipts"]),
            )
            for p in store.objects["payments"].values()
        ] + [
            (r["id"], r["status"], r["created"], r["validUntil"], r["invoice_id"])
            for r in store.objects["receipts"].values()
        ]

    assert snapshot() == snapshot()


def test_client_patch_after_client_deleted_updates_the_payment_copy(raw):
    client = _client(raw)
    payment = _request(raw, client["id"]).json()["data"]
    assert raw.delete(f"/clients/{client['id']}").status_code == 200
    response = raw.put(f"/payments/{payment['id']}", json={"client": {"name": "Renombrado"}})
    assert response.status_code == 200
    assert _payment(raw, payment["id"])["client"]["name"] == "Renombrado"
    paid = raw.post(f"/payments/{payment['id']}/paid", json={"payment_form": "03"})
    assert paid.status_code == 200
