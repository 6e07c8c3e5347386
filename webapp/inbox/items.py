"""What the attention inbox lists, from the search index: one query per kind (each capped),
plus the snoozed count and the PPD aging buckets — a bounded number whatever the number of
teams. Rows snoozed until a later day are left out in SQL (so the caps count only what is
shown); ``snoozed=True`` lists only those.

Each row's *deadline* orders the list (soonest first): a CSD's expiry, SAT's day for a
complement, a receipt's last day, 30 days after a PPD invoice's issue (the first bucket's
end: older balances come first); a team not ready and a cancellation awaiting the receiver
have none and count as due today.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa

from webapp.extensions import db
from webapp.formatting import MEXICO_CITY
from webapp.rep import monitor
from webapp.search.counts import count_up_to
from webapp.search.models import SearchEntry
from webapp.teams.readiness import EXPIRY_WARNING_DAYS, csd_state

from .models import Snooze

KINDS = ("csd", "not_ready", "complement", "ppd", "receipt", "cancellation")
CAP = 10  # rows of each kind among every kind (the most urgent); one kind alone: CAP_ONE_KIND
CAP_ONE_KIND = 25  # a page of one kind: as long as a page of the other lists of the back office
# pages of one kind offered: each page reads the rows before it again (a team of 100,000
# documents must not make page 4,000 cost 4,000 pages); past them, a team filter narrows
PAGES_OF_ONE_KIND = 40
RECEIPT_WARNING_DAYS = 7  # a pending receipt this close to its last day needs stamping
PPD_TERM_DAYS = 30


@dataclass(frozen=True)
class Item:
    """One row: the team, what (``kind``, the index row, and facts the page shows), until
    when, and its snooze (when the snoozed rows are shown)."""

    kind: str
    entry: SearchEntry
    deadline: date | None
    sort: date
    facts: dict[str, Any] = field(default_factory=dict)
    snooze: Snooze | None = None

    @property
    def team(self) -> str:
        return self.entry.team

    @property
    def object_id(self) -> str:
        return self.entry.object_id


@dataclass
class Inbox:
    items: list[Item]
    more: set[str]  # kinds that had more than their cap
    snoozed: int  # rows snoozed until a later day (shown with ``snoozed=True``)
    aging: dict[str, int]  # open PPD balances by age bucket


def _day(moment: datetime | None) -> date | None:
    return moment.astimezone(MEXICO_CITY).date() if moment else None


def _snoozed(kind: str) -> sa.Exists:
    """The row is snoozed until after ``today`` (a parameter)."""
    return sa.exists().where(
        Snooze.team == SearchEntry.team,
        Snooze.kind == kind,
        Snooze.object_id == SearchEntry.object_id,
        Snooze.until > sa.bindparam("today"),
    )


def _query(kind: str) -> sa.Select:
    """One kind's rows, in urgency order (before the teams, snooze and cap are applied); the
    moments it compares with are parameters (:func:`_parameters`)."""
    entry = SearchEntry
    if kind == "complement":
        return monitor.due_payments_statement(by_team=False)
    if kind == "ppd":
        return monitor.open_invoices_statement(by_team=False)
    if kind == "csd":
        return (
            sa.select(entry)
            .where(
                entry.kind == "team",
                entry.sat_valid.is_(True),
                entry.valid_until <= sa.bindparam("expiring"),
            )
            .order_by(entry.valid_until, entry.id)
        )
    if kind == "not_ready":
        return (
            sa.select(entry)
            .where(entry.kind == "team", entry.not_ready.is_not(None), entry.not_ready != "")
            .order_by(entry.name, entry.id)
        )
    if kind == "receipt":
        return (
            sa.select(entry)
            .where(
                entry.kind == "receipt",
                entry.status == "pending",
                entry.valid_until >= sa.bindparam("now"),
                entry.valid_until <= sa.bindparam("receipt_until"),
            )
            .order_by(entry.valid_until, entry.id)
        )
    return (
        sa.select(entry)
        .where(entry.kind == "invoice", entry.cancellation_status == "pending")
        .order_by(entry.created_at.asc(), entry.id)
    )


@cache
def _statement(kind: str, by_team: bool, snoozed: bool) -> sa.Select:
    """One kind's capped rows among some teams or all, snoozed or not: built once per process
    (building these statements cost more than SQLite running them), the values parameters."""
    select = _query(kind)
    if by_team:
        select = select.where(monitor.of_teams())
    hidden = _snoozed(kind)
    select = select.where(hidden if snoozed else ~hidden)
    return select.limit(sa.bindparam("cap")).offset(sa.bindparam("skip"))


def _parameters(now: datetime, today: date, lookback_days: int) -> dict[str, Any]:
    """The values of the statements' parameters for this moment."""
    return {
        "now": now,
        "today": today,
        "expiring": now + timedelta(days=EXPIRY_WARNING_DAYS),
        "receipt_until": now + timedelta(days=RECEIPT_WARNING_DAYS),
        "since": monitor.lookback(now, lookback_days),
    }


