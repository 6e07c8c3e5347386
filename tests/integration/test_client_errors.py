"""Typed errors, live mode, Connect and the search pagination stop rule, from the real sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_client_support import ITEM, client_body, scratch_team, unique
from webapp.gigstack import (
    Conflict,
    Forbidden,
    GigstackClient,
    GigstackError,
    NotFound,
    Page,
    Unauthorized,
    ValidationError,
    iter_items,
)

# --------------------------------------------------------------------------- typed errors


@pytest.mark.parametrize(
    "call",
    [
        lambda api: api.clients.get("client_doesnotexist"),
        lambda api: api.services.update("service_doesnotexist", {"unit_price": 1}),
        lambda api: api.invoices.get("00000000-0000-4000-A000-000000000000", "payment"),
        lambda api: api.payments.mark_paid("payment_doesnotexist", "03"),
        lambda api: api.receipts.get("receipt_doesnotexist"),
        lambda api: api.teams.get("team_doesnotexist"),
        lambda api: api.users.get("user_doesnotexist"),
        lambda api: api.webhooks.delete("wh_missing1"),
    ],
    ids=["clients", "services", "invoices", "payments", "receipts", "teams", "users", "webhooks"],
)
def test_unknown_ids_raise_not_found(api, call):
    with pytest.raises(NotFound) as caught:
        call(api)
    error = caught.value
    assert error.status == 404 and error.code == "resource_not_found"
    assert error.message.endswith("not found") and error.details == []


def test_bad_rfc_raises_validation_error_naming_tax_id(api):
    """A company RFC on a person's regime: the contract-valid body the server refuses."""
    marker = unique()
    with pytest.raises(ValidationError) as caught:
        api.clients.create({"name": marker, "tax_id": "EKU9003173C9", "tax_system": "612"})
    error = caught.value
    assert error.status == 400 and error.code == "invalid_field_value"
    assert error.field_errors == {
        "tax_system": [
            "tax regime 612 does not apply to a company (persona moral): RFC EKU9003173C9 has 12 "
            "characters"
        ]
    }
    client = api.clients.create(client_body())
    with pytest.raises(ValidationError) as caught:
        api.clients.update(client["id"], {"tax_id": "FUNK671228PH6"})
    assert list(caught.value.field_errors) == ["tax_id"]
    assert api.clients.search(marker).total_results == 0


def test_cancel_twice_raises_conflict(api):
    invoice = api.invoices.create_income(
        {"client": client_body(), "items": [dict(ITEM)], "payment_form": "03"}
    )
    api.invoices.cancel(invoice["uuid"], "03")
    with pytest.raises(Conflict) as caught:
        api.invoices.cancel(invoice["uuid"], "03")
    assert caught.value.status == 409 and caught.value.code == "resource_conflict"


def test_connect_to_the_outsider_team_raises_forbidden(api, teams):
    outsider = api.for_team(teams["outsider"])
    for call in (outsider.clients.list, outsider.invoices.list, outsider.webhooks.list):
        with pytest.raises(Forbidden) as caught:
            call()
        assert caught.value.status == 403 and caught.value.code == "forbidden"
    with pytest.raises(NotFound):
        api.for_team("team_doesnotexist").clients.list()


def test_outsider_key_has_no_connect(sandbox, keys, teams):
    with GigstackClient(keys["outsider_test"]["key"], base_url=sandbox.api_url) as outsider:
        assert [t["id"] for t in outsider.teams.list()] == [teams["outsider"]]
        with pytest.raises(Forbidden):
            outsider.for_team(teams["partner"]).services.list()


def test_made_up_key_raises_unauthorized(sandbox):
    stranger = GigstackClient("sk_test_madeup.not.issued", base_url=sandbox.api_url)
    with stranger, pytest.raises(Unauthorized) as caught:
        stranger.clients.list()
    error = caught.value
    assert error.status == 401 and error.code == "invalid_token"
    assert "sk_test_madeup" not in str(error) and "sk_test_madeup" not in repr(error)


def test_errors_share_one_base_class(api):
    with pytest.raises(GigstackError):
        api.clients.get("client_doesnotexist")


# --------------------------------------------------------------------------- modes / Connect


def test_live_key_sees_only_live_objects(sandbox, keys, api):
    with GigstackClient(keys["partner_live"]["key"], base_url=sandbox.api_url) as live:
        assert live.is_test is False and api.is_test is True
        made = live.clients.create(client_body())
        assert made["livemode"] is True
        assert live.clients.get(made["id"]) == made
        with pytest.raises(NotFound):
            api.clients.get(made["id"])
        test_client = api.clients.create(client_body())
        with pytest.raises(NotFound):
            live.clients.get(test_client["id"])
        invoice = live.invoices.create_income(
            {"client": {"id": made["id"]}, "items": [dict(ITEM)], "payment_form": "03"}
        )
        assert invoice["livemode"] is True
        assert live.invoices.get(invoice["uuid"])["uuid"] == invoice["uuid"]
        with pytest.raises(NotFound):
            api.invoices.get(invoice["uuid"])


def test_for_team_and_team_argument_are_the_same_call(api, teams):
    sub = teams["subs"][0]
    scoped = api.for_team(sub).services.list(limit=100)
    direct = api.services.list(team=sub, limit=100)
    assert [s["id"] for s in scoped] == [s["id"] for s in direct]
    assert scoped.items and all(s["team"] == sub for s in scoped)
    own = {s["id"] for s in api.services.list(limit=100)}
    assert not own & {s["id"] for s in scoped}


# --------------------------------------------------------------------------- search paging


def _counting(fetch: Any) -> tuple[list[int], Any]:
    calls: list[int] = []

    def wrapped(cursor: str | None) -> Page:
        calls.append(1)
        assert cursor is None, "a search page has no cursor to follow"
        return fetch(cursor)

    return calls, wrapped


def test_client_search_has_more_without_next_stops_iteration(api):
    with scratch_team(api) as (_, scoped):
        marker = unique()
        for n in range(3):
            scoped.clients.create(client_body(name=f"Lote {marker} {n}"))
        page = scoped.clients.search(marker, limit=2)
        assert page.has_more is True and page.next is None and page.next_cursor is None
        assert page.total_results == 3 and len(page) == 2
        calls, fetch = _counting(lambda cursor: scoped.clients.search(marker, limit=2))
        items = list(iter_items(fetch))
        assert len(calls) == 1 and [c["id"] for c in items] == [c["id"] for c in page]
        generic = list(api.iter("/clients/search", {"q": marker, "limit": 2}, team=scoped.team))
        assert [c["id"] for c in generic] == [c["id"] for c in page]


def test_invoice_search_has_more_without_next_stops_iteration(api):
    client = api.clients.create(client_body())
    for _ in range(3):
        api.invoices.create_income(
            {"client": {"id": client["id"]}, "items": [dict(ITEM)], "payment_form": "03"}
        )
    page = api.invoices.search(client["tax_id"], limit=2)
    assert page.has_more is True and page.next is None and len(page) == 2
    assert page.total_results == 3
    calls, fetch = _counting(lambda cursor: api.invoices.search(client["tax_id"], limit=2))
    assert len(list(iter_items(fetch))) == 2 and len(calls) == 1
    generic = list(api.iter("/invoices/search", {"q": client["tax_id"], "limit": 2}))
    assert [i["uuid"] for i in generic] == [i["uuid"] for i in page]
