"""Sandbox receipts (REFERENCE §6) and a client's bulk stamp (§2.9): validity, statuses."""

from __future__ import annotations

import random
import string
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support.asserts import assert_api_error
from webapp.sandbox.receipts_logic import default_periodicity, period_end

MX = ZoneInfo("America/Mexico_City")
ITEM = {
    "description": "Café 1 kg",
    "unit_price": 400,
    "product_key": "50201706",
    "unit_key": "H87",
    "taxes": [{"type": "IVA", "rate": 0.16}],
}
_rng = random.Random()


def _mx(*parts: int) -> int:
    """Unix seconds of a Mexico City wall-clock time."""
    return int(datetime(*parts, tzinfo=MX).timestamp())


def _rfc() -> str:
    letters = "".join(_rng.choice(string.ascii_uppercase) for _ in range(3))
    return (
        f"{letters}{_rng.randint(0, 23):02d}0{_rng.randint(1, 9)}1{_rng.randint(0, 9)}"
        f"{''.join(_rng.choice('ABCDEFGH123456789') for _ in range(3))}"
    )


def _client(raw, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Comprador",
        "legal_name": "COMPRADOR FRECUENTE",
        "tax_id": _rfc(),
        "tax_system": "601",
        "use": "G03",
        "address": {"country": "MEX", "zip": "91700"},
        **overrides,
    }
    body = {k: v for k, v in body.items() if v is not None}
    response = raw.post("/clients", json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def _create(raw, **fields: Any):
    return raw.post("/receipts", json={"items": [ITEM], **fields})


def _receipt(raw, receipt_id: str) -> dict[str, Any]:
    response = raw.get(f"/receipts/{receipt_id}")
    assert response.status_code == 200
    return response.json()["data"]


def _count(raw, **params: Any) -> int:
    return raw.get("/receipts", params={"limit": 1, **params}).json()["total_results"]


@pytest.fixture
def client(raw) -> dict[str, Any]:
    return _client(raw)


# --------------------------------------------------------------------------- validity


@pytest.mark.parametrize(
    "now,periodicity,end",
    [
        # day: the same calendar day in Mexico City, even when UTC already moved on
        (_mx(2026, 5, 28, 0, 0, 0), "day", _mx(2026, 5, 28, 23, 59, 59)),
        (_mx(2026, 5, 28, 23, 59, 59), "day", _mx(2026, 5, 28, 23, 59, 59)),
        (_mx(2026, 5, 28, 21, 0, 0), "day", _mx(2026, 5, 28, 23, 59, 59)),
        # week ends on Sunday (2026-05-31 is a Sunday)
        (_mx(2026, 5, 25, 0, 0, 0), "week", _mx(2026, 5, 31, 23, 59, 59)),
        (_mx(2026, 5, 28, 12, 0, 0), "week", _mx(2026, 5, 31, 23, 59, 59)),
        (_mx(2026, 5, 31, 23, 59, 59), "week", _mx(2026, 5, 31, 23, 59, 59)),
        (_mx(2026, 6, 1, 0, 0, 0), "week", _mx(2026, 6, 7, 23, 59, 59)),
        (_mx(2026, 12, 28, 9, 0, 0), "week", _mx(2027, 1, 3, 23, 59, 59)),
        # two_weeks: the 15th, else the month's last day
        (_mx(2026, 5, 1, 0, 0, 0), "two_weeks", _mx(2026, 5, 15, 23, 59, 59)),
        (_mx(2026, 5, 15, 23, 59, 59), "two_weeks", _mx(2026, 5, 15, 23, 59, 59)),
        (_mx(2026, 5, 16, 0, 0, 0), "two_weeks", _mx(2026, 5, 31, 23, 59, 59)),
        (_mx(2027, 2, 20, 8, 0, 0), "two_weeks", _mx(2027, 2, 28, 23, 59, 59)),
        (_mx(2028, 2, 16, 8, 0, 0), "two_weeks", _mx(2028, 2, 29, 23, 59, 59)),
        (_mx(2026, 4, 30, 10, 0, 0), "two_weeks", _mx(2026, 4, 30, 23, 59, 59)),
        # month
        (_mx(2026, 5, 1, 0, 0, 0), "month", _mx(2026, 5, 31, 23, 59, 59)),
        (_mx(2026, 6, 30, 23, 59, 59), "month", _mx(2026, 6, 30, 23, 59, 59)),
        (_mx(2027, 2, 1, 0, 0, 0), "month", _mx(2027, 2, 28, 23, 59, 59)),
        (_mx(2026, 12, 31, 12, 0, 0), "month", _mx(2026, 12, 31, 23, 59, 59)),
        # two_months: bimesters Jan–Feb, Mar–Apr, …, Nov–Dec
        (_mx(2026, 1, 1, 0, 0, 0), "two_months", _mx(2026, 2, 28, 23, 59, 59)),
        (_mx(2028, 2, 10, 0, 0, 0), "two_months", _mx(2028, 2, 29, 23, 59, 59)),
        (_mx(2026, 3, 1, 0, 0, 0), "two_months", _mx(2026, 4, 30, 23, 59, 59)),
        (_mx(2026, 4, 30, 23, 59, 59), "two_months", _mx(2026, 4, 30, 23, 59, 59)),
        (_mx(2026, 5, 28, 12, 0, 0), "two_months", _mx(2026, 6, 30, 23, 59, 59)),
        (_mx(2026, 11, 1, 0, 0, 0), "two_months", _mx(2026, 12, 31, 23, 59, 59)),
        (_mx(2026, 12, 31, 23, 59, 59), "two_months", _mx(2026, 12, 31, 23, 59, 59)),
    ],
)
def test_period_end(now, periodicity, end):
    assert period_end(now, periodicity) == end


def test_period_end_uses_mexico_city_not_utc():
    # 2026-06-01 03:00 UTC is still 2026-05-31 21:00 in Mexico City (UTC-6)
    utc = int(datetime(2026, 6, 1, 3, 0, 0, tzinfo=ZoneInfo("UTC")).timestamp())
    assert period_end(utc, "month") == _mx(2026, 5, 31, 23, 59, 59)
    assert period_end(utc, "day") == _mx(2026, 5, 31, 23, 59, 59)


def test_default_periodicity_follows_team_settings():
    assert (
        default_periodicity({"settings": {"periodicity": {"label": "Semana", "value": "week"}}})
        == "week"
    )
    assert default_periodicity({"settings": {"periodicity": None}}) == "month"
    assert default_periodicity({}) == "month"


@pytest.mark.parametrize(
    "periodicity,created,valid_until",
    [
        ("day", _mx(2026, 5, 31, 23, 30, 0), _mx(2026, 5, 31, 23, 59, 59)),
        ("week", _mx(2026, 5, 28, 14, 0, 0), _mx(2026, 5, 31, 23, 59, 59)),
        ("two_weeks", _mx(2026, 5, 15, 18, 0, 0), _mx(2026, 5, 15, 23, 59, 59)),
        ("month", _mx(2026, 2, 3, 9, 0, 0), _mx(2026, 2, 28, 23, 59, 59)),
        ("two_months", _mx(2026, 7, 1, 0, 0, 0), _mx(2026, 8, 31, 23, 59, 59)),
    ],
)
def test_created_receipt_validity(raw, frozen_clock, periodicity, created, valid_until):
    frozen_clock(created)
    response = _create(raw, periodicity=periodicity)
    assert response.status_code == 201
    receipt = response.json()["data"]
    assert receipt["created"] == created
    assert receipt["validUntil"] == valid_until
    assert receipt["periodicity"] == periodicity
    assert "created_at" not in receipt


def test_create_defaults(raw, frozen_clock, emitted):
    now = frozen_clock()
    response = _create(raw)
    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Receipt created successfully"
    receipt = body["data"]
    assert receipt["id"].startswith("receipt_")
    assert receipt["status"] == "pending"
    assert receipt["client"] is None
    assert receipt["periodicity"] == "month"  # the partner's settings.periodicity
    assert receipt["validUntil"] == _mx(2026, 5, 31, 23, 59, 59)
    assert receipt["created"] == now
    assert receipt["payment_form"] == "03"
    assert receipt["url"] == f"https://invoicing.gigstack.pro/autofactura?id={receipt['id']}"
    assert (receipt["subtotal"], receipt["taxes"], receipt["total"]) == (400, 64, 464)
    assert (receipt["currency"], receipt["exchange_rate"]) == ("MXN", 1)
    assert receipt["invoice_id"] is None and receipt["invoiced_at"] is None
    assert [t for t, _ in emitted] == ["receipt.created"]
    assert _receipt(raw, receipt["id"]) == receipt


def test_team_periodicity_setting_is_the_default(raw, sandbox, teams, frozen_clock):
    frozen_clock()
    team = sandbox.store.teams[teams["subs"][2]]
    with sandbox.store.lock:
        saved = team["settings"]["periodicity"]
        team["settings"]["periodicity"] = {"label": "Semana", "value": "week"}
    try:
        receipt = raw.post("/receipts", params={"team": team["id"]}, json={"items": [ITEM]}).json()[
            "data"
        ]
    finally:
        with sandbox.store.lock:
            team["settings"]["periodicity"] = saved
    assert receipt["periodicity"] == "week"
    assert receipt["validUntil"] == _mx(2026, 5, 31, 23, 59, 59)


def test_create_with_client_and_options(raw, client):
    receipt = _create(
        raw,
        client={"id": client["id"]},
        payment_form="04",
        currency="USD",
        exchange_rate=17.1,
        metadata={"ticket": "T-1"},
        invoice_config={"serie": "B", "folio": 900},
    ).json()["data"]
    assert receipt["client"] == {
        k: client[k] for k in ("id", "name", "legal_name", "email", "tax_id")
    }
    assert (receipt["payment_form"], receipt["currency"], receipt["exchange_rate"]) == (
        "04",
        "USD",
        17.1,
    )
    assert receipt["metadata"] == {"ticket": "T-1"}
    assert receipt["invoice_config"] == {"serie": "B", "folio": 900}


def test_create_validation_changes_nothing(raw, client):
    before = _count(raw, client_id=client["id"])
    response = _create(raw, client={"id": client["id"]}, payment_form="99")
    body = assert_api_error(response, 400, "business_rule_violation", "payment_form")
    assert body["message"].startswith("payment_form: 99 (por definir) is not allowed on a receipt")
    response = _create(raw, client={"id": client["id"]}, periodicity="year")
    body = assert_api_error(response, 400, "invalid_field_value", "periodicity")
    assert body["details"][0]["message"] == (
        "'year' is not a valid periodicity (day, week, two_weeks, month or two_months)"
    )
    response = raw.post(
        "/receipts", json={"client": {"id": "client_nope"}, "items": [{"unit_price": -1}]}
    )
    body = assert_api_error(response, 400, "validation_failed")
    fields = {d["field"] for d in body["details"]}
    assert {"client.id", "items[0].unit_price", "items[0].description"} <= fields
    assert _count(raw, client_id=client["id"]) == before


def test_receipt_idempotency(raw, client):
    body = {"client": {"id": client["id"]}, "items": [ITEM], "idempotency_key": f"r-{_rfc()}"}
    first = raw.post("/receipts", json=body)
    assert first.status_code == 201
    again = raw.post("/receipts", json=body)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert _count(raw, client_id=client["id"]) == 1
    conflict = raw.post("/receipts", json={**body, "payment_form": "01"})
    assert_api_error(conflict, 409, "resource_conflict")
    assert _count(raw, client_id=client["id"]) == 1


def test_unknown_receipt_is_404(raw, raw_live):
    body = assert_api_error(raw.get("/receipts/receipt_nope"), 404, "resource_not_found")
    assert body["message"] == "Receipt not found"
    receipt = _create(raw).json()["data"]
    assert_api_error(raw_live.get(f"/receipts/{receipt['id']}"), 404, "resource_not_found")


# --------------------------------------------------------------------------- expiry on read


def test_pending_reads_expired_after_valid_until(raw, client, frozen_clock):
    created = frozen_clock(_mx(2026, 5, 28, 10, 0, 0))
    receipt = _create(raw, client={"id": client["id"]}, periodicity="day").json()["data"]
    assert receipt["validUntil"] == _mx(2026, 5, 28, 23, 59, 59)
    frozen_clock(receipt["validUntil"])
    assert _receipt(raw, receipt["id"])["status"] == "pending"
    frozen_clock(receipt["validUntil"] + 1)
    assert _receipt(raw, receipt["id"])["status"] == "expired"

    def ids(status: str) -> set[str]:
        body = raw.get(
            "/receipts", params={"client_id": client["id"], "status": status, "limit": 100}
        ).json()
        assert all(r["status"] == status for r in body["data"])
        return {r["id"] for r in body["data"]}

    assert receipt["id"] in ids("expired")
    assert receipt["id"] not in ids("pending")
    assert receipt["id"] not in ids("open")  # alias of pending
    frozen_clock(created)  # back in time: pending again (computed on read)
    assert receipt["id"] in ids("pending")


def test_expired_receipt_can_be_cancelled_not_stamped(raw, client, frozen_clock, emitted):
    frozen_clock(_mx(2026, 5, 28, 10, 0, 0))
    receipt = _create(raw, client={"id": client["id"]}, periodicity="day").json()["data"]
    frozen_clock(_mx(2026, 5, 29, 0, 0, 0))
    stamp = raw.post(f"/receipts/{receipt['id']}/stamp")
    body = assert_api_error(stamp, 409, "resource_conflict")
    assert body["message"] == "An expired receipt cannot be stamped (only pending ones)"
    emitted.clear()
    response = raw.delete(f"/receipts/{receipt['id']}")
    assert response.status_code == 200
    assert response.json()["message"] == "Receipt cancelled successfully"
    assert response.json()["data"]["status"] == "cancelled"
    assert [t for t, _ in emitted] == ["receipt.updated"]


# --------------------------------------------------------------------------- stamp / cancel


def test_stamp_pending_receipt(raw, client, frozen_clock, emitted):
    now = frozen_clock()
    receipt = _create(raw, client={"id": client["id"]}, payment_form="28").json()["data"]
    emitted.clear()
    response = raw.post(f"/receipts/{receipt['id']}/stamp")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["status"] == "completed"
    assert data["invoiced_at"] == now
    invoice = raw.get(f"/invoices/income/{data['invoice_id']}").json()["data"]
    assert (invoice["payment_method"], invoice["payment_form"]) == ("PUE", "28")
    assert invoice["total"] == receipt["total"]
    assert invoice["client"]["id"] == client["id"]
    assert [t for t, _ in emitted] == ["invoice.created", "receipt.completed"]
    again = raw.post(f"/receipts/{receipt['id']}/stamp")
    assert_api_error(again, 409, "resource_conflict")
    cancel = raw.delete(f"/receipts/{receipt['id']}")
    body = assert_api_error(cancel, 409, "resource_conflict")
    assert body["message"] == (
        "A completed receipt cannot be cancelled (only pending or expired ones)"
    )
    assert _receipt(raw, receipt["id"]) == data


def test_stamp_uses_invoice_config(raw, client):
    receipt = _create(raw, client={"id": client["id"]}, invoice_config={"serie": "B"}).json()[
        "data"
    ]
    data = raw.post(f"/receipts/{receipt['id']}/stamp").json()["data"]
    assert raw.get(f"/invoices/income/{data['invoice_id']}").json()["data"]["series"] == "B"


def test_stamp_without_client_is_a_business_rule(raw):
    receipt = _create(raw).json()["data"]
    response = raw.post(f"/receipts/{receipt['id']}/stamp")
    body = assert_api_error(response, 400, "business_rule_violation", "client")
    assert "público en general" in body["message"]
    assert _receipt(raw, receipt["id"]) == receipt


def test_stamp_with_incomplete_client_is_a_business_rule(raw):
    client = _client(raw, tax_id=None, tax_system=None, use=None)
    receipt = _create(raw, client={"id": client["id"]}).json()["data"]
    response = raw.post(f"/receipts/{receipt['id']}/stamp")
    body = assert_api_error(response, 400, "business_rule_violation")
    assert {d["field"] for d in body["details"]} == {"client.tax_id", "client.tax_system"}
    assert body["message"] == (
        "The receipt cannot be invoiced: the client has no RFC (tax_id); "
        "the client has no tax regime (tax_system)"
    )
    assert _receipt(raw, receipt["id"])["status"] == "pending"


def test_stamp_rejected_by_sat_changes_nothing(raw, sandbox, client, emitted):
    receipt = _create(raw, client={"id": client["id"]}).json()["data"]
    with sandbox.store.lock:
        sandbox.store.objects["clients"][client["id"]]["is_valid"] = False
    emitted.clear()
    response = raw.post(f"/receipts/{receipt['id']}/stamp")
    assert_api_error(response, 422, "cfdi_service_error")
    assert _receipt(raw, receipt["id"]) == receipt
    assert [t for t, _ in emitted] == ["invoice.failed"]


def test_cancel_pending_then_twice(raw, emitted):
    receipt = _create(raw).json()["data"]
    emitted.clear()
    first = raw.delete(f"/receipts/{receipt['id']}")
    assert first.status_code == 200 and first.json()["data"]["status"] == "cancelled"
    second = raw.delete(f"/receipts/{receipt['id']}")
    body = assert_api_error(second, 409, "resource_conflict")
    assert body["message"] == (
        "A cancelled receipt cannot be cancelled (only pending or expired ones)"
    )
    assert_api_error(raw.post(f"/receipts/{receipt['id']}/stamp"), 409, "resource_conflict")
    assert [t for t, _ in emitted] == ["receipt.updated"]
    assert_api_error(raw.delete("/receipts/receipt_nope"), 404, "resource_not_found")


# --------------------------------------------------------------------------- lists


def test_list_filters_and_created_range(raw, client, frozen_clock):
    first = frozen_clock(_mx(2026, 5, 10, 10, 0, 0))
    a = _create(raw, client={"id": client["id"]}).json()["data"]
    frozen_clock(_mx(2026, 5, 20, 10, 0, 0))
    b = _create(raw, client={"id": client["id"]}).json()["data"]
    raw.delete(f"/receipts/{b['id']}")
    body = raw.get("/receipts", params={"client_id": client["id"], "sort": "asc"}).json()
    assert body["message"] == "Receipts retrieved successfully"
    assert [r["id"] for r in body["data"]] == [a["id"], b["id"]]
    late = raw.get(
        "/receipts", params={"client_id": client["id"], "created[gte]": first + 1}
    ).json()
    assert [r["id"] for r in late["data"]] == [b["id"]]
    cancelled = raw.get(
        "/receipts", params={"client_id": client["id"], "status": "canceled"}
    ).json()
    assert [r["id"] for r in cancelled["data"]] == [b["id"]]
    bad = raw.get("/receipts", params={"status": "stamped"})
    body = assert_api_error(bad, 400, "invalid_field_value", "status")
    assert body["details"][0]["message"] == "'stamped' is not a valid receipt status"


def test_seeded_receipts_cover_every_status(raw, frozen_clock):
    from webapp.sandbox.seed import SEED_ANCHOR

    frozen_clock(SEED_ANCHOR)
    for status in ("pending", "completed", "expired", "cancelled"):
        assert _count(raw, status=status) > 0, status


# --------------------------------------------------------------------------- bulk stamp


def test_stamp_pending_receipts_oldest_first(raw, client, frozen_clock, emitted):
    times = [_mx(2026, 5, d, 9, 0, 0) for d in (20, 21, 22)]
    created = []
    for moment in reversed(times):  # created newest first; results must be oldest first
        frozen_clock(moment)
        created.append(_create(raw, client={"id": client["id"]}).json()["data"])
    frozen_clock(times[1])
    other = _create(raw, client={"id": client["id"]}).json()["data"]
    raw.delete(f"/receipts/{other['id']}")  # cancelled: skipped
    frozen_clock(_mx(2026, 5, 25, 9, 0, 0))
    emitted.clear()
    response = raw.post(f"/clients/{client['id']}/stamp-pending-receipts")
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["stamped"], data["failed"], data["remaining"]) == (3, 0, 0)
    oldest_first = [r["id"] for r in sorted(created, key=lambda r: r["created"])]
    assert [r["receipt_id"] for r in data["results"]] == oldest_first
    for row in data["results"]:
        assert row["status"] == "stamped"
        receipt = _receipt(raw, row["receipt_id"])
        assert (receipt["status"], receipt["invoice_id"]) == ("completed", row["invoice_uuid"])
        invoice = raw.get(f"/invoices/income/{row['invoice_uuid']}").json()["data"]
        assert invoice["payment_method"] == "PUE"
    assert [t for t, _ in emitted] == ["invoice.created", "receipt.completed"] * 3
    assert _receipt(raw, other["id"])["status"] == "cancelled"
    empty = raw.post(f"/clients/{client['id']}/stamp-pending-receipts").json()["data"]
    assert empty == {"stamped": 0, "failed": 0, "remaining": 0, "results": []}


