"""Invoices after creation: folios, idempotency, lists, search, send, cancel, complements."""

from __future__ import annotations

import pytest

from tests.sandbox.test_invoices_support import (
    ITEM,
    company,
    create,
    detail,
    fields,
    income_body,
    person,
    unique,
    who,
)
from webapp.sandbox import builders, invoicing
from webapp.sandbox.errors import ApiError
from webapp.sandbox.validation import Checker


def _series(store, team_id, name=None, *, live=0, test=0):
    with store.lock:
        return builders.build_series(store, team_id, name or unique("T"), live=live, test=test)


# --------------------------------------------------------------------------- folios


def test_folios_count_per_series_and_per_mode(sandbox, raw, raw_live, teams):
    series = _series(sandbox.store, teams["partner"], test=41, live=7)
    name = series["series"]
    first = create(raw, series=name)
    second = create(raw, series=name.lower())  # series names match case-insensitively
    live = raw_live.post("/invoices/income", json=income_body(series=name)).json()["data"]
    assert (first["series"], first["folio_number"]) == (name, 42)
    assert (second["series"], second["folio_number"]) == (name, 43)
    assert (live["series"], live["folio_number"]) == (name, 8)
    assert (series["test"], series["live"]) == (43, 8)


def test_explicit_folio_conflict_and_counter_jump(sandbox, raw):
    series = _series(sandbox.store, raw_team(sandbox))
    name = series["series"]
    assert create(raw, series=name, folio_number=10)["folio_number"] == 10
    assert series["test"] == 10
    before = len(sandbox.store.objects["invoices"])
    response = raw.post("/invoices/income", json=income_body(series=name, folio_number=10))
    assert response.status_code == 409
    assert response.json()["error"] == "resource_already_exists"
    assert response.json()["details"] == [
        {"field": "folio_number", "message": f"10 is already used in series {name}"}
    ]
    assert len(sandbox.store.objects["invoices"]) == before
    assert create(raw, series=name, folio_number=3)["folio_number"] == 3
    assert series["test"] == 10
    assert create(raw, series=name)["folio_number"] == 11


def test_unknown_series_is_400(sandbox, raw):
    response = raw.post("/invoices/income", json=income_body(series="NOPE"))
    assert response.status_code == 400
    assert response.json()["details"] == [
        {"field": "series", "message": "'NOPE' is not a series of this team"}
    ]


def test_default_series_per_type(sandbox, raw):
    assert create(raw)["series"] == "A"
    assert create(raw, "egress")["series"] == "NC"


def test_team_without_series_gets_series_a(sandbox, raw, teams):
    store = sandbox.store
    with store.lock:
        team = builders.build_team(
            store,
            legal_name="NUEVA SIN SERIES",
            alias="Nueva",
            tax_id="NSS200101AB1",
            tax_system="601",
            owner=store.teams[teams["partner"]]["owner"],
            billing=store.teams[teams["partner"]]["_billing"],
            address={"zip": "06600"},
        )
    inv = raw.post("/invoices/income", json=income_body(), params={"team": team["id"]})
    assert inv.status_code == 201, inv.text
    assert (inv.json()["data"]["series"], inv.json()["data"]["folio_number"]) == ("A", 1)
    assert [(s["series"], s["test"], s["live"]) for s in store.series[team["id"]]] == [("A", 1, 0)]
    # a rejected invoice on a team without series creates nothing
    with store.lock:
        other = builders.build_team(
            store,
            legal_name="OTRA",
            alias="Otra",
            tax_id=None,
            tax_system=None,
            owner=team["owner"],
            billing=team["_billing"],
        )
    bad = raw.post(
        "/invoices/income", json=income_body(payment_form="99"), params={"team": other["id"]}
    )
    assert bad.status_code == 400 and not store.series.get(other["id"])


def raw_team(sandbox):
    return sandbox.store.key_by_name("partner_test").team


