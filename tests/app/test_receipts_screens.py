"""Receipts: status tabs and filters, the detail (self-invoice link, validity in Mexico City,
expired shown as such, the invoice it became), create once, stamp (only pending) and cancel
(pending or expired) — every transition allowed and refused."""

from __future__ import annotations

import re

import pytest

from tests.app.helpers import (
    audit_rows,
    field_error,
    input_value,
    post_form,
    receipt_form,
    tab_count,
    text_of,
    upstream_calls,
)

pytestmark = pytest.mark.databases


@pytest.fixture
def at_seed(frozen_clock):
    """gigstack's clock at the seed's anchor, when the seeded pending receipts are still open."""
    from webapp.sandbox.seed import SEED_ANCHOR

    frozen_clock(SEED_ANCHOR)


def _base(teams) -> str:
    return f"/teams/{teams['partner']}/receipts/"


def _one(sandbox, teams, test=None, status=None) -> dict:
    """A receipt as gigstack reads it now (a pending one past its date reads expired)."""
    from webapp.gigstack import GigstackClient

    api = GigstackClient(sandbox.keys()["partner_test"]["key"], base_url=sandbox.api_url)
    try:
        return next(
            r for r in api.receipts.iter(status=status, limit=100) if test is None or test(r)
        )
    finally:
        api.close()


def _stored(sandbox, teams, receipt_id: str) -> dict:
    return _one(sandbox, teams, test=lambda r: r["id"] == receipt_id)


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-receipt="([^"]+)">', html)


def test_status_tabs_count_and_filter(viewer, sandbox, teams):
    from webapp.gigstack import GigstackClient

    api = GigstackClient(sandbox.keys()["partner_test"]["key"], base_url=sandbox.api_url)
    every = list(api.receipts.iter(limit=100))
    api.close()
    html = viewer.get(_base(teams)).get_data(as_text=True)
    pending = sum(r["status"] == "pending" for r in every)
    assert re.search(rf'status=pending"[^>]*>Pendiente <span class="tab-count">{pending}<', html)
    tab = viewer.get(_base(teams), query_string={"status": "completed"}).get_data(as_text=True)
    statuses = {r["id"]: r["status"] for r in every}
    assert _rows(tab) and {statuses[i] for i in _rows(tab)} == {"completed"}
    client_id = next(r["client"]["id"] for r in every if r.get("client"))
    mine = viewer.get(_base(teams), query_string={"client_id": client_id}).get_data(as_text=True)
    owners = {r["id"]: (r.get("client") or {}).get("id") for r in every}
    assert _rows(mine) and {owners[i] for i in _rows(mine)} == {client_id}


def test_detail_of_a_pending_receipt_has_its_link_and_validity(viewer, sandbox, at_seed, teams):
    receipt = _one(sandbox, teams, status="pending")
    html = viewer.get(f"{_base(teams)}{receipt['id']}").get_data(as_text=True)
    assert f'value="{receipt["url"]}"' in html
    assert "Válido hasta" in text_of(html)


def test_a_completed_receipt_links_its_invoice(viewer, sandbox, teams):
    receipt = _one(sandbox, teams, status="completed")
    html = viewer.get(f"{_base(teams)}{receipt['id']}").get_data(as_text=True)
    assert f"/invoices/{receipt['invoice_id']}" in html
    assert receipt["url"] not in html  # nothing left to self-invoice


def test_an_expired_receipt_says_so_and_can_only_be_cancelled(viewer, operator, sandbox, teams):
    receipt = _one(sandbox, teams, status="expired")
    html = operator.get(f"{_base(teams)}{receipt['id']}").get_data(as_text=True)
    actions = re.search(r'data-testid="receipt-actions">(.*?)</div>', html, re.S).group(1)
    assert "Vencido" in text_of(html) and "/stamp" not in actions and "/cancel" in actions


def test_stamp_a_pending_receipt_and_link_the_invoice(
    app, operator, api, sandbox, at_seed, teams, restore_sandbox
):
    receipt = _one(
        sandbox,
        teams,
        status="pending",
        test=lambda r: (
            (r.get("client") or {}).get("tax_id")
            and r["client"]["tax_id"] not in ("XAXX010101000", "XEXX010101000")
        ),
    )
    path = f"{_base(teams)}{receipt['id']}/stamp"
    assert operator.get(path).status_code == 200
    first = post_form(operator, path, {})
    assert first.status_code == 302, text_of(first.get_data(as_text=True))[-700:]
    stored = _stored(sandbox, teams, receipt["id"])
    assert stored["status"] == "completed" and stored["invoice_id"]
    html = operator.get(first.headers["Location"]).get_data(as_text=True)
    assert f"/invoices/{stored['invoice_id']}" in html
    assert audit_rows(app, "receipt.stamp")[-1].object_id == receipt["id"]
    again = post_form(operator, path, {})  # a second click: refused, nothing stamped twice
    assert again.status_code == 422
    assert "Solo un recibo pendiente" in text_of(again.get_data(as_text=True))


def test_a_receipt_without_a_client_cannot_be_stamped(
    operator, sandbox, at_seed, teams, sandbox_requests
):
    receipt = _one(sandbox, teams, status="pending", test=lambda r: not r.get("client"))
    answer = post_form(operator, f"{_base(teams)}{receipt['id']}/stamp", {})
    assert answer.status_code == 422
    assert "no tiene cliente" in text_of(answer.get_data(as_text=True))
    assert not [r for r in sandbox_requests if r.path.endswith("/stamp")]