def test_stamp_pending_receipts_skips_expired(raw, client, frozen_clock):
    frozen_clock(_mx(2026, 5, 1, 9, 0, 0))
    old = _create(raw, client={"id": client["id"]}, periodicity="day").json()["data"]
    frozen_clock(_mx(2026, 5, 2, 9, 0, 0))
    data = raw.post(f"/clients/{client['id']}/stamp-pending-receipts").json()["data"]
    assert data == {"stamped": 0, "failed": 0, "remaining": 0, "results": []}
    assert _receipt(raw, old["id"])["status"] == "expired"


def test_stamp_pending_receipts_at_most_100(raw, client):
    for _ in range(101):
        assert _create(raw, client={"id": client["id"]}).status_code == 201
    data = raw.post(f"/clients/{client['id']}/stamp-pending-receipts").json()["data"]
    assert (data["stamped"], data["failed"], data["remaining"]) == (100, 0, 1)
    assert len(data["results"]) == 100
    data = raw.post(f"/clients/{client['id']}/stamp-pending-receipts").json()["data"]
    assert (data["stamped"], data["remaining"]) == (1, 0)


def test_stamp_pending_receipts_failures_are_reported(raw, sandbox, client, emitted):
    receipts = [_create(raw, client={"id": client["id"]}).json()["data"] for _ in range(2)]
    with sandbox.store.lock:
        sandbox.store.objects["clients"][client["id"]]["is_valid"] = False
    emitted.clear()
    data = raw.post(f"/clients/{client['id']}/stamp-pending-receipts").json()["data"]
    assert (data["stamped"], data["failed"], data["remaining"]) == (0, 2, 2)
    for row in data["results"]:
        assert row["status"] == "failed"
        assert row["error"]["code"] == "cfdi_service_error"
        assert "invoice_uuid" not in row
    assert [t for t, _ in emitted] == ["invoice.failed", "invoice.failed"]
    assert [_receipt(raw, r["id"]) for r in receipts] == receipts


