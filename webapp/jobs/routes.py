"""Jobs pages: a team's (``/teams/<team>/jobs/``) and every team's for admins (``/jobs/``).

A job's page shows its widget — polled by htmx until the job ends — its files, and the items
that were skipped or failed, with a retry of the failed ones. No upstream call: everything here
is the back office's own data (the job's rows, the file store).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, request, url_for
from flask_login import current_user

from webapp.auth.access import reads_only, requires
from webapp.auth.roles import Role
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.forms import MAX_ID, parse_id
from webapp.i18n import gettext as _
from webapp.i18n import lazy_gettext as _l
from webapp.pages import list_url, navigate, render_page
from webapp.teams.scoped import current_team_id, team_blueprint

from . import lifecycle, notices, progress
from .kinds import kind_of
from .models import FAILED, SKIPPED, Job, JobFile, JobItem

bp = team_blueprint("jobs", __name__, "/jobs", verbs=("download", "retry"))
all_bp = Blueprint("all_jobs", __name__, url_prefix="/jobs")
all_bp.verbs = ("download", "retry")
all_bp.object = "job"

PAGE_SIZE = 25
# items listed on a job's page (skipped and failed ones; the rest are counted)
ITEMS_SHOWN = 100
JOB_ID = f"<int(max={MAX_ID}):job_id>"
FILE_ID = f"<int(max={MAX_ID}):file_id>"


def title(job: Job) -> str:
    """What the job is, in the viewer's language."""
    return kind_of(job).title(job)


def job_url(job: Job) -> str:
    """A job's page: under its team, or (a partner's job of several teams) under ``/jobs``."""
    if job.team:
        return url_for("jobs.show", team_id=job.team, job_id=job.id)
    return url_for("all_jobs.show", job_id=job.id)


FAILURES = {
    "gigstack_unavailable": _l("gigstack was unavailable for too long. Try again later."),
    "staff_inactive": _l("Whoever started it can no longer sign in."),
    "role": _l("The role of whoever started it no longer allows it."),
    "team_out_of_scope": _l("Whoever started it may no longer use this team."),
    "internal_error": _l("Something went wrong in the back office. Try again."),
}


def failure_text(job: Job) -> str:
    """Why a job failed as a whole, in the viewer's language (gigstack's message as it is)."""
    known = FAILURES.get(job.error or "")
    return str(known) if known else _("It could not finish: %(why)s", why=job.error or "—")


def _may_see(job: Job) -> bool:
    teams = [job.team] if job.team else list(job.params.get("teams") or [])
    return all(current_user.may_use_team(team) for team in teams)


