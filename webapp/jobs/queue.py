"""The queue (Huey): how a started job reaches a worker, and the periodic upkeep.

Huey carries only "run job N" messages; everything about a job is in the database
(:mod:`.models`), so losing a message loses nothing: the upkeep sends any job that waits too
long, or whose worker died (its lease ran out), again. Where the queue lives follows the
settings: Redis with ``REDIS_URL`` (every ``worker:`` process takes from one queue, each
message once), else a SQLite file under ``instance/`` (``make run``'s worker), or this
process's memory (tests run what is queued themselves: :meth:`JobQueue.drain`).
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

from webapp.clock import utcnow
from webapp.extensions import db

from . import cleanup, runner
from .files import FileStore, build_store
from .limits import Limits, build_limits
from .models import QUEUED, RUNNING, Job

log = logging.getLogger(__name__)

NAME = "backoffice-jobs"
# a queued job no worker took within this long is sent again (its message was lost)
REQUEUE_AFTER_SECONDS = 60


def queue_url(settings: dict[str, Any], instance_path: str) -> str:
    """``JOBS_QUEUE_URL``, else ``REDIS_URL``, else a SQLite file beside the database."""
    return (
        settings.get("JOBS_QUEUE_URL")
        or settings.get("REDIS_URL")
        or "sqlite:///" + os.path.join(instance_path, "jobs-queue.sqlite3")
    )


def make_huey(url: str, settings: dict[str, Any]) -> Any:
    """A Huey on ``url`` (results are not kept: a job's outcome is in its row)."""
    if url.startswith(("redis://", "rediss://")):
        from redis import ConnectionPool

        from webapp.config import redis_tls_options

        pool = ConnectionPool.from_url(
            url, socket_connect_timeout=5, **redis_tls_options(url, settings)
        )
        return RedisHuey(NAME, results=False, connection_pool=pool)
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        return SqliteHuey(NAME, results=False, filename=path)
    if url == "memory://":
        return MemoryHuey(NAME, results=False)
    raise ValueError(f"JOBS_QUEUE_URL={url!r} is not redis://, sqlite:/// or memory://")


class JobQueue:
    """The app's queue, file store and gigstack limits (``app.extensions["jobs"]``)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.url = queue_url(app.config, app.instance_path)
        self.huey = make_huey(self.url, app.config)
        self.store: FileStore = build_store(app.config, app.instance_path)
        self.limits: Limits = build_limits(app.config)
        # set when the worker is told to stop: a running job hands itself back
        self.stopping = threading.Event()
        self.run_task = self.huey.task(name="run_job")(self._run)
        self.huey.periodic_task(crontab(), name="send_waiting_jobs")(self.send_waiting)
        self.huey.periodic_task(crontab(minute="*/15"), name="delete_old_files")(self._clean)
        # 03:00 in Mexico City: the search index's full pass over every team
        self.huey.periodic_task(crontab(minute="0", hour="9"), name="reconcile_search")(
            self.reconcile_search
        )
        # a worker that (re)starts goes on at once with the jobs its predecessor left
        self.huey.on_startup(name="send_waiting_jobs")(self.send_waiting)

    # -- what the web does --------------------------------------------------------------

    def enqueue(self, job_id: int) -> None:
        """Send job ``job_id`` to a worker."""
        self.run_task(job_id)

    # -- what workers do ----------------------------------------------------------------

    def _run(self, job_id: int) -> str:
        return runner.run(self.app, job_id, runner.worker_name(), self.stopping)

    def send_waiting(self) -> int:
        """Send again the jobs no worker has: queued too long, or running on a lease that
        ran out (its worker died). Sending twice is harmless: the lease lets one run it."""
        now = utcnow()
        with self.app.app_context():
            waiting = db.session.scalars(
                sa.select(Job).where(
                    sa.or_(
                        sa.and_(Job.status == QUEUED, Job.lease_until < now),
                        sa.and_(Job.status == RUNNING, Job.lease_until < now),
                    )
                )
            ).all()
            for job in waiting:
                if job.status == QUEUED:
                    job.lease_until = now + timedelta(seconds=REQUEUE_AFTER_SECONDS)
            db.session.commit()
            ids = [job.id for job in waiting]
        for job_id in ids:
            log.info("job %s: sent again (no worker had it)", job_id)
            self.enqueue(job_id)
        return len(ids)

    def _clean(self) -> int:
        with self.app.app_context():
            return cleanup.delete_expired(self.store)

    def reconcile_search(self) -> int | None:
        """Queue the search index's nightly pass (:func:`webapp.search.sync.reconcile`)."""
        from webapp.search import sync

        with self.app.app_context():
            job = sync.reconcile()
            return job.id if job else None

    def drain(self) -> int:
        """Run every message waiting, in this thread (tests; ``flask jobs run-once``); a
        worker told to stop takes no more (a job it handed back waits for the next)."""
        ran = 0
        while not self.stopping.is_set() and (task := self.huey.dequeue()) is not None:
            self.huey.execute(task)
            ran += 1
        return ran

    def consumer(self, workers: int = 1) -> Consumer:
        """Huey's consumer for ``python -m webapp.jobs``: job threads plus the scheduler of
        the periodic upkeep."""
        return WorkerConsumer(
            self.huey,
            self.stopping,
            workers=workers,
            worker_type="thread",
            periodic=True,
            initial_delay=0.1,
            max_delay=1.0,
            graceful_signal="TERM",
            shutdown_timeout=SHUTDOWN_SECONDS,
        )


# SIGTERM (a deploy, a dyno restart) to SIGKILL is 30 s on Heroku: running jobs hand
# themselves back at their next step, well within it
SHUTDOWN_SECONDS = 20.0


class WorkerConsumer(Consumer):
    """Huey's consumer, which also tells running jobs the worker is stopping: SIGTERM and
    SIGINT make each hand its job back to the queue at its next step (another worker, or this
    one restarted, goes on with it), instead of being cut off mid-item."""

    def __init__(self, huey: Any, stopping: threading.Event, **options: Any) -> None:
        self._jobs_stopping = stopping
        super().__init__(huey, **options)

    def _handle_signal(self, signum: int, frame: Any) -> None:  # huey's signal handler
        self._jobs_stopping.set()
        super()._handle_signal(signum, frame)


def init_app(app: Flask) -> None:
    app.extensions["jobs"] = JobQueue(app)
