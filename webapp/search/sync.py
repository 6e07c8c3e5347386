"""Keeping the index fresh: a job whose items are teams (one team from its page, or every
team an admin may use), and the nightly pass over every team.

Per team and run, each list is read page by page (100 a page, oldest first): ``GET
/teams/{id}`` (its row, and whether the key still reaches it), then ``GET /clients``,
``GET /invoices/income``, ``/invoices/egress``, ``/invoices/payment``, ``GET /payments`` and
``GET /receipts``. The first run of a team (and the nightly ``full`` pass) reads every page
and deletes the rows it did not see (deleted in gigstack); later runs ask only for what was
created since the newest ``created_at`` indexed (``created[gte]``: the watermark, stored
per team and list). So a run costs 1 + Σ ⌈n/100⌉ calls per team, at least 7: an
incremental pass over 5,000 teams is ~35,000 calls, the first load (or the nightly full
pass) of 5,000 teams × 200 documents ~45,000 — at the jobs' global pace
(``JOBS_RATE_PER_SECOND``, 20 by default: 72,000 calls an hour at most) 30 to 40
minutes. Changes to old objects (a cancellation, a balance paid) arrive with the nightly
full pass. A team the key no longer reaches (404 or 403) loses its rows and watermarks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from webapp.audit import Detail
from webapp.audit.details import JOB_NIGHTLY
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.gigstack.errors import Forbidden, GigstackError, NotFound
from webapp.i18n import gettext as _
from webapp.jobs import lifecycle
from webapp.jobs.kinds import Item, JobKind, Outcome, Planned, ok, register, skipped
from webapp.jobs.models import ENDED, Job
from webapp.jobs.runner import Work
from webapp.teams.team_list import directory, team_names

from . import rows
from .models import SearchEntry, SyncState

log = logging.getLogger(__name__)

NAME = "search_sync"
PAGE = 100
ENTRIES = SearchEntry.__table__
STATES = SyncState.__table__


@dataclass(frozen=True)
class Source:
    """One list of a team: its name in ``search_sync``, the call, and the row it makes."""

    name: str
    kind: str
    invoice_type: str | None
    listing: Callable[[Any], Callable[..., Any]]
    row: Callable[[str, dict[str, Any]], dict[str, Any]]


def _invoices(invoice_type: str) -> Source:
    return Source(
        f"invoice:{invoice_type}",
        "invoice",
        invoice_type,
        lambda client: lambda **params: client.invoices.list(invoice_type, **params),
        lambda team, invoice: rows.invoice_row(team, invoice_type, invoice),
    )


SOURCES = (
    Source("client", "client", None, lambda c: c.clients.list, rows.client_row),
    _invoices("income"),
    _invoices("egress"),
    _invoices("payment"),
    Source("payment", "payment", None, lambda c: c.payments.list, rows.payment_row),
    Source("receipt", "receipt", None, lambda c: c.receipts.list, rows.receipt_row),
)


class SearchSync(JobKind):
    name = NAME
    role = "admin"
    # the nightly pass runs it with nobody signed in (it only reads gigstack)
    unattended = True

    def title(self, job: Job) -> str:
        full = job.params.get("full")
        if job.team is None:
            count = len(job.params.get("teams") or [])
            if full:
                return _("Search index, full pass (%(count)s teams)", count=count)
            return _("Search index update (%(count)s teams)", count=count)
        return _("Search index, full pass") if full else _("Search index update")

    def teams(self, job: Job) -> list[str]:
        return [job.team] if job.team else list(job.params.get("teams") or [])

    def plan(self, work: Work) -> Iterator[Planned]:
        names = team_names()
        for team in self.teams(work.job):
            yield Planned(key=team, label=names.get(team, team)[:200], team=team)

    def run_item(self, work: Work, item: Item) -> Outcome:
        team = item.key
        client = work.client(team)
        try:
            details = work.call(client.teams.get, team)
        except (NotFound, Forbidden):
            forget_team(work, team)
            return skipped(_("The API key no longer reaches this team: its rows were removed."))
        stamp = utcnow()
        with work.db() as conn:
            rows.upsert(conn, [rows.team_row(team, details)], stamp)
            states = {
                state.source: state
                for state in conn.execute(sa.select(STATES).where(STATES.c.team == team))
            }
        counts = {}
        for source in SOURCES:
            state = states.get(source.name)
            full = bool(work.job.params.get("full")) or state is None
            since = None if full or state is None else state.watermark
            counts[source.name] = self._read(work, client, team, source, since, full, stamp)
        return ok(**counts)

    def _read(
        self,
        work: Work,
        client: Any,
        team: str,
        source: Source,
        since: datetime | None,
        full: bool,
        stamp: datetime,
    ) -> int:
        """Every page of one list from ``since`` (None: from the start), upserted a page at
        a time; the new watermark (and, for a full pass, the deletions) at the end."""
        listing = source.listing(client)
        cursor, seen, newest, count = None, set(), since, 0
        while True:
            page = work.call(
                listing,
                created_gte=since,
                order_by="timestamp",
                sort="asc",
                limit=PAGE,
                next=cursor,
            )
            found = [source.row(team, obj) for obj in page if _has_id(source, obj)]
            with work.db() as conn:
                count += rows.upsert(conn, found, stamp)
            for row in found:
                if row["created_at"] and (newest is None or row["created_at"] > newest):
                    newest = row["created_at"]
            cursor = page.next_cursor
            if not cursor or cursor in seen:
                break
            seen.add(cursor)
        with work.db() as conn:
            if full:
                rows.delete(conn, *_of(team, source), ENTRIES.c.synced_at < stamp)
            _save_state(conn, team, source.name, newest, stamp, full)
        return count


def _has_id(source: Source, obj: dict[str, Any]) -> bool:
    return bool(obj.get("uuid") if source.kind == "invoice" else obj.get("id"))


def _of(team: str, source: Source) -> list[Any]:
    where = [ENTRIES.c.team == team, ENTRIES.c.kind == source.kind]
    if source.invoice_type:
        where.append(ENTRIES.c.invoice_type == source.invoice_type)
    return where


def _save_state(
    conn: sa.Connection,
    team: str,
    source: str,
    watermark: datetime | None,
    stamp: datetime,
    full: bool,
) -> None:
    state = {"team": team, "source": source, "watermark": watermark, "synced_at": stamp}
    if full:
        state["full_at"] = stamp
    rows.upsert_into(conn, STATES, [state], ("team", "source"))


def forget_team(work: Work, team: str) -> None:
    """A team out of the key's reach: its rows and watermarks go."""
    with work.db() as conn:
        drop_teams(conn, [team])


