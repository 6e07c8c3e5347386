"""gigstack's objects as index rows, and writing them (an upsert on team, kind and id).

Only what search and the inbox need is kept (see :mod:`.models`); ``text`` is every key
folded, one per line, so a contains-search never matches across two keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from webapp.gigstack.timestamps import to_datetime
from webapp.rep import monitor
from webapp.teams.readiness import missing_fiscal_data
from webapp.teams.team_index import fold
from webapp.teams.team_list import team_choice

from .models import SearchEntry, is_open_ppd

ENTRIES = SearchEntry.__table__
KEY = ("team", "kind", "object_id")


def _when(value: Any) -> datetime | None:
    try:
        return to_datetime(value)
    except (TypeError, ValueError):
        return None


def _money(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(*keys: Any) -> str:
    return "\n".join(fold(str(key)) for key in keys if key not in (None, ""))


def _short(value: Any, size: int) -> str | None:
    return str(value)[:size] if value not in (None, "") else None


def _row(team: str, kind: str, object_id: str, **fields: Any) -> dict[str, Any]:
    """A full row: every column present (an upsert sets them all)."""
    row = {column.name: None for column in ENTRIES.columns if column.name != "id"}
    row.update(team=team, kind=kind, object_id=str(object_id)[:128], text="")
    row.update(fields)
    row["name"] = (row["name"] or "")[:300]
    for name, size in (("uuid", 64), ("folio", 64), ("rfc", 16), ("email", 254)):
        row[name] = _short(row[name], size)
    return row


def _party(obj: dict[str, Any]) -> dict[str, Any]:
    client = obj.get("client") or {}
    return client if isinstance(client, dict) else {}


def team_row(team: str, details: dict[str, Any]) -> dict[str, Any]:
    """A team: its name, legal name and RFC; ``valid_until`` is when its CSD expires."""
    brand = details.get("brand") or {}
    sat = details.get("sat") or {}
    name = brand.get("alias") or details.get("legal_name") or team
    rfc = (details.get("tax_id") or "").upper()
    return _row(
        team,
        "team",
        team,
        rfc=rfc,
        name=name,
        email=details.get("support_email") or details.get("email"),
        created_at=_when(details.get("created_at")),
        valid_until=_when(sat.get("csd_expires_at")),
        sat_valid=bool(sat.get("completed")),
        not_ready=not_ready({"id": team, **details}),
        text=_text(team, name, details.get("legal_name"), rfc),
    )


def not_ready(details: dict[str, Any]) -> str:
    """What keeps a team from invoicing, by the directory's rules (``fiscal``, ``csd``:
    none uploaded, ``series``), comma-separated; empty when it is ready. An expired or
    expiring CSD is the inbox's own kind, read from ``valid_until``."""
    choice = team_choice(details)
    missing = []
    if missing_fiscal_data(choice.legal_name, choice.tax_id, choice.tax_system, choice.zip):
        missing.append("fiscal")
    if not choice.csd_completed:
        missing.append("csd")
    if not choice.default_series:
        missing.append("series")
    return ",".join(missing)


def client_row(team: str, client: dict[str, Any]) -> dict[str, Any]:
    """A client: RFC, name, legal name, e-mail, and its SAT and EFOS checks."""
    rfc = (client.get("tax_id") or "").upper()
    name = client.get("legal_name") or client.get("name") or ""
    efos = client.get("efos") or {}
    return _row(
        team,
        "client",
        client["id"],
        rfc=rfc,
        name=name,
        email=client.get("email"),
        created_at=_when(client.get("created_at")),
        client_id=client["id"],
        sat_valid=client.get("is_valid") if isinstance(client.get("is_valid"), bool) else None,
        efos_valid=efos.get("is_valid") if isinstance(efos, dict) else None,
        text=_text(client["id"], name, client.get("name"), rfc, client.get("email")),
    )


def folio_of(document: dict[str, Any]) -> str:
    """``A-123`` (series and folio), or what there is of it."""
    parts = (document.get("series"), document.get("folio_number"))
    return "-".join(str(part) for part in parts if part not in (None, ""))