# --------------------------------------------------------------------------- idempotency


@pytest.mark.parametrize("kind", ["income", "egress"])
def test_idempotency_replay_and_conflict(sandbox, raw, kind):
    body = income_body(idempotency_key=f"idem-{unique()}")
    first = raw.post(f"/invoices/{kind}", json=body)
    assert first.status_code == 201
    count = len(sandbox.store.objects["invoices"])
    again = raw.post(f"/invoices/{kind}", json=body)
    assert again.status_code == 201 and again.json() == first.json()
    assert len(sandbox.store.objects["invoices"]) == count
    other = raw.post(f"/invoices/{kind}", json={**body, "metadata": {"x": 1}})
    assert other.status_code == 409 and other.json()["error"] == "resource_conflict"
    assert len(sandbox.store.objects["invoices"]) == count


def test_idempotency_key_is_per_mode(raw, raw_live):
    body = income_body(idempotency_key=f"idem-{unique()}")
    test = raw.post("/invoices/income", json=body).json()["data"]
    live = raw_live.post("/invoices/income", json=body).json()["data"]
    assert test["uuid"] != live["uuid"]


# --------------------------------------------------------------------------- get / list


def test_get_by_uuid_is_case_insensitive_and_typed(raw):
    inv = create(raw)
    got = raw.get(f"/invoices/income/{inv['uuid'].lower()}")
    assert got.status_code == 200
    assert got.json() == {"message": "Invoice retrieved successfully", "data": inv}
    for path in ("egress", "payment"):
        response = raw.get(f"/invoices/{path}/{inv['uuid']}")
        assert response.status_code == 404
        assert response.json() == {"message": "Invoice not found", "error": "resource_not_found"}


def test_other_mode_and_other_team_are_404(raw, raw_live, teams):
    inv = create(raw)
    assert raw_live.get(f"/invoices/income/{inv['uuid']}").status_code == 404
    assert (
        raw.get(f"/invoices/income/{inv['uuid']}", params={"team": teams["subs"][2]}).status_code
        == 404
    )


def test_list_filters(sandbox, raw):
    client = create(raw, client=company())["client"]
    ref = {"id": client["id"]}
    series = _series(sandbox.store, raw_team(sandbox))["series"]
    pue = create(raw, client=ref, series=series)
    ppd = create(raw, client=ref, payment_method="PPD", payment_form=None)
    cancelled = create(raw, client=ref)
    assert raw.delete(f"/invoices/{cancelled['uuid']}", json={"motive": "02"}).ok

    def uuids(**params):
        body = raw.get(
            "/invoices/income", params={"client_id": client["id"], "limit": 100, **params}
        ).json()
        assert body["total_results"] == len(body["data"])
        return {i["uuid"] for i in body["data"]}

    everything = uuids()
    assert {pue["uuid"], ppd["uuid"], cancelled["uuid"]} <= everything
    assert uuids(status="stamped") == everything - {cancelled["uuid"]}
    assert uuids(status="canceled") == {cancelled["uuid"]}
    assert uuids(status="draft") == set()
    assert uuids(payment_method="PPD") == {ppd["uuid"]}
    assert uuids(series=series) == {pue["uuid"]}
    bad = raw.get("/invoices/income", params={"status": "paid"})
    assert bad.status_code == 400
    assert bad.json()["details"] == [
        {"field": "status", "message": "'paid' is not a valid invoice status"}
    ]
    bad = raw.get("/invoices/income", params={"payment_method": "XYZ"})
    assert bad.status_code == 400 and fields(bad) == ["payment_method"]


