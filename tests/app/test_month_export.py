"""The accountant's month (``/teams/<team>/exports/month``): the form starts a job, a worker
makes the ZIP from the sandbox's real files over HTTP, and the ZIP holds every CFDI of the
month once — XML/ and PDF/ named as the downloads name them, resumen.csv whose totals are the
documents' own, LEEME.txt saying what is in it and what is missing."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime
from decimal import Decimal

import pytest

from tests.app.helpers import audit_rows, htmx_headers, post_form, run_jobs, said, text_of
from webapp.month.cfdi import read_cfdi
from webapp.month.periods import bounds, parse

pytestmark = pytest.mark.databases

MONTH = "2026-10"
EVERYTHING = {"kinds": ["income", "egress", "payment"], "statuses": ["valid", "cancelled"]}


def month_url(team: str) -> str:
    return f"/teams/{team}/exports/month"


def form_token(browser, team: str) -> str:
    html = browser.get(month_url(team)).get_data(as_text=True)
    return re.search(r'name="once" type="hidden" value="([^"]+)"', html).group(1)


def start(browser, team: str, **fields):
    data = {"once": form_token(browser, team), "month": MONTH, **EVERYTHING, **fields}
    return post_form(browser, month_url(team), data)


def month_documents(stored, team: str, month: str = MONTH) -> list[dict]:
    """What the sandbox holds for the month: stamped, valid or cancelled, created in it."""
    first, last = bounds(parse(month))
    return [
        doc
        for doc in stored("invoices", team)
        if first.timestamp() <= doc["created_at"] <= last.timestamp()
        and doc["status"] in ("valid", "cancelled")
    ]


def finished_zip(app, browser, job_url: str) -> zipfile.ZipFile:
    run_jobs(app)
    page = browser.get(job_url).get_data(as_text=True)
    link = re.search(r'href="([^"]+/files/\d+)"', page)
    assert link, text_of(page)[:2000]
    download = browser.get(link.group(1))
    assert download.status_code == 200
    assert "no-store" in download.headers["Cache-Control"]
    assert download.headers["Content-Disposition"].startswith("attachment;")
    return zipfile.ZipFile(io.BytesIO(download.get_data()))


def resumen_rows(archive: zipfile.ZipFile) -> list[dict[str, str]]:
    raw = archive.read("resumen.csv")
    assert raw.startswith("\ufeff".encode()), "resumen.csv without its BOM"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_the_month_zip_holds_every_cfdi_once_with_a_summary_that_adds_up(
    app, viewer, teams, stored
):
    team = teams["partner"]
    expected = month_documents(stored, team)
    assert len(expected) >= 10, "the seed has CFDI in October 2026"
    answer = start(viewer, team)
    assert answer.status_code == 302
    job_url = answer.headers["Location"]
    assert re.fullmatch(rf"/teams/{team}/jobs/\d+", job_url)
    waiting = viewer.get(job_url).get_data(as_text=True)
    assert 'data-status="queued"' in waiting and 'hx-trigger="load delay:1s"' in waiting

    archive = finished_zip(app, viewer, job_url)
    rfc = stored.team(team)["tax_id"]
    names = archive.namelist()
    xml = sorted(n for n in names if n.startswith("XML/"))
    pdf = sorted(n for n in names if n.startswith("PDF/"))
    assert len(xml) == len(set(xml)) == len(expected) == len(pdf)
    for doc in expected:
        stem = f"{rfc}_{doc['series']}{doc['folio_number']}_{doc['uuid']}"
        assert f"XML/{stem}.xml" in names and f"PDF/{stem}.pdf" in names
    assert archive.read(pdf[0]).startswith(b"%PDF")

    rows = resumen_rows(archive)
    assert sorted(row["UUID"] for row in rows) == sorted(d["uuid"] for d in expected)
    documents = [read_cfdi(archive.read(name)) for name in xml]
    for column, attribute in (("Total", "total"), ("Subtotal", "subtotal")):
        by_currency: dict[str, Decimal] = {}
        for doc in documents:
            amount = Decimal(getattr(doc, attribute) or 0)
            by_currency[doc.currency] = by_currency.get(doc.currency, Decimal(0)) + amount
        summed: dict[str, Decimal] = {}
        for row in rows:
            summed[row["Moneda"]] = summed.get(row["Moneda"], Decimal(0)) + Decimal(
                row[column] or 0
            )
        assert summed == by_currency, column
    cancelled = [d for d in expected if d["status"] == "cancelled"]
    for doc in cancelled:
        row = next(r for r in rows if r["UUID"] == doc["uuid"])
        assert row["Estado"] == "Cancelada" and row["Motivo de cancelación"].startswith(
            doc["cancellation_motive"]
        )

    note = archive.read("LEEME.txt").decode("utf-8")
    assert f"RFC {rfc}" in note and "octubre 2026" in note
    assert f"XML/: {len(expected)}" in note and f"PDF/: {len(expected)}" in note
    mxn_income = sum(
        (Decimal(d.total) for d in documents if d.type == "I" and d.currency == "MXN"), Decimal(0)
    )
    assert f"{mxn_income:,.2f}" in note
    assert "Nada: están todos los CFDI del mes" in note

    finished = audit_rows(app, "job.finish")
    assert finished[-1].outcome == "ok" and f"ok {len(expected)}" in said(app, finished[-1])
    assert said(app, audit_rows(app, "job.start")[-1]).startswith("Month's CFDI export: 2026-10")


def test_the_widget_polls_until_the_job_ends_then_stops(app, viewer, teams, sandbox):
    answer = start(viewer, teams["partner"], kinds=["egress"])
    job_url = answer.headers["Location"]
    job_id = job_url.rsplit("/", 1)[1]
    polled = viewer.get(job_url, headers=htmx_headers(f"job-{job_id}"))
    fragment = polled.get_data(as_text=True)
    assert fragment.startswith(f'<section id="job-{job_id}"') and "<html" not in fragment
    assert 'hx-trigger="load delay:1s"' in fragment
    run_jobs(app)
    done = viewer.get(job_url, headers=htmx_headers(f"job-{job_id}")).get_data(as_text=True)
    assert 'data-status="finished"' in done and "hx-trigger" not in done
    assert 'value="' in done and "100%" in done
    # its team by name (the list at hand), not by id
    seeded = sandbox.store.teams[teams["partner"]]
    name = (seeded.get("brand") or {}).get("alias") or seeded["legal_name"]
    assert f"Equipo {name}" in text_of(done) and teams["partner"] not in text_of(done)
    # the widget showed the end to whoever started it: no banner about it on the next page
    listed = text_of(viewer.get(f"/teams/{teams['partner']}/jobs/").get_data(as_text=True))
    assert "octubre 2026 terminó:" not in listed


def test_a_job_that_ended_unseen_says_so_once_at_the_next_page(app, viewer, teams):
    start(viewer, teams["partner"], kinds=["egress"])
    run_jobs(app)
    first = text_of(viewer.get("/audit/").get_data(as_text=True))
    assert "El mes del contador, octubre 2026 terminó" in first
    again = text_of(viewer.get("/audit/").get_data(as_text=True))
    assert "octubre 2026 terminó" not in again


def test_the_form_keeps_its_input_when_nothing_is_chosen(viewer, teams, app):
    team = teams["partner"]
    answer = post_form(
        viewer,
        month_url(team),
        {"once": form_token(viewer, team), "month": MONTH, "statuses": ["valid"]},
        htmx="month-form",
    )
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert html.lstrip().startswith('<form method="post"') and 'id="month-form"' in html
    assert "Elige al menos un tipo de CFDI" in text_of(html)
    assert re.search(r'<option selected value="2026-10">', html)
    assert not audit_rows(app, "job.start")


def test_a_double_submit_starts_one_job(app, viewer, teams):
    team = teams["partner"]
    data = {"once": form_token(viewer, team), "month": MONTH, **EVERYTHING}
    first = post_form(viewer, month_url(team), data)
    second = post_form(viewer, month_url(team), data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert len(audit_rows(app, "job.start")) == 1


def test_the_form_offers_last_month_in_mexico_city_first(viewer, teams):
    html = viewer.get(month_url(teams["partner"])).get_data(as_text=True)
    options = re.findall(r'<option (?:selected )?value="(\d{4}-\d{2})"', html)
    now = datetime.now().astimezone()
    assert len(options) == 24 and options == sorted(options, reverse=True)
    assert re.search(rf'<option selected value="{options[0]}"', html)
    assert options[0] < f"{now.year:04d}-{now.month:02d}" or now.day == 1


def test_access_anonymous_other_team_and_partner_page(client, viewer, operator, signed_in, teams):
    team = teams["partner"]
    assert client.get(month_url(team)).headers["Location"].startswith("/sign-in")
    limited = signed_in("viewer", team_ids=[teams["subs"][0]])
    assert limited.get(month_url(team)).status_code == 404
    assert operator.get("/exports/month").status_code == 403
    assert viewer.get(month_url(team)).status_code == 200


def test_a_cfdi_gigstack_will_not_hand_over_is_missing_then_retried(
    app, viewer, teams, stored, faults
):
    team = teams["partner"]
    expected = month_documents(stored, team)
    broken = next(d for d in expected if d["invoice_type"] == "I")
    files = f"/invoices/{broken['uuid']}/files"
    faults({"rules": [{"status": 404, "method": "GET", "path": files}]})
    job_url = start(viewer, team).headers["Location"]
    archive = finished_zip(app, viewer, job_url)
    assert not [n for n in archive.namelist() if broken["uuid"] in n]
    assert len(resumen_rows(archive)) == len(expected) - 1
    note = archive.read("LEEME.txt").decode()
    assert "No incluidos" in note and broken["uuid"] in note
    page = viewer.get(job_url).get_data(as_text=True)
    assert f'<tr data-item="{broken["uuid"]}">' in page
    assert "Terminó con fallas" in text_of(page)

    faults({"rules": []})
    retried = post_form(viewer, f"{job_url}/retry", {})
    assert retried.status_code == 302
    assert said(app, audit_rows(app, "job.retry")[-1]).endswith("failed items tried again: 1")
    archive = finished_zip(app, viewer, job_url)
    assert len([n for n in archive.namelist() if broken["uuid"] in n]) == 2
    assert len(resumen_rows(archive)) == len(expected)
    assert "Nada: están todos los CFDI del mes" in archive.read("LEEME.txt").decode()
    finished = audit_rows(app, "job.finish")
    assert [row.outcome for row in finished] == ["ok", "ok"]
    count = len(expected)
    assert said(app, finished[-1]).endswith(f"ok {count}, skipped 0, failed 0 of {count}")


def test_an_english_speaker_gets_an_english_zip(app, viewer, teams, english):
    english(viewer)
    job_url = start(viewer, teams["partner"], kinds=["egress"]).headers["Location"]
    archive = finished_zip(app, viewer, job_url)
    assert "October 2026" in archive.read("LEEME.txt").decode()
    assert resumen_rows(archive)[0]["Type"] == "Egress (E)"


def test_a_partner_month_makes_one_zip_per_chosen_team_with_its_progress(
    app, admin, teams, stored, sandbox
):
    chosen = [teams["partner"], teams["subs"][0]]
    html = admin.get("/exports/month").get_data(as_text=True)
    once = re.search(r'name="once" type="hidden" value="([^"]+)"', html).group(1)
    data = {"once": once, "month": MONTH, **EVERYTHING, "teams_mode": "some", "teams": chosen}
    answer = post_form(admin, "/exports/month", data)
    assert answer.status_code == 302, text_of(answer.get_data(as_text=True))[:500]
    job_url = answer.headers["Location"]
    assert re.fullmatch(r"/jobs/\d+", job_url)  # the job of several teams lives outside one
    run_jobs(app)
    page = admin.get(job_url).get_data(as_text=True)
    shown = text_of(page)
    assert "Terminado" in shown and "2 equipos" in shown
    progress = text_of(page.split('data-testid="job-teams"', 1)[1].split("</table>", 1)[0])
    for team in chosen:  # each team's row, by name, with its own count
        seeded = sandbox.store.teams[team]
        name = (seeded.get("brand") or {}).get("alias") or seeded["legal_name"]
        count = len(month_documents(stored, team))
        assert f"{name} {count} de {count}" in progress, progress
    links = re.findall(r'href="(/jobs/\d+/files/\d+)"', page)
    assert len(links) == 2
    for link in links:
        archive = zipfile.ZipFile(io.BytesIO(admin.get(link).get_data()))
        xml = next(n for n in archive.namelist() if n.startswith("XML/"))
        rfc = xml.removeprefix("XML/").split("_")[0]
        team = next(t for t in chosen if stored.team(t)["tax_id"] == rfc)
        uuids = sorted(row["UUID"] for row in resumen_rows(archive))
        assert uuids == sorted(d["uuid"] for d in month_documents(stored, team))
