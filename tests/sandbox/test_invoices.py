"""Creating invoices: the stamping rules of REFERENCE §4, totals (§1.10), references (§12.1–2)."""

from __future__ import annotations

import time

import pytest

from tests.sandbox.test_invoices_support import (
    ITEM,
    IVA16,
    company,
    create,
    detail,
    fields,
    income_body,
    person,
    unique,
)


def _counts(store):
    return (
        len(store.objects["invoices"]),
        len(store.objects["clients"]),
        len(store.objects["services"]),
    )


def _rejected(sandbox, raw, body, kind="income", key=None):
    """POST ``body``; assert nothing was stored; return the response."""
    before = _counts(sandbox.store)
    response = raw.post(f"/invoices/{kind}", json=body, key=key)
    assert response.status_code >= 400
    assert _counts(sandbox.store) == before
    return response


# --------------------------------------------------------------------------- happy path


def test_create_income_invoice_shape(raw, teams):
    response = raw.post("/invoices/income", json=income_body())
    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Invoice created successfully"
    inv = body["data"]
    assert inv["invoice_type"] == "I" and inv["status"] == "valid"
    assert inv["uuid"] == inv["uuid"].upper() and len(inv["uuid"]) == 36
    assert inv["client"]["id"].startswith("client_")
    assert set(inv["client"]) == {"id", "name", "legal_name", "email", "tax_id"}
    assert inv["items"][0]["id"].startswith("item_") and inv["items"][0]["service"] is None
    assert inv["items"][0]["taxability"] == "02" and inv["items"][0]["quantity"] == 1
    assert (inv["subtotal"], inv["discount"], inv["taxes"], inv["total"]) == (1000, 0, 160, 1160)
    assert inv["payment_method"] == "PUE" and inv["payment_form"] == "03"
    assert inv["use"] == "G03" and inv["exports"] == "01" and inv["currency"] == "MXN"
    assert inv["last_balance"] is None and inv["payment_complements"] == 0
    assert inv["payment_complement"] is None and inv["global"] is None
    assert inv["cancellation_status"] is None and inv["cancelled_at"] is None
    assert inv["livemode"] is False and inv["team"] == teams["partner"]
    assert inv["stamp"]["stamp_at"] == inv["created_at"]
    assert "files" not in inv and not any(k.startswith("_") for k in inv)
    sello = inv["stamp"]["sello"]
    assert inv["verification_url"] == (
        "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx?"
        f"id={inv['uuid']}&re=OCD180312QX5&rr=PEGL800101AB1&tt=1160.00&fe="
        + sello[-8:].replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    )


def test_inline_client_is_created_and_id_reference_reuses_it(sandbox, raw):
    first = create(raw)
    client_id = first["client"]["id"]
    assert sandbox.store.objects["clients"][client_id]["is_valid"] is True
    second = create(raw, client={"id": client_id})
    assert second["client"] == first["client"]


def test_unknown_client_id_is_400_on_client_id(sandbox, raw):
    response = _rejected(sandbox, raw, income_body(client={"id": "client_nope"}))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_field_value"
    assert detail(response, "client.id") == "No client with id 'client_nope' in this team"


def test_client_search_one_match_none_and_auto_create(sandbox, raw):
    email = f"busca{unique()}@example.com"
    made = create(raw, client=person(email=email))
    found = create(raw, client={"search": {"on_key": "email", "on_value": email.upper()}})
    assert found["client"]["id"] == made["client"]["id"]
    missing = f"nadie{unique()}@example.com"
    response = _rejected(
        sandbox, raw, income_body(client={"search": {"on_key": "email", "on_value": missing}})
    )
    assert response.json()["error"] == "invalid_field_value"
    assert fields(response) == ["client.search.on_value"]
    auto = create(
        raw, client=person(email=missing, search={"on_key": "email", "auto_create": True})
    )
    assert auto["client"]["email"] == missing


def test_client_search_with_several_matches_is_409(sandbox, raw):
    name = f"Gemelos {unique()}"
    create(raw, client=person(name=name))
    create(raw, client=person(name=name))
    response = _rejected(
        sandbox, raw, income_body(client={"search": {"on_key": "name", "on_value": name}})
    )
    assert response.status_code == 409
    assert response.json()["error"] == "resource_conflict"


