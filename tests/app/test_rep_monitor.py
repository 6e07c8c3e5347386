"""The REP monitor against the seeded PPD invoices: open balances listed, a payment recorded
without its complement listed by deadline, and the link that fixes it."""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.app.helpers import input_value, payment_form, post_form, text_of, upstream_calls
from webapp import cache
from webapp.rep import lists as rep_lists

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


def test_a_report_that_could_not_be_read_says_so_in_its_place(viewer, teams, faults):
    faults({"rules": [{"method": "GET", "path": "/invoices/*", "status": 503}]})
    panel = viewer.get(
        _base(teams) + "?refresh=1",
        headers={
            "HX-Request": "true",
            "HX-Target": "rep-report",
            "HX-Current-URL": f"http://localhost{_base(teams)}",
        },
    )
    html = panel.get_data(as_text=True)
    assert panel.status_code == 200 and "<html" not in html  # swapped in place of the report
    assert 'id="rep-report"' in html and 'data-testid="rep-failed"' in html
    assert f'<a class="button" href="{_base(teams)}">Reintentar</a>' in html
    page = viewer.get(_base(teams), query_string={"full": "1", "refresh": "1"})
    assert 'data-testid="rep-failed"' in page.get_data(as_text=True)


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
        payment_form(client_id, idempotency_key="rep-loose", **{"items-0-unit_price": "10"}),
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
    # the payment on that invoice: it is chosen and the amount is its balance
    assert re.search(rf'<option selected value="{invoice["uuid"]}"', form)
    assert input_value(form, "client_id") == client_id
    assert float(input_value(form, "amount")) == invoice["last_balance"]
    assert 'name="items-0-description"' not in form  # no items to invent


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


def test_the_report_is_built_once_per_copy_and_day(viewer, teams, monkeypatch):
    import webapp.rep.routes as rep_routes

    built = []
    build = rep_routes.monitor.build
    monkeypatch.setattr(rep_routes.monitor, "build", lambda *a: built.append(a) or build(*a))
    panel = {"HX-Request": "true", "HX-Target": "rep-report"}
    first = viewer.get(_base(teams), query_string={"refresh": "1"}, headers=panel)
    again = [viewer.get(_base(teams), headers=panel) for _ in range(3)]
    assert len(built) == 1
    assert {page.get_data(as_text=True) for page in again} == {first.get_data(as_text=True)}
    viewer.get(_base(teams), query_string={"refresh": "1"}, headers=panel)  # a new copy
    assert len(built) == 2


# -- the copy: served at hand, refreshed once, decoded once ----------------------------------

WALKS = ("/v2/invoices/income", "/v2/invoices/payment", "/v2/payments")
PANEL = {"HX-Request": "true", "HX-Target": "rep-report"}


def _walked(requests) -> int:
    """The list calls of the monitor's three walks."""
    return sum(1 for r in requests if r.method == "GET" and r.path in WALKS)


def _read_at(answer) -> str:
    html = answer.get_data(as_text=True)
    return text_of(re.search(r'data-testid="rep-read-at">(.*?)<a', html, re.S).group(1))


@pytest.fixture
def clock(app):
    """The app's clock, moved by the test (``clock[0] += seconds``)."""
    now = [time.time()]
    app.config["CLOCK"] = lambda: now[0]
    return now


@pytest.fixture
def held_walks(sandbox):
    """Holds the monitor's first walk in the sandbox until ``set()``."""
    release = threading.Event()
    inner = sandbox.app.wsgi_app

    def holding(environ, start_response):
        if environ["PATH_INFO"] == WALKS[0]:
            release.wait(timeout=30)
        return inner(environ, start_response)

    sandbox.app.wsgi_app = holding
    yield release
    release.set()
    sandbox.app.wsgi_app = inner