def test_list_types_and_paging(raw):
    body = raw.get("/invoices/income", params={"limit": 5}).json()
    assert body["message"] == "Invoices retrieved successfully"
    assert len(body["data"]) == 5 and body["has_more"] is True and body["next"]
    assert all(i["invoice_type"] == "I" for i in body["data"])
    created = [i["created_at"] for i in body["data"]]
    assert created == sorted(created, reverse=True)
    page2 = raw.get("/invoices/income", params={"limit": 5, "next": body["next"]}).json()
    assert not {i["uuid"] for i in body["data"]} & {i["uuid"] for i in page2["data"]}
    for path, kind in (("egress", "E"), ("payment", "P")):
        data = raw.get(f"/invoices/{path}", params={"limit": 20}).json()["data"]
        assert data and all(i["invoice_type"] == kind for i in data)
    by_name = raw.get(
        "/invoices/income", params={"order_by": "name", "sort": "asc", "limit": 50}
    ).json()["data"]
    names = [(i["client"]["name"] or "").casefold() for i in by_name]
    assert names == sorted(names)


# --------------------------------------------------------------------------- search


def test_search_by_uuid_series_folio_and_client(raw):
    tag = unique("Zacatlán")
    inv = create(raw, client=person(name=f"Cliente {tag}"))
    found = raw.get("/invoices/search", params={"q": inv["uuid"][:8].lower()}).json()
    assert inv["uuid"] in {i["uuid"] for i in found["data"]}
    for q in (
        f"{inv['series']}-{inv['folio_number']}",
        f"{inv['series']}{inv['folio_number']}",
        f"{inv['series'].lower()}-{inv['folio_number']}",
    ):
        data = raw.get("/invoices/search", params={"q": q}).json()["data"]
        assert inv["uuid"] in {i["uuid"] for i in data}, q
    body = raw.get("/invoices/search", params={"q": tag.lower()}).json()
    assert [i["uuid"] for i in body["data"]] == [inv["uuid"]]
    assert body["total_results"] == 1 and body["has_more"] is False and "next" not in body
    assert (
        raw.get("/invoices/search", params={"q": inv["client"]["tax_id"]}).json()["total_results"]
        >= 1
    )


def test_search_limit_has_more_without_next(raw):
    body = raw.get("/invoices/search", params={"q": "a", "limit": 2}).json()
    assert len(body["data"]) == 2 and body["has_more"] is True and "next" not in body
    assert body["total_results"] > 2


def test_search_needs_q(raw):
    response = raw.get("/invoices/search")
    assert response.status_code == 400
    assert response.json()["error"] == "missing_required_field"
    assert response.json()["details"] == [{"field": "q", "message": "is required"}]


# --------------------------------------------------------------------------- send


def test_send_defaults_to_client_email_and_bcc(sandbox, raw):
    client = person(bcc=["conta@example.com", "socio@example.com"])
    inv = create(raw, client=client)
    response = raw.post(f"/invoices/{inv['uuid']}/send")
    assert response.status_code == 200
    assert response.json()["data"] == {
        "recipients": [client["email"], "conta@example.com", "socio@example.com"],
        "attachments": [f"{inv['uuid']}.pdf", f"{inv['uuid']}.xml"],
    }
    assert sandbox.store.extras["outbox"][-1]["to"] == response.json()["data"]["recipients"]


def test_send_to_given_addresses_and_errors(raw):
    inv = create(raw)
    ok = raw.post(f"/invoices/{inv['uuid']}/send", json={"emails": ["a@example.com"]})
    assert ok.json()["data"]["recipients"] == ["a@example.com"]
    bad = raw.post(
        f"/invoices/{inv['uuid']}/send", json={"emails": ["a@example.com", "not-an-address"]}
    )
    assert bad.status_code == 400
    assert bad.json()["details"] == [
        {"field": "emails[1]", "message": "'not-an-address' is not a valid e-mail address"}
    ]
    silent = create(raw, client=person(email=None))
    none = raw.post(f"/invoices/{silent['uuid']}/send", json={})
    assert none.status_code == 400 and none.json()["error"] == "missing_required_field"
    assert detail(none, "emails") == "is required: the client has no e-mail address"
    assert raw.post("/invoices/00000000-0000-4000-A000-000000000000/send").status_code == 404


