"""Running one job in a worker: take its lease, list its items once, do the pending ones a few
at a time, make its files, and say how it ended.

What keeps a job whole through restarts and several workers:

- **the lease**: a worker runs a job only after an atomic update makes it the job's
  ``lease_owner``; it renews the lease every third of ``JOBS_LEASE_SECONDS`` while it works. A
  job whose lease ran out (its worker was killed) is taken over by the next worker the queue
  hands it to — the queue may deliver a job twice, the lease lets one run it;
- **per-item state**: an item is done when its row says so; its result and the job's counts
  change in one transaction, and only from ``pending`` — an item is never counted twice, and a
  job taken over does only what is still pending. Creates carry the item's own idempotency
  key, the same on every try;
- **gigstack's limits**: K calls in flight per team and a global rate (:mod:`.limits`); a 429
  holds every call for its ``Retry-After``, an open breaker pauses the job — both slow it down,
  neither fails it (until ``JOBS_PAUSE_LIMIT_SECONDS`` of pauses in all); a 5xx or a timeout is
  tried again a few times before the item fails with gigstack's message.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, g
from flask_babel import force_locale

from webapp.clock import utcnow
from webapp.extensions import db
from webapp.gigstack import CircuitOpen, GigstackError, RateLimited, Unavailable

from . import audit_rows
from .kinds import Item, JobKind, Outcome, failed, kind_of
from .models import (
    FAILED,
    FILES,
    FINISHED,
    ITEMS,
    OK,
    PENDING,
    PLAN,
    QUEUED,
    RUNNING,
    SKIPPED,
    Job,
    JobItem,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

# tries of an item gigstack could not answer (5xx, timeout) before it fails
ITEM_TRIES = 3
ITEM_BACKOFF_SECONDS = 2.0
# the widget's "now doing" is written at most this often
CURRENT_EVERY_SECONDS = 0.5

JOBS = Job.__table__
ITEMS_TABLE = JobItem.__table__
WALK_PAGE = 100  # rows of a gigstack list asked for at once
ITEMS_PER_READ = 500  # item rows read at once: a 100,000-document job is never held whole
# items handed to the threads ahead of them, per thread (memory flat, the threads never idle)
ITEMS_AHEAD = 2


class JobFailed(Exception):
    """The job cannot go on (a staff member no longer allowed, gigstack away too long)."""


class Stopped(Exception):
    """The worker is stopping or lost the lease: hand the job back, do nothing more."""


def claim(engine: sa.Engine, job_id: int, owner: str, lease: float) -> bool:
    """Make ``owner`` the job's runner: a queued job, or a running one whose lease ran out."""
    now = utcnow()
    with engine.begin() as conn:
        taken = conn.execute(
            sa.update(JOBS)
            .where(
                JOBS.c.id == job_id,
                sa.or_(
                    JOBS.c.status == QUEUED,
                    sa.and_(JOBS.c.status == RUNNING, JOBS.c.lease_until < now),
                ),
            )
            .values(
                status=RUNNING,
                lease_owner=owner,
                lease_until=now + timedelta(seconds=lease),
                started_at=sa.func.coalesce(JOBS.c.started_at, now),
                runs=JOBS.c.runs + 1,
                paused_until=None,
            )
        )
        return taken.rowcount == 1


class Heartbeat(threading.Thread):
    """Renews the lease while the job runs; tells the job when the lease was lost."""

    def __init__(
        self, engine: sa.Engine, job_id: int, owner: str, lease: float, lock: threading.RLock
    ) -> None:
        super().__init__(name=f"job-{job_id}-lease", daemon=True)
        self.engine, self.job_id, self.owner, self.lease = engine, job_id, owner, lease
        self.lock = lock
        self.stop_event = threading.Event()
        self.lost = threading.Event()

    def run(self) -> None:
        while not self.stop_event.wait(self.lease / 3):
            try:
                with self.lock, self.engine.begin() as conn:
                    renewed = conn.execute(
                        sa.update(JOBS)
                        .where(JOBS.c.id == self.job_id, JOBS.c.lease_owner == self.owner)
                        .values(lease_until=utcnow() + timedelta(seconds=self.lease))
                    )
                if renewed.rowcount != 1:
                    self.lost.set()
                    return
            except sa.exc.SQLAlchemyError as exc:  # the next beat tries again
                log.warning("job %s: lease not renewed (%s)", self.job_id, type(exc).__name__)

    def stop(self) -> None:
        self.stop_event.set()