@pytest.mark.state_stores
def test_a_stale_copy_is_served_while_one_refresh_runs_in_the_background(
    signed_in, teams, clock, sandbox_requests, held_walks
):
    browsers = [signed_in("viewer") for _ in range(5)]
    held_walks.set()
    first = browsers[0].get(_base(teams), headers=PANEL)
    one_read = _walked(sandbox_requests)
    assert one_read >= 3 and upstream_calls(first) >= one_read
    sandbox_requests.clear()
    held_walks.clear()  # the refresh will wait in gigstack until every page has answered
    clock[0] += rep_lists.FRESH_SECONDS + 1
    with ThreadPoolExecutor(max_workers=len(browsers)) as pool:
        pages = [pool.submit(b.get, _base(teams), headers=PANEL) for b in browsers]
        answers = [page.result(timeout=30) for page in pages]
    assert [a.status_code for a in answers] == [200] * len(browsers)
    assert {_read_at(a) for a in answers} == {_read_at(first)}  # the copy at hand
    held_walks.set()
    rep_lists.settle()
    assert _walked(sandbox_requests) == one_read  # one refresh for the five
    sandbox_requests.clear()
    newer = browsers[1].get(_base(teams), headers=PANEL)
    assert _read_at(newer) != _read_at(first) and _walked(sandbox_requests) == 0


def test_a_copy_too_old_is_read_again_once_for_the_requests_that_wait(
    signed_in, teams, clock, sandbox_requests
):
    browsers = [signed_in("viewer") for _ in range(5)]
    first = browsers[0].get(_base(teams), headers=PANEL)
    one_read = _walked(sandbox_requests)
    sandbox_requests.clear()
    clock[0] += rep_lists.MAX_STALE_SECONDS + 1
    with ThreadPoolExecutor(max_workers=len(browsers)) as pool:
        pages = [pool.submit(b.get, _base(teams), headers=PANEL) for b in browsers]
        answers = [page.result(timeout=30) for page in pages]
    assert [a.status_code for a in answers] == [200] * len(browsers)
    fresh = {_read_at(a) for a in answers}
    assert len(fresh) == 1 and fresh != {_read_at(first)}  # none was served the old copy
    assert _walked(sandbox_requests) == one_read  # read once, whoever waited for it


@pytest.mark.state_stores
def test_another_process_refreshing_is_not_refreshed_again(
    app, viewer, teams, clock, sandbox_requests
):
    first = viewer.get(_base(teams), headers=PANEL)
    with app.app_context():
        key = rep_lists.cache_key(teams["partner"])
        assert cache.claim(f"{key}:refreshing", 60)  # as another process does when it refreshes
    sandbox_requests.clear()
    clock[0] += rep_lists.FRESH_SECONDS + 1
    stale = viewer.get(_base(teams), headers=PANEL)
    rep_lists.settle()
    assert _read_at(stale) == _read_at(first) and _walked(sandbox_requests) == 0


@pytest.mark.state_stores
def test_the_copy_is_decoded_once_per_version_in_a_process(app, teams):
    def written(read_at: float) -> rep_lists.Lists:
        lists = rep_lists.Lists([{"uuid": "u"}], [], [], read_at)
        cache.put(key, lists, 60)  # as another process keeps it: the lists, then their version
        cache.put(f"{key}:version", read_at, 60)
        return lists

    with app.app_context():
        key = rep_lists.cache_key(teams["partner"])
        kept = written(time.time())
        decoded = rep_lists.copy_at_hand(key)
        assert decoded == kept and decoded is not kept  # read from the cache…
        assert rep_lists.copy_at_hand(key) is decoded  # …once: then this process's copy
        newer = written(time.time() + 1)
        again = rep_lists.copy_at_hand(key)
        assert again == newer and again is not decoded


def test_each_open_invoice_shows_its_status_as_the_badge_every_list_uses(viewer, teams):
    """An invoice's status reads the same on every screen (one macro, invoice_badge)."""
    html = viewer.get(_base(teams), query_string={"full": "1"}).get_data(as_text=True)
    rows = re.findall(r'<tr data-invoice="[^"]+">(.*?)</tr>', html, re.S)
    assert rows and all('<span class="badge badge-ok">Vigente</span>' in row for row in rows)
