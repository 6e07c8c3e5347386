"""The accountant's month at scale, measured on real processes (issue 22's numbers).

    python -m bench.month                                   # all three phases
    python -m bench.month --phases straight --scale 200 --latency-ms 100
    BENCH_REDIS_URL=redis://127.0.0.1:6379/0 python -m bench.month --phases redis

A sandbox process (``--scale``: 200 gives the partner ~2,000 test invoices a month) answers
with injected latency; jobs workers (``python -m webapp.jobs``, the Procfile's ``worker:``) run
the month the way the dashboard queues it (``lifecycle.start``). Phases:

- ``straight``: the partner's busiest month on one worker — wall time, calls per second to
  gigstack (the sandbox's own count), the worker's peak RSS (sampled, and the kernel's high
  water mark), ZIP size, and the ``resumen.csv`` re-added against every XML in the ZIP;
- ``killed``: the same month, the worker SIGKILLed half-way and started again — the job
  finishes, every CFDI once in the ZIP, nothing missing;
- ``bulk``: a bulk cancel of 200 invoices, gigstack refusing 20 % of them once: per-item
  results, then the retry of the failed ones only;
- ``redis``: two workers on one Redis queue (``BENCH_REDIS_URL``, else a server started by
  ``tools/test-services``): a 10-team partner month and a one-team month queued together, the
  first worker killed while it runs the partner month, the other one finishing both.

Results are printed and kept in ``bench/results/month-<when>.json``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

from bench.run import PASSWORD, ROOT, free_port, wait_for

RESULTS = ROOT / "bench" / "results"
EMAIL = "month-bench@backoffice.test"


class Stack:
    """The sandbox, the database and queue settings, and the jobs workers."""

    def __init__(self, args: argparse.Namespace, folder: str) -> None:
        self.args = args
        self.folder = folder
        self.workers: list[subprocess.Popen] = []
        port = free_port()
        self.sandbox_origin = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        self.sandbox = subprocess.Popen(
            [sys.executable, "-m", "webapp.sandbox", "--port", str(port), "--test-mode"]
            + ["--scale", str(args.scale), "--teams", str(args.sandbox_teams)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(self.sandbox_origin + "/_sandbox/keys", 900)
        self.seeded_seconds = time.perf_counter() - started
        keys = requests.get(self.sandbox_origin + "/_sandbox/keys", timeout=10).json()
        partner = keys["partner_test"]
        self.env = {
            **os.environ,
            "APP_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "LOG_LEVEL": "WARNING",
            "ALLOW_SQLITE": "1",
            "GIGSTACK_SANDBOX_URL": self.sandbox_origin + "/v2",
            "GIGSTACK_SANDBOX_KEY": partner["key"] if isinstance(partner, dict) else partner,
            "FILES_DIR": os.path.join(folder, "files"),
            "JOBS_RATE_PER_SECOND": str(args.rate),
            "JOBS_TEAM_CONCURRENCY": str(args.per_team),
            "PYTHONPATH": str(ROOT),
        }

    def use(self, database_url: str, queue_url: str) -> None:
        """Point the next app and workers at this database and queue (migrated, one admin)."""
        self.env.update(DATABASE_URL=database_url, JOBS_QUEUE_URL=queue_url)
        os.environ.update(self.env)

    def latency(self, milliseconds: int) -> None:
        requests.put(
            self.sandbox_origin + "/_sandbox/faults",
            json={"latency_ms": milliseconds, "jitter_ms": milliseconds // 10},
            timeout=10,
        ).raise_for_status()

    def calls(self) -> int:
        """API and file requests the sandbox has answered so far."""
        return requests.get(self.sandbox_origin + "/_sandbox/requests", timeout=10).json()[
            "requests"
        ]

    def sandbox_cpu(self) -> float:
        """CPU seconds the sandbox (gigstack's stand-in: it builds every XML and PDF) used."""
        fields = Path(f"/proc/{self.sandbox.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def start_worker(self) -> subprocess.Popen:
        worker = subprocess.Popen(
            [sys.executable, "-m", "webapp.jobs"],
            cwd=ROOT,
            env={**self.env, "JOBS_WORKER_THREADS": "1"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.workers.append(worker)
        return worker

    def stop_workers(self) -> None:
        """Stop the jobs workers (the next phase starts fresh ones)."""
        for worker in self.workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=30)
        self.workers.clear()

    def stop(self) -> None:
        for process in [*self.workers, self.sandbox]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [*self.workers, self.sandbox]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def results_of(args: argparse.Namespace, stack: Stack) -> dict[str, Any]:
    """A bench's results as they start: when, with which arguments, how long seeding took."""
    return {
        "when": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
        "args": vars(args),
        "seeded_seconds": round(stack.seeded_seconds, 1),
    }


class RssWatch:
    """The peak resident memory of some processes, sampled every 0.2 s."""

    def __init__(self, progress: Any = None) -> None:
        self.peak_mb: dict[int, float] = {}
        # (items done, RSS MB) about every 5 s: flat, or growing with the month?
        self.series: list[tuple[int, float]] = []
        self._progress = progress
        self._stop = threading.Event()
        self._pids: list[int] = []
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def watch(self, pid: int) -> None:
        self._pids.append(pid)

    def _sample(self) -> None:
        ticks = 0
        while not self._stop.wait(0.2):
            ticks += 1
            for pid in list(self._pids):
                found = status(pid)
                for value in found.values():
                    self.peak_mb[pid] = max(self.peak_mb.get(pid, 0.0), value)
                if self._progress and ticks % 25 == 0 and "VmRSS" in found:
                    self.series.append((self._progress(), round(found["VmRSS"], 1)))

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def status(pid: int) -> dict[str, float]:
    """``VmRSS`` / ``VmHWM`` of ``pid`` in MB (empty once it is gone)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return {
        line.split(":")[0]: int(line.split()[1]) / 1024
        for line in lines
        if line.startswith(("VmRSS:", "VmHWM:"))
    }


@contextmanager
def app_context() -> Iterator[Any]:
    """The dashboard's app on the stack's settings (migrated, the bench admin present)."""
    from webapp import create_app, database
    from webapp.auth.models import Staff
    from webapp.extensions import db

    app = create_app()
    database.upgrade(app)
    with app.app_context():
        if db.session.query(Staff).filter_by(email=EMAIL).first() is None:
            staff = Staff(email=EMAIL, name="Month bench", role="admin")
            staff.set_password(PASSWORD)
            db.session.add(staff)
            db.session.commit()
        try:
            yield app
        finally:
            app.extensions["gigstack"].close()


def start_month(
    app: Any,
    month: str,
    *,
    team: str | None,
    teams: list[str] | None = None,
    kinds: list[str] | None = None,
) -> int:
    """Queue the month as the form does (``lifecycle.start``), signed in as the bench admin."""
    from flask_login import login_user

    from webapp.auth.models import Staff
    from webapp.jobs import lifecycle
    from webapp.month.job import KINDS, MONTH, STATUSES

    params: dict[str, Any] = {
        "month": month,
        "kinds": [k for k in KINDS if k in (kinds or KINDS)],
        "statuses": list(STATUSES),
    }
    if teams:
        params["teams"] = teams
    with app.test_request_context("/"):
        login_user(Staff.query.filter_by(email=EMAIL).one())
        return lifecycle.start(MONTH, team=team, params=params, description=f"bench {month}").id


def job_row(app: Any, job_id: int) -> Any:
    from webapp.extensions import db
    from webapp.jobs.models import Job

    with app.app_context():
        db.session.expire_all()
        return db.session.get(Job, job_id)


def wait_job(app: Any, job_id: int, *, until: Any = None, seconds: float = 3600) -> Any:
    """Poll the job's row until it ends (or ``until(job)`` holds); the row as last read."""
    from webapp.jobs.models import ENDED

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = job_row(app, job_id)
        if job.status in ENDED or (until and until(job)):
            return job
        time.sleep(0.5)
    raise TimeoutError(f"job {job_id} did not end within {seconds:.0f} s")


def busiest_month(app: Any) -> tuple[str, int]:
    """The partner's month (of the seeded half-year) with the most income invoices."""
    from webapp.clock import utcnow
    from webapp.month import periods

    client = app.extensions["gigstack"].client
    best = ("", -1)
    first = periods.parse(periods.key(utcnow()))
    for _ in range(8):
        first = periods.previous(first)
        start, end = periods.bounds(first)
        page = client.invoices.list("income", created_gte=start, created_lte=end, limit=1)
        count = page.total_results or 0
        if count > best[1]:
            best = (periods.key(first), count)
    return best


def check_zip(app: Any, job_id: int, folder: str) -> dict[str, Any]:
    """Every XML once, the resumen's rows and totals equal to what the XMLs say."""
    from webapp.extensions import db
    from webapp.jobs.models import JobFile
    from webapp.month import resumen
    from webapp.month.cfdi import read_cfdi

    with app.app_context():
        files = db.session.query(JobFile).filter_by(job_id=job_id).all()
        keys = [(f.team, f.key, f.size) for f in files]
    out: dict[str, Any] = {"zips": len(keys), "zip_bytes": sum(size for _t, _k, size in keys)}
    documents = duplicates = 0
    mismatches: list[str] = []
    for _team, key, _size in keys:
        with zipfile.ZipFile(os.path.join(folder, "files", key)) as archive:
            names = [n for n in archive.namelist() if n.startswith("XML/")]
            duplicates += len(names) - len(set(names))
            total_xml = Decimal(0)
            uuids = set()
            for name in names:
                cfdi = read_cfdi(archive.read(name)).to_dict()
                uuids.add(cfdi.get("uuid"))
                total_xml += Decimal(str(cfdi.get("total") or 0))
            documents += len(names)
            duplicates += len(names) - len(uuids)
            rows = list(csv.reader(io.TextIOWrapper(archive.open("resumen.csv"), "utf-8-sig")))
            body = rows[1:]
            at = resumen.COLUMNS.index("total")
            total_csv = sum((Decimal(r[at] or 0) for r in body), Decimal(0))
            if len(body) != len(names):
                mismatches.append(f"{key}: {len(body)} rows for {len(names)} XML")
            if total_csv != total_xml:
                mismatches.append(f"{key}: resumen total {total_csv} ≠ XML total {total_xml}")
    return out | {"documents": documents, "duplicates": duplicates, "mismatches": mismatches}


def run_month(stack: Stack, app: Any, month: str, team: str, *, kill_at: float | None) -> dict:
    """One month on one worker (killed once at ``kill_at`` of the items, then restarted)."""
    job_id = 0
    watch = RssWatch(lambda: job_row(app, job_id).done if job_id else 0)
    worker = stack.start_worker()
    watch.watch(worker.pid)
    calls_before, started = stack.calls(), time.perf_counter()
    sandbox_cpu = stack.sandbox_cpu()
    job_id = start_month(app, month, team=team)
    killed_at = None
    if kill_at is not None:
        job = wait_job(
            app, job_id, until=lambda j: j.phase == "items" and j.done >= kill_at * j.total > 0
        )
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        killed_at = {"done": job.done, "total": job.total, "seconds": time.perf_counter() - started}
        worker = stack.start_worker()
        watch.watch(worker.pid)
    job = wait_job(app, job_id)
    wall = time.perf_counter() - started
    calls = stack.calls() - calls_before
    watch.close()
    os.killpg(worker.pid, signal.SIGTERM)
    worker.wait(timeout=60)
    checked = check_zip(app, job_id, stack.folder)
    return {
        "month": month,
        "status": job.status,
        "items": job.total,
        "ok": job.ok,
        "skipped": job.skipped,
        "failed": job.failed,
        "runs": job.runs,
        "wall_seconds": round(wall, 1),
        "calls": calls,
        "calls_per_second": round(calls / wall, 1),
        "sandbox_cpu_seconds": round(stack.sandbox_cpu() - sandbox_cpu, 1),
        "worker_peak_rss_mb": [round(v, 1) for v in watch.peak_mb.values()],
        "worker_rss_by_items_done": watch.series[:: max(1, len(watch.series) // 12)],
        "killed": killed_at,
        **checked,
    }


def phase_redis(
    stack: Stack, app: Any, month: str, teams: list[str], single: str, kinds: list[str]
) -> dict:
    """Two workers on one Redis queue: a partner month and a one-team month together; the
    worker that runs the partner month is killed once, the other one takes it over."""
    from webapp.jobs.models import Job

    watch = RssWatch()
    workers = [stack.start_worker(), stack.start_worker()]
    for worker in workers:
        watch.watch(worker.pid)
    started = time.perf_counter()
    partner_id = start_month(app, month, team=None, teams=teams, kinds=kinds)
    single_id = start_month(app, month, team=single, kinds=kinds)
    job: Job = wait_job(app, partner_id, until=lambda j: j.phase == "items" and j.done > 0)
    owners = {job_row(app, single_id).lease_owner, job.lease_owner}
    victim = next(
        (w for w in workers if job.lease_owner and str(w.pid) in job.lease_owner), workers[0]
    )
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    killed = {"done": job.done, "total": job.total, "owner": job.lease_owner, "pid": victim.pid}
    partner = wait_job(app, partner_id)
    single_job = wait_job(app, single_id)
    wall = time.perf_counter() - started
    watch.close()
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
    return {
        "teams": len(teams),
        "kinds": kinds,
        "wall_seconds": round(wall, 1),
        "owners_while_both_ran": sorted(o or "" for o in owners),
        "killed": killed,
        "partner": {
            "status": partner.status,
            "items": partner.total,
            "ok": partner.ok,
            "failed": partner.failed,
            "runs": partner.runs,
            "finished_by_pid": [w.pid for w in workers if w is not victim],
            **check_zip(app, partner_id, stack.folder),
        },
        "single": {
            "status": single_job.status,
            "items": single_job.total,
            "ok": single_job.ok,
            **check_zip(app, single_id, stack.folder),
        },
    }


def phase_bulk(stack: Stack, app: Any, team: str, count: int, refused_share: float) -> dict:
    """A bulk cancel of ``count`` valid income invoices (motive 02) where gigstack refuses
    ``refused_share`` of them once (a 400 on their DELETE): the per-item results, then a
    retry of the failed ones only (every other item left as it was)."""
    from flask_login import login_user

    from webapp.auth.models import Staff
    from webapp.bulk.jobs import KINDS as BULK
    from webapp.extensions import db
    from webapp.jobs import lifecycle
    from webapp.jobs.models import Job, JobItem

    client = app.extensions["gigstack"].client
    picks: list[str] = []
    for invoice in client.invoices.iter("income", status="valid", limit=100):
        if invoice.get("payment_method") == "PUE" and invoice.get("uuid"):  # no complements
            picks.append(invoice["uuid"])
        if len(picks) == count:
            break
    refused = picks[:: round(1 / refused_share)][: round(count * refused_share)]
    rules = [
        {"method": "DELETE", "path": f"/invoices/{uuid}", "status": 400, "times": 1}
        for uuid in refused
    ]
    requests.put(
        stack.sandbox_origin + "/_sandbox/faults",
        json={"latency_ms": stack.args.latency_ms, "rules": rules},
        timeout=10,
    ).raise_for_status()
    params = {
        "of": "invoices",
        "kind": "income",
        "picks": picks,
        "count": len(picks),
        "reason": "bench: a bulk cancel with refusals",
        "motive": "02",
    }
    worker = stack.start_worker()
    with app.test_request_context("/"):
        login_user(Staff.query.filter_by(email=EMAIL).one())
        job_id = lifecycle.start(BULK["cancel"], team=team, params=params, description="bench").id
    started, calls = time.perf_counter(), stack.calls()
    first = wait_job(app, job_id)
    first_seconds, first_calls = time.perf_counter() - started, stack.calls() - calls

    def results() -> dict[str, tuple[str, int]]:
        with app.app_context():
            rows = db.session.query(JobItem).filter_by(job_id=job_id).all()
            return {row.key: (row.status, row.attempts) for row in rows}

    before = results()
    with app.test_request_context("/"):
        login_user(Staff.query.filter_by(email=EMAIL).one())
        sent_again = lifecycle.retry_failed(db.session.get(Job, job_id))
    calls = stack.calls()
    second = wait_job(app, job_id)
    after = results()
    os.killpg(worker.pid, signal.SIGTERM)
    worker.wait(timeout=60)
    failed_first = sorted(k for k, (status, _n) in before.items() if status == "failed")
    return {
        "items": first.total,
        "first_run": {
            "ok": first.ok,
            "skipped": first.skipped,
            "failed": first.failed,
            "seconds": round(first_seconds, 1),
            "calls": first_calls,
            "failed_are_the_refused": failed_first == sorted(refused),
        },
        "retry": {
            "sent_again": sent_again,
            "ok": second.ok,
            "failed": second.failed,
            "calls": stack.calls() - calls,
            "others_untouched": all(after[k][1] == 1 for k in before if k not in set(refused)),
            "refused_tried_twice": all(after[k] == ("ok", 2) for k in refused),
        },
    }


def redis_url() -> tuple[str, Any]:
    """``BENCH_REDIS_URL``, else a Redis of ``tools/test-services`` (stopped afterwards)."""
    if os.environ.get("BENCH_REDIS_URL"):
        return os.environ["BENCH_REDIS_URL"], None
    folder = tempfile.mkdtemp(prefix="month-bench-services-")
    tool = str(ROOT / "tools" / "test-services")
    exports = subprocess.run([tool, "start", folder], check=True, capture_output=True, text=True)
    found = dict(
        line.removeprefix("export ").split("=", 1)
        for line in exports.stdout.splitlines()
        if line.startswith("export ")
    )
    url = found["TEST_REDIS_URL"].strip("'\"")
    return url, lambda: subprocess.run([tool, "stop", folder], check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description="the accountant's month at scale")
    parser.add_argument("--scale", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--rate", type=float, default=20.0, help="JOBS_RATE_PER_SECOND")
    parser.add_argument("--per-team", type=int, default=4, help="JOBS_TEAM_CONCURRENCY")
    parser.add_argument("--phases", default="straight,killed,bulk,redis")
    parser.add_argument("--bulk", type=int, default=200, help="invoices the bulk cancel picks")
    parser.add_argument("--teams", type=int, default=10, help="teams of the redis phase")
    parser.add_argument(
        "--sandbox-teams",
        type=int,
        default=4,
        help="extra sub-teams without documents (the seed has 6 besides the key's own)",
    )
    parser.add_argument(
        "--redis-kinds",
        default="egress,payment",
        help="what the redis phase's months hold (its point is two workers, not volume)",
    )
    args = parser.parse_args()
    phases = args.phases.split(",")
    folder = tempfile.mkdtemp(prefix="month-bench-")
    stack = Stack(args, folder)
    results = results_of(args, stack)
    stop_redis = None
    try:
        stack.use(f"sqlite:///{folder}/month.sqlite3", f"sqlite:///{folder}/queue.sqlite3")
        with app_context() as app:
            month, count = busiest_month(app)
            results["month"] = {"key": month, "income_invoices": count}
            me = partner_team(app)
            stack.latency(args.latency_ms)
            for name, kill_at in (("straight", None), ("killed", 0.5)):
                if name in phases:
                    results[name] = run_month(stack, app, month, me, kill_at=kill_at)
                    print(json.dumps({name: results[name]}, indent=1), flush=True)
            if "bulk" in phases:
                results["bulk"] = phase_bulk(stack, app, me, args.bulk, 0.2)
                print(json.dumps({"bulk": results["bulk"]}, indent=1), flush=True)
            stack.latency(0)
            teams = sub_teams(app, args.teams)
        if "redis" in phases:
            url, stop_redis = redis_url()
            stack.use(f"sqlite:///{folder}/month-redis.sqlite3", url)
            with app_context() as app:
                stack.latency(args.latency_ms)
                kinds = args.redis_kinds.split(",")
                results["redis"] = phase_redis(stack, app, month, teams, me, kinds)
                print(json.dumps({"redis": results["redis"]}, indent=1), flush=True)
    finally:
        stack.stop()
        if stop_redis:
            stop_redis()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"month-{results['when']}.json").write_text(json.dumps(results, indent=1))
    return 0


def partner_team(app: Any) -> str:
    """The key's own team (the partner's)."""
    return app.extensions["gigstack"].key_info.team


def sub_teams(app: Any, count: int) -> list[str]:
    """``count`` teams the partner's key reaches besides its own."""
    own = partner_team(app)
    page = app.extensions["gigstack"].client.teams.list(limit=count + 1)
    return [team["id"] for team in page if team["id"] != own][:count]


if __name__ == "__main__":
    raise SystemExit(main())
