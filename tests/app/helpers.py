"""What every screen test needs: post a form as a browser does, htmx headers, the audit rows,
read CSV downloads and pick values out of pages."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_babel import force_locale

from tests.app.conftest import csrf_token
from webapp.audit.details import entry_reason
from webapp.audit.models import AuditEntry
from webapp.extensions import db


def post_form(
    client: FlaskClient,
    path: str,
    data: dict | None = None,
    *,
    token_page: str = "/audit/",
    htmx: str | None = None,
    **kwargs: Any,
):
    """POST ``data`` with the CSRF token a page carries (``htmx``: the target id, sent the way
    htmx sends it)."""
    token = csrf_token(client, token_page)
    headers = kwargs.pop("headers", {})
    if htmx is not None:
        headers.update(htmx_headers(htmx))
    return client.post(path, data={"csrf_token": token, **(data or {})}, headers=headers, **kwargs)


def htmx_headers(target: str | None = None, current_url: str | None = None) -> dict[str, str]:
    """The headers htmx adds to a request aimed at element ``target``."""
    headers = {"HX-Request": "true"}
    if target:
        headers["HX-Target"] = target
    if current_url:
        headers["HX-Current-URL"] = f"http://localhost{current_url}"
    return headers


def audit_rows(app, action: str | None = None, **where: Any) -> list[AuditEntry]:
    """Audit entries, oldest first, optionally of one action and matching ``where``."""
    with app.app_context():
        query = sa.select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        for name, value in where.items():
            query = query.where(getattr(AuditEntry, name) == value)
        found = list(db.session.scalars(query))
        db.session.expunge_all()
        return found


def read_csv(response) -> list[dict[str, str]]:
    """A CSV download's rows; fails when it lacks the UTF-8 BOM spreadsheets need."""
    body = response.get_data()
    assert body.startswith("\ufeff".encode()), "CSV without its UTF-8 BOM"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def input_value(html: str, name: str) -> str | None:
    """The value of the input named ``name`` (None when it has none)."""
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert tag, f"no input {name}"
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return html_lib.unescape(value.group(1)) if value else None


def field_error(html: str, field_id: str) -> str:
    """The messages shown next to field ``field_id`` ('' when none)."""
    match = re.search(
        rf'<ul class="field-errors" id="{re.escape(field_id)}-errors">(.*?)</ul>', html, re.S
    )
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip() if match else ""


def text_of(html: str) -> str:
    """The page's visible text, tags dropped and whitespace collapsed (for ``in`` checks)."""
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", html)))


def upstream_calls(response) -> int:
    """How many gigstack calls the app made for ``response`` (its ``Server-Timing``)."""
    found = re.search(r'upstream-calls;desc="(\d+)"', response.headers.get("Server-Timing", ""))
    assert found, "no upstream-calls in Server-Timing"
    return int(found.group(1))


def tab_count(html: str, status: str) -> int | None:
    """The count a list's status tab shows (None when it shows none)."""
    tab = re.search(rf'status={status}"[^>]*>[^<]*(?:<span class="tab-count">(\d+)<)?', html)
    assert tab, f"no tab {status}"
    return int(tab.group(1)) if tab.group(1) else None


def home(client: FlaskClient):
    """``/`` followed to where it leads (the overview of the last team used)."""
    return client.get("/", follow_redirects=True)


def facts(html: str, testid: str = "team-facts") -> dict[str, str]:
    """The label → value pairs of a facts list (``data-testid`` names it)."""
    block = re.search(rf'<dl class="facts" data-testid="{testid}">(.*?)</dl>', html, re.S)
    assert block, f"no facts {testid}"
    pairs = re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", block.group(1), re.S)
    return {html_lib.unescape(k): html_lib.unescape(v.strip()) for k, v in pairs}


def payment_form(client_id: str, **over: str) -> dict[str, str]:
    """The new-payment form: 100 MXN received from ``client_id`` by transfer, no automation
    (``over`` changes fields, e.g. ``idempotency_key``, ``items-0-unit_price``)."""
    return {
        "idempotency_key": "pay-key-1",
        "client_id": client_id,
        "items-0-description": "Abono",
        "items-0-quantity": "1",
        "items-0-unit_price": "100",
        "items-0-product_key": "84111506",
        "items-0-unit_key": "E48",
        "items-0-iva": "",
        "currency": "MXN",
        "payment_form": "03",
        "automation_type": "none",
        "action": "save",
        **over,
    }


def invoice_form(client_id: str, **over: str) -> dict[str, str]:
    """The new-invoice form: one line of consultancy (1 × 1,000 MXN + IVA) to ``client_id``,
    PUE by transfer, use G03 (``over`` changes fields, e.g. ``action``)."""
    return {
        "client_id": client_id,
        "items-0-description": "Consultoría",
        "items-0-quantity": "1",
        "items-0-unit_price": "1000",
        "items-0-product_key": "81111500",
        "items-0-unit_key": "E48",
        "items-0-iva": "0.16",
        "payment_method": "PUE",
        "payment_form": "03",
        "use": "G03",
        "currency": "MXN",
        **over,
    }


