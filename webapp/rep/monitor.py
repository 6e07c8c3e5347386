"""What the REP monitor shows, from three lists gigstack gives: the team's valid PPD invoices,
its valid payment complements and its collected payments.

- PPD invoices with a balance still unpaid (oldest first);
- payments received without their complement, each with SAT's deadline — the
  ``REP_DEADLINE_DAY``-th day of the month after the payment, Mexico City — sorted by it:
  a ``ppd_invoice_and_complement`` payment whose complement is missing (it failed), and a
  payment recorded with no automation from a client who owed a PPD invoice issued before it
  (it may need one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from webapp.formatting import MEXICO_CITY
from webapp.gigstack.timestamps import to_datetime

PPD_AUTOMATION = "ppd_invoice_and_complement"


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


@dataclass(frozen=True)
class DueComplement:
    payment: dict[str, Any]
    due: date
    days_left: int
    why: str  # "failed" (its automation made no complement) · "unlinked"
    open_invoices: list[dict[str, Any]]


@dataclass(frozen=True)
class Report:
    open_invoices: list[dict[str, Any]]
    due: list[DueComplement]

    @property
    def overdue(self) -> int:
        return sum(1 for row in self.due if row.days_left < 0)


def build(
    ppd_invoices: list[dict],
    complements: list[dict],
    payments: list[dict],
    today: date,
    deadline_day: int,
) -> Report:
    """The report from the three lists (pure, so it is tested without gigstack)."""
    open_invoices = sorted(
        (
            inv
            for inv in ppd_invoices
            if inv.get("payment_method") == "PPD"
            and inv.get("status") == "valid"
            and float(inv.get("last_balance") or 0) > 0.005
        ),
        key=lambda inv: inv.get("created_at") or 0,
    )
    open_by_client: dict[str, list[dict]] = {}
    for inv in open_invoices:
        open_by_client.setdefault((inv.get("client") or {}).get("id") or "", []).append(inv)
    complemented = {
        (c.get("payment_complement") or {}).get("payment_id")
        for c in complements
        if c.get("status") == "valid"
    }
    due = []
    for payment in payments:
        if payment.get("status") != "succeeded" or payment["id"] in complemented:
            continue
        paid_at = payment.get("succeeded_at") or payment.get("created_at") or 0
        # a payment can only be for a PPD invoice issued before it
        owed = [
            inv
            for inv in open_by_client.get((payment.get("client") or {}).get("id") or "", [])
            if (inv.get("created_at") or 0) <= paid_at
        ]
        automation = payment.get("automation_type")
        if automation == PPD_AUTOMATION:
            why = "failed"
        elif automation in (None, "none") and owed:
            why = "unlinked"
        else:
            continue
        when = deadline(paid_at, deadline_day)
        due.append(DueComplement(payment, when, (when - today).days, why, owed))
    due.sort(key=lambda row: (row.due, -(float(row.payment.get("total") or 0))))
    return Report(open_invoices, due)
