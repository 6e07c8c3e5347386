"""Counts on the search index that stop: a page says "over N" rather than read every row of
a team of 100,000 documents, or of 5,000 teams, to count them on each view."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def count_up_to(rows: sa.Select, most: Any) -> sa.ScalarSelect:
    """How many rows ``rows`` (a select of one narrow column) has, reading no more than
    ``most`` of them (an int, or a bound parameter in a statement built once)."""
    return sa.select(sa.func.count()).select_from(rows.limit(most).subquery()).scalar_subquery()


def over(count: int, bound: int) -> int | None:
    """``bound`` when ``count`` (counted up to ``bound + 1``) passed it, else None."""
    return bound if count > bound else None
