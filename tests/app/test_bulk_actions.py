"""Bulk actions of the lists: boxes on the invoices, receipts and payments lists (a GET form,
no JavaScript needed) open a confirmation naming the count and the effect; its form starts a
job with a result per item, and a retry sends the failed ones only. Run against the sandbox
over HTTP; gigstack's refusals come from the sandbox itself (already cancelled, already
stamped, a paid payment) and from its fault injection."""

from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from tests.app.helpers import audit_rows, post_form, run_jobs, text_of
from webapp.extensions import db
from webapp.jobs.models import JobItem
from webapp.sandbox.seed import SEED_ANCHOR

pytestmark = pytest.mark.databases


def bulk_url(team: str, verb: str, **query) -> str:
    return f"/teams/{team}/bulk/{verb}?" + urlencode(query, doseq=True)


def confirm_and_start(browser, url: str, **fields):
    """The confirmation page, then its form sent (the selection rides in its hidden
    fields): the page and the answer."""
    page = browser.get(url)
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    hidden = re.findall(
        r'<input type="hidden" name="(of|kind|pick|every|[a-z_]+)" value="([^"]*)"', html
    )
    data: dict[str, list[str]] = {}
    for name, value in hidden:
        if name != "csrf_token":
            data.setdefault(name, []).append(value)
    answer = post_form(browser, url.split("?")[0], {**data, **fields})
    return html, answer


def results(app, job_url: str) -> dict[str, tuple[str, str | None, int]]:
    """Each item of the job: its status, message and tries."""
    job_id = int(job_url.rsplit("/", 1)[1])
    with app.app_context():
        rows = db.session.execute(
            sa.select(JobItem.key, JobItem.status, JobItem.message, JobItem.attempts).where(
                JobItem.job_id == job_id
            )
        ).all()
    return {key: (status, message, attempts) for key, status, message, attempts in rows}


def test_the_lists_have_boxes_and_buttons_by_role(viewer, operator, teams):
    team = teams["partner"]
    seen = viewer.get(f"/teams/{team}/invoices/").get_data(as_text=True)
    assert 'name="pick"' in seen and 'data-toggle-group="pick"' in seen
    assert f'formaction="/teams/{team}/bulk/download"' in seen
    assert "/bulk/cancel" not in seen and "/bulk/send" not in seen
    assert "/bulk/" not in viewer.get(f"/teams/{team}/receipts/").get_data(as_text=True)
    full = operator.get(f"/teams/{team}/invoices/?status=valid").get_data(as_text=True)
    for verb in ("download", "send", "cancel"):
        assert f'formaction="/teams/{team}/bulk/{verb}"' in full
    every = re.search(r'data-testid="bulk-every">(.*?)</p>', full, re.S).group(1)
    assert "every=1" in every and "status=valid" in every
    receipts = operator.get(f"/teams/{team}/receipts/").get_data(as_text=True)
    assert "/bulk/stamp" in receipts and "/bulk/cancel" in receipts
    assert "/bulk/cancel" in operator.get(f"/teams/{team}/payments/").get_data(as_text=True)


def test_a_viewer_downloads_the_chosen_invoices_as_one_zip(app, viewer, teams, stored):
    team = teams["partner"]
    # picked on a search's page (every type on it): a credit note among the income invoices
    chosen = stored("invoices", team, invoice_type="I", status="valid")[:2]
    chosen += stored("invoices", team, invoice_type="E", status="valid")[:1]
    url = bulk_url(team, "download", of="invoices", kind="income", pick=[d["uuid"] for d in chosen])
    html, answer = confirm_and_start(viewer, url)
    assert "3 facturas" in text_of(html)
    assert answer.status_code == 302
    run_jobs(app)
    page = viewer.get(answer.location).get_data(as_text=True)
    link = re.search(r'href="([^"]+/files/\d+)"', page).group(1)
    archive = zipfile.ZipFile(io.BytesIO(viewer.get(link).get_data()))
    rfc = stored.team(team)["tax_id"]
    names = archive.namelist()
    for doc in chosen:
        stem = f"{rfc}_{doc['series']}{doc['folio_number']}_{doc['uuid']}"
        assert f"XML/{stem}.xml" in names and f"PDF/{stem}.pdf" in names
    assert "resumen.csv" in names and "3" in archive.read("LEEME.txt").decode()
    # a viewer may not cancel or send
    assert viewer.get(bulk_url(team, "cancel", pick=chosen[0]["uuid"])).status_code == 403
    assert post_form(viewer, f"/teams/{team}/bulk/send", {"pick": "x"}).status_code == 403


def test_every_invoice_matching_the_filters_is_walked_by_the_job(app, viewer, api, teams):
    team = teams["partner"]
    total = api.invoices.list("egress", status="valid", limit=1).total_results
    assert total >= 2
    url = bulk_url(team, "download", of="invoices", kind="egress", every=1, status="valid")
    html, answer = confirm_and_start(viewer, url)
    assert f"{total} facturas" in text_of(html) and "no solo su página" in text_of(html)
    run_jobs(app)
    job = results(app, answer.location)
    assert len(job) == total and {status for status, _m, _a in job.values()} == {"ok"}