def test_item_from_service_id_and_search_auto_create(sandbox, raw):
    service = raw.get("/services", params={"limit": 1}).json()["data"][0]
    inv = create(raw, items=[{"id": service["id"], "quantity": 2}])
    item = inv["items"][0]
    assert item["service"] == service["id"]
    assert item["description"] == service["description"]
    assert item["unit_price"] == service["unit_price"] and item["quantity"] == 2
    assert item["taxes"] == service["taxes"]
    sku = f"SKU-{unique()}"
    made = create(
        raw,
        items=[
            {**ITEM, "sku": sku, "search": {"on_key": "sku", "on_value": sku, "auto_create": True}}
        ],
    )
    service_id = made["items"][0]["service"]
    assert raw.get(f"/services/{service_id}").json()["data"]["sku"] == sku
    again = create(raw, items=[{"search": {"on_key": "sku", "on_value": sku}, "quantity": 3}])
    assert again["items"][0]["service"] == service_id
    response = _rejected(
        sandbox, raw, income_body(items=[{"search": {"on_key": "sku", "on_value": "NO-EXISTE"}}])
    )
    assert fields(response) == ["items[0].search.on_value"]


def test_return_files_urls_and_metadata(raw):
    inv = create(raw, return_files_urls=True, metadata={"order": "A-77"})
    assert set(inv["files"]) == {"pdf", "xml"}
    assert inv["files"]["pdf"].startswith(raw.origin + "/files/")
    assert inv["metadata"] == {"order": "A-77"}


def test_ppd_forces_99_and_opens_balance(raw):
    inv = create(raw, payment_method="PPD", payment_form=None)
    assert inv["payment_form"] == "99" and inv["last_balance"] == inv["total"] == 1160


def test_foreign_currency_needs_exchange_rate(sandbox, raw):
    response = _rejected(sandbox, raw, income_body(currency="USD"))
    assert response.json()["error"] == "missing_required_field"
    assert detail(response, "exchange_rate") == "is required when currency is USD"
    inv = create(raw, currency="USD", exchange_rate=17.25)
    assert inv["currency"] == "USD" and inv["exchange_rate"] == 17.25


# --------------------------------------------------------------------------- rules


def test_receiver_must_be_complete(sandbox, raw):
    response = _rejected(sandbox, raw, income_body(client={"name": "Sin datos fiscales"}))
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_failed"
    assert sorted(fields(response)) == [
        "client.address.zip",
        "client.legal_name",
        "client.tax_id",
        "client.tax_system",
    ]
    assert detail(response, "client.tax_id") == "is required to invoice this client"


def test_single_missing_receiver_field_has_its_own_code(sandbox, raw):
    client = person()
    del client["address"]
    response = _rejected(sandbox, raw, income_body(client=client))
    assert response.json()["error"] == "missing_required_field"
    assert response.json()["message"] == "client.address.zip: is required to invoice this client"


def test_use_must_fit_the_receiver_regime(sandbox, raw):
    response = _rejected(sandbox, raw, income_body(client=company(), use="D01"))
    assert response.json()["error"] == "invalid_field_value"
    assert detail(response, "use") == "'D01' is not allowed for the receiver's tax regime 601"
    response = _rejected(sandbox, raw, income_body(use="Z99"))
    assert detail(response, "use") == "'Z99' is not a valid CFDI use"


def test_p01_is_accepted(raw):
    assert create(raw, client=company(), use="P01")["use"] == "P01"


@pytest.mark.parametrize(
    ("method", "form", "code", "message"),
    [
        (
            "PPD",
            "03",
            "business_rule_violation",
            "must be 99 (to be defined) when payment_method is PPD",
        ),
        (
            "PUE",
            "99",
            "business_rule_violation",
            "99 (to be defined) is only allowed with payment_method PPD",
        ),
        ("PUE", None, "missing_required_field", "is required when payment_method is PUE"),
        (None, "77", "invalid_field_value", "'77' is not a valid payment form"),
    ],
)
def test_payment_method_and_form(sandbox, raw, method, form, code, message):
    body = income_body(payment_form=form)
    if method:
        body["payment_method"] = method
    response = _rejected(sandbox, raw, body)
    assert response.json()["error"] == code
    assert response.json()["details"] == [{"field": "payment_form", "message": message}]


