"""``api.clients`` and ``api.services`` against the real sandbox over HTTP."""

from __future__ import annotations

import pytest

from tests.conftest import FROZEN_NOW
from tests.integration.test_client_support import (
    ITEM,
    assert_recent,
    assert_utc,
    at,
    client_body,
    scratch_team,
    unique,
)
from tests.support import synthetic_csf
from webapp.gigstack import NotFound, Page, ValidationError

# --------------------------------------------------------------------------- clients


def test_clients_create_returns_the_client_with_utc_times(api, teams, frozen_clock):
    body = client_body(metadata={"crm": 7})
    client = api.clients.create(body)
    assert client["id"].startswith("client_")
    assert {
        k: client[k] for k in ("name", "legal_name", "tax_id", "tax_system", "use", "email")
    } == {k: body[k] for k in ("name", "legal_name", "tax_id", "tax_system", "use", "email")}
    assert client["address"] == {"country": "MEX", "zip": "06600"}
    assert client["metadata"] == {"crm": 7}
    assert client["is_valid"] is True and client["livemode"] is False
    assert client["team"] == teams["partner"]
    assert assert_utc(client["created_at"]) == at(FROZEN_NOW)
    assert api.clients.get(client["id"]) == client


def test_clients_get_unknown_is_not_found(api):
    with pytest.raises(NotFound) as caught:
        api.clients.get("client_doesnotexist")
    assert caught.value.status == 404 and caught.value.code == "resource_not_found"
    assert caught.value.message == "Client not found"


def test_clients_list_is_one_page_newest_first(api):
    with scratch_team(api) as (team, scoped):
        made = [scoped.clients.create(client_body()) for _ in range(3)]
        page = scoped.clients.list(limit=2)
        assert isinstance(page, Page)
        assert [c["id"] for c in page] == [made[2]["id"], made[1]["id"]]
        assert page.has_more is True and page.next and page.total_results == 3
        assert all(c["team"] == team["id"] for c in page)
        for client in page:
            assert_recent(client["created_at"])
        last = scoped.clients.list(limit=2, next=page.next)
        assert [c["id"] for c in last] == [made[0]["id"]]
        assert last.has_more is False and last.next is None and last.total_results == 3


def test_clients_list_created_range_and_name_order(api, frozen_clock):
    with scratch_team(api) as (_, scoped):
        frozen_clock(FROZEN_NOW)
        old = scoped.clients.create(client_body(name="Beta"))
        frozen_clock(FROZEN_NOW + 100)
        new = scoped.clients.create(client_body(name="alfa"))
        late = scoped.clients.list(created_gte=at(FROZEN_NOW + 50))
        assert [c["id"] for c in late] == [new["id"]]
        early = scoped.clients.list(created_lte=FROZEN_NOW)
        assert [c["id"] for c in early] == [old["id"]]
        by_name = scoped.clients.list(order_by="name", sort="asc")
        assert [c["id"] for c in by_name] == [new["id"], old["id"]]


def test_clients_iter_walks_every_page_once(api):
    with scratch_team(api) as (_, scoped):
        made = {scoped.clients.create(client_body())["id"] for _ in range(7)}
        seen = [c["id"] for c in scoped.clients.iter(limit=3)]
        assert len(seen) == len(set(seen)) == 7
        assert set(seen) == made
        assert scoped.clients.list(limit=1).total_results == len(seen)
        assert [c["id"] for c in scoped.clients.iter(limit=3, max_pages=2)] == seen[:6]


def test_clients_search_by_marker_and_rfc(api):
    marker = unique()
    by_name = api.clients.create(client_body(name=f"Tienda {marker.upper()}"))
    by_email = api.clients.create(client_body(email=f"{marker}@shop.example.com"))
    page = api.clients.search(marker)
    assert [c["id"] for c in page] == [by_email["id"], by_name["id"]]
    assert page.total_results == 2 and page.has_more is False and page.next is None
    assert_utc(page[0]["created_at"])
    rfc = api.clients.search(by_name["tax_id"].lower())
    assert by_name["id"] in {c["id"] for c in rfc}


