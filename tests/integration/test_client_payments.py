"""``api.payments`` and ``api.receipts`` against the real sandbox over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import FROZEN_NOW
from tests.integration.test_client_support import (
    ITEM,
    assert_recent,
    assert_utc,
    at,
    client_body,
    unique,
)
from webapp.gigstack import Conflict, NotFound, ValidationError

PAY_ITEM = {**ITEM, "unit_price": 100}  # 100 + IVA 16 = 116


@pytest.fixture
def client(api) -> dict[str, Any]:
    return api.clients.create(client_body())


def _register(api: Any, client_id: str, **fields: Any) -> dict[str, Any]:
    body = {"client": {"id": client_id}, "items": [dict(PAY_ITEM)], "payment_form": "03", **fields}
    return api.payments.register(body)


def _request(api: Any, client_id: str, **fields: Any) -> dict[str, Any]:
    return api.payments.request({"client": {"id": client_id}, "items": [dict(PAY_ITEM)], **fields})


# --------------------------------------------------------------------------- payments


def test_register_with_pue_invoice_automation_issues_an_invoice(api, client, frozen_clock):
    payment = _register(api, client["id"], automation_type="pue_invoice", payment_form="04")
    assert payment["id"].startswith("payment_")
    assert (payment["status"], payment["payment_form"], payment["automation_type"]) == (
        "succeeded",
        "04",
        "pue_invoice",
    )
    assert (payment["subtotal"], payment["taxes"], payment["total"]) == (100, 16, 116)
    assert assert_utc(payment["created_at"]) == at(FROZEN_NOW)
    assert assert_utc(payment["succeeded_at"]) == at(FROZEN_NOW)
    assert payment["client"]["id"] == client["id"]
    [uuid] = payment["invoices"]
    invoice = api.invoices.get(uuid)
    assert (invoice["payment_method"], invoice["payment_form"], invoice["total"]) == (
        "PUE",
        "04",
        116,
    )
    assert invoice["client"]["id"] == client["id"]
    assert api.payments.get(payment["id"]) == payment


def test_register_idempotency_key_replays_the_first_payment(api, client):
    key = unique("idem-")
    first = _register(api, client["id"], idempotency_key=key)
    again = _register(api, client["id"], idempotency_key=key)
    assert again == first and first["idempotency_key"] == key
    assert api.payments.list(client_id=client["id"]).total_results == 1
    with pytest.raises(Conflict):
        _register(api, client["id"], idempotency_key=key, payment_form="01")


def test_register_validation_error_names_the_field(api, client):
    with pytest.raises(ValidationError) as caught:
        _register(api, client["id"], payment_form="99", automation_type="pue_invoice")
    assert caught.value.code == "business_rule_violation"
    assert list(caught.value.field_errors) == ["payment_form"]
    assert api.payments.list(client_id=client["id"]).total_results == 0


def test_request_creates_a_payment_link(api, client, frozen_clock):
    payment = _request(api, client["id"], automation_type="pue_invoice")
    assert payment["status"] == "requires_payment_method"
    assert payment["short_url"] == f"https://pay.gigstack.io/p/{payment['id']}"
    assert payment["succeeded_at"] is None and payment["invoices"] == []
    assert assert_utc(payment["created_at"]) == at(FROZEN_NOW)
    assert api.payments.get(payment["id"])["status"] == "requires_payment_method"


def test_get_unknown_payment_is_not_found(api):
    with pytest.raises(NotFound) as caught:
        api.payments.get("payment_doesnotexist")
    assert caught.value.message == "Payment not found"


def test_list_with_filters(api, client):
    other = api.clients.create(client_body())
    paid = _register(api, client["id"])
    usd = _register(api, client["id"], currency="USD", exchange_rate=18)
    link = _request(api, other["id"])
    cancelled = api.payments.cancel(_request(api, other["id"])["id"])

    def ids(**filters: Any) -> set[str]:
        page = api.payments.list(limit=100, **filters)
        assert page.total_results == len(page)
        for payment in page:
            assert_recent(payment["created_at"])
        return {p["id"] for p in page}

    assert ids(client_id=client["id"]) == {paid["id"], usd["id"]}
    assert ids(client_id=client["id"], currency="USD") == {usd["id"]}
    assert ids(email=other["email"]) == {link["id"], cancelled["id"]}
    assert ids(tax_id=other["tax_id"]) == {link["id"], cancelled["id"]}
    assert ids(tax_id=other["tax_id"], status="cancelled") == {cancelled["id"]}
    assert ids(tax_id=other["tax_id"], status="requires_payment_method") == {link["id"]}
    assert ids(client_id=client["id"], status="succeeded") == {paid["id"], usd["id"]}


def test_iter_payments_across_pages(api, client):
    made = [_register(api, client["id"])["id"] for _ in range(5)]
    seen = [p["id"] for p in api.payments.iter(client_id=client["id"], limit=2)]
    assert seen == list(reversed(made))  # newest first
    assert api.payments.list(client_id=client["id"], limit=1).total_results == len(seen)


def test_update_item_description_then_get(api, client):
    payment = _request(api, client["id"])
    item_id = payment["items"][0]["id"]
    assert (
        api.payments.update(
            payment["id"], {"items": [{"id": item_id, "description": "Descripción nueva"}]}
        )
        == {}
    )
    after = api.payments.get(payment["id"])
    assert after["items"][0]["description"] == "Descripción nueva"
    assert after["total"] == payment["total"]


def test_update_automation_on_a_succeeded_payment_fires_it(api, client):
    payment = _register(api, client["id"])
    assert payment["automation_type"] == "none" and payment["invoices"] == []
    api.payments.update(payment["id"], {"automation_type": "pue_invoice"})
    after = api.payments.get(payment["id"])
    assert after["automation_type"] == "pue_invoice" and len(after["invoices"]) == 1
    with pytest.raises(ValidationError) as caught:
        api.payments.update(payment["id"], {"automation_type": "receipt"})
    assert list(caught.value.field_errors) == ["automation_type"]


def test_mark_paid_runs_the_automation(api, client, frozen_clock):
    payment = _request(api, client["id"], automation_type="pue_invoice")
    frozen_clock(FROZEN_NOW + 60)
    paid = api.payments.mark_paid(payment["id"], "02")
    assert (paid["status"], paid["payment_form"], paid["payment_processor"]) == (
        "succeeded",
        "02",
        "api",
    )
    assert assert_utc(paid["succeeded_at"]) == at(FROZEN_NOW + 60)
    assert len(paid["invoices"]) == 1
    assert api.invoices.get(paid["invoices"][0])["payment_form"] == "02"
    assert api.payments.get(payment["id"]) == paid
    with pytest.raises(Conflict):
        api.payments.mark_paid(payment["id"], "03")


def test_refund_partial_then_full(api, client, frozen_clock):
    payment = _register(api, client["id"])
    partial = api.payments.refund(
        payment["id"], amount=16, reason="Ajuste", external_processor_refund=True
    )
    assert partial["status"] == "succeeded"
    [refund] = partial["refunds"]
    assert (refund["amount"], refund["reason"], refund["external_processor_refund"]) == (
        16,
        "Ajuste",
        True,
    )
    assert assert_utc(refund["created_at"]) == at(FROZEN_NOW)
    with pytest.raises(ValidationError) as caught:
        api.payments.refund(payment["id"], amount=100.01)
    assert caught.value.field_errors == {
        "amount": ["must not exceed the refundable remainder 100.00 MXN"]
    }
    full = api.payments.refund(payment["id"])
    assert full["status"] == "refunded"
    assert [r["amount"] for r in full["refunds"]] == [16, 100]
    assert api.payments.get(payment["id"])["status"] == "refunded"
    with pytest.raises(Conflict):
        api.payments.refund(payment["id"])


def test_cancel_pending_payment_then_again_is_a_conflict(api, client):
    payment = _request(api, client["id"])
    cancelled = api.payments.cancel(payment["id"])
    assert cancelled["id"] == payment["id"] and cancelled["status"] == "cancelled"
    assert api.payments.get(payment["id"])["status"] == "cancelled"
    with pytest.raises(Conflict) as caught:
        api.payments.cancel(payment["id"])
    assert caught.value.message.startswith("A cancelled payment cannot be cancelled")


# --------------------------------------------------------------------------- receipts


def test_receipt_create_and_get_with_utc_times(api, client, frozen_clock):
    receipt = api.receipts.create(
        {
            "client": {"id": client["id"]},
            "items": [dict(ITEM)],
            "payment_form": "28",
            "metadata": {"ticket": "T-1"},
        }
    )
    assert receipt["id"].startswith("receipt_") and receipt["status"] == "pending"
    assert (receipt["subtotal"], receipt["taxes"], receipt["total"]) == (1000, 160, 1160)
    assert receipt["client"]["id"] == client["id"] and receipt["payment_form"] == "28"
    assert assert_utc(receipt["created"]) == at(FROZEN_NOW)
    assert receipt["created_at"] == receipt["created"]  # both spellings (§13 #12)
    valid_until = assert_utc(receipt["validUntil"])
    assert valid_until > receipt["created"]
    assert api.receipts.get(receipt["id"]) == receipt


def test_receipt_stamp_with_a_complete_client(api, client, frozen_clock):
    receipt = api.receipts.create(
        {"client": {"id": client["id"]}, "items": [dict(ITEM)], "payment_form": "28"}
    )
    stamped = api.receipts.stamp(receipt["id"])
    assert stamped["status"] == "completed"
    assert assert_utc(stamped["invoiced_at"]) == at(FROZEN_NOW)
    invoice = api.invoices.get(stamped["invoice_id"])
    assert (invoice["payment_method"], invoice["payment_form"], invoice["total"]) == (
        "PUE",
        "28",
        receipt["total"],
    )
    assert invoice["client"]["id"] == client["id"]
    assert api.receipts.get(receipt["id"]) == stamped
    with pytest.raises(Conflict):
        api.receipts.stamp(receipt["id"])


def test_receipt_stamp_without_client_is_a_business_rule(api):
    receipt = api.receipts.create({"items": [dict(ITEM)]})
    with pytest.raises(ValidationError) as caught:
        api.receipts.stamp(receipt["id"])
    assert caught.value.code == "business_rule_violation"
    assert list(caught.value.field_errors) == ["client"]
    assert api.receipts.get(receipt["id"])["status"] == "pending"


def test_receipt_cancel_then_again_is_a_conflict(api):
    receipt = api.receipts.create({"items": [dict(ITEM)]})
    cancelled = api.receipts.cancel(receipt["id"])
    assert cancelled["id"] == receipt["id"] and cancelled["status"] == "cancelled"
    assert_utc(cancelled["created"])
    assert api.receipts.get(receipt["id"])["status"] == "cancelled"
    with pytest.raises(Conflict) as caught:
        api.receipts.cancel(receipt["id"])
    assert caught.value.message == (
        "A cancelled receipt cannot be cancelled (only pending or expired ones)"
    )
    with pytest.raises(NotFound):
        api.receipts.cancel("receipt_doesnotexist")


def test_receipts_list_filters_and_iter(api, client, frozen_clock):
    frozen_clock(FROZEN_NOW)
    first = api.receipts.create({"client": {"id": client["id"]}, "items": [dict(ITEM)]})
    frozen_clock(FROZEN_NOW + 100)
    second = api.receipts.create({"client": {"id": client["id"]}, "items": [dict(ITEM)]})
    third = api.receipts.create({"client": {"id": client["id"]}, "items": [dict(ITEM)]})
    api.receipts.cancel(third["id"])
    page = api.receipts.list(client_id=client["id"], sort="asc")
    assert [r["id"] for r in page] == [first["id"], second["id"], third["id"]]
    assert all(r["created_at"] == r["created"] for r in page)
    pending = api.receipts.list(client_id=client["id"], status="pending")
    assert {r["id"] for r in pending} == {first["id"], second["id"]}
    cancelled = api.receipts.list(client_id=client["id"], status="cancelled")
    assert [r["id"] for r in cancelled] == [third["id"]]
    late = api.receipts.list(client_id=client["id"], created_gte=FROZEN_NOW + 1)
    assert {r["id"] for r in late} == {second["id"], third["id"]}
    seen = [r["id"] for r in api.receipts.iter(client_id=client["id"], limit=2)]
    assert len(seen) == len(set(seen)) == page.total_results == 3
    assert all(assert_utc(r["validUntil"]) for r in api.receipts.iter(client_id=client["id"]))