def invoice_row(team: str, invoice_type: str, invoice: dict[str, Any]) -> dict[str, Any]:
    """A CFDI: UUID, series-folio, the receiver's RFC and name, total (a complement's: the
    amount it says was paid), PUE/PPD and balance."""
    party = _party(invoice)
    uuid = (invoice.get("uuid") or "").lower()  # searched in lower case, linked as it is
    folio = folio_of(invoice)
    rfc = (party.get("tax_id") or "").upper()
    name = party.get("legal_name") or party.get("name") or ""
    amount, currency = invoice.get("total"), invoice.get("currency")
    complement = invoice.get("payment_complement") or {}
    if invoice_type == "payment" and isinstance(complement, dict):  # what it says was paid
        amount, currency = complement.get("amount"), complement.get("currency") or currency
    balance = _money(invoice.get("last_balance"))
    return _row(
        team,
        "invoice",
        invoice["uuid"],
        uuid=uuid,
        folio=folio,
        rfc=rfc,
        name=name,
        email=party.get("email"),
        amount=_money(amount),
        currency=currency,
        status=invoice.get("status"),
        created_at=_when(invoice.get("created_at")),
        invoice_type=invoice_type,
        payment_method=invoice.get("payment_method"),
        last_balance=balance,
        ppd_open=is_open_ppd(
            invoice_type, invoice.get("payment_method"), invoice.get("status"), balance
        ),
        cancellation_status=invoice.get("cancellation_status"),
        client_id=party.get("id"),
        complement_of=_short(complement.get("payment_id"), 128)
        if invoice_type == "payment" and isinstance(complement, dict)
        else None,
        complement_count=_count(invoice.get("payment_complements")),
        text=_text(
            uuid,
            folio,
            f"{invoice.get('series') or ''}{invoice.get('folio_number') or ''}",
            rfc,
            name,
            party.get("email"),
        ),
    )


def payment_row(team: str, payment: dict[str, Any]) -> dict[str, Any]:
    """A payment: its id, the client's RFC, name and e-mail, total and status."""
    return _sale_row(
        team,
        "payment",
        payment,
        created_at=_when(payment.get("created_at")),
        paid_at=_when(payment.get("succeeded_at") or payment.get("created_at")),
        automation_type=_short(payment.get("automation_type"), 48),
    )


def receipt_row(team: str, receipt: dict[str, Any]) -> dict[str, Any]:
    """A receipt: its id, the client, total, status and until when it can be invoiced."""
    return _sale_row(
        team,
        "receipt",
        receipt,
        created_at=_when(receipt.get("created_at") or receipt.get("created")),
        valid_until=_when(receipt.get("validUntil") or receipt.get("valid_until")),
    )


def _sale_row(team: str, kind: str, sale: dict[str, Any], **dates: Any) -> dict[str, Any]:
    """A payment's or a receipt's row: the client's keys, the amount and status (their
    dates come from the caller: the two name them differently)."""
    party = _party(sale)
    rfc = (party.get("tax_id") or "").upper()
    name = party.get("legal_name") or party.get("name") or ""
    return _row(
        team,
        kind,
        sale["id"],
        rfc=rfc,
        name=name,
        email=party.get("email"),
        amount=_money(sale.get("total")),
        currency=sale.get("currency"),
        status=sale.get("status"),
        client_id=party.get("id"),
        text=_text(sale["id"], rfc, name, party.get("email")),
        **dates,
    )


def upsert(conn: sa.Connection, rows: Iterable[dict[str, Any]], synced_at: datetime) -> int:
    """Insert the rows, or update the ones the index has (same team, kind and id); the
    payments they concern are told again whether they are due their complement."""
    rows = [{**row, "synced_at": synced_at} for row in rows]
    written = upsert_into(conn, ENTRIES, rows, KEY)
    monitor.refresh_due_for(conn, rows)  # in the same transaction
    return written


# what a deleted row's payments due their complement are worked out from
GONE = [ENTRIES.c[name] for name in ("team", "kind", "object_id", "complement_of", "client_id")]


def delete(conn: sa.Connection, *where: Any) -> int:
    """Delete the rows ``where`` selects; the payments they concerned are told again whether
    they are due their complement (a complement gone, a client's invoice gone)."""
    gone = conn.execute(sa.delete(ENTRIES).where(*where).returning(*GONE)).mappings().all()
    monitor.refresh_due_for(conn, gone)
    return len(gone)


def upsert_into(
    conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], key: tuple[str, ...]
) -> int:
    """``INSERT … ON CONFLICT (key) DO UPDATE`` on PostgreSQL and SQLite alike (two runs
    writing one team at once both succeed; the last one's values stay)."""
    if not rows:
        return 0
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    changes = {name: statement.excluded[name] for name in rows[0] if name not in key}
    conn.execute(statement.on_conflict_do_update(index_elements=list(key), set_=changes), rows)
    return len(rows)