def test_clients_update_is_partial_and_visible_on_get(api):
    client = api.clients.create(
        client_body(phone="5550001111", address={"country": "MEX", "zip": "06600", "city": "CDMX"})
    )
    updated = api.clients.update(
        client["id"],
        {"phone": None, "address": {"street": "Reforma"}, "metadata": {"tier": "gold"}},
    )
    assert updated["id"] == client["id"]
    assert updated["phone"] is None
    assert updated["address"] == {
        "country": "MEX",
        "zip": "06600",
        "city": "CDMX",
        "street": "Reforma",
    }
    assert updated["metadata"] == {"tier": "gold"}
    assert updated["name"] == client["name"]
    assert api.clients.get(client["id"]) == updated


def test_clients_update_bad_rfc_is_a_validation_error_and_changes_nothing(api):
    """A well-formed RFC of a person on a company's regime: the server names ``tax_id``."""
    client = api.clients.create(client_body())
    with pytest.raises(ValidationError) as caught:
        api.clients.update(client["id"], {"tax_id": "FUNK671228PH6"})
    error = caught.value
    assert error.status == 400 and error.code == "invalid_field_value"
    assert error.field_errors == {
        "tax_id": [
            "tax regime 601 does not apply to a person (persona física): RFC FUNK671228PH6 has 13 "
            "characters"
        ]
    }
    assert api.clients.get(client["id"]) == client


def test_clients_create_several_problems_name_every_field(api):
    marker = unique()
    with pytest.raises(ValidationError) as caught:
        api.clients.create(
            {
                "name": f"Varios {marker}",
                "tax_id": "FUNK671228PH6",
                "tax_system": "601",
                "use": "D01",
            }
        )
    assert caught.value.code == "validation_failed"
    assert set(caught.value.field_errors) == {"tax_system", "use"}
    assert api.clients.search(marker).total_results == 0


def test_clients_delete_then_get_is_not_found(api):
    client = api.clients.create(client_body())
    assert api.clients.delete(client["id"]) == {"id": client["id"], "deleted": True}
    with pytest.raises(NotFound):
        api.clients.get(client["id"])
    with pytest.raises(NotFound):
        api.clients.delete(client["id"])


def test_clients_validate_reruns_the_sat_check(api):
    complete = api.clients.create(client_body())
    checked = api.clients.validate(complete["id"])
    assert checked["id"] == complete["id"]
    assert checked["is_valid"] is True and checked["efos"] == {"is_valid": True}
    assert_utc(checked["created_at"])
    efos = api.clients.create(client_body(tax_id="EFO150101AB7"))
    assert api.clients.validate(efos["id"])["efos"] == {"is_valid": False}
    bare = api.clients.create({"name": "Sin datos fiscales"})
    assert api.clients.validate(bare["id"])["is_valid"] is False
    with pytest.raises(NotFound):
        api.clients.validate("client_doesnotexist")


def test_clients_portal_link_by_id_and_by_email(api, sandbox, frozen_clock):
    client = api.clients.create(client_body())
    by_id = api.clients.portal_link(client["id"])
    assert by_id["url"].startswith(f"{sandbox.origin}/portal/{client['id']}?")
    assert assert_utc(by_id["expires_at"]) == at(FROZEN_NOW + 5 * 86400)
    by_email = api.clients.portal_link(email=client["email"].upper())
    assert by_email["url"].startswith(f"{sandbox.origin}/portal/{client['id']}?")
    with pytest.raises(ValueError):
        api.clients.portal_link()
    with pytest.raises(NotFound):
        api.clients.portal_link(email=f"{unique()}@nobody.example.com")


def test_clients_stamp_pending_receipts(api):
    client = api.clients.create(client_body())
    receipts = [
        api.receipts.create({"client": {"id": client["id"]}, "items": [ITEM]}) for _ in range(2)
    ]
    result = api.clients.stamp_pending_receipts(client["id"])
    assert (result["stamped"], result["failed"], result["remaining"]) == (2, 0, 0)
    assert {row["receipt_id"] for row in result["results"]} == {r["id"] for r in receipts}
    for row in result["results"]:
        assert row["status"] == "stamped"
        receipt = api.receipts.get(row["receipt_id"])
        assert receipt["status"] == "completed"
        assert receipt["invoice_id"] == row["invoice_uuid"]
        assert_utc(receipt["invoiced_at"])
        invoice = api.invoices.get(row["invoice_uuid"])
        assert invoice["client"]["id"] == client["id"] and invoice["payment_method"] == "PUE"
    assert api.clients.stamp_pending_receipts(client["id"]) == {
        "stamped": 0,
        "failed": 0,
        "remaining": 0,
        "results": [],
    }