@pytest.mark.parametrize(
    ("item", "field", "code", "message"),
    [
        ({**ITEM, "quantity": 0}, "items[0].quantity", "invalid_field_value", "must be > 0"),
        ({**ITEM, "unit_price": -1}, "items[0].unit_price", "invalid_field_value", "must be >= 0"),
        (
            {**ITEM, "product_key": "123"},
            "items[0].product_key",
            "invalid_field_value",
            "'123' is not a valid SAT product key (8 digits)",
        ),
        (
            {k: v for k, v in ITEM.items() if k != "unit_key"},
            "items[0].unit_key",
            "missing_required_field",
            "is required",
        ),
        (
            {**ITEM, "taxes": [{"type": "ISR", "rate": 0.1}]},
            "items[0].taxes[0].withholding",
            "invalid_field_value",
            "ISR is only allowed as a withholding (withholding: true)",
        ),
        (
            {**ITEM, "taxes": [{"type": "IVA", "rate": 0.16, "factor": "Exento"}]},
            "items[0].taxes[0].factor",
            "invalid_field_value",
            "Exento is only allowed on transferred taxes with rate 0",
        ),
        (
            {**ITEM, "taxes": [{"type": "IVA", "rate": 1, "factor": "Cuota"}]},
            "items[0].taxes[0].factor",
            "invalid_field_value",
            "Cuota is only allowed for IEPS",
        ),
        ({**ITEM, "discount": -5}, "items[0].discount", "invalid_field_value", "must be >= 0"),
        (
            {**ITEM, "discount": 2000},
            "items[0].discount",
            "invalid_field_value",
            "must not exceed the line amount (quantity × unit_price)",
        ),
        (
            {**ITEM, "taxability": "09"},
            "items[0].taxability",
            "invalid_field_value",
            "'09' is not a valid taxability code (01 to 08)",
        ),
        (
            {"id": "service_nope"},
            "items[0].id",
            "invalid_field_value",
            "No service with id 'service_nope' in this team",
        ),
    ],
)
def test_item_rules(sandbox, raw, item, field, code, message):
    response = _rejected(sandbox, raw, income_body(items=[item]))
    assert response.json()["error"] == code
    assert response.json()["details"] == [{"field": field, "message": message}]


def test_items_required_and_non_empty(sandbox, raw):
    body = income_body()
    del body["items"]
    response = _rejected(sandbox, raw, body)
    assert response.json()["details"] == [{"field": "items", "message": "is required"}]
    response = _rejected(sandbox, raw, income_body(items=[]))
    assert response.json()["error"] == "missing_required_field"
    assert response.json()["details"] == [
        {"field": "items", "message": "must have at least 1 item"}
    ]


def test_third_party_needs_all_fields(sandbox, raw):
    response = _rejected(
        sandbox, raw, income_body(items=[{**ITEM, "third_party": {"tax_id": "ACM010101AB1"}}])
    )
    assert sorted(fields(response)) == [
        "items[0].third_party.legal_name",
        "items[0].third_party.tax_system",
        "items[0].third_party.zip",
    ]
    tp = {"tax_id": "ACM010101AB1", "legal_name": "ACME", "tax_system": "601", "zip": "01000"}
    assert create(raw, items=[{**ITEM, "third_party": tp}])["items"][0]["third_party"] == tp


def test_related_documents_rules(sandbox, raw, raw_live):
    target = create(raw)
    response = _rejected(
        sandbox,
        raw,
        income_body(related_documents=[{"relationship": "08", "documents": [target["uuid"]]}]),
    )
    assert response.json()["details"] == [
        {
            "field": "related_documents[0].relationship",
            "message": "'08' is not valid in CFDI 4.0 (use 01 to 07)",
        }
    ]
    unknown = "00000000-0000-4000-A000-000000000000"
    response = _rejected(
        sandbox,
        raw,
        income_body(
            related_documents=[{"relationship": "04", "documents": [target["uuid"], unknown]}]
        ),
    )
    assert response.json()["details"] == [
        {
            "field": "related_documents[0].documents[1]",
            "message": f"No invoice with uuid '{unknown}' in this team",
        }
    ]
    # a live invoice is not a document of the test mode
    live = raw_live.post("/invoices/income", json=income_body()).json()["data"]
    response = _rejected(
        sandbox,
        raw,
        income_body(related_documents=[{"relationship": "04", "documents": [live["uuid"]]}]),
    )
    assert fields(response) == ["related_documents[0].documents[0]"]
    made = create(
        raw, related_documents=[{"relationship": "04", "documents": [target["uuid"].lower()]}]
    )
    assert made["related_documents"] == [{"relationship": "04", "documents": [target["uuid"]]}]


