"""The ``audit_entries`` table (append-only)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.clock import utcnow
from webapp.dbtypes import UtcDateTime
from webapp.extensions import db

OK = "ok"


class AuditEntry(db.Model):
    """One state-changing action. ``outcome`` is ``ok`` or the error code that stopped it."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    staff_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # kept as typed when recorded, so the row still reads right if the account changes
    actor: Mapped[str] = mapped_column(sa.String(254))
    team: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, index=True)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    object_id: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    outcome: Mapped[str] = mapped_column(sa.String(64), default=OK)
    # what a person typed, shown as typed (and every row recorded before ``detail`` existed)
    reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    # what the back office composed: a message and its values, in words when shown
    # (:mod:`webapp.audit.details`)
    detail: Mapped[dict | None] = mapped_column(sa.JSON, nullable=True)
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)

    @property
    def ok(self) -> bool:
        return self.outcome == OK
