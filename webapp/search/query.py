"""Looking things up in the index: what a query is (a UUID, an RFC, an amount, or text),
the rows of each kind it finds among the teams a staff member may see, and how fresh the
index is for them.

One query for every kind, each capped at ``CAP`` (+1 to say there are more), newest first
among the first ``SCANNED`` rows per kind it matches. A
UUID-shaped query is a prefix of ``uuid`` and an RFC-shaped one a prefix of ``rfc`` (btree
indexes on PostgreSQL, ranges on SQLite's); anything else is contained in the folded ``text``
(a trigram index on PostgreSQL, an FTS5 trigram table on SQLite), or equal to an amount.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import sqlalchemy as sa

from webapp.extensions import db
from webapp.rep.monitor import of_teams
from webapp.teams.team_index import fold

from .models import KINDS, SearchEntry, SyncState

CAP = 10  # of each kind: five kinds make a list of at most 50 rows
# a word half the index holds ("servicios") is not sorted whole: the newest CAP of the first
# SCANNED rows it matches are shown, with "more" (at a million rows: ~2 s -> tens of ms)
SCANNED = 500
# fewer characters would match half the index (and no trigram helps below three)
SHORTEST = 3
# the nightly pass runs once a day: past this a team's copy is out of date
STALE_AFTER = timedelta(hours=26)

UUID_PREFIX = re.compile(r"[0-9a-f]{8}(?:-?[0-9a-f]{0,4}){0,7}")
RFC_PREFIX = re.compile(r"[a-zñ&]{3,4}\d{6}[a-z0-9]{0,3}")
AMOUNT = re.compile(r"\$?\s*(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?")


@dataclass
class Found:
    """The rows of each kind a query found (at most ``CAP``), and the kinds that had more."""

    query: str
    rows: dict[str, list[SearchEntry]] = field(default_factory=dict)
    more: set[str] = field(default_factory=set)

    @property
    def count(self) -> int:
        return sum(len(found) for found in self.rows.values())


def amount_of(query: str) -> Decimal | None:
    """``1,160.00``, ``$1160`` or ``1160.5`` as an amount; None when it is not one."""
    match = AMOUNT.fullmatch(query.strip())
    if not match:
        return None
    try:
        return Decimal(match.group(1).replace(",", "") + (match.group(2) or ""))
    except InvalidOperation:
        return None


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _prefix(column: sa.ColumnElement[str], name: str, dialect: str) -> sa.ColumnElement[bool]:
    """``column`` starts with the ``name`` prefix (:func:`_prefix_values`), in the form each
    database's index serves: a LIKE on PostgreSQL (its ``*_pattern_ops`` index), a range on
    SQLite (whose LIKE ignores case and so reads the whole index)."""
    if dialect == "sqlite":
        return sa.and_(column >= sa.bindparam(f"{name}_from"), column < sa.bindparam(f"{name}_to"))
    return column.like(sa.bindparam(f"{name}_like"), escape="\\")


def _prefix_values(name: str, prefix: str, dialect: str) -> dict[str, str]:
    """The values of :func:`_prefix`'s parameters. Binary order keeps SQLite's range exact:
    the prefix's next string is its last character's successor."""
    if dialect == "sqlite":
        return {f"{name}_from": prefix, f"{name}_to": prefix[:-1] + chr(ord(prefix[-1]) + 1)}
    return {f"{name}_like": _like(prefix) + "%"}


# SQLite's FTS5 trigram index of the folded text (migration b7e4c2d9a318): the rows whose
# text may contain a needle, found without reading every row
SQLITE_TRIGRAMS = sa.table("search_text", sa.column("rowid"), sa.column("text"))


def _trigram_candidates(dialect: str) -> sa.ColumnElement[bool]:
    """Rows that may contain the needle (``trigram``): on SQLite, those its trigram index
    finds (its LIKE takes no ESCAPE, so a ``%`` or ``_`` in the needle widens it; the exact
    test follows); on PostgreSQL every row (the exact LIKE is served by its own trigram
    index)."""
    if dialect != "sqlite":
        return sa.true()
    trigrams = SQLITE_TRIGRAMS.c.text.like(sa.bindparam("trigram"))
    return SearchEntry.id.in_(sa.select(SQLITE_TRIGRAMS.c.rowid).where(trigrams))


def condition_values(query: str, dialect: str) -> tuple[tuple[str, ...], dict[str, Any]]:
    """What ``query`` asks (a UUID or RFC prefix, else text contained or an
    amount) and the values of their parameters; no parts when it is too short to search."""
    needle = fold(query).strip()
    parts, values = [], {}
    if UUID_PREFIX.fullmatch(needle):  # an RFC whose letters are all A-F is UUID-shaped too
        parts.append("uuid")
        values |= _prefix_values("uuid", needle, dialect)
    if RFC_PREFIX.fullmatch(needle):
        parts.append("rfc")
        values |= _prefix_values("rfc", needle.upper(), dialect)
    if parts:
        return tuple(parts), values
    if len(needle) >= SHORTEST:
        parts.append("contains")
        values |= {"contains": "%" + _like(needle) + "%", "trigram": f"%{needle}%"}
    amount = amount_of(query)
    if amount is not None:
        parts.append("amount")
        values["amount"] = amount
    return tuple(parts), values


def condition(parts: Sequence[str], dialect: str) -> sa.ColumnElement[bool]:
    """What a row must match to be found by a query of these ``parts`` (its values are
    parameters)."""
    found = []
    for part in parts:
        if part in ("uuid", "rfc"):
            found.append(_prefix(getattr(SearchEntry, part), part, dialect))
        elif part == "contains":
            contains = SearchEntry.text.like(sa.bindparam("contains"), escape="\\")
            found.append(sa.and_(_trigram_candidates(dialect), contains))
        else:
            found.append(SearchEntry.amount == sa.bindparam("amount"))
    return sa.or_(*found)


@cache
def _statement(parts: tuple[str, ...], by_team: bool, dialect: str) -> sa.Select:
    """:func:`search`'s statement for one shape of query, built once per process and executed
    with its values (see :func:`webapp.rep.monitor.of_teams`)."""
    matched = sa.select(SearchEntry.id, SearchEntry.kind, SearchEntry.created_at)
    matched = matched.where(condition(parts, dialect))
    if by_team:
        matched = matched.where(of_teams())
    matched = matched.limit(SCANNED * len(KINDS)).subquery()
    newest = (sa.nulls_last(matched.c.created_at.desc()), matched.c.id.desc())
    rank = sa.func.row_number().over(partition_by=matched.c.kind, order_by=newest)
    ranked = sa.select(matched.c.id, rank.label("rank")).subquery()
    return (
        sa.select(SearchEntry)
        .join(ranked, ranked.c.id == SearchEntry.id)
        .where(ranked.c.rank <= CAP + 1)
        .order_by(sa.nulls_last(SearchEntry.created_at.desc()), SearchEntry.id.desc())
    )


def search(query: str, teams: Sequence[str] | None) -> Found | None:
    """The rows ``query`` finds among ``teams`` (None: every team), by kind; None when the
    query is too short.

    One statement: the first ``SCANNED`` matches of every kind together (one pass over the
    index, not one per kind: a kind's own index would make each pass visit all its rows), each
    kind's newest ``CAP`` + 1 of them ranked in SQL."""
    dialect = db.engine.dialect.name
    parts, values = condition_values(query, dialect)
    if not parts:
        return None
    select = _statement(parts, teams is not None, dialect)
    values["teams"] = list(teams or ())
    found = Found(query)
    for entry in db.session.scalars(select, values):
        rows = found.rows.setdefault(entry.kind, [])
        if len(rows) == CAP:
            found.more.add(entry.kind)
        else:
            rows.append(entry)
    found.rows = {kind: found.rows[kind] for kind in KINDS if kind in found.rows}
    return found


@dataclass(frozen=True)
class Freshness:
    """How the index stands for the teams a staff member may see: how many are indexed,
    which are not yet, which are out of date (their oldest list read before ``STALE_AFTER``)."""

    teams: int
    indexed: int
    missing: list[str]
    stale: list[str]

    @property
    def empty(self) -> bool:
        return self.indexed == 0


# what ``search_sync`` holds, as a version: its row count and newest read
_SYNC_VERSION = sa.select(sa.func.count(), sa.func.max(SyncState.synced_at)).select_from(SyncState)
# (what search_sync held, the minute, team -> out of date): the last answer of this process
_states: tuple[Any, int, dict[str, bool]] | None = None


def _out_of_date(now: datetime) -> dict[str, bool]:
    """Each indexed team: whether its oldest read is out of date. Grouped in SQL once per
    change of ``search_sync`` (its row count and newest read) or minute, then reused by
    every page of this process: 5,000 teams' rows are not read on each request."""
    global _states
    version = (str(db.engine.url), *db.session.execute(_SYNC_VERSION).one())  # tests: several
    minute = int(now.timestamp() // 60)
    kept = _states
    if kept is not None and kept[0] == version and kept[1] == minute:
        return kept[2]
    stale_state = sa.func.min(SyncState.synced_at) < now - STALE_AFTER
    found = dict(
        db.session.execute(sa.select(SyncState.team, stale_state).group_by(SyncState.team)).all()
    )
    _states = (version, minute, found)
    return found


# (the teams asked for, the out-of-date map it was made from, the answer): the last one
_fresh: tuple[Sequence[str], dict[str, bool], Freshness] | None = None


def freshness(teams: Sequence[str], now: datetime) -> Freshness:
    """Which of ``teams`` are not indexed yet and which are out of date (compared in SQL,
    per team, only when the index's reads changed: :func:`_out_of_date`). The answer for the
    same teams object and map is kept: an admin's 5,000 teams are not walked per request."""
    global _fresh
    out_of_date = _out_of_date(now)
    kept = _fresh
    if kept is not None and kept[0] is teams and kept[1] is out_of_date:
        return kept[2]
    missing = [team for team in teams if team not in out_of_date]
    stale = [team for team in teams if out_of_date.get(team)]
    found = Freshness(len(teams), len(teams) - len(missing), missing, stale)
    _fresh = (teams, out_of_date, found)
    return found


def is_stale(synced_at: datetime, now: datetime) -> bool:
    """Read longer ago than the nightly pass allows (an aggregate may come back naive, as
    SQLite keeps it: it is UTC)."""
    aware = synced_at.replace(tzinfo=UTC) if synced_at.tzinfo is None else synced_at
    return aware < now - STALE_AFTER