def test_public_in_general_needs_s01_and_global(sandbox, raw):
    store = sandbox.store
    with store.lock:
        public = next(
            c
            for c in store.all("clients", raw_team(sandbox), False)
            if c["tax_id"] == "XAXX010101000"
        )
    ref = {"id": public["id"]}
    response = _rejected(sandbox, raw, income_body(client=ref, use="G03"))
    assert sorted(fields(response)) == ["global", "use"]
    assert detail(response, "use") == "must be S01 for the receiver XAXX010101000"
    assert detail(response, "global") == (
        "is required for a global invoice to PUBLICO EN GENERAL (periodicity, months, year)"
    )
    response = _rejected(
        sandbox,
        raw,
        {**income_body(client=ref), "global": {"periodicity": "04", "months": "13", "year": 2026}},
    )
    assert response.json()["details"] == [
        {
            "field": "global.months",
            "message": "13 does not go with periodicity 04 (13 to 18 are bimesters, only with 05)",
        }
    ]
    response = _rejected(
        sandbox, raw, {**income_body(client=ref), "global": {"periodicity": "09", "months": "01"}}
    )
    assert sorted(fields(response)) == ["global.periodicity", "global.year"]
    inv = create(raw, client=ref, **{"global": {"periodicity": "05", "months": "14", "year": 2026}})
    assert inv["use"] == "S01"
    assert inv["global"] == {"periodicity": "05", "months": "14", "year": 2026}


def test_global_only_for_public_in_general(sandbox, raw):
    response = _rejected(
        sandbox,
        raw,
        {**income_body(), "global": {"periodicity": "04", "months": "01", "year": 2026}},
    )
    assert detail(response, "global") == (
        "is only allowed on a global invoice (receiver XAXX010101000, PUBLICO EN GENERAL)"
    )


def raw_team(sandbox):
    return sandbox.store.key_by_name("partner_test").team


def test_live_mode_needs_the_team_csd(sandbox, raw_live, teams):
    team = sandbox.store.teams[teams["eku"]]
    credits = team["used_credits"]
    before = _counts(sandbox.store)
    response = raw_live.post("/invoices/income", json=income_body(), params={"team": teams["eku"]})
    assert response.status_code == 400
    assert response.json() == {
        "message": "Live invoices need the team's CSD: upload it (sat.completed is false) or "
        "use a test key",
        "error": "business_rule_violation",
        "details": [],
    }
    assert _counts(sandbox.store) == before and team["used_credits"] == credits


def test_live_invoice_uses_a_credit(sandbox, raw_live, teams):
    team = sandbox.store.teams[teams["partner"]]
    credits = team["used_credits"]
    inv = raw_live.post("/invoices/income", json=income_body()).json()["data"]
    assert inv["livemode"] is True
    assert team["used_credits"] == credits + 1


def test_test_invoice_uses_no_credit(sandbox, raw, teams):
    team = sandbox.store.teams[teams["partner"]]
    credits = team["used_credits"]
    create(raw)
    assert team["used_credits"] == credits


