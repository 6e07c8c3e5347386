"""Filtering the audit log: the same filters drive the page and the CSV export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from webapp.formatting import MEXICO_CITY

from .actions import recorded_as
from .models import AuditEntry


@dataclass
class AuditFilters:
    """What the URL asks for; ``staff_id`` is forced to the viewer's own id for non-admins."""

    staff_id: int | None = None
    teams: list[str] | None = None  # the ids a typed team names (none matched: no row)
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def statement(self) -> sa.Select:
        """Newest first. Dates are whole days in Mexico City time, both ends included."""
        query = sa.select(AuditEntry)
        if self.staff_id is not None:
            query = query.where(AuditEntry.staff_id == self.staff_id)
        if self.teams is not None:
            query = query.where(AuditEntry.team.in_(self.teams))
        if self.action:
            query = query.where(AuditEntry.action.in_(recorded_as(self.action)))
        if self.date_from:
            query = query.where(AuditEntry.at >= _start_of(self.date_from))
        if self.date_to:
            query = query.where(AuditEntry.at < _start_of(self.date_to + timedelta(days=1)))
        return query.order_by(AuditEntry.id.desc())


def _start_of(day: date) -> datetime:
    """Midnight in Mexico City, in UTC (the form's days are within the calendar's range:
    :func:`webapp.forms.date_field`)."""
    return datetime.combine(day, time.min, MEXICO_CITY).astimezone(UTC)


def trail(object_type: str, object_id: str, team: str | None, limit: int = 50) -> list[AuditEntry]:
    """What the back office did to one object of a team, newest first (a detail page's
    trail)."""
    from webapp.extensions import db

    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(
                AuditEntry.object_type == object_type,
                AuditEntry.object_id == object_id,
                AuditEntry.team == team,
            )
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        ).all()
    )
