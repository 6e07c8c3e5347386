"""Months as the accountant counts them: whole calendar months in Mexico City time."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from flask_babel import format_date

from webapp.formatting import MEXICO_CITY

MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
# months offered in the form, the last one first
OFFERED = 24


def parse(text: str | None) -> date | None:
    """``2026-05`` → the month's first day; None for anything else."""
    found = MONTH.fullmatch(text or "")
    return date(int(found.group(1)), int(found.group(2)), 1) if found else None


def key(first: date) -> str:
    return f"{first.year:04d}-{first.month:02d}"


def previous(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def last_month(now: datetime) -> date:
    """The month before ``now``'s, in Mexico City (the default: the accountant asks for it
    in the first days of the next one)."""
    return previous(now.astimezone(MEXICO_CITY).date().replace(day=1))


def offered(now: datetime) -> list[date]:
    """The months the form offers: last month, then back ``OFFERED`` months."""
    months = [last_month(now)]
    while len(months) < OFFERED:
        months.append(previous(months[-1]))
    return months


def bounds(first: date) -> tuple[datetime, datetime]:
    """The month's first and last second, in Mexico City (aware datetimes)."""
    following = (first + timedelta(days=32)).replace(day=1)
    start = datetime.combine(first, time.min, MEXICO_CITY)
    end = datetime.combine(following, time.min, MEXICO_CITY) - timedelta(seconds=1)
    return start, end


def label(first: date) -> str:
    """``mayo de 2026`` / ``May 2026``, in the language of the request (or job)."""
    return format_date(first, "LLLL y")
