"""The REP rules, on the search index's rows (:mod:`webapp.search`): one implementation for a
team's REP monitor and the attention inbox across teams.

- a PPD invoice is *open* while it is valid with a balance still unpaid; it *ages* from its
  issue date in buckets of 0–30, 31–60, 61–90 and over 90 days;
- a payment is *due* its complement when it was collected (``succeeded``) in the last
  ``REP_LOOKBACK_DAYS``, no valid complement names it, and either its automation should
  have made one (``ppd_invoice_and_complement``: it failed) or it was recorded with no
  automation from a client who owed an open PPD invoice issued before it (it may need one);
  SAT's deadline is the ``REP_DEADLINE_DAY``-th day of the month after the payment, Mexico City.

Each list is one query (capped by the caller), so a page answers in a bounded number of
queries whatever the number of teams or documents. Whether a payment is due is a fact of other
rows too (its complement, the client's invoices): the index's writers store it
(``complement_due``, :func:`refresh_due`), so the due payments are one index range, not a
test of every payment collected in the lookback.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from webapp.extensions import db
from webapp.formatting import MEXICO_CITY
from webapp.gigstack.timestamps import to_datetime
from webapp.search.counts import count_up_to, over
from webapp.search.models import SearchEntry

PPD_AUTOMATION = "ppd_invoice_and_complement"
# a team's open PPD invoices counted at most (one more says "over"): a team of 100,000
# documents is not read whole to say how many more the monitor does not list
OPEN_COUNTED_UP_TO = 1_000
# a PPD balance's age, in days since its issue: (first day, last day or None, name)
AGE_BUCKETS = ((0, 30, "0-30"), (31, 60, "31-60"), (61, 90, "61-90"), (91, None, "90+"))


def deadline(paid_at: Any, day: int) -> date:
    """Day ``day`` of the month after the payment (Mexico City), the last day if shorter."""
    moment = (to_datetime(paid_at) or datetime.now(MEXICO_CITY)).astimezone(MEXICO_CITY)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    for candidate in range(min(day, 31), 0, -1):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    return date(year, month, 1)


def age_bucket(issued: datetime | None, today: date) -> str:
    """The bucket of a balance issued on ``issued`` (``0-30`` … ``90+``)."""
    days = (today - issued.astimezone(MEXICO_CITY).date()).days if issued else 0
    return next(name for first, last, name in AGE_BUCKETS if last is None or days <= last)


def of_teams(entry: Any = SearchEntry) -> sa.ColumnElement[bool]:
    """``entry`` belongs to one of the ``teams`` parameter's teams: the teams of a statement
    built once per process, given when it is executed (``execute(statement, {"teams": […]})``).

    Statements built once are executed with their values beside them, never through
    ``.params()`` or ``.limit(n)``: either copies the statement, and a copy's cache key (what
    finds its compiled SQL) is worked out again on every request — more CPU than the query."""
    return entry.team.in_(sa.bindparam("teams", expanding=True))


def open_ppd(entry: Any = SearchEntry) -> list[sa.ColumnElement[bool]]:
    """A valid PPD income invoice with a balance (``is_open_ppd``, stored when the row was
    written: one indexed equality)."""
    return [entry.ppd_open == sa.true()]


@cache
def open_invoices_statement(by_team: bool) -> sa.Select:
    """The open PPD invoices (of the ``teams`` parameter's teams when ``by_team``), oldest
    first; built once per process."""
    return (
        sa.select(SearchEntry)
        .where(*open_ppd(), *([of_teams()] if by_team else []))
        .order_by(SearchEntry.created_at.asc(), SearchEntry.id)
    )


@dataclass(frozen=True)
class DueComplement:
    payment: SearchEntry
    due: date
    days_left: int
    why: str  # "failed" (its automation made no complement) · "unlinked"
    owed: int  # the client's open PPD invoices issued before the payment


@cache
def due_payments_statement(by_team: bool) -> sa.Select:
    """Payments (of the ``teams`` parameter's teams when ``by_team``, else every team) due
    their complement, with the client's open PPD invoices issued before each (``owed``), by
    collection date (so by deadline), then id. Built once per process with its values as
    parameters (``since``, ``teams``): its aliased subqueries cost 2–3 ms to build, which
    every inbox and monitor page paid."""
    owed = sa.select(sa.func.count()).where(*_owed(SearchEntry, aliased(SearchEntry)))
    return (
        sa.select(SearchEntry, owed.scalar_subquery().label("owed"))
        .where(*_due(by_team))
        .order_by(SearchEntry.paid_at.asc(), SearchEntry.id)
    )


@cache
def _due_listed_and_counted() -> sa.Select:
    """One team's due payments as :func:`due_payments_statement` lists them (the first
    ``due_cap``), each row also carrying how many are due in all and how many of those were
    collected before ``late_before`` (overdue): counted by window functions over the same
    conditions, so listing the soonest and counting them all is one pass over the index."""
    late = sa.case((SearchEntry.paid_at < sa.bindparam("late_before"), 1), else_=0)
    return (
        due_payments_statement(True)
        .add_columns(
            sa.func.count().over().label("due_total"), sa.func.sum(late).over().label("overdue")
        )
        .limit(sa.bindparam("due_cap"))
    )


@cache
def _team_open_listed() -> sa.Select:
    """One team's (``teams``) oldest ``shown`` open PPD invoices."""
    return open_invoices_statement(True).limit(sa.bindparam("shown"))


@cache
def _team_open_counted() -> sa.Select:
    """How many open PPD invoices one team (``teams``) has, up to ``most``."""
    team_open = sa.select(SearchEntry.id).where(*open_ppd(), of_teams())
    return sa.select(count_up_to(team_open, sa.bindparam("most")))


def _owed(payment: Any, invoice: Any) -> list[sa.ColumnElement[bool]]:
    """``invoice`` is one of the client's open PPD invoices issued before ``payment``."""
    return [
        *open_ppd(invoice),
        invoice.team == payment.team,
        invoice.client_id == payment.client_id,
        invoice.created_at <= payment.paid_at,
    ]


def is_due(payment: Any = SearchEntry) -> sa.ColumnElement[bool]:
    """What makes a payment due its complement, whenever it was collected: it succeeded, no
    valid complement names it, and either its automation failed or it has none while the
    client owes an open PPD invoice issued before it. Facts of other rows: stored as
    ``complement_due`` by the index's writers (:func:`refresh_due`), so a reader takes the
    due ones as one index range instead of testing every payment; the lookback is the
    readers'."""
    complement = aliased(SearchEntry)
    complemented = sa.exists().where(
        complement.team == payment.team,
        complement.complement_of == payment.object_id,
        complement.kind == "invoice",
        complement.invoice_type == "payment",
        complement.status == "valid",
    )
    # the client owes at least one: an EXISTS stops at the first (the listed rows count them)
    owes = sa.exists().where(*_owed(payment, aliased(SearchEntry)))
    no_automation = sa.or_(payment.automation_type.is_(None), payment.automation_type == "none")
    return sa.and_(
        payment.kind == "payment",
        payment.status == "succeeded",
        ~complemented,
        sa.or_(
            payment.automation_type == PPD_AUTOMATION,
            sa.and_(no_automation, payment.client_id.is_not(None), owes),
        ),
    )


def refresh_due(
    conn: sa.Connection, team: str, payment_ids: Iterable[str] = (), client_ids: Iterable[str] = ()
) -> None:
    """Store again whether payments of ``team`` are due (:func:`is_due`): those named and
    those of the clients named. Called by whatever writes or deletes index rows, for the
    payments the change can concern: a payment itself, the payment a complement names, the
    payments of an invoice's client."""
    payment_ids, client_ids = sorted(set(payment_ids)), sorted(set(client_ids))
    if not (payment_ids or client_ids):
        return
    payment = SearchEntry
    which = []
    for chunk in _chunks(payment_ids):
        which.append(payment.object_id.in_(chunk))
    for chunk in _chunks(client_ids):
        which.append(payment.client_id.in_(chunk))
    conn.execute(
        sa.update(payment)
        .where(payment.team == team, payment.kind == "payment", sa.or_(*which))
        .values(complement_due=sa.case((is_due(payment), sa.true()), else_=sa.false()))
    )


def refresh_due_for(conn: sa.Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """After rows were written or deleted (``team``, ``kind``, ``object_id``,
    ``complement_of``, ``client_id`` of each): the payments each can concern, per team."""
    concerned: dict[str, tuple[set[str], set[str]]] = {}
    for row in rows:
        payments, clients = concerned.setdefault(row["team"], (set(), set()))
        if row["kind"] == "payment":
            payments.add(row["object_id"])
        elif row["kind"] == "invoice":
            if row.get("complement_of"):
                payments.add(row["complement_of"])
            if row.get("client_id"):
                clients.add(row["client_id"])
    for team, (payments, clients) in concerned.items():
        refresh_due(conn, team, payments, clients)


# values per IN list: SQLite's default limit on a statement's variables is 32,766 (older
# builds 999); a page of the sync writes at most 100 rows
_CHUNK = 500


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _due(by_team: bool) -> list[sa.ColumnElement[bool]]:
    """The stored due payments collected since ``since`` (``since`` and ``teams`` are
    parameters): one index range, in collection order."""
    payment = SearchEntry
    since = sa.bindparam("since")
    teams = [of_teams(payment)] if by_team else []
    return [
        payment.complement_due == sa.true(),
        # the lookback is on when the payment was recorded; collected no earlier, so the
        # range on ``paid_at`` (what the index reads) follows from it
        payment.paid_at >= since,
        payment.created_at >= since,
        *teams,
    ]


def due_complements(rows: Sequence[Any], today: date, deadline_day: int) -> list[DueComplement]:
    """The rows of :func:`due_payments_statement` with their deadline, soonest first."""
    due = []
    for payment, owed in rows:
        when = deadline(payment.paid_at or payment.created_at, deadline_day)
        why = "failed" if payment.automation_type == PPD_AUTOMATION else "unlinked"
        due.append(DueComplement(payment, when, (when - today).days, why, owed or 0))
    due.sort(key=lambda row: (row.due, -(row.payment.amount or 0)))
    return due


@dataclass(frozen=True)
class Report:
    open_invoices: list[SearchEntry]
    open_total: int  # counted up to OPEN_COUNTED_UP_TO + 1
    due: list[DueComplement]  # the soonest deadlines (at most the caller's cap)
    due_total: int  # every payment due, listed or not
    overdue: int  # of those, the ones past their deadline

    @property
    def open_more_than(self) -> int | None:
        """:data:`OPEN_COUNTED_UP_TO` when the team has more open PPD invoices than counted."""
        return over(self.open_total, OPEN_COUNTED_UP_TO)


def overdue_before(today: date, deadline_day: int) -> datetime:
    """The moment (Mexico City) before which a payment's deadline has passed by ``today``:
    the start of last month when last month's payments are still in time, else this month's
    (a deadline is a day of the month after the payment, so it grows with the month)."""
    this_month = datetime(today.year, today.month, 1, tzinfo=MEXICO_CITY)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    return this_month if deadline(last_month, deadline_day) < today else last_month


def lookback(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def report(
    team: str, now: datetime, deadline_day: int, lookback_days: int, shown: int, due_cap: int
) -> Report:
    """One team's monitor: its oldest ``shown`` open PPD invoices and how many there are, and
    its ``due_cap`` soonest payments due their complement with how many are due and overdue
    in all. Three queries."""
    today = now.astimezone(MEXICO_CITY).date()
    teams = [team]
    listed = list(db.session.scalars(_team_open_listed(), {"teams": teams, "shown": shown}))
    total = db.session.scalar(
        _team_open_counted(), {"teams": teams, "most": OPEN_COUNTED_UP_TO + 1}
    )
    values = {
        "since": lookback(now, lookback_days),
        "teams": teams,
        "late_before": overdue_before(today, deadline_day),
        "due_cap": due_cap,
    }
    rows = db.session.execute(_due_listed_and_counted(), values).all()
    due = due_complements([(row[0], row[1]) for row in rows], today, deadline_day)
    due_total, overdue = (rows[0][2], rows[0][3] or 0) if rows else (0, 0)
    return Report(listed, total or 0, due, due_total, overdue)
