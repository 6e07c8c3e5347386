"""Index rows for the REP rules' tests: a PPD invoice, a payment, a complement as gigstack
sends them, and one team's mix of each (paid and open balances, failed and missing
automations, complements valid and cancelled) as the sync writes it."""

from __future__ import annotations

from datetime import UTC, datetime


def moment(*args: int) -> datetime:
    """A UTC moment (year, month, day[, hour…])."""
    return datetime(*args, tzinfo=UTC)


def ppd_invoice(uuid: str, client: str, balance: float, created: datetime) -> dict:
    return {
        "uuid": uuid,
        "status": "valid",
        "payment_method": "PPD",
        "last_balance": balance,
        "client": {"id": client},
        "created_at": created.isoformat(),
        "total": 100,
    }


def payment_object(pid: str, client: str, automation: str, paid: datetime, status="succeeded"):
    return {
        "id": pid,
        "status": status,
        "automation_type": automation,
        "client": {"id": client},
        "succeeded_at": paid.isoformat(),
        "created_at": paid.isoformat(),
        "total": 100,
    }


def complement_object(uuid: str, payment_id: str, status: str) -> dict:
    return {"uuid": uuid, "status": status, "payment_complement": {"payment_id": payment_id}}


def rules_rows(team: str) -> dict[str, list[dict]]:
    """The rules test's rows of ``team`` by kind, as the sync writes them: due are "loose"
    (no automation, the client owes open PPD invoices) and "undone" (its automation failed,
    its complement cancelled)."""
    from webapp.search import rows

    return {
        "invoices": [
            rows.invoice_row(team, "income", i)
            for i in (
                ppd_invoice("B", "c1", 50, moment(2026, 10, 2)),
                ppd_invoice("A", "c1", 10, moment(2026, 9, 1)),
                ppd_invoice("PAID", "c2", 0, moment(2026, 9, 1)),
            )
        ],
        "complements": [
            rows.invoice_row(team, "payment", c)
            for c in (
                complement_object("C1", "done", "valid"),
                complement_object("C2", "undone", "cancelled"),
            )
        ],
        "payments": [
            rows.payment_row(team, p)
            for p in (
                payment_object("done", "c1", "ppd_invoice_and_complement", moment(2026, 11, 3)),
                payment_object("undone", "c2", "ppd_invoice_and_complement", moment(2026, 11, 20)),
                payment_object("loose", "c1", "none", moment(2026, 10, 9)),
                payment_object("plain", "c3", "none", moment(2026, 10, 9)),
                payment_object("early", "c1", "none", moment(2026, 8, 1)),  # before any PPD
                payment_object("pue", "c1", "pue_invoice", moment(2026, 10, 9)),
                payment_object(
                    "pending", "c1", "ppd_invoice_and_complement", moment(2026, 10, 9), "pending"
                ),
            )
        ],
    }


def every_rules_row(team: str) -> list[dict]:
    """:func:`rules_rows` of ``team`` in one list (written at once)."""
    return [row for group in rules_rows(team).values() for row in group]