def _team_job(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or job.team != current_team_id():
        abort(404)
    return job


def _any_job(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or not _may_see(job):
        abort(404)
    return job


def _listed(query: sa.Select, **context: Any) -> str:
    """Newest first, 25 a page; ``before`` (a job id) is the cursor, kept in the URL."""
    before = parse_id(request.args.get("before"))
    if before is not None:
        query = query.where(Job.id < before)
    rows = db.session.scalars(query.order_by(Job.id.desc()).limit(PAGE_SIZE + 1)).all()
    has_more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    links = {
        "first": list_url("before") if before else None,
        "next": list_url("before", str(rows[-1].id)) if has_more and rows else None,
    }
    files = _files_of([job.id for job in rows])
    endpoint = "all_jobs.download" if context.get("across") else "jobs.download"
    return render_page(
        "jobs/page.html",
        "jobs/_rows.html",
        rows=rows,
        links=links,
        files=files,
        job_link=(lambda job: url_for("all_jobs.show", job_id=job.id))
        if context.get("across")
        else job_url,
        job_title=title,
        file_link=lambda job, file: url_for(endpoint, job_id=job.id, file_id=file.id),
        **context,
    )


def _files_of(job_ids: list[int]) -> dict[int, list[JobFile]]:
    found: dict[int, list[JobFile]] = {}
    if job_ids:
        query = sa.select(JobFile).where(JobFile.job_id.in_(job_ids)).order_by(JobFile.id)
        for file in db.session.scalars(query):
            found.setdefault(file.job_id, []).append(file)
    return found


def _show(job: Job, file_url: Callable[[JobFile], str], retry_url: str) -> str:
    """The page, or (polled by the widget) the widget alone."""
    files = _files_of([job.id]).get(job.id, [])
    context: dict[str, Any] = {
        "job": job,
        "job_title": title(job),
        "poll_url": request.path,
        "progress": progress.of(job, utcnow()),
        "teams": progress.per_team(job) if job.team is None else [],
        "files": files,
        "file_url": file_url,
        "retry_url": retry_url if lifecycle.retryable(job) else None,
        "may_retry": current_user.can(Role(kind_of(job).role)),
        "failure_text": failure_text,
    }
    target = f"job-{job.id}"
    if request.headers.get("HX-Target") != target:
        context["problems"] = db.session.scalars(
            sa.select(JobItem)
            .where(JobItem.job_id == job.id, JobItem.status.in_((FAILED, SKIPPED)))
            .order_by(JobItem.seq)
            .limit(ITEMS_SHOWN)
        ).all()
    page = render_page("jobs/show.html", {target: "jobs/_widget.html"}, **context)
    notices.mark_seen(job)
    return page


def _download(job: Job, file_id: int) -> Response:
    """The file streamed from the store (a chunk at a time), never a public link."""
    file = db.session.get(JobFile, file_id)
    if file is None or file.job_id != job.id or job.files_deleted:
        abort(404)
    store = current_app.extensions["jobs"].store
    return Response(
        store.read(file.key),
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{file.name}"',
            "Content-Length": str(file.size),
            "Cache-Control": "private, no-store",
        },
    )


def _retry(job: Job):
    if not current_user.can(Role(kind_of(job).role)):
        abort(403, description="role")
    again = lifecycle.retry_failed(job)
    if again is None:
        flash(_("This job cannot be retried now."), "error")
    else:
        flash(_("The failed items of the job were sent again: %(count)s.", count=again), "info")
    return navigate(job_url(job))


# -- a team's jobs ------------------------------------------------------------------------


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """The team's jobs, newest first (the back office's own data: no upstream call)."""
    query = sa.select(Job).where(Job.team == current_team_id())
    return _listed(query, across=False, title=_("Jobs"))


@bp.get(f"/{JOB_ID}")
@requires(Role.VIEWER)
def show(job_id: int):
    """The job's page; for htmx (target ``job-<id>``) its widget alone, polled until the end."""
    job = _team_job(job_id)
    return _show(
        job,
        lambda file: url_for("jobs.download", job_id=job.id, file_id=file.id),
        url_for("jobs.retry", job_id=job.id),
    )


@bp.get(f"/{JOB_ID}/files/{FILE_ID}")
@requires(Role.VIEWER)
def download(job_id: int, file_id: int):
    return _download(_team_job(job_id), file_id)


@bp.post(f"/{JOB_ID}/retry")
@reads_only  # the jobs a viewer may start only read
@requires(Role.VIEWER)
def retry(job_id: int):
    """The failed items again (the done ones stay done); audited as ``job.retry``."""
    return _retry(_team_job(job_id))


# -- every team's jobs (admins) -----------------------------------------------------------


@all_bp.get("/", endpoint="index")
@requires(Role.ADMIN)
def index_all():
    """Every job the admin may see, newest first, with its team."""
    query = sa.select(Job)
    if current_user.team_ids is not None:
        query = query.where(Job.team.in_(current_user.team_ids))
    return _listed(query, across=True, title=_("Jobs of every team"))


@all_bp.get(f"/{JOB_ID}", endpoint="show")
@requires(Role.ADMIN)
def show_any(job_id: int):
    job = _any_job(job_id)
    return _show(
        job,
        lambda file: url_for("all_jobs.download", job_id=job.id, file_id=file.id),
        url_for("all_jobs.retry", job_id=job.id),
    )


@all_bp.get(f"/{JOB_ID}/files/{FILE_ID}", endpoint="download")
@requires(Role.ADMIN)
def download_any(job_id: int, file_id: int):
    return _download(_any_job(job_id), file_id)


@all_bp.post(f"/{JOB_ID}/retry", endpoint="retry")
@requires(Role.ADMIN)
def retry_any(job_id: int):
    return _retry(_any_job(job_id))