@pytest.mark.parametrize(
    "overrides,fields",
    [
        ({"tax_id": None, "tax_system": None, "use": None}, {"tax_id", "tax_system"}),
        ({"address": None}, {"address.zip"}),
        ({"tax_id": "XAXX010101000", "tax_system": "616", "use": "S01"}, {"tax_id"}),
    ],
)
def test_stamp_pending_receipts_needs_fiscal_data(raw, overrides, fields):
    client = _client(raw, **overrides)
    receipt = _create(raw, client={"id": client["id"]}).json()["data"]
    response = raw.post(f"/clients/{client['id']}/stamp-pending-receipts")
    body = assert_api_error(response, 400, "business_rule_violation")
    assert {d["field"] for d in body["details"]} == fields
    assert _receipt(raw, receipt["id"]) == receipt


def test_stamp_pending_receipts_unknown_client(raw):
    response = raw.post("/clients/client_nope/stamp-pending-receipts")
    body = assert_api_error(response, 404, "resource_not_found")
    assert body["message"] == "Client not found"


def test_stamp_after_client_deleted_uses_the_receipts_copy(raw):
    client = _client(raw)
    receipt = _create(raw, client={"id": client["id"]}).json()["data"]
    assert raw.delete(f"/clients/{client['id']}").status_code == 200
    response = raw.post(f"/receipts/{receipt['id']}/stamp")
    assert response.status_code == 200, response.text
    invoice = raw.get(f"/invoices/income/{response.json()['data']['invoice_id']}").json()["data"]
    assert invoice["client"]["tax_id"] == client["tax_id"]