def test_a_bulk_cancel_records_each_refusal_and_a_retry_sends_the_failed_only(
    app, operator, teams, stored, faults, restore_sandbox, sandbox_requests
):
    team = teams["partner"]
    valid = [d["uuid"] for d in stored("invoices", team, invoice_type="I", status="valid")[:4]]
    cancelled = stored("invoices", team, invoice_type="I", status="cancelled")[0]["uuid"]
    refused_once, refused_always = valid[2], valid[3]
    faults(
        {
            "rules": [
                {
                    "status": 409,
                    "method": "DELETE",
                    "path": f"/invoices/{refused_once}",
                    "times": 1,
                },
                {"status": 409, "method": "DELETE", "path": f"/invoices/{refused_always}"},
            ]
        }
    )
    url = bulk_url(team, "cancel", of="invoices", kind="income", pick=[*valid, cancelled])
    html, answer = confirm_and_start(operator, url, motive="02", reason="Montos equivocados")
    assert "5 facturas" in text_of(html) and "no se puede deshacer" in text_of(html)
    assert answer.status_code == 302
    run_jobs(app)
    first = results(app, answer.location)
    assert first[valid[0]][0] == first[valid[1]][0] == "ok"
    assert first[cancelled][:2] == ("skipped", "Ya estaba cancelada.")
    for uuid in (refused_once, refused_always):
        assert first[uuid][:2] == ("failed", "Injected fault (409)")
    page = operator.get(answer.location).get_data(as_text=True)
    assert "Reintentar los 2 elementos fallidos" in page
    assert stored("invoices", team, uuid=valid[0])[0]["cancellation_motive"] == "02"

    sandbox_requests.clear()
    retry = post_form(operator, answer.location + "/retry")
    assert retry.status_code == 302
    run_jobs(app)
    deletes = [r.path for r in sandbox_requests if r.method == "DELETE"]
    assert sorted(deletes) == sorted(f"/v2/invoices/{u}" for u in (refused_once, refused_always))
    again = results(app, answer.location)
    assert again[refused_once] == ("ok", None, 2)
    assert again[refused_always][:3] == ("failed", "Injected fault (409)", 2)
    assert again[valid[0]] == ("ok", None, 1) and again[cancelled][2] == 1
    assert len(audit_rows(app, "job.retry")) == 1


def test_motive_01_is_refused_in_bulk_with_a_clear_message(app, operator, teams, stored):
    team = teams["partner"]
    uuid = stored("invoices", team, invoice_type="I", status="valid")[0]["uuid"]
    _html, answer = confirm_and_start(
        operator, bulk_url(team, "cancel", pick=uuid), motive="01", reason="Sustituir"
    )
    assert answer.status_code == 422
    assert "El motivo 01 necesita la factura que sustituye a cada una" in text_of(
        answer.get_data(as_text=True)
    )
    assert not audit_rows(app, "job.start")


def test_stamping_chosen_receipts_skips_those_already_stamped(
    app, operator, api, teams, stored, frozen_clock, restore_sandbox
):
    frozen_clock(SEED_ANCHOR)  # the seeded receipts are still pending then
    team = teams["partner"]
    billable = {
        c["id"]
        for c in stored("clients", team, test=lambda c: c.get("is_valid") and c.get("tax_id"))
        if not c["tax_id"].startswith("X")
    }
    listed = api.receipts.list(status="pending", limit=100)
    pending = [r["id"] for r in listed if (r.get("client") or {}).get("id") in billable][:2]
    assert len(pending) == 2
    done = api.receipts.list(status="completed", limit=1)[0]["id"]
    url = bulk_url(team, "stamp", of="receipts", pick=[*pending, done])
    html, answer = confirm_and_start(operator, url)
    assert "3 recibos" in text_of(html)
    run_jobs(app)
    job = results(app, answer.location)
    assert [job[key][0] for key in pending] == ["ok", "ok"]
    assert job[done][:2] == ("skipped", "Ya estaba timbrado.")
    assert all(api.receipts.get(key)["status"] == "completed" for key in pending)


def test_cancelling_chosen_payments_fails_a_paid_one_with_gigstacks_message(
    app, operator, api, teams, restore_sandbox
):
    team = teams["partner"]
    open_one = api.payments.list(status="requires_payment_method", limit=1)[0]["id"]
    paid = api.payments.list(status="succeeded", limit=1)[0]["id"]
    url = bulk_url(team, "cancel", of="payments", pick=[open_one, paid])
    _html, answer = confirm_and_start(operator, url, reason="Pedido duplicado")
    run_jobs(app)
    job = results(app, answer.location)
    assert job[open_one][0] == "ok" and api.payments.get(open_one)["status"] == "cancelled"
    assert job[paid][0] == "failed" and job[paid][1]
    assert api.payments.get(paid)["status"] == "succeeded"


def test_sending_chosen_invoices_mails_each_to_its_clients_addresses(
    app, operator, teams, stored, sandbox_requests
):
    team = teams["partner"]
    chosen = [d["uuid"] for d in stored("invoices", team, invoice_type="I", status="valid")[:2]]
    _html, answer = confirm_and_start(operator, bulk_url(team, "send", pick=chosen))
    sandbox_requests.clear()
    run_jobs(app)
    sends = sorted(r.path for r in sandbox_requests if r.method == "POST")
    assert sends == sorted(f"/v2/invoices/{u}/send" for u in chosen)
    assert {status for status, _m, _a in results(app, answer.location).values()} == {"ok"}


def test_nothing_chosen_offers_every_row_and_starts_nothing(app, operator, teams):
    team = teams["partner"]
    page = operator.get(f"/teams/{team}/bulk/cancel").get_data(as_text=True)
    assert "No se eligió nada" in text_of(page) and "every=1" in page
    answer = post_form(operator, f"/teams/{team}/bulk/cancel", {"once": "x", "reason": "r"})
    assert answer.status_code == 422 and not audit_rows(app, "job.start")
    assert 'name="once"' not in page