@pytest.mark.parametrize("status", ["completed", "cancelled", "expired"])
def test_stamp_is_refused_unless_pending(operator, sandbox, teams, status, sandbox_requests):
    receipt = _one(sandbox, teams, status=status)
    answer = post_form(operator, f"{_base(teams)}{receipt['id']}/stamp", {})
    assert answer.status_code == 422
    assert not [r for r in sandbox_requests if r.path.endswith("/stamp")]


@pytest.mark.parametrize("status", ["pending", "expired"])
def test_cancel_a_pending_or_expired_receipt_with_a_reason(
    app, operator, sandbox, at_seed, teams, status, restore_sandbox
):
    receipt = _one(sandbox, teams, status=status)
    path = f"{_base(teams)}{receipt['id']}/cancel"
    no_reason = post_form(operator, path, {"reason": ""})
    assert "Explica por qué" in field_error(no_reason.get_data(as_text=True), "reason")
    done = post_form(operator, path, {"reason": "venta devuelta"})
    assert done.status_code == 302
    assert _stored(sandbox, teams, receipt["id"])["status"] == "cancelled"
    assert audit_rows(app, "receipt.cancel")[-1].reason == "venta devuelta"


@pytest.mark.parametrize("status", ["completed", "cancelled"])
def test_cancel_is_refused_once_invoiced_or_cancelled(
    operator, sandbox, teams, status, sandbox_requests
):
    receipt = _one(sandbox, teams, status=status)
    answer = post_form(operator, f"{_base(teams)}{receipt['id']}/cancel", {"reason": "x"})
    assert answer.status_code == 422
    assert not [r for r in sandbox_requests if r.method == "DELETE"]


def test_create_a_receipt_once_for_publico_en_general(app, operator, api, teams, restore_sandbox):
    before = api.receipts.list(limit=1, team=teams["partner"]).total_results
    page = operator.get(f"{_base(teams)}new").get_data(as_text=True)
    key = input_value(page, "idempotency_key")
    data = receipt_form(key, **{"items-0-quantity": "2", "items-0-unit_price": "150"})
    first = post_form(operator, f"{_base(teams)}new", data)
    second = post_form(operator, f"{_base(teams)}new", data)
    assert first.status_code == second.status_code == 302, text_of(first.get_data(as_text=True))[
        :500
    ]
    assert first.headers["Location"] == second.headers["Location"]
    assert api.receipts.list(limit=1, team=teams["partner"]).total_results == before + 1
    receipt = api.receipts.get(first.headers["Location"].rsplit("/", 1)[1], team=teams["partner"])
    assert receipt["total"] == 348.0 and receipt["periodicity"] == "week"
    assert receipt["status"] == "pending" and not receipt.get("client")
    assert audit_rows(app, "receipt.create")[-1].object_id == receipt["id"]


@pytest.mark.state_stores
def test_a_receipt_made_here_shows_in_the_tab_counts_at_once(operator, teams, restore_sandbox):
    before = tab_count(operator.get(_base(teams)).get_data(as_text=True), "pending")
    kept = operator.get(_base(teams))
    assert upstream_calls(kept) == 1  # the counts are kept: only the page
    made = post_form(operator, f"{_base(teams)}new", receipt_form("count-me"))
    assert made.status_code == 302
    after = operator.get(_base(teams))
    assert tab_count(after.get_data(as_text=True), "pending") == before + 1
    assert upstream_calls(after) > 1  # counted again after the change


def test_create_refuses_bad_items_before_sending(operator, api, teams):
    before = api.receipts.list(limit=1, team=teams["partner"]).total_results
    answer = post_form(
        operator,
        f"{_base(teams)}new",
        {
            "idempotency_key": "r-bad",
            "items-0-description": "",
            "items-0-quantity": "0",
            "items-0-unit_price": "10",
            "items-0-product_key": "01010101",
            "items-0-unit_key": "H87",
            "currency": "MXN",
            "payment_form": "01",
            "action": "save",
        },
    )
    assert answer.status_code == 422
    assert "la cantidad debe ser mayor que 0" in text_of(answer.get_data(as_text=True))
    assert api.receipts.list(limit=1, team=teams["partner"]).total_results == before


def test_viewers_may_not_act(viewer, sandbox, at_seed, teams):
    receipt = _one(sandbox, teams, status="pending")
    for verb in ("stamp", "cancel"):
        assert viewer.get(f"{_base(teams)}{receipt['id']}/{verb}").status_code == 403
    assert viewer.get(f"{_base(teams)}new").status_code == 403
    assert viewer.get(f"/teams/{teams['outsider']}/receipts/").status_code == 404


def test_stamping_for_a_client_without_full_fiscal_data_shows_gigstacks_refusal(
    operator, api, teams, restore_sandbox
):
    client = api.clients.create(
        {
            "name": "Sin régimen",
            "legal_name": "SIN REGIMEN",
            "tax_id": "SIRE800101AB1",
            "email": "sin@regimen.mx",
        },
        team=teams["partner"],
    )
    receipt = api.receipts.create(
        {
            "client": {"id": client["id"]},
            "items": [
                {
                    "description": "Venta",
                    "quantity": 1,
                    "unit_price": 100,
                    "product_key": "01010101",
                    "unit_key": "H87",
                    "taxes": [],
                }
            ],
            "payment_form": "01",
        },
        team=teams["partner"],
    )
    answer = post_form(operator, f"{_base(teams)}{receipt['id']}/stamp", {}, htmx="stamp-form")
    assert answer.status_code == 422
    assert "banner" in answer.get_data(as_text=True)
    assert api.receipts.get(receipt["id"], team=teams["partner"])["status"] == "pending"
