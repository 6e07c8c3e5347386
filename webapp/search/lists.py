"""A team's lists filtered on what gigstack's list endpoints cannot filter, read from the index
in one bounded query a page (instead of walking every page of gigstack inside a request).

The clients' SAT check, EFOS listing and persona type: the client rows hold ``sat_valid``,
``efos_valid`` and the RFC (a persona moral's has 12 characters, a física's 13 — the same
rule as :func:`webapp.domain.rfc.rfc_person`, as a regular expression both databases run).
A page is ``size`` rows from ``offset`` plus how many match, counted up to
:data:`COUNTED_UP_TO` (a team of 100,000 clients would otherwise have every match read on
every page); the ``(team, kind, created_at)`` index serves the default order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

import sqlalchemy as sa

from webapp.domain.rfc import GENERIC_RFCS, RFC_FISICA, RFC_MORAL
from webapp.extensions import db

from .counts import count_up_to, over
from .models import SearchEntry, SyncState

E = SearchEntry
PERSONAS = {"moral": RFC_MORAL.pattern, "fisica": RFC_FISICA.pattern}
ORDERS = {
    "-created": (E.created_at.desc(), E.id.desc()),
    "created": (E.created_at.asc(), E.id.asc()),
    "name": (E.name.asc(), E.id.asc()),
    "-name": (E.name.desc(), E.id.desc()),
}


# matches counted at most (one more says "over"); pages past them are not offered
COUNTED_UP_TO = 1_000


@dataclass(frozen=True)
class IndexPage:
    """One page of rows, how many match (up to ``COUNTED_UP_TO + 1``), and when the team's
    list was last read."""

    rows: list[SearchEntry]
    total: int
    synced_at: datetime | None

    @property
    def more_than(self) -> int | None:
        """:data:`COUNTED_UP_TO` when more match than are counted, else None."""
        return over(self.total, COUNTED_UP_TO)


@cache
def _read_at() -> sa.Select:
    return sa.select(SyncState.synced_at).where(
        SyncState.team == sa.bindparam("team"), SyncState.source == sa.bindparam("source")
    )


def read_at(team: str, source: str) -> datetime | None:
    """When the sync last read ``source`` of ``team`` (None: never — not indexed yet)."""
    return db.session.scalar(_read_at(), {"team": team, "source": source})


# each filter's values, None for "any": a list's shape, whose statements are built once
SHAPES = {
    "validity": ("valid", "invalid"),
    "efos": ("listed", "clear"),
    "persona": ("moral", "fisica"),
}


def client_filters(
    validity: str | None, efos: str | None, persona: str | None
) -> list[sa.ColumnElement[bool]]:
    """``validity`` (valid / invalid), ``efos`` (listed / clear), ``persona`` (moral /
    fisica) as conditions on client rows; a client gigstack has not checked is invalid and
    not listed, as the list's own reading has it."""
    where = []
    if validity == "valid":
        where.append(E.sat_valid.is_(True))
    elif validity == "invalid":
        where.append(sa.or_(E.sat_valid.is_(False), E.sat_valid.is_(None)))
    if efos == "listed":
        where.append(E.efos_valid.is_(False))
    elif efos == "clear":
        where.append(sa.or_(E.efos_valid.is_(True), E.efos_valid.is_(None)))
    if persona in PERSONAS:
        where.append(E.rfc.regexp_match(PERSONAS[persona]))
        where.append(E.rfc.not_in(sorted(GENERIC_RFCS)))
    return where


@cache
def _client_statements(
    validity: str | None, efos: str | None, persona: str | None, sort: str
) -> tuple[sa.Select, sa.Select]:
    """One shape's page (``team``, ``size``, ``offset``) and count (``team``, up to ``most``), built
    once per process and executed with their values (see :func:`webapp.rep.monitor.of_teams`):
    building them cost more than SQLite running them."""
    where = (E.team == sa.bindparam("team"), E.kind == "client")
    where += tuple(client_filters(validity, efos, persona))
    page = (
        sa.select(E)
        .where(*where)
        .order_by(*ORDERS[sort])
        .limit(sa.bindparam("size"))
        .offset(sa.bindparam("offset"))
    )
    total = sa.select(count_up_to(sa.select(E.id).where(*where), sa.bindparam("most")))
    return page, total


def clients(
    team: str, filters: dict[str, str], sort: str, offset: int, size: int
) -> IndexPage | None:
    """A page of ``team``'s clients that pass ``filters`` in ``sort`` order (the clients
    list's own keys); None when the team's clients are not indexed yet. The caller offers no
    ``offset`` past :data:`COUNTED_UP_TO` (the pages it counted)."""
    synced_at = read_at(team, "client")
    if synced_at is None:
        return None
    shape = [
        filters.get(name) if filters.get(name) in values else None
        for name, values in SHAPES.items()
    ]
    page, total = _client_statements(*shape, sort if sort in ORDERS else "-created")
    found = db.session.scalars(page, {"team": team, "size": size, "offset": offset}).all()
    counted = db.session.scalar(total, {"team": team, "most": COUNTED_UP_TO + 1})
    return IndexPage(list(found), counted or 0, synced_at)
