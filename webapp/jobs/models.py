"""The ``jobs``, ``job_items`` and ``job_files`` tables: background work any process can read.

A job is a list of items, each with its own result (ok, skipped with why, failed with
gigstack's message), so a job taken over after a worker died goes on with the items not done
yet, and a retry sends again only the failed ones. The lease (``lease_owner`` and
``lease_until``) is what makes a job run in one worker at a time, whatever the queue delivers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.clock import utcnow
from webapp.dbtypes import UtcDateTime
from webapp.extensions import db

# a job's status
QUEUED, RUNNING, FINISHED, FAILED = "queued", "running", "finished", "failed"
STATUSES = (QUEUED, RUNNING, FINISHED, FAILED)
ENDED = (FINISHED, FAILED)
# a job's phase while it runs
PLAN, ITEMS, FILES = "plan", "items", "files"
# an item's status
PENDING, OK, SKIPPED = "pending", "ok", "skipped"
ITEM_STATUSES = (PENDING, OK, SKIPPED, FAILED)
# who a job started by the periodic upkeep says started it (no staff member did)
UNATTENDED = "system"


class Job(db.Model):
    """One piece of background work: who started it, for which team (None: several teams of
    a partner), how far it got, and how it ended."""

    __tablename__ = "jobs"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {STATUSES!r}", name="ck_jobs_status"),
        sa.Index("ix_jobs_staff_unnotified", "staff_id", "notified"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    team: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, index=True)
    staff_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff.id", ondelete="SET NULL"), nullable=True
    )
    actor: Mapped[str] = mapped_column(sa.String(254))
    # the language of the files it makes (the starter's, when started)
    locale: Mapped[str] = mapped_column(sa.String(8), default="es_MX")
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # what the kind learns while it runs (the teams' RFCs, what it listed)
    state: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(16), default=QUEUED, index=True)
    planned: Mapped[bool] = mapped_column(default=False)
    # where a running job is: listing what to do, doing the items, making its files
    phase: Mapped[str] = mapped_column(sa.String(16), default="plan")
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    ok: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    # what it is doing now: the item in hand, or why it waits
    current: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    paused_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    paused_seconds: Mapped[float] = mapped_column(default=0.0)
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # times a worker took it (more than one: it was resumed after a restart, or retried)
    runs: Mapped[int] = mapped_column(default=0)
    # what the job keeps in the file store (its ZIPs, what it gathered for them) is deleted
    # after this; then files_deleted, and the job can no longer be retried
    files_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    files_deleted: Mapped[bool] = mapped_column(default=False)
    # the starter was told how it ended (the widget showed it, or the next page said so)
    notified: Mapped[bool] = mapped_column(default=False)

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    @property
    def left(self) -> int:
        return max(self.total - self.done, 0)


class JobItem(db.Model):
    """One thing a job does (an invoice to fetch, to send, to cancel) and its result."""

    __tablename__ = "job_items"
    __table_args__ = (
        sa.UniqueConstraint("job_id", "key", name="uq_job_items_job_key"),
        sa.Index("ix_job_items_job_status", "job_id", "status"),
        sa.CheckConstraint(f"status IN {ITEM_STATUSES!r}", name="ck_job_items_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column()
    # the team the item belongs to (a partner's job works on several)
    team: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    key: Mapped[str] = mapped_column(sa.String(128))
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
    # why it was skipped, or gigstack's message when it failed
    message: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    attempts: Mapped[int] = mapped_column(default=0)
    # sent with every create the item makes: a retried item is the same request to gigstack
    idempotency_key: Mapped[str] = mapped_column(sa.String(64))
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class JobFile(db.Model):
    """A file a job made (a ZIP), kept in the file store until ``expires_at``."""

    __tablename__ = "job_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    team: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    key: Mapped[str] = mapped_column(sa.String(300), unique=True)
    size: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
