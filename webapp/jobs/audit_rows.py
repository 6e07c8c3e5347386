"""A job's audit rows and its checks of who started it: recorded as ``job.start`` when a staff
member starts it (the web request) and ``job.finish`` when a worker ends it, with its counts;
a worker checks the starter may still do it (still active, same role, same teams) before
each run, so a job taken over after a restart never outlives a colleague's access."""

from __future__ import annotations

from typing import TYPE_CHECKING

from webapp.audit import Detail, enum, record
from webapp.audit.details import JOB_FINISHED, JOB_RETRIED, JOB_STARTED
from webapp.auth.models import Staff
from webapp.auth.roles import Role
from webapp.extensions import db

from .models import FINISHED, UNATTENDED, Job

if TYPE_CHECKING:
    from .kinds import JobKind


def counts(job: Job) -> Detail:
    """``ok 120, skipped 1, failed 2 of 123``: the audit detail of an ended job."""
    return Detail(
        JOB_FINISHED,
        kind=enum("job_kind", job.kind),
        ok=job.ok,
        skipped=job.skipped,
        failed=job.failed,
        total=job.total,
    )


def started(job: Job, description: Detail) -> None:
    record(
        "job.start",
        team=job.team,
        object_type="job",
        object_id=str(job.id),
        detail=Detail(JOB_STARTED, kind=enum("job_kind", job.kind), what=description),
        actor=job.actor,
    )


def retried(job: Job, items: int) -> None:
    record(
        "job.retry",
        team=job.team,
        object_type="job",
        object_id=str(job.id),
        detail=Detail(JOB_RETRIED, kind=enum("job_kind", job.kind), count=items),
    )


def ended(job: Job) -> None:
    staff = db.session.get(Staff, job.staff_id) if job.staff_id else None
    record(
        "job.finish",
        team=job.team,
        object_type="job",
        object_id=str(job.id),
        outcome="ok" if job.status == FINISHED else (job.error or "failed")[:64],
        detail=counts(job),
        staff=staff,
        actor=job.actor,
    )


def check_allowed(job: Job, kind: JobKind) -> None:
    """Raise ``JobFailed`` when the starter may no longer run this job."""
    from .runner import JobFailed

    if job.staff_id is None and job.actor == UNATTENDED and kind.unattended:
        return  # the periodic upkeep's, over every team the key reaches
    staff = db.session.get(Staff, job.staff_id) if job.staff_id else None
    if staff is None or not staff.active:
        raise JobFailed("staff_inactive")
    if not staff.can(Role(kind.role)):
        raise JobFailed("role")
    teams = [job.team] if job.team else list(job.params.get("teams") or [])
    if not all(staff.may_use_team(team) for team in teams):
        raise JobFailed("team_out_of_scope")