def test_receiver_failing_the_sat_check_is_422_and_fires_invoice_failed(sandbox, raw, teams):
    store = sandbox.store
    made = create(raw, client=company())
    client = store.objects["clients"][made["client"]["id"]]
    hook = {
        "id": "wh_failtest",
        "url": "http://127.0.0.1:9/hook",
        "events": ["invoice.failed"],
        "status": "active",
        "description": None,
        "owner": "x",
        "created_at": 0,
        "_team": teams["partner"],
    }
    with store.lock:
        client["is_valid"] = False
        client["tax_system"] = "612"  # a person's regime on a company RFC
        store.add("webhooks", hook["id"], hook)
    try:
        before = _counts(store)
        response = raw.post("/invoices/income", json=income_body(client={"id": client["id"]}))
        assert response.status_code == 422
        body = response.json()
        assert body["error"] == "cfdi_service_error"
        assert body["details"] == [
            {
                "field": "client.tax_system",
                "message": "tax regime 612 does not apply to a company (RFC ACM010101AB1)",
            }
        ]
        assert _counts(store) == before
        deadline = time.time() + 5
        while time.time() < deadline and not any(
            d["webhook"] == "wh_failtest" for d in store.deliveries
        ):
            time.sleep(0.05)
        assert [d["type"] for d in store.deliveries if d["webhook"] == "wh_failtest"] == [
            "invoice.failed"
        ]
    finally:
        with store.lock:
            client["is_valid"], client["tax_system"] = True, "601"
            store.remove("webhooks", hook["id"])


def test_several_problems_are_reported_together(sandbox, raw):
    response = _rejected(
        sandbox,
        raw,
        {
            "client": person(),
            "items": [{**ITEM, "quantity": -1}],
            "payment_form": "99",
            "folio_number": 0,
        },
    )
    assert response.json()["error"] == "validation_failed"
    assert sorted(fields(response)) == ["folio_number", "items[0].quantity", "payment_form"]


def test_body_must_be_json_object(raw):
    response = raw.post("/invoices/income", data="[]", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request_body"


def test_egress_defaults_and_credit_note_link(raw):
    origin = create(raw, client=company())
    note = create(
        raw,
        "egress",
        client={"id": origin["client"]["id"]},
        items=[{**ITEM, "unit_price": 100}],
        related_documents=[{"relationship": "01", "documents": [origin["uuid"]]}],
    )
    assert note["invoice_type"] == "E" and note["use"] == "G02" and note["series"] == "NC"
    assert note["total"] == 116
    assert note["related_documents"][0]["documents"] == [origin["uuid"]]


# --------------------------------------------------------------------------- totals


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        # IVA 16 %
        ([{**ITEM}], (1000, 0, 160, 1160)),
        # ISR 10 % and IVA 2/3 withheld (honorarios): 160 − 100 − 106.67
        (
            [
                {
                    **ITEM,
                    "taxes": [
                        IVA16,
                        {"type": "isr", "rate": 0.1, "withholding": True},
                        {"type": "IVA", "rate": 0.106667, "withholding": True},
                    ],
                }
            ],
            (1000, 0, -46.67, 953.33),
        ),
        # unit price that already includes IVA
        ([{**ITEM, "unit_price": 116, "taxes": [{**IVA16, "inclusive": True}]}], (100, 0, 16, 116)),
        # discount lowers the tax base
        ([{**ITEM, "quantity": 2, "unit_price": 500, "discount": 100}], (1000, 100, 144, 1044)),
        # IEPS per unit (Cuota) + IVA
        (
            [
                {
                    **ITEM,
                    "quantity": 3,
                    "unit_price": 20,
                    "taxes": [{"type": "IEPS", "rate": 1.5, "factor": "Cuota"}, IVA16],
                }
            ],
            (60, 0, 14.82, 74.82),  # IVA on 60 + 4.50 of IEPS (LIVA art. 12)
        ),
        # exempt IVA
        ([{**ITEM, "taxes": [{"type": "IVA", "rate": 0, "factor": "Exento"}]}], (1000, 0, 0, 1000)),
        # no taxes: taxability 01; half-up rounding of the subtotal
        ([{**ITEM, "unit_price": 10.125, "taxes": []}], (10.13, 0, 0, 10.13)),
        # several lines
        ([{**ITEM}, {**ITEM, "unit_price": 250.5, "quantity": 2}], (1501, 0, 240.16, 1741.16)),
    ],
)
def test_totals(raw, items, expected):
    inv = create(raw, items=items)
    assert (inv["subtotal"], inv["discount"], inv["taxes"], inv["total"]) == expected
    assert inv["total"] == round(inv["subtotal"] - inv["discount"] + inv["taxes"], 2)


def test_taxability_defaults(raw):
    inv = create(raw, items=[{**ITEM, "taxes": []}, {**ITEM, "taxes": [], "taxability": "03"}])
    assert [i["taxability"] for i in inv["items"]] == ["01", "03"]
