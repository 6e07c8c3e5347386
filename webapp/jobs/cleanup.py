"""The periodic upkeep of stored files: what a job made is kept ``JOBS_FILES_DAYS`` days
(``jobs.files_until``), then deleted from the store — ZIPs and what was gathered for them."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from webapp.clock import utcnow
from webapp.extensions import db

from .files import FileStore
from .models import Job, JobFile

log = logging.getLogger(__name__)


def delete_expired(store: FileStore) -> int:
    """Delete the stored files of every job past its ``files_until``; how many jobs."""
    now = utcnow()
    expired = db.session.scalars(
        sa.select(Job).where(Job.files_until < now, Job.files_deleted.is_(False)).limit(200)
    ).all()
    for job in expired:
        removed = store.delete_prefix(f"jobs/{job.id}/")
        db.session.execute(sa.delete(JobFile).where(JobFile.job_id == job.id))
        job.files_deleted = True
        db.session.commit()
        log.info("job %s: %d stored file(s) deleted after %s", job.id, removed, job.files_until)
    return len(expired)