def receipt_form(key: str, **over: str) -> dict[str, str]:
    """The new-receipt form: one counter sale of 100 MXN + IVA to the general public, weekly."""
    return {
        "idempotency_key": key,
        "client_id": "",
        "items-0-description": "Venta de mostrador",
        "items-0-quantity": "1",
        "items-0-unit_price": "100",
        "items-0-product_key": "01010101",
        "items-0-unit_key": "H87",
        "items-0-iva": "0.16",
        "currency": "MXN",
        "payment_form": "01",
        "periodicity": "week",
        "action": "save",
        **over,
    }


def run_jobs(app) -> int:
    """Run what the app queued, here and now, as a worker would (the testing queue is this
    process's memory): how many queue messages ran."""
    return app.extensions["jobs"].drain()


# a sync form: its action, then its CSRF token and one-time token
SYNC_ONCE = (
    r'action="{action}"[^>]*>\s*<input type="hidden" name="csrf_token" value="[^"]+">'
    r'\s*<input type="hidden" name="once" value="([^"]+)"'
)


def start_sync(browser: FlaskClient, page: str, action: str):
    """Post the search index's sync form found on ``page`` (one-time token and all)."""
    html = browser.get(page).get_data(as_text=True)
    found = re.search(SYNC_ONCE.format(action=re.escape(action)), html)
    assert found, text_of(html)[:1500]
    return post_form(browser, action, {"once": found.group(1)})


def sync_team(app, browser: FlaskClient, team: str):
    """The team read into the search index through its page's form (``browser``: an admin),
    its job run here; the finished job."""
    from webapp.jobs.models import FINISHED, Job

    answer = start_sync(browser, f"/teams/{team}/", f"/teams/{team}/search/sync")
    assert answer.status_code == 302
    assert re.fullmatch(rf"/teams/{team}/jobs/\d+", answer.location)
    run_jobs(app)
    with app.app_context():
        job = db.session.get(Job, int(answer.location.rsplit("/", 1)[1]))
        assert job.status == FINISHED, job.error
        db.session.expunge(job)
        return job


def one_finished_job(app, browser: FlaskClient, team: str, month: str = "2026-10") -> str:
    """A small accountant's month of ``team`` (its egress CFDI), started through the form as
    ``browser`` and run here: the walks then reach a job's page and its file. The job's
    page URL."""
    page = browser.get(f"/teams/{team}/exports/month").get_data(as_text=True)
    once = re.search(r'name="once" type="hidden" value="([^"]+)"', page).group(1)
    data = {"once": once, "month": month, "kinds": ["egress"], "statuses": ["valid"]}
    answer = post_form(browser, f"/teams/{team}/exports/month", data)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    run_jobs(app)
    return answer.location


def open_ppd_invoices(stored, team: str) -> list[dict]:
    """The team's valid PPD income invoices with over $100 left to pay, to a client with a
    real RFC (what a payment on an invoice, or its complement, is tried on)."""
    return stored(
        "invoices",
        team,
        invoice_type="I",
        status="valid",
        payment_method="PPD",
        test=lambda i: (
            float(i.get("last_balance") or 0) > 100 and not i["client"]["tax_id"].startswith("X")
        ),
    )


def walk_partner_team(sandbox, keys, email: str):
    """The partner team's pages walked once as an admin (``email``) — :func:`walk_team` — with
    the sandbox's clock frozen meanwhile (pending receipts can be stamped), a finished job
    made first and the team read into the search index, so their pages are walked too."""
    import requests

    from tests.app.conftest import add_staff, make_app, sign_in
    from tests.app.crawl import walk_team
    from tests.conftest import FROZEN_NOW

    team = keys["partner_test"]["team"]
    requests.put(f"{sandbox.origin}/_sandbox/clock", json={"now": FROZEN_NOW}, timeout=5)
    app = make_app(sandbox.api_url, keys["partner_test"]["key"])
    try:
        add_staff(app, email, "admin")
        browser = app.test_client()
        assert sign_in(browser, email).status_code == 302
        one_finished_job(app, browser, team)
        sync_team(app, browser, team)  # the index filled: the inbox's rows and their verbs
        return walk_team(app, browser, team)
    finally:
        requests.put(f"{sandbox.origin}/_sandbox/clock", json={"now": None}, timeout=5)
        app.extensions["gigstack"].close()


def said(app, entry: AuditEntry, locale: str = "en") -> str:
    """An audit row's detail and typed reason as a reader of ``locale`` reads them (English
    unless said: what the page and the CSV show)."""
    with app.test_request_context(), force_locale(locale):
        return entry_reason(entry)