def drop_teams(conn: sa.Connection, teams: list[str]) -> None:
    for start in range(0, len(teams), 500):
        chunk = teams[start : start + 500]
        conn.execute(sa.delete(ENTRIES).where(ENTRIES.c.team.in_(chunk)))
        conn.execute(sa.delete(STATES).where(STATES.c.team.in_(chunk)))


SYNC = register(SearchSync())


def reconcile() -> Job | None:
    """The nightly pass: the rows of teams the key no longer reaches go at once, and a full
    pass over every team it reaches is queued (none while the last one is still under way)."""
    try:
        reached = [team.id for team in directory().index().teams]
    except GigstackError as error:  # no list of teams tonight: nothing is dropped or read
        log.warning("search index: nightly pass skipped (%s)", type(error).__name__)
        return None
    with db.engine.begin() as conn:
        indexed = set(conn.scalars(sa.select(STATES.c.team).distinct()))
        indexed |= set(conn.scalars(sa.select(ENTRIES.c.team).distinct()))
        drop_teams(conn, sorted(indexed - set(reached)))
    under_way = db.session.scalar(
        sa.select(Job.id)
        .where(Job.kind == NAME, Job.team.is_(None), Job.status.not_in(ENDED))
        .limit(1)
    )
    if under_way is not None or not reached:
        return None
    params = {"teams": reached, "full": True}
    return lifecycle.start_unattended(
        SYNC, team=None, params=params, description=Detail(JOB_NIGHTLY)
    )
