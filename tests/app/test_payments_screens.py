"""Payments: status tabs with counts and filters in the URL, the detail (items, refunds and
the refundable remainder, documents linked, history, buttons by state), and every transition of
§5's state machine — mark paid, refund (partial then full, above the remainder, zero), cancel —
allowed and refused, each once however often it is clicked."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.app.helpers import (
    audit_rows,
    field_error,
    input_value,
    payment_form,
    post_form,
    said,
    tab_count,
    text_of,
    upstream_calls,
)

pytestmark = pytest.mark.databases


def _base(teams) -> str:
    return f"/teams/{teams['partner']}/payments/"


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-payment="([^"]+)">', html)


# -- list -------------------------------------------------------------------------------------


def test_status_tabs_count_and_filter(viewer, stored, teams):
    every = stored("payments", teams["partner"])
    html = viewer.get(_base(teams)).get_data(as_text=True)
    succeeded = sum(p["status"] == "succeeded" for p in every)
    assert re.search(rf'status=succeeded"[^>]*>Pagado <span class="tab-count">{succeeded}<', html)
    tab = viewer.get(_base(teams), query_string={"status": "cancelled"}).get_data(as_text=True)
    statuses = {p["id"]: p["status"] for p in every}
    assert _rows(tab) and {statuses[i] for i in _rows(tab)} == {"cancelled"}


def _counts(requests) -> list[str]:
    """The statuses counted (``limit=1`` calls of ``GET /payments``), one per call made."""
    return [
        re.search(r"status=(\w+)", r.query).group(1)
        for r in requests
        if r.path == "/v2/payments" and "limit=1" in r.query.split("&")
    ]


@pytest.mark.state_stores
def test_with_its_counts_kept_the_list_costs_one_call(viewer, teams, sandbox_requests):
    first = viewer.get(_base(teams)).get_data(as_text=True)
    assert _counts(sandbox_requests)  # counted once…
    sandbox_requests.clear()
    again = viewer.get(_base(teams))
    tab = viewer.get(_base(teams), query_string={"status": "cancelled"})
    assert upstream_calls(again) == upstream_calls(tab) == 1  # …then only the page
    assert [r.path for r in sandbox_requests] == ["/v2/payments"] * 2
    assert not _counts(sandbox_requests)
    html = again.get_data(as_text=True)
    assert tab_count(html, "succeeded") == tab_count(first, "succeeded") is not None


def _payment(client_id: str) -> dict[str, str]:
    """The new-payment form for 10 MXN received from ``client_id``, no automation."""
    return payment_form(
        client_id, idempotency_key=f"count-me-{client_id}", **{"items-0-unit_price": "10"}
    )


@pytest.mark.state_stores
def test_a_payment_made_here_shows_in_the_tab_counts_at_once(
    operator, api, stored, teams, restore_sandbox
):
    before = tab_count(operator.get(_base(teams)).get_data(as_text=True), "succeeded")
    client_id = stored.one("payments", teams["partner"], status="succeeded")["client"]["id"]
    made = post_form(operator, f"{_base(teams)}new", _payment(client_id))
    assert made.status_code == 302
    payment = api.payments.get(made.headers["Location"].rsplit("/", 1)[1], team=teams["partner"])
    assert payment["status"] == "succeeded"
    after = operator.get(_base(teams)).get_data(as_text=True)
    assert tab_count(after, "succeeded") == before + 1


def test_who_made_a_change_sees_it_counted_on_any_process(
    sandbox, keys, stored, teams, tmp_path, restore_sandbox
):
    """Without a shared cache each process keeps its own counts: the session of who made the
    change still makes the next list count again, whichever process serves it."""
    from tests.app.conftest import add_staff, make_app, sign_in

    shared = {"DATABASE_URL": f"sqlite:///{tmp_path / 'two.sqlite3'}", "SECRET_KEY": "s" * 48}
    first, second = [
        make_app(sandbox.api_url, keys["partner_test"]["key"], **shared) for _ in range(2)
    ]
    try:
        add_staff(first, "two@staff.test", "operator")
        here, there = first.test_client(), second.test_client()
        assert sign_in(here, "two@staff.test").status_code == 302

        def follow() -> None:  # the same browser, its next request served by the other process
            there.set_cookie("backoffice_session", here.get_cookie("backoffice_session").value)

        follow()
        before = tab_count(there.get(_base(teams)).get_data(as_text=True), "succeeded")
        client_id = stored.one("payments", teams["partner"], status="succeeded")["client"]["id"]
        made = post_form(here, f"{_base(teams)}new", _payment(client_id))
        assert made.status_code == 302
        follow()
        after = tab_count(there.get(_base(teams)).get_data(as_text=True), "succeeded")
        assert after == before + 1
    finally:
        for app in (first, second):
            app.extensions["gigstack"].close()


def test_users_who_miss_the_counts_together_count_once(signed_in, teams, sandbox, sandbox_requests):
    browsers = [signed_in("viewer") for _ in range(5)]
    counting, arrived = threading.Event(), threading.Semaphore(0)
    inner = sandbox.app.wsgi_app

    def holding(environ, start_response):  # the counts wait until every page has asked
        if "limit=1" in environ.get("QUERY_STRING", "").split("&"):
            counting.wait(timeout=30)
        elif environ["PATH_INFO"] == "/v2/payments":
            arrived.release()
        return inner(environ, start_response)

    sandbox.app.wsgi_app = holding
    try:
        with ThreadPoolExecutor(max_workers=len(browsers)) as pool:
            pages = [pool.submit(browser.get, _base(teams)) for browser in browsers]
            for _ in browsers:
                assert arrived.acquire(timeout=10)
            counting.set()
            answers = [page.result(timeout=30) for page in pages]
    finally:
        counting.set()
        sandbox.app.wsgi_app = inner
    assert [answer.status_code for answer in answers] == [200] * len(browsers)
    counted = _counts(sandbox_requests)
    assert counted and len(counted) == len(set(counted))  # each status once, for all five
    shown = {tab_count(a.get_data(as_text=True), "succeeded") for a in answers}
    assert len(shown) == 1 and None not in shown


def test_filters_live_in_the_url_and_keep_the_tab(viewer, stored, teams):
    target = stored.one("payments", teams["partner"], status="succeeded")
    rfc = target["client"]["tax_id"]
    answer = viewer.get(
        _base(teams),
        query_string={"status": "succeeded", "tax_id": rfc},
        headers={"HX-Request": "true", "HX-Target": "payments-list"},
    )
    html = answer.get_data(as_text=True)
    assert "<html" not in html  # the rows fragment
    found = {p["id"]: p for p in stored("payments", teams["partner"])}
    assert target["id"] in _rows(html)
    assert all(
        found[i]["client"]["tax_id"] == rfc and found[i]["status"] == "succeeded"
        for i in _rows(html)
    )
    page = viewer.get(_base(teams), query_string={"status": "succeeded", "tax_id": rfc})
    assert 'name="status" value="succeeded"' in page.get_data(as_text=True)


def test_a_date_range_bounds_the_list(viewer, teams):
    html = viewer.get(
        _base(teams), query_string={"date_from": "2001-01-01", "date_to": "2001-01-31"}
    ).get_data(as_text=True)
    assert not _rows(html) and "Ningún pago coincide" in text_of(html)


def test_anonymous_and_other_teams(client, viewer, teams):
    assert client.get(_base(teams)).status_code == 302
    assert viewer.get(f"/teams/{teams['outsider']}/payments/").status_code == 404


def test_gigstack_down_is_a_banner(viewer, teams, faults):
    faults({"rules": [{"method": "GET", "path": "/payments", "status": 503, "retry_after": 0}]})
    answer = viewer.get(_base(teams))
    assert answer.status_code in (502, 503)
    assert "Traceback" not in answer.get_data(as_text=True)


# -- detail -----------------------------------------------------------------------------------


def test_detail_shows_items_refunds_documents_and_the_buttons_its_state_allows(
    viewer, operator, stored, teams
):
    refunded = stored.one(
        "payments", teams["partner"], test=lambda p: p["refunds"] and p["status"] == "succeeded"
    )
    html = operator.get(f"{_base(teams)}{refunded['id']}").get_data(as_text=True)
    text = text_of(html)
    assert refunded["items"][0]["description"] in text
    assert refunded["refunds"][0]["reason"] in text
    left = float(refunded["total"]) - sum(float(r["amount"]) for r in refunded["refunds"])
    assert f"{left:,.2f}" in text  # the refundable remainder
    invoiced = stored.one("payments", teams["partner"], test=lambda p: p["invoices"])
    assert f"/invoices/{invoiced['invoices'][0]}" in operator.get(
        f"{_base(teams)}{invoiced['id']}"
    ).get_data(as_text=True)
    actions = re.search(r'data-testid="payment-actions">(.*?)</div>', html, re.S).group(1)
    assert "/refund" in actions and "/mark-paid" not in actions and "/cancel" not in actions
    pending = stored.one("payments", teams["partner"], status="requires_payment_method")
    html = operator.get(f"{_base(teams)}{pending['id']}").get_data(as_text=True)
    actions = re.search(r'data-testid="payment-actions">(.*?)</div>', html, re.S).group(1)
    assert "/mark-paid" in actions and "/cancel" in actions and "/refund" not in actions
    assert pending["short_url"] in html  # the link to copy
    cancelled = stored.one("payments", teams["partner"], status="cancelled")
    html = operator.get(f"{_base(teams)}{cancelled['id']}").get_data(as_text=True)
    actions = re.search(r'data-testid="payment-actions">(.*?)</div>', html, re.S).group(1)
    assert "href" not in actions
    viewed = viewer.get(f"{_base(teams)}{pending['id']}").get_data(as_text=True)
    assert "/mark-paid" not in viewed  # viewers read only


def test_a_receipt_made_by_a_payment_links_to_it(viewer, stored, teams):
    with_receipt = stored.one("payments", teams["partner"], test=lambda p: p["receipts"])
    html = viewer.get(f"{_base(teams)}{with_receipt['id']}").get_data(as_text=True)
    assert f"/receipts/{with_receipt['receipts'][0]}" in html


def test_an_unknown_payment_is_not_found(viewer, teams):
    assert viewer.get(f"{_base(teams)}payment_nope").status_code == 404


# -- state changes ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["pending", "requires_payment_method", "processing", "failed"])
def test_mark_paid_from_each_open_state_runs_the_automation(
    app, operator, stored, teams, status, restore_sandbox
):
    target = stored.one("payments", teams["partner"], status=status)
    answer = post_form(operator, f"{_base(teams)}{target['id']}/mark-paid", {"payment_form": "03"})
    assert answer.status_code == 302
    after = stored.one("payments", teams["partner"], id=target["id"])
    assert after["status"] == "succeeded" and after["payment_form"] == "03"
    assert audit_rows(app, "payment.mark_paid")[-1].object_id == target["id"]
    page = text_of(operator.get(answer.headers["Location"]).get_data(as_text=True))
    assert "Se marcó como pagado el pago de" in page


@pytest.mark.parametrize("status", ["succeeded", "cancelled", "refunded"])
def test_mark_paid_is_refused_from_closed_states(operator, stored, teams, status, sandbox_requests):
    target = stored.one("payments", teams["partner"], status=status)
    answer = post_form(
        operator,
        f"{_base(teams)}{target['id']}/mark-paid",
        {"payment_form": "03"},
        htmx="mark_paid-form",
    )
    assert answer.status_code == 422
    assert "ya no puede" in text_of(answer.get_data(as_text=True))
    assert not [r for r in sandbox_requests if r.method == "POST"]


def test_mark_paid_needs_the_payment_form(operator, stored, teams):
    target = stored.one("payments", teams["partner"], status="pending")
    answer = post_form(operator, f"{_base(teams)}{target['id']}/mark-paid", {"payment_form": ""})
    assert answer.status_code == 422
    assert "Elige la forma de pago" in field_error(answer.get_data(as_text=True), "payment_form")


def test_mark_paid_refuses_a_payment_form_it_does_not_offer(
    operator, stored, teams, sandbox_requests
):
    target = stored.one("payments", teams["partner"], status="pending")
    sandbox_requests.clear()
    answer = post_form(operator, f"{_base(teams)}{target['id']}/mark-paid", {"payment_form": "98"})
    assert answer.status_code == 422
    assert "Opción inválida." in field_error(answer.get_data(as_text=True), "payment_form")
    assert not [r for r in sandbox_requests if r.method == "POST"]  # gigstack would refuse it


def test_partial_then_full_refund(app, operator, stored, teams, restore_sandbox):
    target = stored.one(
        "payments", teams["partner"], status="succeeded", test=lambda p: not p["refunds"]
    )
    path = f"{_base(teams)}{target['id']}/refund"
    form = operator.get(path).get_data(as_text=True)
    total = float(target["total"])
    assert float(input_value(form, "amount")) == pytest.approx(total)
    half = round(total / 2, 2)
    first = post_form(
        operator,
        path,
        {"once": input_value(form, "once"), "amount": str(half), "reason": "devolución parcial"},
    )
    assert first.status_code == 302
    after = stored.one("payments", teams["partner"], id=target["id"])
    assert after["status"] == "succeeded" and len(after["refunds"]) == 1
    form = operator.get(path).get_data(as_text=True)
    rest = round(total - half, 2)
    assert float(input_value(form, "amount")) == pytest.approx(rest)
    second = post_form(
        operator,
        path,
        {
            "once": input_value(form, "once"),
            "amount": str(rest),
            "reason": "el resto",
            "external": "y",
        },
    )
    assert second.status_code == 302
    after = stored.one("payments", teams["partner"], id=target["id"])
    assert after["status"] == "refunded" and after["refunds"][1]["external_processor_refund"]
    assert "fuera de gigstack" in said(app, audit_rows(app, "payment.refund")[-1], "es_MX")
    assert "(outside gigstack)" in said(app, audit_rows(app, "payment.refund")[-1])


@pytest.mark.parametrize(
    ("amount", "message"),
    [("0", "mayor que 0"), ("-5", "mayor que 0"), ("999999999", "Quedan a lo más")],
)
def test_a_refund_of_zero_or_above_the_remainder_is_refused_on_its_field(
    operator, stored, teams, amount, message
):
    target = stored.one(
        "payments", teams["partner"], status="succeeded", test=lambda p: not p["refunds"]
    )
    path = f"{_base(teams)}{target['id']}/refund"
    once = input_value(operator.get(path).get_data(as_text=True), "once")
    answer = post_form(
        operator, path, {"once": once, "amount": amount, "reason": "x"}, htmx="refund-form"
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and message in field_error(html, "amount")
    assert input_value(html, "amount") == amount  # what was typed stays
    assert stored.one("payments", teams["partner"], id=target["id"])["refunds"] == []


def test_a_refund_needs_a_reason(operator, stored, teams):
    target = stored.one(
        "payments", teams["partner"], status="succeeded", test=lambda p: not p["refunds"]
    )
    path = f"{_base(teams)}{target['id']}/refund"
    once = input_value(operator.get(path).get_data(as_text=True), "once")
    answer = post_form(operator, path, {"once": once, "amount": "1", "reason": ""})
    assert "Explica por qué" in field_error(answer.get_data(as_text=True), "reason")


def test_a_double_clicked_refund_refunds_once(operator, stored, teams, restore_sandbox):
    target = stored.one(
        "payments", teams["partner"], status="succeeded", test=lambda p: not p["refunds"]
    )
    path = f"{_base(teams)}{target['id']}/refund"
    once = input_value(operator.get(path).get_data(as_text=True), "once")
    data = {"once": once, "amount": "1", "reason": "doble clic"}
    first, second = post_form(operator, path, data), post_form(operator, path, data)
    assert first.status_code == second.status_code == 302
    assert len(stored.one("payments", teams["partner"], id=target["id"])["refunds"]) == 1


@pytest.mark.parametrize("status", ["requires_payment_method", "failed"])
def test_cancel_from_an_open_state_with_a_reason(
    app, operator, stored, teams, status, restore_sandbox
):
    target = stored.one("payments", teams["partner"], status=status)
    path = f"{_base(teams)}{target['id']}/cancel"
    no_reason = post_form(operator, path, {"reason": ""})
    assert "Explica por qué" in field_error(no_reason.get_data(as_text=True), "reason")
    done = post_form(operator, path, {"reason": "el cliente ya no lo quiere"})
    assert done.status_code == 302
    assert stored.one("payments", teams["partner"], id=target["id"])["status"] == "cancelled"
    entry = audit_rows(app, "payment.cancel")[-1]
    assert entry.object_id == target["id"] and entry.reason == "el cliente ya no lo quiere"


@pytest.mark.parametrize("status", ["succeeded", "refunded", "cancelled"])
def test_cancel_is_refused_from_collected_or_closed_states(
    operator, stored, teams, status, sandbox_requests
):
    target = stored.one("payments", teams["partner"], status=status)
    answer = post_form(operator, f"{_base(teams)}{target['id']}/cancel", {"reason": "x"})
    assert answer.status_code == 422
    assert not [r for r in sandbox_requests if r.method == "DELETE"]


def test_viewers_may_not_act(viewer, stored, teams):
    target = stored.one("payments", teams["partner"], status="pending")
    for verb in ("mark-paid", "refund", "cancel"):
        assert viewer.get(f"{_base(teams)}{target['id']}/{verb}").status_code == 403
    assert viewer.get(f"{_base(teams)}new").status_code == 403
