"""``inbox_snoozes``: a row of the attention inbox put aside until a date, and why.

The back office's own state, not the index's: rebuilding the index from gigstack keeps it.
A row is ``(team, kind, object_id)`` as :mod:`webapp.inbox.items` names it; snoozing it
again replaces the date and reason (each snooze is in the audit log).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.clock import utcnow
from webapp.dbtypes import UtcDateTime
from webapp.extensions import db


class Snooze(db.Model):
    """One inbox row hidden until ``until`` (a Mexico City day: it shows again on that day)."""

    __tablename__ = "inbox_snoozes"
    __table_args__ = (
        sa.UniqueConstraint("team", "kind", "object_id", name="uq_inbox_snoozes_item"),
        sa.Index("ix_inbox_snoozes_until", "until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))
    object_id: Mapped[str] = mapped_column(sa.String(128))
    until: Mapped[date] = mapped_column(sa.Date())
    reason: Mapped[str] = mapped_column(sa.Text)
    staff_id: Mapped[int | None] = mapped_column(nullable=True)
    actor: Mapped[str] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
