"""Filtering the audit log: the same filters drive the page and the CSV export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

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

    def statement(self, after_cursor: bool = False) -> tuple[sa.Select, dict[str, Any]]:
        """Newest first, the first ``limit`` rows, with ``after_cursor`` only those older than
        the entry ``before`` (both parameters the caller adds to the values). Dates are
        whole days in Mexico City time, both ends included. The statement is built once per
        shape of filters and executed with the values (see :func:`webapp.rep.monitor.of_teams`)."""
        values: dict[str, Any] = {}
        if self.staff_id is not None:
            values["staff_id"] = self.staff_id
        if self.teams is not None:
            values["teams"] = list(self.teams)
        if self.action:
            values["actions"] = list(recorded_as(self.action))
        if self.date_from:
            values["since"] = _start_of(self.date_from)
        if self.date_to:
            values["until"] = _start_of(self.date_to + timedelta(days=1))
        return _statement(frozenset(values), after_cursor), values


@cache
def _statement(filtered: frozenset[str], after_cursor: bool) -> sa.Select:
    """:meth:`AuditFilters.statement`'s statement for the filters named in ``filtered``."""
    entry = AuditEntry
    conditions = {
        "staff_id": lambda: entry.staff_id == sa.bindparam("staff_id"),
        "teams": lambda: entry.team.in_(sa.bindparam("teams", expanding=True)),
        "actions": lambda: entry.action.in_(sa.bindparam("actions", expanding=True)),
        "since": lambda: entry.at >= sa.bindparam("since"),
        "until": lambda: entry.at < sa.bindparam("until"),
    }
    query = sa.select(entry).where(
        *(make() for name, make in conditions.items() if name in filtered)
    )
    if after_cursor:
        query = query.where(entry.id < sa.bindparam("before"))
    return query.order_by(entry.id.desc()).limit(sa.bindparam("limit"))


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
