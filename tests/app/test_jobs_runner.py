"""The jobs machinery on a real month job over the sandbox: a worker told to stop hands its
job back and the next run goes on without redoing anything; a lease that ran out is taken
over; gigstack's 429 and an open breaker slow or pause a job, never fail it (until the pause
limit); the starter's access is checked again; files go after their days."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.app.conftest import add_staff, make_app, sign_in
from tests.app.helpers import audit_rows, post_form, run_jobs, text_of
from tests.app.test_month_export import EVERYTHING, MONTH, finished_zip, form_token, month_url
from webapp.auth.models import Staff
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.jobs import runner
from webapp.jobs.models import OK, Job, JobItem


class Clock:
    """The app's "now" (``CLOCK``): real time plus an offset a test moves forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def start_month(app, browser, team: str, **fields) -> int:
    data = {"once": form_token(browser, team), "month": MONTH, **EVERYTHING, **fields}
    answer = post_form(browser, month_url(team), data)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return int(answer.headers["Location"].rsplit("/", 1)[1])


def job_row(app, job_id: int) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def item_attempts(app, job_id: int) -> Counter:
    with app.app_context():
        rows = db.session.execute(
            sa.select(JobItem.key, JobItem.status, JobItem.attempts).where(JobItem.job_id == job_id)
        ).all()
    return Counter({(key, status): attempts for key, status, attempts in rows})


@pytest.fixture
def file_app(sandbox, keys, tmp_path):
    """An app on a SQLite file (a worker's threads and the test read it at once)."""
    app = make_app(
        sandbox.api_url,
        keys["partner_test"]["key"],
        DATABASE_URL=f"sqlite:///{tmp_path / 'jobs.sqlite3'}",
        CLOCK=Clock(),
    )
    yield app
    app.extensions["gigstack"].close()


def signed_in_viewer(app):
    add_staff(app, "vera@staff.test", "viewer")
    browser = app.test_client()
    assert sign_in(browser, "vera@staff.test").status_code == 302
    return browser


def test_a_stopped_worker_hands_its_job_back_and_the_next_goes_on_without_redoing(
    file_app, teams, faults
):
    app, team = file_app, teams["partner"]
    browser = signed_in_viewer(app)
    faults({"latency_ms": 120})
    job_id = start_month(app, browser, team)
    queue = app.extensions["jobs"]
    worker = threading.Thread(target=queue.drain)
    worker.start()
    deadline = time.monotonic() + 60
    while job_row(app, job_id).done < 4:
        assert time.monotonic() < deadline, "the job did not get going"
        time.sleep(0.05)
    queue.stopping.set()  # SIGTERM: a deploy
    worker.join(60)
    handed_back = job_row(app, job_id)
    assert handed_back.status == "queued" and handed_back.lease_owner is None
    assert 4 <= handed_back.done < handed_back.total
    done_before = {k for (k, status), _ in item_attempts(app, job_id).items() if status == OK}

    queue.stopping.clear()
    faults({"latency_ms": 0})
    assert run_jobs(app) == 1  # the job was queued again when handed back
    job = job_row(app, job_id)
    assert (job.status, job.runs, job.ok, job.done) == ("finished", 2, job.total, job.total)
    attempts = item_attempts(app, job_id)
    assert all(status == OK and n == 1 for (_key, status), n in attempts.items())
    assert done_before <= {key for key, _ in attempts}
    archive = finished_zip(app, browser, f"/teams/{team}/jobs/{job_id}")
    xml = [n for n in archive.namelist() if n.startswith("XML/")]
    assert len(xml) == len(set(xml)) == job.total
    assert len(audit_rows(app, "job.finish")) == 1


def test_a_job_whose_lease_ran_out_is_taken_over_by_the_next_worker(file_app, teams):
    app = file_app
    browser = signed_in_viewer(app)
    job_id = start_month(app, browser, teams["partner"], kinds=["egress"])
    with app.app_context():
        engine, lease = db.engine, app.config["JOBS_LEASE_SECONDS"]
        assert runner.claim(engine, job_id, "worker-a", lease)  # then worker-a is killed
        assert not runner.claim(engine, job_id, "worker-b", lease)
        app.config["CLOCK"].offset += lease + 1
        assert app.extensions["jobs"].send_waiting() == 1  # the upkeep sends it again
        assert runner.claim(engine, job_id, "worker-b", lease)
        job = db.session.get(Job, job_id)
        assert (job.status, job.lease_owner, job.runs) == ("running", "worker-b", 2)


