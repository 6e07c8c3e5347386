"""Starting a job and retrying its failed items: what the web does (the worker does the rest).

Both are audited (``job.start``, ``job.retry``) and both only queue: the page answers at
once with the job's widget, whatever the job's size.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, flash
from flask_babel import get_locale
from flask_login import current_user

from webapp import once
from webapp.audit import Detail
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.i18n import gettext as _
from webapp.pages import navigate

from . import audit_rows, notices
from .kinds import JobKind
from .models import ENDED, FAILED, PENDING, PLAN, QUEUED, UNATTENDED, Job, JobItem
from .queue import REQUEUE_AFTER_SECONDS


def start(kind: JobKind, *, team: str | None, params: dict[str, Any], description: Detail) -> Job:
    """Queue a job of ``kind`` for the signed-in staff member; the files it makes will be in
    their language."""
    job = _queued(kind, team, params, current_user.id, current_user.email, get_locale())
    audit_rows.started(job, description)
    current_app.extensions["jobs"].enqueue(job.id)
    notices.watch()
    return job


def start_unattended(
    kind: JobKind, *, team: str | None, params: dict[str, Any], description: Detail
) -> Job:
    """Queue a job nobody started (the periodic upkeep's): only kinds that may run so."""
    if not kind.unattended:
        raise ValueError(f"{kind.name} jobs need a staff member to start them")
    job = _queued(kind, team, params, None, UNATTENDED, None)
    audit_rows.started(job, description)
    current_app.extensions["jobs"].enqueue(job.id)
    return job


def _queued(
    kind: JobKind,
    team: str | None,
    params: dict[str, Any],
    staff_id: int | None,
    actor: str,
    locale: Any,
) -> Job:
    job = Job(
        kind=kind.name,
        team=team,
        staff_id=staff_id,
        actor=actor,
        locale=str(locale or "es_MX"),
        params=params,
        state={},
        status=QUEUED,
        phase=PLAN,
        lease_until=utcnow() + timedelta(seconds=REQUEUE_AFTER_SECONDS),
    )
    db.session.add(job)
    db.session.commit()
    return job


def start_once(
    token: str | None,
    kind: JobKind,
    *,
    team: str | None,
    params: dict[str, Any],
    description: Detail,
) -> Any:
    """A form's start: its one-time token claimed, the job queued, its page next with the
    kit's confirmation (the same form sent again goes there too, and starts nothing)."""
    from webapp.actions import confirmation

    from .routes import job_url, title

    claim = once.claim(token)
    if not claim.fresh:
        return once.repeated(claim)
    try:
        job = start(kind, team=team, params=params, description=description)
    except BaseException:
        once.release(token)
        raise
    target = job_url(job)
    once.done(token, target)
    flash(confirmation(_("%(name)s started: its page follows it."), title(job), target), "info")
    return navigate(target)


def retryable(job: Job) -> bool:
    """An ended job with failed items (or that failed as a whole) whose files still exist."""
    return job.ended and not job.files_deleted and (job.failed > 0 or job.status == FAILED)


def retry_failed(job: Job) -> int | None:
    """Send the failed items again (the others stay as they are); None when the job cannot
    be retried now (still running, retried meanwhile in another tab, files deleted)."""
    if not retryable(job):
        return None
    again = db.session.execute(
        sa.update(Job)
        .where(Job.id == job.id, Job.status.in_(ENDED))
        .values(
            status=QUEUED,
            error=None,
            finished_at=None,
            notified=False,
            current=None,
            paused_seconds=0.0,
            lease_owner=None,
            lease_until=utcnow() + timedelta(seconds=REQUEUE_AFTER_SECONDS),
        )
    )
    if again.rowcount != 1:
        db.session.rollback()
        return None
    items = db.session.execute(
        sa.update(JobItem)
        .where(JobItem.job_id == job.id, JobItem.status == FAILED)
        .values(status=PENDING, message=None)
    ).rowcount
    db.session.execute(
        sa.update(Job)
        .where(Job.id == job.id)
        .values(done=Job.done - items, failed=Job.failed - items)
    )
    db.session.commit()
    db.session.refresh(job)
    audit_rows.retried(job, items)
    current_app.extensions["jobs"].enqueue(job.id)
    notices.watch()
    return items
