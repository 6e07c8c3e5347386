"""A job that ended says so once, at the next page its starter opens (a flash), unless its
widget already showed them the end."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, request, session
from flask_login import current_user
from markupsafe import Markup

from webapp.extensions import db
from webapp.i18n import gettext as _
from webapp.pages import is_htmx

from .models import ENDED, FINISHED, Job

SHOWN_AT_ONCE = 5
# in the session while this browser has started a job it has not heard the end of: pages
# look for ended jobs only then (no query on every page of every staff member)
WATCHING = "jobs_watching"


def watch() -> None:
    """This browser started (or retried) a job: its pages look for the end."""
    session[WATCHING] = True


def flash_ended_jobs() -> None:
    """``before_request``: on a whole page (not a fragment, not a form post), one banner per
    job of the signed-in staff member that ended since they last looked."""
    if not session.get(WATCHING) or request.method != "GET" or is_htmx():
        return
    if not current_user.is_authenticated:
        return
    if request.endpoint in (None, "static") or request.blueprint in ("health",):
        return
    unheard = db.session.scalars(
        sa.select(Job)
        .where(Job.staff_id == current_user.id, Job.notified.is_(False))
        .order_by(Job.id)
        .limit(SHOWN_AT_ONCE * 4)
    ).all()
    # end the read now: no connection is held while the page waits on gigstack
    db.session.commit()
    if not unheard:
        session.pop(WATCHING, None)
        return
    this_one = (request.view_args or {}).get("job_id")
    if request.endpoint in ("jobs.show", "all_jobs.show"):  # that job's page says it itself
        unheard = [job for job in unheard if job.id != this_one]
    ended = [job for job in unheard if job.status in ENDED][:SHOWN_AT_ONCE]
    if not ended:
        return
    for job in ended:
        flash(notice(job), "info")
    db.session.execute(
        sa.update(Job).where(Job.id.in_([job.id for job in ended])).values(notified=True)
    )
    db.session.commit()


def notice(job: Job) -> Markup:
    """ "The accountant's month (May 2026) finished: 120 ok, 2 failed. See it" — a link."""
    from .routes import job_url, title

    if job.status == FINISHED:
        text = _(
            "%(job)s finished: %(ok)s done, %(skipped)s skipped, %(failed)s failed.",
            job=title(job),
            ok=job.ok,
            skipped=job.skipped,
            failed=job.failed,
        )
    else:
        text = _("%(job)s could not finish.", job=title(job))
    return Markup('{} <a href="{}">{}</a>').format(text, job_url(job), _("See the job"))


def mark_seen(job: Job) -> None:
    """The widget showed its starter the end: no banner for it later."""
    if job.ended and not job.notified and job.staff_id == getattr(current_user, "id", None):
        db.session.execute(sa.update(Job).where(Job.id == job.id).values(notified=True))
        db.session.commit()