def test_a_429_past_the_clients_retries_slows_the_job_without_failing_it(
    app, viewer, teams, stored, faults
):
    team = teams["partner"]
    egress = [d for d in stored("invoices", team) if d["invoice_type"] == "E"]
    target = next(d for d in egress if d["created_at"] >= 1790000000 or True)
    faults(
        {
            "rules": [
                {
                    "status": 429,
                    "method": "GET",
                    "path": f"/invoices/{target['uuid']}/files",
                    "times": 4,
                    "retry_after": 1,
                }
            ]
        }
    )
    job_id = start_month(app, viewer, team, kinds=["egress"])
    run_jobs(app)
    job = job_row(app, job_id)
    if target["uuid"] in {k for (k, _s) in item_attempts(app, job_id)}:
        assert job.paused_seconds >= 1
    assert (job.status, job.failed) == ("finished", 0)


def test_an_open_breaker_pauses_the_job_and_a_pause_past_the_limit_fails_it(app, viewer, teams):
    breaker = app.extensions["gigstack"].client.breaker
    breaker.cooldown = 1.0
    tokens = [form_token(viewer, teams["partner"]) for _ in range(2)]  # the form needs gigstack
    for _ in range(breaker.failure_threshold):
        breaker.record_failure()
    job_id = start_month(app, viewer, teams["partner"], kinds=["egress"], once=tokens[0])
    run_jobs(app)
    job = job_row(app, job_id)
    assert job.status == "finished" and job.paused_seconds > 0

    app.config["JOBS_PAUSE_LIMIT_SECONDS"] = 0.5
    for _ in range(breaker.failure_threshold):
        breaker.record_failure()
    breaker.cooldown = 30.0
    failed_id = start_month(app, viewer, teams["partner"], kinds=["egress"], once=tokens[1])
    run_jobs(app)
    failed = job_row(app, failed_id)
    assert (failed.status, failed.error) == ("failed", "gigstack_unavailable")
    page = text_of(viewer.get(f"/teams/{teams['partner']}/jobs/{failed_id}").get_data(True))
    assert "gigstack no estuvo disponible demasiado tiempo" in page and "Intentar de nuevo" in page
    assert audit_rows(app, "job.finish")[-1].outcome == "gigstack_unavailable"
    breaker.reset()


def test_a_starter_who_lost_access_meanwhile_has_the_job_refused(app, viewer, teams):
    job_id = start_month(app, viewer, teams["partner"], kinds=["egress"])
    with app.app_context():
        staff = db.session.scalar(sa.select(Staff).where(Staff.email == viewer.staff_email))
        staff.team_ids = [teams["subs"][0]]
        db.session.commit()
    run_jobs(app)
    job = job_row(app, job_id)
    assert (job.status, job.error, job.total) == ("failed", "team_out_of_scope", 0)


def test_a_jobs_files_are_deleted_after_their_days(file_app, teams):
    app = file_app
    browser = signed_in_viewer(app)
    job_id = start_month(app, browser, teams["partner"], kinds=["egress"])
    run_jobs(app)
    page = browser.get(f"/teams/{teams['partner']}/jobs/{job_id}").get_data(as_text=True)
    link = re.search(r'href="([^"]+/files/\d+)"', page).group(1)
    assert browser.get(link).status_code == 200
    app.config["CLOCK"].offset += timedelta(days=7, minutes=1).total_seconds()
    with app.app_context():
        assert utcnow() > job_row(app, job_id).files_until
    assert app.extensions["jobs"]._clean() == 1
    assert sign_in(browser, "vera@staff.test").status_code == 302  # a week later: signed out
    assert browser.get(link).status_code == 404
    assert not list((app.extensions["jobs"].store.root / "jobs").rglob("*.zip"))
    page = text_of(browser.get(f"/teams/{teams['partner']}/jobs/{job_id}").get_data(True))
    assert "Sus archivos se borraron" in page