# --------------------------------------------------------------------------- cancel


def test_cancel_valid_to_cancelled_then_409(sandbox, raw):
    inv = create(raw)
    response = raw.delete(f"/invoices/{inv['uuid'].lower()}", json={"motive": "02"})
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Invoice cancelled successfully"
    data = body["data"]
    assert data["status"] == "cancelled" and data["cancellation_status"] == "accepted"
    assert data["cancellation_motive"] == "02" and data["substitution_uuid"] is None
    assert isinstance(data["cancelled_at"], int)
    assert data["cancellation_receipt"].startswith("https://")
    again = raw.delete(f"/invoices/{inv['uuid']}", json={"motive": "02"})
    assert again.status_code == 409
    assert again.json() == {
        "message": "The invoice is already cancelled",
        "error": "resource_conflict",
    }
    assert raw.get(f"/invoices/income/{inv['uuid']}").json()["data"] == data


def test_cancel_motive_rules(raw):
    inv = create(raw)
    path = f"/invoices/{inv['uuid']}"
    response = raw.delete(path, json={})
    assert response.json()["error"] == "missing_required_field"
    assert response.json()["details"] == [{"field": "motive", "message": "is required"}]
    response = raw.delete(path, json={"motive": "05"})
    assert response.json()["details"] == [
        {"field": "motive", "message": "'05' is not a valid cancellation motive (01 to 04)"}
    ]
    response = raw.delete(path, json={"motive": "01"})
    assert response.json()["error"] == "missing_required_field"
    assert response.json()["details"] == [
        {"field": "substitution_uuid", "message": "is required when motive is 01"}
    ]
    response = raw.delete(path, json={"motive": "01", "substitution_uuid": inv["uuid"]})
    assert response.json()["details"] == [
        {
            "field": "substitution_uuid",
            "message": "must be another invoice than the one being cancelled",
        }
    ]
    unknown = "00000000-0000-4000-A000-000000000000"
    response = raw.delete(path, json={"motive": "01", "replacement": unknown})
    assert response.json()["details"] == [
        {"field": "replacement", "message": f"'{unknown}' is not a valid invoice of this team"}
    ]
    assert raw.get(f"/invoices/income/{inv['uuid']}").json()["data"]["status"] == "valid"
    assert raw.delete("/invoices/" + unknown, json={"motive": "02"}).status_code == 404


def test_cancel_with_substitute(raw):
    old = create(raw)
    dead = create(raw)
    assert raw.delete(f"/invoices/{dead['uuid']}", json={"motive": "03"}).ok
    response = raw.delete(
        f"/invoices/{old['uuid']}", json={"motive": "01", "substitution_uuid": dead["uuid"]}
    )
    assert response.status_code == 400 and fields(response) == ["substitution_uuid"]
    new = create(raw, related_documents=[{"relationship": "04", "documents": [old["uuid"]]}])
    response = raw.delete(
        f"/invoices/{old['uuid']}", json={"motive": "01", "replacement": new["uuid"].lower()}
    )
    assert response.status_code == 200
    assert response.json()["data"]["substitution_uuid"] == new["uuid"]
    assert response.json()["data"]["cancellation_motive"] == "01"


# --------------------------------------------------------------------------- complements