def _item(kind: str, row: Any, now: datetime, today: date, deadline_day: int) -> Item:
    """A query's row as an inbox row."""
    if kind == "complement":
        due = monitor.due_complements([row], today, deadline_day)[0]
        facts = {"why": due.why, "owed": due.owed, "days_left": due.days_left}
        return Item(kind, due.payment, due.due, due.due, facts)
    entry = row[0]
    if kind == "csd":
        state = csd_state(True, entry.valid_until, now.timestamp())
        facts = {"status": state.status, "days_left": state.days_left}
        facts["level"] = state.warning_level
        return Item(kind, entry, _day(entry.valid_until), _day(entry.valid_until) or today, facts)
    if kind == "ppd":
        issued = _day(entry.created_at) or today
        facts = {"bucket": monitor.age_bucket(entry.created_at, today), "issued": issued}
        facts["days"] = (today - issued).days
        term = issued + timedelta(days=PPD_TERM_DAYS)
        return Item(kind, entry, term, term, facts)
    if kind == "receipt":
        last = _day(entry.valid_until) or today
        return Item(kind, entry, last, last, {"days_left": (last - today).days})
    if kind == "not_ready":
        return Item(kind, entry, None, today, {"missing": (entry.not_ready or "").split(",")})
    return Item(kind, entry, None, today, {})


# open PPD balances counted per age bucket at most (one more says "over"): across 5,000
# teams there are tens of thousands, and counting them all read every one (0.2 s on
# PostgreSQL at a million index rows) on each inbox page
AGING_COUNTED_UP_TO = 1_000


def _aging(teams: Sequence[str] | None, today: date) -> dict[str, int]:
    """Open PPD balances per age bucket, each counted up to ``AGING_COUNTED_UP_TO + 1``: one
    query of four bounded index ranges."""
    start = datetime.combine(today, datetime.min.time(), MEXICO_CITY)
    bounds = {
        f"since_{last}": start - timedelta(days=last)
        for _first, last, _name in monitor.AGE_BUCKETS
        if last is not None
    }
    values = {"teams": list(teams or ()), "most": AGING_COUNTED_UP_TO + 1, **bounds}
    counts = db.session.execute(_aging_statement(teams is not None), values).one()
    return {
        name: count
        for (_first, _last, name), count in zip(monitor.AGE_BUCKETS, counts, strict=True)
    }


@cache
def _aging_statement(by_team: bool) -> sa.Select:
    """:func:`_aging`'s statement, built once per process (each bucket's start and the most
    counted are parameters): per bucket, the count of at most ``most`` rows of its range."""
    starts = [
        sa.bindparam(f"since_{last}") if last is not None else None
        for _first, last, _name in monitor.AGE_BUCKETS
    ]
    counts = []
    for at, newest_first in enumerate(starts):  # buckets from the newest: [start, previous)
        where = [*monitor.open_ppd(), *([monitor.of_teams()] if by_team else [])]
        if newest_first is not None:
            where.append(SearchEntry.created_at >= newest_first)
        if at:
            where.append(SearchEntry.created_at < starts[at - 1])
        counts.append(count_up_to(sa.select(SearchEntry.id).where(*where), sa.bindparam("most")))
    return sa.select(*counts)


def inbox(
    teams: Sequence[str] | None,
    kinds: Sequence[str],
    now: datetime,
    deadline_day: int,
    lookback_days: int,
    snoozed: bool = False,
    page: int = 1,
) -> Inbox:
    """The rows of ``kinds`` among ``teams`` (None: every team), soonest deadline first; one
    kind alone comes in pages of ``CAP_ONE_KIND`` (``page``, from 1), every kind on one."""
    today = now.astimezone(MEXICO_CITY).date()
    one_kind = len(kinds) == 1
    cap = CAP_ONE_KIND if one_kind else CAP
    skip = (min(max(page, 1), PAGES_OF_ONE_KIND) - 1) * cap if one_kind else 0
    items, more = [], set()
    values = _parameters(now, today, lookback_days)
    values.update(cap=cap + 1, skip=skip, teams=list(teams or ()))
    for kind in kinds:
        rows = db.session.execute(_statement(kind, teams is not None, snoozed), values).all()
        if len(rows) > cap:
            more.add(kind)
        items += [_item(kind, row, now, today, deadline_day) for row in rows[:cap]]
    if snoozed:
        items = _with_snoozes(items)
    items.sort(key=lambda item: (item.sort, KINDS.index(item.kind), item.team))
    snoozes = db.session.scalar(_snoozes_counted(teams is not None), values)
    aging = _aging(teams, today) if "ppd" in kinds else {}
    return Inbox(items, more, snoozes or 0, aging)


@cache
def _snoozes_counted(by_team: bool) -> sa.Select:
    """How many rows are snoozed past ``today`` (of the ``teams`` parameter's teams when
    ``by_team``)."""
    count = sa.select(sa.func.count()).select_from(Snooze)
    count = count.where(Snooze.until > sa.bindparam("today"))
    return count.where(monitor.of_teams(Snooze)) if by_team else count


def _with_snoozes(items: list[Item]) -> list[Item]:
    """Each snoozed row with its snooze (one query for the rows shown)."""
    if not items:
        return items
    keys = {(item.team, item.kind, item.object_id) for item in items}
    found = db.session.scalars(
        sa.select(Snooze).where(Snooze.object_id.in_(sorted({key[2] for key in keys})))
    )
    by_key = {(s.team, s.kind, s.object_id): s for s in found}
    return [
        Item(
            i.kind, i.entry, i.deadline, i.sort, i.facts, by_key.get((i.team, i.kind, i.object_id))
        )
        for i in items
    ]
