"""One object of one team re-read from gigstack, and its index row written or removed: what a
webhook event is worth once its body is set aside (:mod:`.hooks`).

Nothing of the event's object is indexed: only which object it names. gigstack's answer
is the row (the same builders as the sync's, :mod:`.rows`); a 404 removes the row, and a
team the key no longer reaches (a team event answered 404 or 403) loses every row, as the
sync does. Writing is an upsert on (team, kind, id), so the same event twice, or out of
order, leaves the row as gigstack has it now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from webapp.clock import utcnow
from webapp.gigstack.errors import Forbidden, NotFound
from webapp.gigstack.resources.invoices import KINDS as INVOICE_TYPES

from . import rows
from .models import SearchEntry
from .sync import drop_teams

ENTRIES = SearchEntry.__table__
# the events the index follows (an event's object kind in the index); the rest are not its
EVENTS = {
    **dict.fromkeys(("customer.created", "customer.updated", "customer.deleted"), "client"),
    **dict.fromkeys(("invoice.created", "invoice.canceled"), "invoice"),
    **dict.fromkeys(
        (
            "payment.created",
            "payment.updated",
            "payment.succeeded",
            "payment.canceled",
            "payment.deleted",
        ),
        "payment",
    ),
    **dict.fromkeys(
        ("receipt.created", "receipt.updated", "receipt.completed", "receipt.deleted"), "receipt"
    ),
    **dict.fromkeys(("teams.created", "teams.sat.completed"), "team"),
}
# a CFDI's type letter (its ``invoice_type``) as the path gigstack reads it under
LETTERS = {"I": "income", "E": "egress", "P": "payment"}


@dataclass(frozen=True)
class Reindexed:
    """What became of the row: ``upserted``, ``deleted`` (gigstack has no such object) or
    ``dropped`` (the key no longer reaches the team); how many gigstack calls it took."""

    outcome: str
    calls: int


def indexed_type(conn: sa.Connection, team: str, uuid: str) -> str | None:
    """The CFDI type the index holds for ``uuid`` (read from gigstack before), or None."""
    return conn.scalar(
        sa.select(ENTRIES.c.invoice_type).where(
            ENTRIES.c.team == team, ENTRIES.c.kind == "invoice", ENTRIES.c.object_id == uuid
        )
    )


def invoice_types(known: str | None, hint: Any) -> list[str]:
    """The types to ask gigstack for, in order: the index's, the event's, then the rest (a
    body naming the wrong type costs a call, never a wrong row)."""
    first = [known, LETTERS.get(str(hint).upper()) if hint else None]
    return list(dict.fromkeys([t for t in first if t in INVOICE_TYPES] + list(INVOICE_TYPES)))


def reindex(
    engine: sa.Engine, client: Any, team: str, kind: str, object_id: str, hint: Any = None
) -> Reindexed:
    """Re-read ``kind`` ``object_id`` of ``team`` through ``client`` (bound to the team) and
    write its row; ``hint`` is the event's CFDI type (a guess of which list to ask first).
    gigstack's errors other than 404 (and a team's 403) are raised."""
    if kind == "team":
        return _team(engine, client, object_id)
    readers: list[tuple[str | None, Callable[[], dict[str, Any]]]]
    if kind == "invoice":
        with engine.connect() as conn:
            known = indexed_type(conn, team, object_id)
        readers = [
            (t, lambda t=t: client.invoices.get(object_id, t)) for t in invoice_types(known, hint)
        ]
    else:
        group = {"client": client.clients, "payment": client.payments, "receipt": client.receipts}
        readers = [(None, lambda: group[kind].get(object_id))]
    calls = 0
    for invoice_type, read in readers:
        calls += 1
        try:
            found = read()
        except NotFound:
            continue
        _write(engine, _row(team, kind, invoice_type, found))
        return Reindexed("upserted", calls)
    with engine.begin() as conn:
        rows.delete(
            conn, ENTRIES.c.team == team, ENTRIES.c.kind == kind, ENTRIES.c.object_id == object_id
        )
    return Reindexed("deleted", calls)


def _row(team: str, kind: str, invoice_type: str | None, found: dict[str, Any]) -> dict[str, Any]:
    if kind == "invoice":
        return rows.invoice_row(team, invoice_type or "income", found)
    builder = {"client": rows.client_row, "payment": rows.payment_row, "receipt": rows.receipt_row}
    return builder[kind](team, found)


def _team(engine: sa.Engine, client: Any, team: str) -> Reindexed:
    """A team's own row (a new team, a CSD uploaded); out of reach, its rows go."""
    try:
        details = client.client.for_team(team).teams.get(team)
    except (NotFound, Forbidden):
        with engine.begin() as conn:
            drop_teams(conn, [team])
        return Reindexed("dropped", 1)
    _write(engine, rows.team_row(team, details))
    return Reindexed("upserted", 1)


def _write(engine: sa.Engine, row: dict[str, Any]) -> None:
    with engine.begin() as conn:
        rows.upsert(conn, [row], utcnow())