def test_payment_complement_lowers_balance_and_cancelling_restores_it(sandbox, raw):
    ppd = create(raw, client=company(), payment_method="PPD", payment_form=None)
    store = sandbox.store
    with store.lock:
        caller = who(store)
        stored = invoicing.find_invoice(caller, ppd["uuid"], "I")
        first = invoicing.issue_payment_complement(
            caller,
            payment={"id": "payment_demo", "payment_form": "03"},
            ppd_invoice=stored,
            amount=400,
        )
        second = invoicing.issue_payment_complement(
            caller, payment={"id": None, "payment_form": "01"}, ppd_invoice=stored, amount=100
        )
    assert first["invoice_type"] == "P" and first["use"] == "CP01"
    assert (first["subtotal"], first["total"]) == (0, 0)
    assert first["payment_form"] is None and first["payment_method"] is None
    assert first["series"] == "B" and first["last_balance"] is None
    item = first["items"][0]
    assert (item["description"], item["product_key"], item["unit_key"], item["unit_price"]) == (
        "Pago",
        "84111506",
        "ACT",
        0,
    )
    rows = [
        first["payment_complement"]["related_invoices"][0],
        second["payment_complement"]["related_invoices"][0],
    ]
    assert [
        (r["installment"], r["previous_balance"], r["amount_paid"], r["outstanding_balance"])
        for r in rows
    ] == [(1, 1160, 400, 760), (2, 760, 100, 660)]
    got = raw.get(f"/invoices/income/{ppd['uuid']}").json()["data"]
    assert (got["last_balance"], got["payment_complements"]) == (660, 2)
    listed = raw.get("/invoices/payment", params={"invoice_id": ppd["uuid"].lower()}).json()
    assert {i["uuid"] for i in listed["data"]} == {first["uuid"], second["uuid"]}
    assert raw.get(f"/invoices/payment/{first['uuid']}").status_code == 200
    assert raw.get(f"/invoices/income/{first['uuid']}").status_code == 404
    assert raw.delete(f"/invoices/{first['uuid']}", json={"motive": "02"}).status_code == 200
    got = raw.get(f"/invoices/income/{ppd['uuid']}").json()["data"]
    assert (got["last_balance"], got["payment_complements"]) == (1060, 1)


def test_payment_complement_cannot_exceed_balance(sandbox, raw):
    ppd = create(raw, payment_method="PPD", payment_form=None)
    pue = create(raw)
    store = sandbox.store
    before = len(store.objects["invoices"])
    with store.lock:
        caller = who(store)
        with pytest.raises(ApiError) as error:
            invoicing.issue_payment_complement(
                caller,
                payment={"payment_form": "03"},
                ppd_invoice=invoicing.find_invoice(caller, ppd["uuid"]),
                amount=2000,
            )
        assert error.value.code == "business_rule_violation"
        assert error.value.details == [
            {
                "field": "payment_complement.related_invoices[0].amount_paid",
                "message": "must not exceed the outstanding balance 1160.00",
            }
        ]
        with pytest.raises(ApiError) as error:
            invoicing.issue_payment_complement(
                caller,
                payment={"payment_form": "03"},
                ppd_invoice=invoicing.find_invoice(caller, pue["uuid"]),
                amount=10,
            )
        assert error.value.details[0]["message"] == "is not a PPD income invoice"
    assert len(store.objects["invoices"]) == before
    assert raw.get(f"/invoices/income/{ppd['uuid']}").json()["data"]["last_balance"] == 1160


def test_resolve_helpers_are_two_phase(sandbox):
    """Resolving a new client or an auto-created service stores nothing until committed."""
    store = sandbox.store
    with store.lock:
        caller = who(store)
        check = Checker()
        before = (len(store.objects["clients"]), len(store.objects["services"]))
        choice = invoicing.resolve_client_ref(caller, person(), check)
        sku = unique("NEW-")
        items = invoicing.resolve_items(
            caller,
            [
                {
                    **ITEM,
                    "sku": sku,
                    "search": {"on_key": "sku", "on_value": sku, "auto_create": True},
                }
            ],
            check,
        )
        assert not check and choice.is_new
        assert (len(store.objects["clients"]), len(store.objects["services"])) == before
        invoicing.commit_client(caller, choice)
        invoicing.commit_client(caller, choice)  # once only
        invoicing.commit_items(caller, items)
        assert (len(store.objects["clients"]), len(store.objects["services"])) == (
            before[0] + 1,
            before[1] + 1,
        )
        assert "_new_service" not in items[0]
