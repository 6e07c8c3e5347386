"""The REP monitor against the seeded PPD invoices: open balances listed, a payment recorded
without its complement listed by deadline, and the link that fixes it."""

from __future__ import annotations

import re

import pytest

from tests.app.helpers import input_value, post_form, text_of

pytestmark = pytest.mark.databases


def _base(teams) -> str:
    return f"/teams/{teams['partner']}/rep/"


def _open_ppd(api, teams) -> list[dict]:
    return [
        inv
        for inv in api.invoices.iter(
            "income", status="valid", payment_method="PPD", limit=100, team=teams["partner"]
        )
        if inv.get("payment_method") == "PPD" and float(inv.get("last_balance") or 0) > 0
    ]


def test_the_open_ppd_invoices_are_listed_with_their_fix(viewer, api, teams):
    expected = _open_ppd(api, teams)
    assert expected, "the seed has PPD invoices with a balance"
    shell = viewer.get(_base(teams)).get_data(as_text=True)
    assert 'hx-trigger="load"' in shell and "<tr data-invoice" not in shell  # a lazy panel
    html = viewer.get(_base(teams), query_string={"full": "1", "refresh": "1"}).get_data(
        as_text=True
    )
    listed = re.findall(r'<tr data-invoice="([^"]+)">', html)
    assert set(listed) == {inv["uuid"] for inv in expected}
    assert "Monitor de REP" in text_of(html)
    panel = viewer.get(_base(teams), headers={"HX-Request": "true", "HX-Target": "rep-report"})
    assert set(re.findall(r'<tr data-invoice="([^"]+)">', panel.get_data(as_text=True))) == set(
        listed
    ) and "<html" not in panel.get_data(as_text=True)


def test_a_payment_without_its_complement_is_due_and_fixed_from_the_monitor(
    operator, api, sandbox, teams, restore_sandbox
):
    invoice = next(
        inv
        for inv in _open_ppd(api, teams)
        if inv["client"].get("tax_id") not in ("XAXX010101000", "XEXX010101000")
    )
    client_id = invoice["client"]["id"]
    loose = post_form(
        operator,
        f"/teams/{teams['partner']}/payments/new",
        {
            "idempotency_key": "rep-loose",
            "client_id": client_id,
            "items-0-description": "Abono",
            "items-0-quantity": "1",
            "items-0-unit_price": "10",
            "items-0-product_key": "84111506",
            "items-0-unit_key": "E48",
            "items-0-iva": "",
            "currency": "MXN",
            "payment_form": "03",
            "automation_type": "none",
            "action": "save",
        },
    )
    assert loose.status_code == 302
    payment_id = loose.headers["Location"].rsplit("/", 1)[1]
    cached = operator.get(_base(teams), query_string={"full": "1"}).get_data(as_text=True)
    html = operator.get(_base(teams), query_string={"full": "1", "refresh": "1"}).get_data(
        as_text=True
    )
    assert payment_id in html and ("Leído de gigstack" in text_of(cached))
    row = re.search(rf'<tr data-payment="{payment_id}">(.*?)</tr>', html, re.S)
    assert row and "sin automatización" in text_of(row.group(1))
    assert "días restantes" in text_of(row.group(1)) or "día restante" in text_of(row.group(1))
    fix = re.search(rf'href="([^"]*ppd_invoice_id={invoice["uuid"]}[^"]*)"', html).group(1)
    form = operator.get(fix.replace("&amp;", "&")).get_data(as_text=True)
    assert re.search(rf'<option selected value="{invoice["uuid"]}"', form)
    assert re.search(r'<option selected value="ppd_invoice_and_complement"', form)
    assert input_value(form, "client_id") == client_id


def test_another_teams_monitor_is_not_found(viewer, teams):
    assert viewer.get(f"/teams/{teams['outsider']}/rep/").status_code == 404


def test_a_long_list_shows_the_oldest_and_counts_the_rest(viewer, api, teams, monkeypatch):
    import webapp.rep.routes as rep_routes

    monkeypatch.setattr(rep_routes, "SHOWN_OPEN", 2)
    expected = sorted(_open_ppd(api, teams), key=lambda inv: inv["created_at"])
    html = viewer.get(_base(teams), query_string={"full": "1", "refresh": "1"}).get_data(
        as_text=True
    )
    assert re.findall(r'<tr data-invoice="([^"]+)">', html) == [i["uuid"] for i in expected[:2]]
    assert f"de {len(expected)}" in text_of(html) and "payment_method=PPD" in html
