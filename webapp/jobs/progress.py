"""How far a job got, as its widget shows it: the share done, the time left at the pace so
far, a pause gigstack asked for, and for a partner's job each team's count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from webapp.extensions import db

from .models import ITEMS, OK, PENDING, RUNNING, Job, JobItem

# the pace is guessed once this many items are done
PACE_AFTER = 3


@dataclass(frozen=True)
class Progress:
    percent: int
    seconds_left: float | None
    paused_seconds: float | None


def of(job: Job, now: datetime) -> Progress:
    percent = int(job.done * 100 / job.total) if job.total else (100 if job.ended else 0)
    left = None
    if job.status == RUNNING and job.phase == ITEMS and job.started_at and job.done >= PACE_AFTER:
        spent = (now - job.started_at).total_seconds() - (job.paused_seconds or 0.0)
        if spent > 0:
            left = (job.total - job.done) * spent / job.done
    paused = None
    if job.status == RUNNING and job.paused_until and job.paused_until > now:
        paused = (job.paused_until - now).total_seconds()
    return Progress(percent=min(percent, 100), seconds_left=left, paused_seconds=paused)


@dataclass(frozen=True)
class TeamProgress:
    team: str
    total: int
    done: int
    ok: int
    failed: int

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 100


def per_team(job: Job) -> list[TeamProgress]:
    """Each team's counts (one grouped query over the job's items)."""
    rows = db.session.execute(
        sa.select(JobItem.team, JobItem.status, sa.func.count())
        .where(JobItem.job_id == job.id)
        .group_by(JobItem.team, JobItem.status)
    ).all()
    counts: dict[str, dict[str, int]] = {}
    for team, status, count in rows:
        counts.setdefault(team or "", {})[status] = count
    teams = list(job.params.get("teams") or []) or sorted(counts)
    found = []
    for team in teams:
        by_status = counts.get(team, {})
        total = sum(by_status.values())
        found.append(
            TeamProgress(
                team=team,
                total=total,
                done=total - by_status.get(PENDING, 0),
                ok=by_status.get(OK, 0),
                failed=by_status.get("failed", 0),
            )
        )
    return found