def test_clients_upload_csf_creates_then_updates_by_rfc(api):
    with scratch_team(api) as (_, scoped):
        created = scoped.clients.upload_csf(synthetic_csf.moral_eku())
        assert (created["tax_id"], created["legal_name"], created["tax_system"]) == (
            "EKU9003173C9",
            "ESCUELA KEMPER URGATE",
            "601",
        )
        assert created["address"]["zip"] == "42501" and created["is_valid"] is True
        assert_utc(created["created_at"])
        scoped.clients.update(created["id"], {"name": "Kemper", "tax_system": "603"})
        again = scoped.clients.upload_csf(synthetic_csf.moral_eku(), filename="constancia.pdf")
        assert again["id"] == created["id"]
        assert (again["name"], again["tax_system"]) == ("Kemper", "601")
        found = scoped.clients.search("EKU9003173C9")
        assert [c["id"] for c in found] == [created["id"]]


def test_clients_upload_csf_into_a_given_client(api):
    target = api.clients.create({"name": "Escuela"})
    updated = api.clients.upload_csf(synthetic_csf.moral_eku(), client_id=target["id"])
    assert updated["id"] == target["id"]
    assert (updated["name"], updated["tax_id"]) == ("Escuela", "EKU9003173C9")
    assert api.clients.get(target["id"])["tax_id"] == "EKU9003173C9"


def test_clients_upload_csf_rejects_a_file_that_is_not_a_csf(api):
    with pytest.raises(ValidationError) as caught:
        api.clients.upload_csf(synthetic_csf.generic_pdf())
    assert caught.value.code == "invalid_file_format"
    assert list(caught.value.field_errors) == ["file"]


# --------------------------------------------------------------------------- services


SERVICE = {
    "description": "Soporte técnico",
    "unit_price": 850.5,
    "product_key": "81111500",
    "unit_key": "E48",
    "taxes": [{"type": "IVA", "rate": 0.16}],
}


def test_services_crud_round_trip(api):
    sku = unique("SKU-")
    service = api.services.create({**SERVICE, "sku": sku})
    assert service["id"].startswith("service_")
    assert (service["description"], service["unit_price"], service["sku"]) == (
        "Soporte técnico",
        850.5,
        sku,
    )
    assert service["taxes"][0]["type"] == "IVA" and service["taxes"][0]["rate"] == 0.16
    assert_recent(service["created_at"])
    assert api.services.get(service["id"]) == service
    updated = api.services.update(service["id"], {"unit_price": 900, "sku": None})
    assert (updated["unit_price"], updated["sku"]) == (900, None)
    assert updated["description"] == "Soporte técnico"
    assert api.services.get(service["id"]) == updated
    assert api.services.delete(service["id"]) == {"id": service["id"], "deleted": True}
    with pytest.raises(NotFound):
        api.services.get(service["id"])


def test_services_create_validation_names_fields(api):
    with pytest.raises(ValidationError) as caught:
        api.services.create({**SERVICE, "taxes": [{"type": "ISR", "rate": 0.1}]})
    assert caught.value.field_errors == {
        "taxes[0].withholding": ["ISR is only allowed as a withholding (withholding: true)"]
    }


def test_services_list_and_iter_on_a_sub_team(api):
    with scratch_team(api) as (team, scoped):
        made = [
            scoped.services.create({**SERVICE, "description": f"Servicio {n}"}) for n in range(5)
        ]
        page = scoped.services.list(limit=2)
        assert [s["id"] for s in page] == [made[4]["id"], made[3]["id"]]
        assert page.has_more is True and page.total_results == 5
        assert all(s["team"] == team["id"] for s in page)
        seen = [s["id"] for s in scoped.services.iter(limit=2, sort="asc")]
        assert seen == [s["id"] for s in made]
        assert api.services.list(limit=100, team=team["id"]).total_results == 5
        with pytest.raises(NotFound):
            api.services.get(made[0]["id"])  # another team's id