class Work:
    """What a kind sees while its job runs: the job, gigstack for a team, the file store, the
    limits, and ``call`` — every gigstack call of a job goes through it."""

    def __init__(
        self,
        app: Flask,
        job: Job,
        owner: str,
        stopping: threading.Event,
        heartbeat: Heartbeat,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        jobs = app.extensions["jobs"]
        self.app = app
        self.job_id = job.id
        self.job = job
        self.owner = owner
        self.engine: sa.Engine = db.engine
        self.store = jobs.store
        self.limits = jobs.limits
        self.settings = app.config
        self._stopping = stopping
        self._heartbeat = heartbeat
        self._sleep = sleep
        self.db_lock = heartbeat.lock
        self._pause_lock = threading.Lock()
        self._paused_until = 0.0
        self._paused_total = float(job.paused_seconds or 0.0)
        self._current_at = 0.0
        # set when an item ended the job (a pause too long): the others stop at once
        self.halt = threading.Event()
        # what a kind learns while its job runs in this worker (lost with it: a kind that
        # keeps it must manage without on a take-over)
        self.memo: dict[str, Any] = {}

    # -- gigstack -----------------------------------------------------------------------

    def client(self, team: str | None = None) -> Any:
        """The process's gigstack client, bound to ``team`` (default: the job's)."""
        client = self.app.extensions["gigstack"].client
        team = team or self.job.team
        return client.for_team(team) if team else client

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One gigstack call at the global rate; a 429 or an open breaker waits and tries
        again (the job slows down or pauses, it does not fail)."""
        while True:
            self.check_going()
            self.limits.pace()
            try:
                return fn(*args, **kwargs)
            except RateLimited as error:
                wait = error.retry_after or 5.0
                self.limits.hold(wait)
                self.pause(wait)
            except CircuitOpen as error:
                self.pause(error.retry_after or 5.0)

    def walk(self, list_call: Callable[..., Any], **filters: Any) -> Iterator[dict[str, Any]]:
        """Every row of a gigstack list, a paced call per page of 100 (oldest first unless
        ``filters`` say otherwise); a cursor seen twice ends the walk."""
        cursor, seen = None, set()
        query = {"order_by": "timestamp", "sort": "asc", **filters}
        while True:
            page = self.call(list_call, limit=WALK_PAGE, next=cursor, **query)
            yield from page
            cursor = page.next_cursor
            if not cursor or cursor in seen:
                return
            seen.add(cursor)

    def pause(self, seconds: float) -> None:
        """Wait ``seconds`` (shown on the widget); pauses past the limit fail the job."""
        now = time.time()
        with self._pause_lock:
            until = now + seconds
            if until > self._paused_until:
                self._paused_total += until - max(now, self._paused_until)
                self._paused_until = until
                with self.db() as conn:
                    conn.execute(
                        sa.update(JOBS)
                        .where(JOBS.c.id == self.job_id)
                        .values(
                            paused_until=utcnow() + timedelta(seconds=seconds),
                            paused_seconds=self._paused_total,
                        )
                    )
            if self._paused_total > self.settings["JOBS_PAUSE_LIMIT_SECONDS"]:
                raise JobFailed("gigstack_unavailable")
        log.info("job %s: paused %.1f s (gigstack asked to wait)", self.job_id, seconds)
        self.wait(self._paused_until - time.time())

    @contextmanager
    def language(self) -> Iterator[None]:
        """What the job writes (its files, its items' messages) is in its starter's language."""
        with force_locale(self.job.locale or "es_MX"):
            g.pop("_translations", None)  # webapp.i18n keeps the request's catalogue here
            try:
                yield
            finally:
                g.pop("_translations", None)

    # -- the job's rows -----------------------------------------------------------------

    @contextmanager
    def db(self) -> Iterator[sa.Connection]:
        """A transaction of its own (threads share no session); SQLite in memory (tests) has
        one connection, so its users take turns."""
        with self.db_lock, self.engine.begin() as conn:
            yield conn

    def check_going(self) -> None:
        """Raise :class:`Stopped` once the worker is stopping, the lease is lost, or another
        item ended the job."""
        if self._stopping.is_set() or self._heartbeat.lost.is_set() or self.halt.is_set():
            raise Stopped()

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, a second at a time, stopping with the worker."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.check_going()
            self._sleep(min(1.0, left))

    def now_doing(self, label: str) -> None:
        """The item in hand, for the widget (written at most twice a second)."""
        if time.monotonic() - self._current_at < CURRENT_EVERY_SECONDS:
            return
        self._current_at = time.monotonic()
        with self.db() as conn:
            conn.execute(sa.update(JOBS).where(JOBS.c.id == self.job_id).values(current=label))

    def set_phase(self, phase: str) -> None:
        with self.db() as conn:
            conn.execute(
                sa.update(JOBS).where(JOBS.c.id == self.job_id).values(phase=phase, current=None)
            )

    def save_state(self, **changes: Any) -> None:
        """Keep what the kind learnt (``job.state``) for a worker that takes over."""
        self.job.state = {**(self.job.state or {}), **changes}
        with self.db() as conn:
            conn.execute(
                sa.update(JOBS).where(JOBS.c.id == self.job_id).values(state=self.job.state)
            )

    def _rows(self, team: str | None, status: str | None) -> Iterator[dict[str, Any]]:
        """The job's item rows in order (of one team, of one status), read 500 at a time."""
        after = 0
        while True:
            query = (
                sa.select(ITEMS_TABLE)
                .where(ITEMS_TABLE.c.job_id == self.job_id, ITEMS_TABLE.c.seq > after)
                .order_by(ITEMS_TABLE.c.seq)
                .limit(ITEMS_PER_READ)
            )
            if team is not None:
                query = query.where(ITEMS_TABLE.c.team == team)
            if status is not None:
                query = query.where(ITEMS_TABLE.c.status == status)
            with self.db() as conn:
                rows = [dict(row) for row in conn.execute(query).mappings()]
            yield from rows
            if len(rows) < ITEMS_PER_READ:
                return
            after = rows[-1]["seq"]

    def items(self, team: str | None = None, status: str | None = None) -> Iterator[Item]:
        """The job's items in order (of one team, of one status), read a chunk at a time."""
        return (_item(row) for row in self._rows(team, status))

    def item_results(self, team: str | None = None) -> Iterator[dict[str, Any]]:
        """Every item row (status, message, data) in order, for the files a job makes."""
        return self._rows(team, None)


def _item(row: Any) -> Item:
    return Item(
        id=row["id"],
        key=row["key"],
        label=row["label"],
        team=row["team"],
        data=dict(row["data"] or {}),
        attempts=row["attempts"],
        idempotency_key=row["idempotency_key"],
    )


def record(work: Work, item: Item, outcome: Outcome) -> bool:
    """The item's result and the job's counts, together, only if the item was still pending
    (another worker that took over may have done it meanwhile)."""
    counts = {OK: "ok", SKIPPED: "skipped", FAILED: "failed"}
    with work.db() as conn:
        changed = conn.execute(
            sa.update(ITEMS_TABLE)
            .where(ITEMS_TABLE.c.id == item.id, ITEMS_TABLE.c.status == PENDING)
            .values(
                status=outcome.status,
                message=outcome.message,
                data={**item.data, **outcome.data},
                attempts=ITEMS_TABLE.c.attempts + 1,
                finished_at=utcnow(),
            )
        )
        if changed.rowcount != 1:
            return False
        column = counts[outcome.status]
        conn.execute(
            sa.update(JOBS)
            .where(JOBS.c.id == work.job_id)
            .values({"done": JOBS.c.done + 1, column: JOBS.c[column] + 1})
        )
    return True


def do_item(work: Work, kind: JobKind, item: Item) -> None:
    """One item with its team's slot held: tried again while gigstack is unavailable, then
    recorded as ok, skipped or failed with gigstack's message."""
    work.check_going()
    work.now_doing(item.label or item.key)
    with work.limits.slot(item.team or work.job.team or "-"):
        for attempt in range(1, ITEM_TRIES + 1):
            work.check_going()
            try:
                outcome = kind.run_item(work, item)
            except (Stopped, JobFailed):
                raise
            except Unavailable as error:  # 5xx, timeout, no connection: later, maybe
                if attempt < ITEM_TRIES:
                    work.wait(ITEM_BACKOFF_SECONDS * attempt)
                    continue
                outcome = failed(error.message)
            except GigstackError as error:  # gigstack said no: that is the item's result
                outcome = failed(error.message)
            break
    record(work, item, outcome)


def plan(work: Work, kind: JobKind) -> None:
    """List the job's items once: all of them in one transaction with the total."""
    rows = []
    for seq, planned in enumerate(kind.plan(work), start=1):
        rows.append(
            {
                "job_id": work.job_id,
                "seq": seq,
                "team": planned.team,
                "key": planned.key[:128],
                "label": planned.label[:200],
                "status": PENDING,
                "data": planned.data,
                "attempts": 0,
                "idempotency_key": uuid.uuid4().hex,
            }
        )
    work.check_going()
    with work.db() as conn:
        conn.execute(sa.delete(ITEMS_TABLE).where(ITEMS_TABLE.c.job_id == work.job_id))
        for start in range(0, len(rows), 500):
            conn.execute(sa.insert(ITEMS_TABLE), rows[start : start + 500])
        conn.execute(
            sa.update(JOBS)
            .where(JOBS.c.id == work.job_id)
            .values(planned=True, total=len(rows), done=0, ok=0, skipped=0, failed=0)
        )


def do_items(work: Work, kind: JobKind) -> None:
    """Every pending item, ``JOBS_TEAM_CONCURRENCY`` at a time (a kind may ask for fewer).

    Items are read a chunk at a time and only a few are handed to the threads ahead of
    them: the worker's memory stays flat whether the month has 100 documents or 100,000."""
    threads = max(1, kind.threads or work.settings["JOBS_TEAM_CONCURRENCY"])
    first: BaseException | None = None

    def settle(done: set[Future]) -> None:
        nonlocal first
        for future in done:
            try:
                future.result()
            except BaseException as error:  # the others stop at their next step
                if first is None:
                    first = error
                    work.halt.set()

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="job-item") as pool:
        running: set[Future] = set()
        for item in work.items(status=PENDING):
            if first is not None:
                break
            running.add(pool.submit(_in_app, work, do_item, work, kind, item))
            if len(running) >= threads * ITEMS_AHEAD:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                settle(done)
        settle(wait(running).done)
    if first is not None and not isinstance(first, Stopped):
        raise first
    work.check_going()


def _in_app(work: Work, fn: Callable[..., None], *args: Any) -> None:
    with work.app.app_context(), work.language():
        fn(*args)


def run(app: Flask, job_id: int, owner: str, stopping: threading.Event) -> str:
    """Run job ``job_id`` if this worker can take it; what happened (for logs and tests):
    ``not_claimed``, ``released`` (stopping: it goes back to the queue), ``finished``,
    ``failed``."""
    lease = app.config["JOBS_LEASE_SECONDS"]
    with app.app_context():
        if not claim(db.engine, job_id, owner, lease):
            return "not_claimed"
        job = db.session.get(Job, job_id)
        db.session.commit()  # nothing of this session stays open while threads work
        heartbeat = Heartbeat(db.engine, job_id, owner, lease, threading.RLock())
        heartbeat.start()
        work = Work(app, job, owner, stopping, heartbeat)
        log.info("job %s (%s): started by %s, run %s", job_id, job.kind, owner, job.runs)
        try:
            with work.language():
                outcome = _run(work)
        finally:
            heartbeat.stop()
        log.info("job %s: %s", job_id, outcome)
        return outcome


def _run(work: Work) -> str:
    job = work.job
    try:
        kind = kind_of(job)
        audit_rows.check_allowed(job, kind)
        if not job.planned:
            work.set_phase(PLAN)
            plan(work, kind)
        work.set_phase(ITEMS)
        do_items(work, kind)
        work.check_going()
        work.set_phase(FILES)
        kind.finish(work)
        work.check_going()
    except Stopped:
        release(work)
        return "released"
    except JobFailed as error:
        end(work, FAILED, str(error))
        return FAILED
    except GigstackError as error:  # listing the items failed past the client's retries
        end(work, FAILED, error.message)
        return FAILED
    except Exception:
        log.exception("job %s failed", work.job_id)
        end(work, FAILED, "internal_error")
        return FAILED
    end(work, FINISHED)
    return FINISHED


def release(work: Work) -> None:
    """Hand the job back (the worker is stopping): queued again, taken by the next worker."""
    with work.db() as conn:
        conn.execute(
            sa.update(JOBS)
            .where(JOBS.c.id == work.job_id, JOBS.c.lease_owner == work.owner)
            .values(status=QUEUED, lease_owner=None, lease_until=None, current=None)
        )
    if not work._heartbeat.lost.is_set():
        work.app.extensions["jobs"].enqueue(work.job_id)


def end(work: Work, status: str, error: str | None = None) -> None:
    """Finished or failed, with the audit row that says so and its counts (not when another
    worker holds the job now: it will say how it ended)."""
    with work.db() as conn:
        ended = conn.execute(
            sa.update(JOBS)
            .where(JOBS.c.id == work.job_id, JOBS.c.lease_owner == work.owner)
            .values(
                status=status,
                error=error,
                finished_at=utcnow(),
                lease_owner=None,
                lease_until=None,
                current=None,
                paused_until=None,
                files_until=utcnow() + timedelta(days=work.settings["JOBS_FILES_DAYS"]),
            )
        )
    if ended.rowcount != 1:
        return
    with work.db_lock:
        job = db.session.get(Job, work.job_id)
        db.session.refresh(job)
        audit_rows.ended(job)


def worker_name() -> str:
    """This worker's name in leases: host, process and thread."""
    import os
    import socket

    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:64]
